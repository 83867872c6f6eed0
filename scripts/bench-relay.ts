// The bench's `relay` section (issue 11): how many concurrent 1-tick/s streams one hub relays. Three node
// processes in a line payer–hub–payee (and a ledger process); the payer has no channel with the payee, so
// every stream it opens to it is a routed stream in signed mode (docs/streams.md "Streams across hops"):
// each batch interval (1 s) the tick due is paid as one keysend HTLC payer→hub→payee.
//
// The count of streams grows in steps; at each, after the opens have settled, a steady window measures:
// - tick lateness at the payee, from its event feed, defined as the streams-process section does: tick k
//   of a stream fell due at the payee's startedAt + k × tickMs, and is metered at the event's lastTickAt.
//   For a routed stream a tick is metered when the HTLC of its batch settles at the payee (the meter is
//   stored with the switch's record of the settle), so this lateness is the wait for the batch to be made
//   (the payer's 100 ms loop) plus the batch HTLC's whole way payer→hub→payee;
// - ticks/s metered by the payee, forwarded HTLCs/s at the hub (its forward log, settled in the window),
//   and each process's RSS and CPU from /proc.
// It stops at the first step whose lateness p99 passes the bound (one batch interval by default: past it,
// a batch is not settled before the next one falls due) or whose opens are refused.
import { mkdtemp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ApiClient } from '../src/api/client.js';
import { readApiUrl } from '../src/api/url-file.js';
import { readToken } from '../src/api/token.js';
import { streamViewCodec } from '../src/api/codec.js';
import { openStreamRequestCodec } from '../src/api/requests.js';
import type { NodeEvent } from '../src/api/types.js';
import { cpuMs } from './bench-api.js';
import { start, stopProcesses } from './bench-procs.js';
import { fmt, line, median, pct, record, results } from './bench-lib.js';

/** Streams running at each step (the section stops earlier once a step passes the bound). */
export const RELAY_STEPS = [25, 50, 100, 200, 400];
/** A tick is on time when metered within this of falling due: one batch interval. */
export const RELAY_BOUND_MS = 1_000;
const CAPACITY = 1_000_000_000_000n;
const SETTLE_MS = 4_000;
const STEADY_MS = 10_000;
const OPENS_IN_FLIGHT = 50;
/** The opens of a step are spread over this (one tick interval): the streams' phases. */
const PHASE_SPREAD_MS = 1_000;

interface Proc { name: string; api: ApiClient; id: string; target: string; pid: number }

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function benchRelay(opts: { steps?: readonly number[]; boundMs?: number } = {}): Promise<void> {
  const steps = opts.steps ?? RELAY_STEPS;
  const bound = opts.boundMs ?? RELAY_BOUND_MS;
  process.stdout.write(`\nstreams relayed by one hub: node processes payer–hub–payee, routed 1 sat/s signed streams (a keysend HTLC a second each), lateness at the payee, bound ${bound} ms\n`);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const procs: ChildProcess[] = [];
  try {
    // 1 s blocks, as the routing-process section: a batch's HTLC then has 30 blocks of margin
    const ledger = start(['ledger', 'start', '--data-dir', join(dir, 'ledger'), '--port', '0', '--block-time', '1s', '--faucet', '--log-level', 'warn']);
    procs.push(ledger.proc);
    const ledgerUrl = (await ledger.wait(/listening on (ws:\/\/\S+)/))[1]!;
    const profDir = process.env['SLUICE_BENCH_CPU_PROF']; // a directory: each node writes a CPU profile there as it exits
    const maxSteps = Math.max(...steps);
    const nodes: Proc[] = [];
    for (const name of ['payer', 'hub', 'payee']) {
      const d = join(dir, name);
      const extra = name === 'payee' ? ['--max-streams-per-channel', String(maxSteps)] : [];
      const n = start(['node', 'start', '--data-dir', d, '--port', '0', '--api-port', '0', '--ledger', ledgerUrl, '--alias', name, '--log-level', 'warn', '--gossip-interval', '300ms', ...extra],
        profDir ? ['--cpu-prof', '--cpu-prof-dir', join(profDir, name)] : []);
      procs.push(n.proc);
      const target = (await n.wait(/peers connect to (\S+)/))[1]!;
      nodes.push({ name, api: new ApiClient({ url: await readApiUrl(d), token: await readToken(d) }), id: target.split('@')[0]!, target, pid: n.proc.pid! });
    }
    const [payer, hub, payee] = nodes as [Proc, Proc, Proc];
    for (const [from, to] of [[payer, hub], [hub, payee]] as const) {
      await from.api.faucet(2n * CAPACITY);
      await from.api.connectPeer(to.target);
      await from.api.openChannel({ peerId: to.id, capacity: CAPACITY });
    }
    await until("the payer's graph to hold both channels and the payee's address", async () => {
      const g = await payer.api.graph();
      return g.channels.length === 2 && g.nodes.some((x) => x.nodeId === payee.id && x.address) ? true : undefined;
    });
    await until('a route from the payer to the payee', async () => ((await payer.api.queryRoute({ nodeId: payee.id, amount: 1000n })).hops.length === 2 ? true : undefined));
    // The payer dials the payee itself for its first routed stream; connected first here, so the
    // 50 opens in flight at once do not each race to dial it (they did: all 25 of the first step were
    // refused with "cannot connect", one dial replacing another's session).
    await payer.api.connectPeer(payee.target);
    await steppedRun(payer, hub, payee, steps, bound);
  } finally {
    await stopProcesses(dir, procs);
  }
}

