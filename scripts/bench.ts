// `npm run bench`: what sluice does on this machine, beside what the machine can do at most.
// Prints, in one run: the cost of one sign, one verify (OpenSSL and pure JS), one synced LevelDB write
// (the limits), then durable signed updates/s, payments/s and payment latency between two node
// processes on one channel. A benchmark, not a test: figures vary with the machine's load.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { Level } from 'level';
import { publicKeyOf, randomSecretKey, signMessage, verifyDigest, verifyMessage } from '../src/crypto/keys.js';
import { sha256 } from '../src/crypto/hash.js';
import { stateMessage, type ChannelState } from '../src/channel/state.js';
import { ApiClient } from '../src/api/client.js';
import { readApiUrl } from '../src/api/url-file.js';
import { readToken } from '../src/api/token.js';
import { benchRouteFinding } from './bench-routing.js';

const results: Record<string, number | string> = {};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** ops/s: the median of `runs` runs of `n` calls. */
function rate(n: number, fn: (i: number) => void, runs = 5): number {
  const rs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    rs.push(n / ((performance.now() - t) / 1000));
  }
  return median(rs);
}

function line(label: string, value: string): void {
  process.stdout.write(`  ${label.padEnd(44)} ${value}\n`);
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

async function machineLimits(): Promise<void> {
  process.stdout.write('machine limits (single core, medians of 5 runs)\n');
  const sk = randomSecretKey();
  const pk = publicKeyOf(sk);
  const state: ChannelState = { channelId: randomBytes(32), seq: 42n, balanceA: 123_456_789n, balanceB: 987_654n, locks: [], closing: false };
  const msg = stateMessage('bench', state);
  const sig = signMessage(sk, msg);
  const digest = sha256(msg);
  rate(200, () => signMessage(sk, msg), 1); // warm up
  results['signPerSec'] = rate(500, () => signMessage(sk, msg));
  results['verifyOpensslPerSec'] = rate(500, () => verifyMessage(sig, msg, pk));
  results['verifyNoblePerSec'] = rate(200, () => verifyDigest(sig, digest, pk));
  results['sha256PerSec'] = rate(50_000, () => sha256(digest));
  line('sign (noble, RFC 6979, low-S)', `${fmt(results['signPerSec'] as number)} /s`);
  line('verify (OpenSSL via node:crypto, low-S checked)', `${fmt(results['verifyOpensslPerSec'] as number)} /s`);
  line('verify (noble, pure JS)', `${fmt(results['verifyNoblePerSec'] as number)} /s`);
  line('sha256 of 32 bytes', `${fmt(results['sha256PerSec'] as number)} /s`);

  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const db = new Level<string, string>(join(dir, 'db'));
  await db.open();
  const value = 'x'.repeat(600); // about one stored channel record
  const lat: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    await db.batch([{ type: 'put', key: `k${i % 10}`, value }], { sync: true });
    lat.push(performance.now() - t);
  }
  await db.close();
  await rm(dir, { recursive: true, force: true });
  results['syncedWriteMsP50'] = median(lat);
  results['syncedWritesPerSec'] = 1000 / median(lat);
  line('synced LevelDB batch write (600 B), p50', `${(results['syncedWriteMsP50'] as number).toFixed(3)} ms  (${fmt(results['syncedWritesPerSec'] as number)} /s one at a time)`);
}

const BIN = new URL('../bin/sluice.js', import.meta.url).pathname;

function start(args: string[]): { proc: ChildProcess; wait(re: RegExp): Promise<RegExpMatchArray> } {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return {
    proc,
    wait: (re) => new Promise((resolve, reject) => {
      const t = setInterval(() => {
        const m = out.match(re);
        if (m) { clearInterval(t); resolve(m); }
        if (proc.exitCode !== null) { clearInterval(t); reject(new Error(`exited: ${out}`)); }
      }, 20);
    }),
  };
}

