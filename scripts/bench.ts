// `npm run bench`: what sluice does on this machine, beside what the machine can do at most.
// Prints, in one run: the cost of one sign, one verify (OpenSSL and pure JS), one synced LevelDB write
// (the limits), route finding, payments between two embedded nodes, streams, then durable signed
// updates/s, payments/s and payment latency between two node processes on one channel (one HTTP
// request per payment, and many payments in flight over the RPC channel), and how long the CLI takes
// to start beside a bare `node -e 0`. A benchmark, not a test: figures vary with the machine's load.
//
//   npm run bench -- --json FILE     also write every figure to FILE, by stable name (docs/performance.md)
//   npm run bench -- --only a,b      run only these sections: limits, routing, embedded, streams, processes, routing-process, streams-process, hop-chain, relay
//   npm run bench -- --streams-steps 2000,10000   streams-process: the counts to step through (default 2,000, 10,000, 50,000)
//   npm run bench -- --streams-channels 4         streams-process: channels between the two nodes (default 1)
//   npm run bench -- --relay-steps 25,50          relay: the routed streams to step through (default 25, 50, 100, 200, 400)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { Level } from 'level';
import { publicKeyOf, randomSecretKey, signMessage, verifyDigest, verifyMessage } from '../src/crypto/keys.js';
import { sha256 } from '../src/crypto/hash.js';
import { stateMessage, type ChannelState } from '../src/channel/state.js';
import { ApiClient } from '../src/api/client.js';
import { readApiUrl } from '../src/api/url-file.js';
import { readToken } from '../src/api/token.js';
import { benchRouteFinding } from './bench-routing.js';
import { cliStart, rpcThroughput } from './bench-api.js';
import { streamsProcess } from './bench-streams-process.js';
import { start, stopProcesses } from './bench-procs.js';
import { benchRoutingProcesses } from './bench-routing-process.js';
import { benchHopChain } from './bench-hop-chain.js';
import { benchRelay } from './bench-relay.js';
import { fmt, line, median, pct, rate, record, results } from './bench-lib.js';

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i < 0 ? undefined : process.argv[i + 1];
}
const jsonFile = argValue('--json');
const only = argValue('--only')?.split(',');
const SECTIONS = ['limits', 'routing', 'embedded', 'streams', 'processes', 'routing-process', 'streams-process', 'hop-chain', 'relay'] as const;
for (const o of only ?? []) if (!(SECTIONS as readonly string[]).includes(o)) throw new Error(`--only: no section '${o}' (${SECTIONS.join(', ')})`);
const selected = (section: (typeof SECTIONS)[number]) => !only || only.includes(section);
const streamsChannels = Number(argValue('--streams-channels') ?? 1);
if (!Number.isInteger(streamsChannels) || streamsChannels < 1 || streamsChannels > 64) throw new Error('--streams-channels: a whole number 1..64');

async function machineLimits(): Promise<void> {
  process.stdout.write('machine limits (single core, medians of 5 runs)\n');
  const sk = randomSecretKey();
  const pk = publicKeyOf(sk);
  const state: ChannelState = { channelId: randomBytes(32), seq: 42n, balanceA: 123_456_789n, balanceB: 987_654n, locks: [], closing: false };
  const msg = stateMessage('bench', state);
  const sig = signMessage(sk, msg);
  const digest = sha256(msg);
  rate(200, () => signMessage(sk, msg), 1); // warm up
  record('signPerSec', rate(500, () => signMessage(sk, msg)));
  // the verify sluice uses; verifyOpensslPerSec is its former name
  record('verifyPerSec', rate(500, () => verifyMessage(sig, msg, pk)), 'verifyOpensslPerSec');
  record('verifyNoblePerSec', rate(200, () => verifyDigest(sig, digest, pk)));
  record('sha256PerSec', rate(50_000, () => sha256(digest)));
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
  record('syncedWriteMsP50', median(lat));
  record('syncedWriteMsP99', pct(lat, 99));
  record('syncedWritesPerSec', 1000 / median(lat));
  line('synced LevelDB batch write (600 B), p50', `${(results['syncedWriteMsP50'] as number).toFixed(3)} ms  (${fmt(results['syncedWritesPerSec'] as number)} /s one at a time)`);
}

/**
 * The payee holds exactly what was paid. A payment resolves once the payer's side is both-signed;
 * when the payee follows, its copy completes when the payer's commit arrives a moment later.
 */
async function payeeHolds(balance: () => Promise<bigint>, expected: bigint): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const got = await balance();
    if (got === expected) return;
    if (got > expected) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`payee balance ${await balance()} msat, expected ${expected}`);
}

