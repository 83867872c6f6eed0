// The bench's `streams-process` section: many 1-tick/s streams on one channel (or K, --streams-channels)
// between two node processes (and a ledger process), opened through the payer's control API RPC channel. Measures the
// open rate as the count grows, then a steady state: tick lateness at the payee, from its event feed
// (each tick event carries when the payee metered the tick, `lastTickAt`; a tick k of a stream fell
// due at the payee's startedAt + k * tickMs), the ticks/s the payee metered, and each process's RSS.
import { readFileSync } from 'node:fs';
import type { ApiClient } from '../src/api/client.js';
import { streamViewCodec } from '../src/api/codec.js';
import { openStreamRequestCodec } from '../src/api/requests.js';
import type { NodeEvent } from '../src/api/types.js';
import { cpuMs } from './bench-api.js';
import { fmt, line, median, pct, record, results } from './bench-lib.js';

export interface StreamsProcessNodes {
  payer: { api: ApiClient; pid: number };
  payee: { api: ApiClient; pid: number; id: string };
  ledgerPid: number;
  /**
   * Channels between payer and payee (default 1, the one already open); figure names carry it when more
   * than one. The others are opened here, during the first step (see CHANNEL_CAPACITY_STEP).
   */
  channels?: number;
}

/** Steps of the run: streams running at each, and how long each may spend opening before it is called collapsed. */
export const STREAMS_PROCESS_STEPS = [2_000, 10_000, 50_000];
const OPEN_BUDGET_MS = 120_000;
const STEADY_MS = 10_000;
const SETTLE_MS = 3_000;
/** Opens in flight at once over the RPC channel (under its window of 2,048). */
const OPENS_IN_FLIGHT = 512;
/** Opening is measured in chunks of this many streams, so the rate can be seen to change as the count grows. */
const OPEN_CHUNK = 1_000;
/**
 * An open names only the peer; the payer puts the stream on the open channel with the most it can
 * spend (ChannelManager.payable). So the first step opens its streams in K even slices and opens
 * channel i just before slice i, each with this much more than the one before: the newest channel has
 * the most, and takes its slice whole (a slice drains ~10^8 msat a minute, far less than this).
 */
const CHANNEL_CAPACITY_STEP = 10_000_000_000n;
/**
 * A stream's ticks fall due at its start + k seconds, so a slice opened in a burst would have all its
 * ticks due in the same part of each second and its channel would carry them while the others idle
 * (measured: ~100 updates/s in all whatever K). Each slice's opens are paced evenly over this long
 * (a whole number of ticks), so every channel's ticks are spread over the second as one channel's are.
 */
const SLICE_SPREAD_MS = 2_000;