async function twoNodes(): Promise<void> {
  process.stdout.write('\ntwo node processes, one channel, payments through the control API\n');
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const procs: ChildProcess[] = [];
  try {
    const ledger = start(['ledger', 'start', '--data-dir', join(dir, 'ledger'), '--port', '0', '--block-time', '100ms', '--faucet', '--log-level', 'warn']);
    procs.push(ledger.proc);
    const ledgerUrl = (await ledger.wait(/listening on (ws:\/\/\S+)/))[1]!;
    const nodes = [];
    for (const name of ['a', 'b']) {
      const d = join(dir, name);
      const n = start(['node', 'start', '--data-dir', d, '--port', '0', '--api-port', '0', '--ledger', ledgerUrl, '--log-level', 'warn']);
      procs.push(n.proc);
      const m = await n.wait(/peers connect to (\S+)/);
      const api = new ApiClient({ url: await readApiUrl(d), token: await readToken(d) });
      nodes.push({ target: m[1]!, api, id: m[1]!.split('@')[0]! });
    }
    const [a, b] = nodes as [typeof nodes[0], typeof nodes[0]];
    await a.api.faucet(5_000_000_000_000n);
    await a.api.connectPeer(b.target);
    const ch = await a.api.openChannel({ peerId: b.id, capacity: 4_000_000_000_000n });

    // latency: one payment at a time, each a full round trip with two synced writes
    const lat: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await a.api.pay({ peerId: b.id, amount: 1000n });
      lat.push(performance.now() - t);
    }
    results['latencyMsP50'] = median(lat);
    results['latencyMsP99'] = pct(lat, 99);
    line('payment latency, one at a time: p50', `${median(lat).toFixed(2)} ms`);
    line('payment latency, one at a time: p99', `${pct(lat, 99).toFixed(2)} ms`);
    results['updatesPerSecSequential'] = 1000 / median(lat);

    // throughput: many payments in flight, batched into updates
    const seq0 = (await a.api.listChannels()).find((c) => c.channelId === ch.channelId)!.seq;
    const total = 20_000;
    const window = 400;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: window }, async () => {
      while (next < total) {
        next++;
        await a.api.pay({ peerId: b.id, amount: 1000n });
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    const seq1 = (await a.api.listChannels()).find((c) => c.channelId === ch.channelId)!.seq;
    results['paymentsPerSec'] = total / secs;
    results['updatesPerSec'] = Number(seq1 - seq0) / secs;
    results['paymentsPerUpdate'] = total / Number(seq1 - seq0);
    line(`payments/s (${total}, ${window} in flight)`, `${fmt(total / secs)} /s`);
    line('durable signed updates/s during that run', `${fmt(Number(seq1 - seq0) / secs)} /s  (${(total / Number(seq1 - seq0)).toFixed(1)} payments per update)`);
    const [bch] = await b.api.listChannels();
    if (bch!.localBalance !== 1000n * BigInt(total + 300)) throw new Error(`payee balance ${bch!.localBalance} != expected`);
    line('payee balance check', 'exact');
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await rm(dir, { recursive: true, force: true });
  }
}