/** A ledger process and two node processes (a pays b), connected, with one funded channel. */
async function startProcesses(dir: string, procs: ChildProcess[], extra: { payer?: string[]; payee?: string[]; payerNode?: string[]; payeeNode?: string[] } = {}) {
  const ledger = start(['ledger', 'start', '--data-dir', join(dir, 'ledger'), '--port', '0', '--block-time', '100ms', '--faucet', '--log-level', 'warn']);
  procs.push(ledger.proc);
  const ledgerUrl = (await ledger.wait(/listening on (ws:\/\/\S+)/))[1]!;
  const nodes = [];
  for (const name of ['a', 'b']) {
    const d = join(dir, name);
    const n = start(['node', 'start', '--data-dir', d, '--port', '0', '--api-port', '0', '--ledger', ledgerUrl, '--log-level', 'warn', ...((name === 'a' ? extra.payer : extra.payee) ?? [])], (name === 'a' ? extra.payerNode : extra.payeeNode) ?? []);
    procs.push(n.proc);
    const m = await n.wait(/peers connect to (\S+)/);
    const api = new ApiClient({ url: await readApiUrl(d), token: await readToken(d) });
    nodes.push({ target: m[1]!, api, id: m[1]!.split('@')[0]!, dir: d, pid: n.proc.pid! });
  }
  const [a, b] = nodes as [typeof nodes[0], typeof nodes[0]];
  await a.api.faucet(5_000_000_000_000n);
  await a.api.connectPeer(b.target);
  const ch = await a.api.openChannel({ peerId: b.id, capacity: 4_000_000_000_000n });
  return { a, b, ch, nodes, ledgerPid: ledger.proc.pid! };
}

/** Many streams between two node processes, on one channel or --streams-channels K; the payee accepts them all (--max-streams-per-channel). */
async function streamsTwoProcesses(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const procs: ChildProcess[] = [];
  const profDir = process.env['SLUICE_BENCH_CPU_PROF']; // a directory: payer and payee write a CPU profile there as they exit
  const prof = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  try {
    const { a, b, ledgerPid } = await startProcesses(dir, procs, {
      payerNode: prof,
      payeeNode: prof,
      payee: ['--max-streams-per-channel', '100000'],
    });
    const steps = argValue('--streams-steps')?.split(',').map(Number);
    // only the first step's streams are spread over the channels (bench-streams-process.ts, CHANNEL_CAPACITY_STEP)
    if (streamsChannels > 1 && steps?.length !== 1) throw new Error('--streams-channels K > 1 takes one step: --streams-steps N');
    await streamsProcess({ payer: { api: a.api, pid: a.pid }, payee: { api: b.api, pid: b.pid, id: b.id }, ledgerPid, channels: streamsChannels }, steps);
  } finally {
    await stopProcesses(dir, procs);
  }
}