/** VmRSS of a process in MB, from /proc (Linux). */
function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function streamsProcess(n: StreamsProcessNodes, steps: readonly number[] = STREAMS_PROCESS_STEPS): Promise<void> {
  const k = n.channels ?? 1;
  process.stdout.write(`\nstreams between two node processes (1 sat/s each, ${k === 1 ? 'one channel' : `${k} channels`}, opened over the RPC channel; lateness at the payee)\n`);
  // the payee's feed: per stream, the last tick total seen, so a payment for several ticks counts each
  const lastTicks = new Map<string, number>();
  // per stream, its least lateness in the window: an upper bound on how much later the payer's clock
  // started than the payee's (the open's answer in flight), which the lateness above includes
  let window: { late: number[]; feedDelay: number[]; ticks: number; least: Map<string, number>; byChannel: Map<string, number[]>; lateIds: string[] } | undefined;
  let feedDrops = 0;
  const onEvent = (e: NodeEvent) => {
    if (e.type !== 'stream' || e.event !== 'tick' || e.stream.role !== 'payee') return;
    const s = e.stream;
    const prev = lastTicks.get(s.streamId) ?? 0;
    lastTicks.set(s.streamId, s.ticks);
    if (!window || s.lastTickAt === undefined) return;
    window.feedDelay.push(Date.now() - s.lastTickAt);
    let onChannel = window.byChannel.get(s.channelId);
    if (!onChannel) window.byChannel.set(s.channelId, (onChannel = []));
    for (let k = prev + 1; k <= s.ticks; k++) {
      const late = s.lastTickAt - (s.startedAt + k * s.tickMs);
      window.late.push(late);
      window.lateIds.push(s.streamId);
      onChannel.push(late);
      window.least.set(s.streamId, Math.min(late, window.least.get(s.streamId) ?? Infinity));
      window.ticks++;
    }
  };
  let feed = n.payee.api.events(onEvent);
  let stopping = false;
  const keepFeed = async (): Promise<void> => {
    while (!stopping) {
      const err = await feed.done;
      if (stopping) return;
      feedDrops++;
      process.stdout.write(`  (payee event feed ended: ${err?.message ?? 'closed'}; reconnecting)\n`);
      feed = n.payee.api.events(onEvent);
    }
  };
  await feed.ready;
  const kept = keepFeed();

  const rpc = await n.payer.api.openRpc();
  let open = 0;
  let refused = 0;
  let firstRefusal: string | undefined;
  // streams per channel, as the payer placed them (see CHANNEL_CAPACITY_STEP)
  const perChannel = new Map<string, number>();
  let opened = 1;
  const channels = await n.payer.api.listChannels();
  const first = channels.find((c) => c.peerId === n.payee.id && c.status === 'open');
  if (!first) throw new Error('streams-process: no open channel from payer to payee');
  const openChannel = async () => {
    const capacity = first.capacity + BigInt(opened) * CHANNEL_CAPACITY_STEP;
    // the faucet gives at most 10^13 msat a call; a little more than the capacity pays the fee
    await n.payer.api.faucet(capacity + 1_000_000_000n);
    await n.payer.api.openChannel({ peerId: n.payee.id, capacity });
    opened++;
  };
  const openOne = async () => {
    try {
      const v = await rpc.request('POST', '/v1/streams', openStreamRequestCodec.encode({ peerId: n.payee.id, rate: '1sat/s' }), streamViewCodec);
      perChannel.set(v.channelId, (perChannel.get(v.channelId) ?? 0) + 1);
      open++;
    } catch (e) {
      refused++;
      firstRefusal ??= (e as Error).message;
    }
  };
  try {
    for (const target of steps) {
      const key = k === 1 ? `streamsProcess${target}` : `streamsProcess${target}x${k}`;
      // open up to target, in chunks, with the streams already open running
      const t0 = performance.now();
      const openBefore = open;
      const chunkRates: number[] = [];
      let collapsed = false;
      let channelSecs = 0; // time spent opening channels, not counted in the open rate
      const slicing = k > 1 && openBefore === 0;
      let pace: { start: number; gapMs: number; issued: number } | undefined;
      while (open < target) {
        // the first step with K channels: slice i (of K) goes on channel i, opened when slice i starts
        const slice = slicing ? Math.ceil((target * opened) / k) : target;
        if (slicing && (open >= slice || !pace)) {
          if (open >= slice) {
            const tch = performance.now();
            await openChannel();
            channelSecs += (performance.now() - tch) / 1000;
          }
          const size = Math.ceil((target * opened) / k) - open;
          pace = { start: performance.now(), gapMs: SLICE_SPREAD_MS / size, issued: 0 };
          continue;
        }
        const want = Math.min(OPEN_CHUNK, slice - open);
        const tc = performance.now();
        let next = 0;
        await Promise.all(Array.from({ length: Math.min(OPENS_IN_FLIGHT, want) }, async () => {
          while (next < want) {
            next++;
            if (pace) {
              const wait = pace.start + pace.issued++ * pace.gapMs - performance.now();
              if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            }
            await openOne();
          }
        }));
        chunkRates.push(want / ((performance.now() - tc) / 1000));
        if (refused > 0) break;
        if (performance.now() - t0 > OPEN_BUDGET_MS) { collapsed = true; break; }
      }
      const openSecs = (performance.now() - t0) / 1000 - channelSecs;
      record(`${key}OpenPerSec`, (open - openBefore) / openSecs);
      record(`${key}OpenLastChunkPerSec`, chunkRates.at(-1) ?? 0);
      record(`${key}Running`, open);
      line(`open to ${target.toLocaleString('en-US')}: ${open.toLocaleString('en-US')} running`,
        `${fmt((open - openBefore) / openSecs)} opens/s over the step${slicing ? ` (paced: ${k} slices of ${SLICE_SPREAD_MS / 1000} s at least)` : ''}; per ${OPEN_CHUNK.toLocaleString('en-US')}: first ${fmt(chunkRates[0] ?? 0)} /s, last ${fmt(chunkRates.at(-1) ?? 0)} /s`);
      if (refused > 0) line('  refused opens', `${refused}: ${firstRefusal}`);
      if (k > 1) {
        const counts = [...perChannel.values(), ...Array<number>(Math.max(0, k - perChannel.size)).fill(0)].sort((a, b) => a - b);
        record(`${key}StreamsPerChannelMin`, counts[0] ?? 0);
        record(`${key}StreamsPerChannelMax`, counts.at(-1) ?? 0);
        line(`  streams per channel (${k} channels)`, counts.map((c) => c.toLocaleString('en-US')).join(' / '));
      }

      // steady state
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const cpu0 = { payer: cpuMs(n.payer.pid), payee: cpuMs(n.payee.pid) };
      // both-signed states over the window, all channels to the payee: how many updates carried the ticks
      const seqs = async () => (await n.payer.api.listChannels()).filter((c) => c.peerId === n.payee.id).reduce((sum, c) => sum + c.seq, 0n);
      const seq0 = await seqs();
      window = { late: [], feedDelay: [], ticks: 0, least: new Map(), byChannel: new Map(), lateIds: [] };
      const ts = performance.now();
      await new Promise((r) => setTimeout(r, STEADY_MS));
      const w = window;
      window = undefined;
      const secs = (performance.now() - ts) / 1000;
      const updates = Number((await seqs()) - seq0);
      const cpuPct = (pid: number, before: number | undefined) => {
        const after = cpuMs(pid);
        return after === undefined || before === undefined ? NaN : ((after - before) / (secs * 1000)) * 100;
      };
      const [payerCpu, payeeCpu] = [cpuPct(n.payer.pid, cpu0.payer), cpuPct(n.payee.pid, cpu0.payee)];
      const [payerRss, payeeRss, ledgerRss] = [rssMB(n.payer.pid), rssMB(n.payee.pid), rssMB(n.ledgerPid)];
      const late = w.late.length ? w.late : [NaN];
      record(`${key}TicksPerSec`, w.ticks / secs);
      record(`${key}UpdatesPerSec`, updates / secs);
      record(`${key}TicksPerUpdate`, updates ? w.ticks / updates : NaN);
      record(`${key}LatenessP50Ms`, median(late));
      record(`${key}LatenessP99Ms`, pct(late, 99));
      record(`${key}LatenessMaxMs`, pct(late, 100));
      const least = w.least.size ? [...w.least.values()] : [NaN];
      record(`${key}LatenessLeastPerStreamP50Ms`, median(least));
      // each tick's lateness beyond its own stream's least in the window: the open's clock offset taken
      // out (bursts of opens set larger offsets than paced ones), what the tick's path adds
      const over = w.late.length ? w.late.map((l, i) => l - (w.least.get(w.lateIds[i]!) ?? l)) : [NaN];
      record(`${key}LatenessOverLeastP99Ms`, pct(over, 99));
      record(`${key}FeedDelayP50Ms`, w.feedDelay.length ? median(w.feedDelay) : NaN);
      record(`${key}PayerRssMB`, payerRss);
      record(`${key}PayeeRssMB`, payeeRss);
      record(`${key}LedgerRssMB`, ledgerRss);
      record(`${key}PayerCpuPct`, payerCpu);
      record(`${key}PayeeCpuPct`, payeeCpu);
      line(`  steady ${STEADY_MS / 1000} s with ${open.toLocaleString('en-US')} running`,
        `${fmt(w.ticks / secs)} ticks/s metered by the payee, lateness p50 ${median(late).toFixed(0)} ms / p99 ${pct(late, 99).toFixed(0)} ms / max ${pct(late, 100).toFixed(0)} ms`);
      line(`  channel updates (both-signed states, ${k === 1 ? 'the channel' : `all ${k} channels`})`, `${fmt(updates / secs)} /s, ${(updates ? w.ticks / updates : NaN).toFixed(0)} ticks each`);
      line('  least lateness per stream, p50 (its clock offset at most)', `${median(least).toFixed(0)} ms; beyond it, p50 ${median(over).toFixed(0)} / p99 ${pct(over, 99).toFixed(0)} ms; the feed delivered ticks p50 ${(results[`${key}FeedDelayP50Ms`] as number).toFixed(0)} ms after they were metered`);
      if (k > 1) {
        // per channel, largest first: whether the lateness is the crowded channel's or every channel's
        const rows = [...w.byChannel].map(([id, l]) => ({ streams: perChannel.get(id) ?? 0, p99: pct(l, 99) })).sort((a, b) => b.streams - a.streams);
        record(`${key}LatenessP99MsWorstChannel`, Math.max(...rows.map((r) => r.p99)));
        line('  lateness p99 per channel (streams)', rows.map((r) => `${r.p99.toFixed(0)} ms (${r.streams.toLocaleString('en-US')})`).join(', '));
      }
      line('  RSS payer / payee / ledger', `${payerRss.toFixed(0)} / ${payeeRss.toFixed(0)} / ${ledgerRss.toFixed(0)} MB; CPU payer ${payerCpu.toFixed(0)}% / payee ${payeeCpu.toFixed(0)}% of a core`);
      if (refused > 0 || collapsed) {
        line('  stopped here', refused > 0 ? 'opens were refused' : `opening passed its budget of ${OPEN_BUDGET_MS / 1000} s`);
        break;
      }
    }
    record(k === 1 ? 'streamsProcessFeedDrops' : `streamsProcessX${k}FeedDrops`, feedDrops);
  } finally {
    stopping = true;
    await rpc.close().catch(() => undefined);
    feed.close();
    await kept;
  }
}