async function steppedRun(payer: Proc, hub: Proc, payee: Proc, steps: readonly number[], bound: number): Promise<void> {
  // the payee's feed, as in the streams-process section: per stream the last tick total seen
  const lastTicks = new Map<string, number>();
  let window: { late: number[]; ticks: number; least: Map<string, number> } | undefined;
  const onEvent = (e: NodeEvent) => {
    if (e.type !== 'stream' || e.event !== 'tick' || e.stream.role !== 'payee') return;
    const s = e.stream;
    const prev = lastTicks.get(s.streamId) ?? 0;
    lastTicks.set(s.streamId, s.ticks);
    if (!window || s.lastTickAt === undefined) return;
    for (let k = prev + 1; k <= s.ticks; k++) {
      const late = s.lastTickAt - (s.startedAt + k * s.tickMs);
      window.late.push(late);
      window.least.set(s.streamId, Math.min(late, window.least.get(s.streamId) ?? Infinity));
      window.ticks++;
    }
  };
  let feed = payee.api.events(onEvent);
  let stopping = false;
  let feedDrops = 0;
  const kept = (async () => {
    while (!stopping) {
      const err = await feed.done;
      if (stopping) return;
      feedDrops++;
      process.stdout.write(`  (payee event feed ended: ${err?.message ?? 'closed'}; reconnecting)\n`);
      feed = payee.api.events(onEvent);
    }
  })();
  await feed.ready;

  const rpc = await payer.api.openRpc();
  let open = 0;
  let refused = 0;
  let firstRefusal: string | undefined;
  record('relayStreamsOnTime', 0); // raised by each step under the bound
  try {
    for (const target of steps) {
      const key = `relayStreams${target}`;
      const t0 = performance.now();
      const want = target - open;
      // Paced over one tick interval, so the new streams' ticks fall due spread over the second, as
      // independent streams' would: opened all at once, every stream's batch falls due in the same few
      // milliseconds, and the hub sees a burst of `target` HTLCs once a second instead of a steady flow.
      const gapMs = PHASE_SPREAD_MS / want;
      let next = 0;
      await Promise.all(Array.from({ length: Math.min(OPENS_IN_FLIGHT, want) }, async () => {
        while (next < want) {
          const i = next++;
          const wait = t0 + i * gapMs - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          try {
            await rpc.request('POST', '/v1/streams', openStreamRequestCodec.encode({ peerId: payee.id, rate: '1sat/s' }), streamViewCodec);
            open++;
          } catch (e) {
            refused++;
            firstRefusal ??= (e as Error).message;
          }
        }
      }));
      const openSecs = (performance.now() - t0) / 1000;
      line(`open to ${target}: ${open} opened`, `${fmt(want / openSecs)} opens/s${refused ? `; ${refused} refused: ${firstRefusal}` : ''}`);

      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const pids = { payer: payer.pid, hub: hub.pid, payee: payee.pid };
      const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p)])) as Record<keyof typeof pids, number | undefined>;
      window = { late: [], ticks: 0, least: new Map() };
      const wallStart = Date.now();
      const ts = performance.now();
      await new Promise((r) => setTimeout(r, STEADY_MS));
      const w = window;
      window = undefined;
      const wallEnd = Date.now();
      const secs = (performance.now() - ts) / 1000;
      const cpuPct = (k: keyof typeof pids) => {
        const after = cpuMs(pids[k]);
        const before = cpu0[k];
        return after === undefined || before === undefined ? NaN : ((after - before) / (secs * 1000)) * 100;
      };
      const cpu = { payer: cpuPct('payer'), hub: cpuPct('hub'), payee: cpuPct('payee') };
      const rss = { payer: rssMB(payer.pid), hub: rssMB(hub.pid), payee: rssMB(payee.pid) };
      const forwards = await hub.api.listForwards();
      const inWindow = forwards.filter((f) => f.resolvedAt !== undefined && f.resolvedAt >= wallStart && f.resolvedAt < wallEnd);
      const settled = inWindow.filter((f) => f.status === 'settled').length;
      const failedFwd = inWindow.length - settled;
      // the payer's batches made in the window that failed (every attempt failed back, or none could start):
      // their ticks go into the stream's next batch, one interval late
      const batches = (await payer.api.listPayments()).filter((p) => p.createdAt >= wallStart && p.createdAt < wallEnd);
      const failedBatches = batches.filter((p) => p.status === 'failed');
      const why = new Map<string, number>();
      for (const p of failedBatches) why.set(p.failure ?? '?', (why.get(p.failure ?? '?') ?? 0) + 1);
      const running = (await payer.api.listStreams()).filter((s) => s.role === 'payer' && s.status === 'active').length;
      const late = w.late.length ? w.late : [NaN];
      const least = w.least.size ? [...w.least.values()] : [NaN];
      const p99 = pct(late, 99);
      record(`${key}Running`, running);
      record(`${key}TicksPerSec`, w.ticks / secs);
      record(`${key}LatenessP50Ms`, median(late));
      record(`${key}LatenessP99Ms`, p99);
      record(`${key}LatenessMaxMs`, pct(late, 100));
      record(`${key}LatenessLeastPerStreamP50Ms`, median(least));
      record(`${key}HubForwardsPerSec`, settled / secs);
      record(`${key}HubForwardsFailed`, failedFwd);
      record(`${key}PayerBatchesFailed`, failedBatches.length);
      for (const k of ['payer', 'hub', 'payee'] as const) {
        const cap = k[0]!.toUpperCase() + k.slice(1);
        record(`${key}${cap}RssMB`, rss[k]);
        record(`${key}${cap}CpuPct`, cpu[k]);
      }
      line(`  steady ${STEADY_MS / 1000} s, ${running} streams active at the payer`,
        `${fmt(w.ticks / secs)} ticks/s metered by the payee; lateness p50 ${median(late).toFixed(0)} ms / p99 ${p99.toFixed(0)} ms / max ${pct(late, 100).toFixed(0)} ms`);
      line('  least lateness per stream, p50 (its clock offset at most)', `${median(least).toFixed(0)} ms`);
      line('  hub: forwarded HTLCs settled', `${fmt(settled / secs)} /s${failedFwd ? ` (${failedFwd} failed)` : ''}`);
      if (failedBatches.length) line(`  payer: ${failedBatches.length} of ${batches.length} batches failed`, [...why].map(([m, k]) => `${k}× ${m}`).join('; ').slice(0, 300));
      line('  RSS payer / hub / payee', `${rss.payer.toFixed(0)} / ${rss.hub.toFixed(0)} / ${rss.payee.toFixed(0)} MB`);
      line('  CPU payer / hub / payee', `${cpu.payer.toFixed(0)}% / ${cpu.hub.toFixed(0)}% / ${cpu.payee.toFixed(0)}% of a core`);
      const onTime = p99 < bound && refused === 0 && running === target;
      if (onTime) {
        record('relayStreamsOnTime', target);
        record('relayStreamsOnTimeLatenessP99Ms', p99);
        record('relayStreamsOnTimeHubRssMB', rss.hub);
      } else {
        line('  stopped here', refused > 0 ? 'opens were refused' : running !== target ? `${target - running} streams are no longer active` : `lateness p99 over ${bound} ms`);
        break;
      }
    }
    record('relayFeedDrops', feedDrops);
    line('most streams on time (p99 under the bound)', String(results['relayStreamsOnTime']));
  } finally {
    stopping = true;
    await rpc.close().catch(() => undefined);
    feed.close();
    await kept;
  }
}