async function twoNodes(): Promise<void> {
  process.stdout.write('\ntwo node processes, one channel, payments through the control API\n');
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const procs: ChildProcess[] = [];
  try {
    const { a, b, ch, nodes } = await startProcesses(dir, procs);

    // latency: one payment at a time, each a full round trip with two synced writes
    const lat: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await a.api.pay({ peerId: b.id, amount: 1000n });
      lat.push(performance.now() - t);
    }
    record('paymentLatencyP50Ms', median(lat), 'latencyMsP50');
    record('paymentLatencyP99Ms', pct(lat, 99), 'latencyMsP99');
    line('payment latency, one at a time: p50', `${median(lat).toFixed(2)} ms`);
    line('payment latency, one at a time: p99', `${pct(lat, 99).toFixed(2)} ms`);
    record('updatesPerSecSequential', 1000 / median(lat));

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
    record('apiHttpPaymentsPerSec', total / secs, 'paymentsPerSec');
    record('apiHttpUpdatesPerSec', Number(seq1 - seq0) / secs, 'updatesPerSec');
    record('apiHttpPaymentsPerUpdate', total / Number(seq1 - seq0), 'paymentsPerUpdate');
    line(`payments/s (${total}, ${window} in flight)`, `${fmt(total / secs)} /s`);
    line('durable signed updates/s during that run', `${fmt(Number(seq1 - seq0) / secs)} /s  (${(total / Number(seq1 - seq0)).toFixed(1)} payments per update)`);
    const rpcTotal = await rpcThroughput(a.api, b.id, ch.channelId, { payer: procs[1]!.pid!, payee: procs[2]!.pid! });
    await payeeHolds(async () => (await b.api.listChannels())[0]!.localBalance, 1000n * BigInt(total + 300 + rpcTotal));
    line('payee balance check', 'exact');
    await cliStart(nodes[0]!.dir);
  } finally {
    await stopProcesses(dir, procs);
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
    // b gets enough to pay back past its reserve (1% of the capacity), for the other direction below
    const push = 100_000_000_000n;
    await a.openChannel({ peerId: b.nodeId, capacity: 4_000_000_000_000n, push });
    const lat: number[] = [];
    // CPU time per payment (both nodes and the ledger share this process): what the machine's load
    // changes far less than it changes wall time, so runs on a busy machine still compare
    const cpuSeq = process.cpuUsage();
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await a.pay({ peerId: b.nodeId, amount: 1000n });
      lat.push(performance.now() - t);
    }
    const seqCpu = process.cpuUsage(cpuSeq);
    record('embeddedSequentialCpuUsPerPayment', (seqCpu.user + seqCpu.system) / 300);
    record('embeddedPaymentLatencyP50Ms', median(lat), 'embeddedLatencyMsP50');
    record('embeddedPaymentLatencyP99Ms', pct(lat, 99), 'embeddedLatencyMsP99');
    record('embeddedUpdatesPerSecSequential', 1000 / median(lat));
    line('payment latency, one at a time: p50 / p99', `${median(lat).toFixed(2)} ms / ${pct(lat, 99).toFixed(2)} ms`);
    // The lower node id leads the channel: its update is one round trip and three writes, the
    // follower's one and a half and four (src/channel/machine.ts). Node keys are drawn per run, so
    // a→b is either; paying back b→a gives the other, and both are recorded by role.
    const back: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await b.pay({ peerId: a.nodeId, amount: 1000n });
      back.push(performance.now() - t);
    }
    const aLeads = a.nodeId < b.nodeId;
    const [leader, follower] = aLeads ? [lat, back] : [back, lat];
    record('embeddedLeaderPaymentLatencyP50Ms', median(leader));
    record('embeddedFollowerPaymentLatencyP50Ms', median(follower));
    line('  p50 when the payer leads / follows', `${median(leader).toFixed(2)} ms / ${median(follower).toFixed(2)} ms  (a→b above: a ${aLeads ? 'leads' : 'follows'})`);
    line('durable signed updates/s, one payment each', `${fmt(1000 / median(lat))} /s  (CPU ${(results['embeddedSequentialCpuUsPerPayment'] as number).toFixed(0)} µs a payment)`);
    const seq0 = (await a.listChannels())[0]!.seq;
    const total = 50_000;
    const cpuBurst = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: total }, () => a.pay({ peerId: b.nodeId, amount: 1000n })));
    const secs = (performance.now() - t0) / 1000;
    const burstCpu = process.cpuUsage(cpuBurst);
    record('embeddedBurstCpuUsPerPayment', (burstCpu.user + burstCpu.system) / total);
    const seq1 = (await a.listChannels())[0]!.seq;
    record('embeddedPaymentsPerSec', total / secs);
    line(`payments/s (${total.toLocaleString('en-US')} at once)`, `${fmt(total / secs)} /s  (${Number(seq1 - seq0)} updates, CPU ${(results['embeddedBurstCpuUsPerPayment'] as number).toFixed(1)} µs a payment)`);
    await payeeHolds(async () => (await b.listChannels())[0]!.localBalance, push + 1000n * BigInt(total));
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
  record('streamsOnTime', 0); // raised below by each run that is on time
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
      // the payer measures tick lateness only while this hook is set, into a bounded sample
      const late: number[] = [];
      payer.node.streams.onLateness = (ms) => {
        late.push(Math.max(0, ms));
        if (late.length > 100_000) late.splice(0, 50_000);
      };
      const seen0 = await paidOnPayee();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, run.seconds * 1000));
      const secs = (performance.now() - t0) / 1000;
      const seen1 = await paidOnPayee();
      const rss = process.memoryUsage().rss;
      payer.node.streams.onLateness = undefined;
      const tickUnit = run.mode === 'signed' ? 1000n : 1n; // msat per tick at these rates
      const tickRate = Number((seen1 - seen0) / tickUnit) / secs;
      const key = `${run.mode}${run.streams}`;
      record(`streams_${key}_ticksPerSec`, tickRate);
      record(`streams_${key}_latenessP50Ms`, median(late));
      record(`streams_${key}_latenessP99Ms`, pct(late, 99));
      record(`streams_${key}_rssMB`, rss / 1e6);
      if (run.mode === 'signed' && pct(late, 99) < ON_TIME_P99_MS && run.streams > ((results['streamsOnTime'] as number | undefined) ?? 0)) {
        // the most 1-tick/s streams whose ticks were paid with p99 lateness under 100 ms
        record('streamsOnTime', run.streams);
        record('streamsOnTimeLatenessP99Ms', pct(late, 99));
      }
      line(`${run.mode}: ${run.streams} streams at ${run.rate}`, `${fmt(tickRate)} ticks/s metered by the payee, tick lateness p50 ${median(late).toFixed(0)} ms / p99 ${pct(late, 99).toFixed(0)} ms, RSS ${(rss / 1e6).toFixed(0)} MB (${rss >= rssBefore ? '+' : ''}${((rss - rssBefore) / 1e6).toFixed(0)} MB)`);
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