/** The same two nodes embedded in one process (the SDK's case): no HTTP, in-memory transport, real LevelDB. */
async function embedded(): Promise<void> {
  process.stdout.write('\ntwo embedded nodes (one process, in-memory transport, real LevelDB and ledger)\n');
  const { startLedger } = await import('../src/ledger/service.js');
  const { SluiceNode } = await import('../src/node/node.js');
  const { MemoryNetwork } = await import('../src/transport/memory.js');
  const { silentLogger } = await import('../src/util/log.js');
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const ledger = await startLedger({ dataDir: join(dir, 'ledger'), port: 0, blockTimeMs: 100, faucet: true, log: silentLogger() });
  const network = new MemoryNetwork();
  const a = await SluiceNode.start({ dataDir: join(dir, 'a'), ledgerUrl: ledger.url, network, log: silentLogger() });
  const b = await SluiceNode.start({ dataDir: join(dir, 'b'), ledgerUrl: ledger.url, network, log: silentLogger() });
  try {
    await a.faucet(5_000_000_000_000n);
    await a.connectInMemory(b.nodeId);
    await a.openChannel({ peerId: b.nodeId, capacity: 4_000_000_000_000n, push: 0n });
    const lat: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await a.pay({ peerId: b.nodeId, amount: 1000n });
      lat.push(performance.now() - t);
    }
    results['embeddedLatencyMsP50'] = median(lat);
    results['embeddedLatencyMsP99'] = pct(lat, 99);
    results['embeddedUpdatesPerSecSequential'] = 1000 / median(lat);
    line('payment latency, one at a time: p50 / p99', `${median(lat).toFixed(2)} ms / ${pct(lat, 99).toFixed(2)} ms`);
    line('durable signed updates/s, one payment each', `${fmt(1000 / median(lat))} /s`);
    const seq0 = (await a.listChannels())[0]!.seq;
    const total = 50_000;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: total }, () => a.pay({ peerId: b.nodeId, amount: 1000n })));
    const secs = (performance.now() - t0) / 1000;
    const seq1 = (await a.listChannels())[0]!.seq;
    results['embeddedPaymentsPerSec'] = total / secs;
    line(`payments/s (${total.toLocaleString('en-US')} at once)`, `${fmt(total / secs)} /s  (${Number(seq1 - seq0)} updates)`);
    if ((await b.listChannels())[0]!.localBalance !== 1000n * BigInt(total + 300)) throw new Error('embedded payee balance mismatch');
  } finally {
    await a.stop();
    await b.stop();
    await ledger.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Many concurrent streams on one channel between two embedded nodes: ticks/s, lateness, memory. */
async function streams(): Promise<void> {
  process.stdout.write('\nstreams on one channel (two embedded nodes, real LevelDB)\n');
  const { startLedger } = await import('../src/ledger/service.js');
  const { Sluice } = await import('../src/sdk.js');
  const { MemoryNetwork } = await import('../src/transport/memory.js');
  const { silentLogger } = await import('../src/util/log.js');
  const runs: { mode: 'signed' | 'hashchain'; streams: number; rate: string; seconds: number }[] = [
    { mode: 'signed', streams: 500, rate: '1sat/s', seconds: 6 },
    { mode: 'signed', streams: 2000, rate: '1sat/s', seconds: 6 },
    { mode: 'signed', streams: 5000, rate: '1sat/s', seconds: 6 },
    { mode: 'hashchain', streams: 25, rate: '1msat/10ms', seconds: 6 },
  ];
  for (const run of runs) {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
    const ledger = await startLedger({ dataDir: join(dir, 'ledger'), port: 0, blockTimeMs: 100, faucet: true, log: silentLogger() });
    const network = new MemoryNetwork();
    const payer = await Sluice.start({ dataDir: join(dir, 'a'), ledgerUrl: ledger.url, network, listen: false });
    // thousands of streams on one channel: past the payee's default bound of 64 per channel
    const payee = await Sluice.start({ dataDir: join(dir, 'b'), ledgerUrl: ledger.url, network, listen: false, streams: { maxStreamsPerChannel: 10_000 } });
    try {
      await payer.faucet('5000000000sat');
      await payer.connect(payee.nodeId);
      await payer.openChannel(payee.nodeId, '4000000000sat');
      const rssBefore = process.memoryUsage().rss;
      const handles = await Promise.all(Array.from({ length: run.streams }, () =>
        payer.openStream({ peerId: payee.nodeId, rate: run.rate, mode: run.mode, duration: run.mode === 'hashchain' ? '1min' : undefined })));
      // let the backlog from opening them all clear, then measure the steady state
      await new Promise((r) => setTimeout(r, 2000));
      payer.node.streams.lateness.length = 0;
      const seen0 = await paidOnPayee();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, run.seconds * 1000));
      const secs = (performance.now() - t0) / 1000;
      const seen1 = await paidOnPayee();
      const rss = process.memoryUsage().rss;
      const late = payer.node.streams.lateness;
      const tickUnit = run.mode === 'signed' ? 1000n : 1n; // msat per tick at these rates
      const tickRate = Number((seen1 - seen0) / tickUnit) / secs;
      const key = `${run.mode}${run.streams}`;
      results[`streams_${key}_ticksPerSec`] = tickRate;
      results[`streams_${key}_latenessP99Ms`] = pct(late, 99);
      results[`streams_${key}_rssMB`] = rss / 1e6;
      line(`${run.mode}: ${run.streams} streams at ${run.rate}`, `${fmt(tickRate)} ticks/s metered by the payee, tick lateness p50 ${median(late).toFixed(0)} ms / p99 ${pct(late, 99).toFixed(0)} ms, RSS ${(rss / 1e6).toFixed(0)} MB (+${((rss - rssBefore) / 1e6).toFixed(0)} MB)`);
      await Promise.all(handles.map((h) => h.stop().catch(() => undefined)));

      async function paidOnPayee(): Promise<bigint> {
        return (await payee.streams()).reduce((sum, v) => sum + v.paid, 0n);
      }
    } finally {
      await payer.stop();
      await payee.stop();
      await ledger.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
}

await machineLimits();
{
  const r = benchRouteFinding();
  results['routeFindMsP50'] = r.p50Ms;
  results['routeFindMsP99'] = r.p99Ms;
  process.stdout.write('\nroute finding, synthetic graph of 10,000 nodes and 50,000 channels\n');
  line(`${r.found}/${r.queries} routes found, ${r.meanHops.toFixed(1)} hops on average`, `p50 ${r.p50Ms.toFixed(1)} ms / p99 ${r.p99Ms.toFixed(1)} ms (graph built in ${r.buildMs.toFixed(0)} ms)`);
}
await embedded();
await streams();
await twoNodes();
const signs = results['signPerSec'] as number;
const verifies = results['verifyOpensslPerSec'] as number;
process.stdout.write('\nratios\n');
// Payments per second are bounded by the batch size once updates are in flight; what limits the HTTP
// case is the cost of one HTTP request per payment, which the embedded case shows by not paying it.
line('embedded vs process+HTTP payments/s', `${((results['embeddedPaymentsPerSec'] as number) / (results['paymentsPerSec'] as number)).toFixed(1)}x`);
// One update's critical path, in sequence: proposer sign + persist, receiver verify + sign + persist,
// proposer verify + persist (leader's update; the follower's adds a commit). Nothing overlaps on one channel.
const pathMs = 2 * (1000 / signs) + 2 * (1000 / verifies) + 3 * (results['syncedWriteMsP50'] as number);
line('one update\'s sign/verify/fsync path, summed', `${pathMs.toFixed(2)} ms  (${fmt(1000 / pathMs)} updates/s at most, one at a time)`);
line('embedded sequential updates/s vs that limit', `${((results['embeddedUpdatesPerSecSequential'] as number) / (1000 / pathMs) * 100).toFixed(0)}%`);
line('process+HTTP sequential updates/s vs that limit', `${((results['updatesPerSecSequential'] as number) / (1000 / pathMs) * 100).toFixed(0)}%`);
process.stdout.write('\n' + JSON.stringify(results) + '\n');