const ON_TIME_P99_MS = 100;

function gitCommit(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

const startedAt = new Date().toISOString();
if (selected('limits')) await machineLimits();
if (selected('routing')) {
  const r = benchRouteFinding();
  record('routeFindMsP50', r.p50Ms);
  record('routeFindMsP99', r.p99Ms);
  process.stdout.write('\nroute finding, synthetic graph of 10,000 nodes and 50,000 channels\n');
  line(`${r.found}/${r.queries} routes found, ${r.meanHops.toFixed(1)} hops on average`, `p50 ${r.p50Ms.toFixed(1)} ms / p99 ${r.p99Ms.toFixed(1)} ms (graph built in ${r.buildMs.toFixed(0)} ms)`);
}
if (selected('embedded')) await embedded();
if (selected('streams')) await streams();
if (selected('processes')) await twoNodes();
if (selected('routing-process')) await benchRoutingProcesses();
if (selected('streams-process')) await streamsTwoProcesses();
if (selected('hop-chain')) await benchHopChain();
if (selected('relay')) await benchRelay({ steps: argValue('--relay-steps')?.split(',').map(Number) });
ratios();

function ratios(): void {
  const num = (k: string) => results[k] as number | undefined;
  const [signs, verifies, fsync] = [num('signPerSec'), num('verifyPerSec'), num('syncedWriteMsP50')];
  process.stdout.write('\nratios\n');
  // One update's critical path, in sequence: proposer sign + persist, receiver verify + sign + persist,
  // proposer verify + persist (leader's update; the follower's adds a commit).
  const pathMs = signs && verifies && fsync !== undefined ? 2 * (1000 / signs) + 2 * (1000 / verifies) + 3 * fsync : undefined;
  if (pathMs !== undefined) {
    record('updatePathMs', pathMs);
    record('updatePathPerSec', 1000 / pathMs);
    line("one update's sign/verify/fsync path, summed", `${pathMs.toFixed(2)} ms  (${fmt(1000 / pathMs)} updates/s at most, one at a time)`);
  }
  const ratio = (name: string, label: string, a: number | undefined, b: number | undefined, show: (x: number) => string) => {
    if (a === undefined || b === undefined) return;
    record(name, a / b);
    line(label, show(a / b));
  };
  const asPct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 2 : 0)}%`;
  const times = (x: number) => `${x.toFixed(1)}x`;
  ratio('embeddedVsHttpPaymentsX', 'embedded vs process+HTTP payments/s', num('embeddedPaymentsPerSec'), num('apiHttpPaymentsPerSec'), times);
  ratio('apiRpcVsHttpPaymentsX', 'API over RPC vs one HTTP request per payment', num('apiPaymentsPerSec'), num('apiHttpPaymentsPerSec'), times);
  ratio('apiRpcVsEmbeddedPaymentsPct', 'API over RPC vs embedded payments/s', num('apiPaymentsPerSec'), num('embeddedPaymentsPerSec'), asPct);
  const path = pathMs === undefined ? undefined : 1000 / pathMs;
  ratio('embeddedSequentialVsPathPct', 'embedded sequential updates/s vs that limit', num('embeddedUpdatesPerSecSequential'), path, asPct);
  ratio('httpSequentialVsPathPct', 'process+HTTP sequential updates/s vs that limit', num('updatesPerSecSequential'), path, asPct);
  ratio('embeddedLatencyVsPathX', 'embedded payment latency p50 vs the summed path', num('embeddedPaymentLatencyP50Ms'), pathMs, times);
  ratio('forwardedVsRpcPaymentsPct', 'forwarded (A→H→B) vs direct RPC payments/s', num('forwardedPaymentsPerSec'), num('apiPaymentsPerSec'), asPct);
  ratio('multiHopLatencyVsPathX', 'A→H→B latency p50 vs one update\'s summed path', num('multiHopLatencyP50Ms'), pathMs, times);
  ratio('multiHopVsDirectLatencyX', 'A→H→B latency p50 vs a direct HTTP payment', num('multiHopLatencyP50Ms'), num('paymentLatencyP50Ms'), times);
}

process.stdout.write('\n' + JSON.stringify(results) + '\n');
if (jsonFile) {
  const run = { ...gitCommit(), startedAt, finishedAt: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavgAtEnd: loadavg(), sections: only ?? [...SECTIONS] };
  await writeFile(jsonFile, JSON.stringify({ run, figures: results }, null, 2) + '\n');
  process.stdout.write(`figures written to ${jsonFile}\n`);
}
