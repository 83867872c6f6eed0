// `node --import tsx scripts/bench-report.ts FILE`: the markdown tables of docs/performance.md from a
// run's `npm run bench -- --json FILE`, so the doc shows one run's figures exactly as measured.
import { readFile } from 'node:fs/promises';

interface Run {
  run: { commit: string; dirty: boolean; startedAt: string; node: string; cpus: number; loadavgAtEnd: number[] };
  figures: Record<string, number>;
}

const file = process.argv[2];
if (!file) throw new Error('usage: bench-report.ts FILE (written by npm run bench -- --json FILE)');
const { run, figures: f } = JSON.parse(await readFile(file, 'utf8')) as Run;

const n = (k: string): number => {
  const v = f[k];
  if (typeof v !== 'number') throw new Error(`${file}: no figure ${k}`);
  return v;
};
const int = (k: string) => Math.round(n(k)).toLocaleString('en-US');
const ms = (k: string, digits = 2) => `${n(k).toFixed(digits)} ms`;
const pct = (k: string) => `${(n(k) * 100).toFixed(n(k) < 0.1 ? 2 : 0)}%`;
const x = (k: string) => `${n(k).toFixed(1)}x`;
const out: string[] = [];
const p = (s = '') => out.push(s);

p(`Run: commit \`${run.commit.slice(0, 10)}\`${run.dirty ? ' (with uncommitted changes)' : ''}, ${run.startedAt.slice(0, 16).replace('T', ' ')} UTC, ` +
  `Node ${run.node}, ${run.cpus} cores, load average ${run.loadavgAtEnd.map((l) => l.toFixed(1)).join(' / ')} when it ended.`);
p();
p('### The machine\'s limits (one core, medians of 5 runs)');
p();
p('| operation | rate | name |');
p('|---|---|---|');
p(`| sign a state (noble secp256k1, RFC 6979, low-S) | ${int('signPerSec')} /s | \`signPerSec\` |`);
p(`| verify (OpenSSL through \`node:crypto\`; low-S and exact digest checked first) | ${int('verifyPerSec')} /s | \`verifyPerSec\` |`);
p(`| verify (noble, pure JS) | ${int('verifyNoblePerSec')} /s | \`verifyNoblePerSec\` |`);
p(`| sha256 of 32 bytes (one hash-chain tick to check) | ${int('sha256PerSec')} /s | \`sha256PerSec\` |`);
p(`| synced LevelDB batch write, 600 B, p50 / p99 | ${ms('syncedWriteMsP50', 3)} / ${ms('syncedWriteMsP99', 1)} | \`syncedWriteMsP50\` |`);
p(`| one update's path: 2 signs + 2 verifies + 3 synced writes, summed | ${ms('updatePathMs')} (${int('updatePathPerSec')} updates/s one at a time) | \`updatePathMs\` |`);
p();
p('### Payments on one channel');
p();
p('| | embedded (one process, in-memory transport) | two node processes, one HTTP request per payment | two node processes, RPC channel |');
p('|---|---|---|---|');
p(`| latency, one payment at a time, p50 / p99 | ${ms('embeddedPaymentLatencyP50Ms')} / ${ms('embeddedPaymentLatencyP99Ms')} | ${ms('paymentLatencyP50Ms')} / ${ms('paymentLatencyP99Ms')} | |`);
p(`| durable signed updates/s, one payment each | ${int('embeddedUpdatesPerSecSequential')} /s | ${int('updatesPerSecSequential')} /s | |`);
p(`| payments/s, many in flight | ${int('embeddedPaymentsPerSec')} /s (50,000 at once) | ${int('apiHttpPaymentsPerSec')} /s (20,000, 400 in flight, ${n('apiHttpPaymentsPerUpdate').toFixed(0)} per update) | **${int('apiPaymentsPerSec')} /s** (3 × 30,000 over one connection, ${n('apiRpcPaymentsPerUpdate').toFixed(0)} per update) |`);
p(`| name | \`embeddedPaymentsPerSec\` | \`apiHttpPaymentsPerSec\` (was \`paymentsPerSec\`) | \`apiPaymentsPerSec\` |`);
p();
if (f['apiRpcPaymentsPerSecRound1'] !== undefined) {
  p(`The RPC figure is the median of three rounds of 30,000 (${[1, 2, 3].map((i) => int(`apiRpcPaymentsPerSecRound${i}`)).join(', ')} /s). ` +
    `CPU per payment in those rounds, which the machine's load does not change the way it changes wall time: payer ${n('apiRpcPayerCpuUsPerPayment').toFixed(1)} µs, ` +
    `payee ${n('apiRpcPayeeCpuUsPerPayment').toFixed(1)} µs, client ${n('apiRpcClientCpuUsPerPayment').toFixed(1)} µs (\`apiRpc{Payer,Payee,Client}CpuUsPerPayment\`).`);
  p();
}
p('Beside the limits, in the same run:');
p(`- embedded one-at-a-time latency is ${x('embeddedLatencyVsPathX')} the summed sign/verify/fsync path; embedded sequential updates/s reach ${pct('embeddedSequentialVsPathPct')} of what that path allows, processes with HTTP in front ${pct('httpSequentialVsPathPct')}.`);
p(`- the RPC channel moves ${x('apiRpcVsHttpPaymentsX')} the payments of one HTTP request each, ${pct('apiRpcVsEmbeddedPaymentsPct')} of what the embedded node does with no API at all.`);
p();
p('### Routing');
p();
p('| | figure | name |');
p('|---|---|---|');
if (f['routeFindMsP50'] !== undefined) {
  p(`| route finding, synthetic graph of 10,000 nodes and 50,000 channels, p50 / p99 | ${ms('routeFindMsP50', 1)} / ${ms('routeFindMsP99', 1)} | \`routeFindMsP50\` / \`P99Ms\` |`);
}
if (f['multiHopLatencyP50Ms'] !== undefined) {
  p(`| node processes A–H–B, an invoice of B paid by A over H, one at a time, p50 / p99 | ${ms('multiHopLatencyP50Ms', 1)} / ${ms('multiHopLatencyP99Ms', 1)} | \`multiHopLatencyP50Ms\` / \`P99Ms\` |`);
  p(`| the same line one node longer, A–H–B–C (two forwarding hops), p50 / p99 | ${ms('fourHopLatencyP50Ms', 1)} / ${ms('fourHopLatencyP99Ms', 1)} | \`fourHopLatencyP50Ms\` / \`P99Ms\` |`);
  p(`| forwarded payments/s through H (2,000 invoices of B, 30 in flight over A's RPC channel; ${int('forwardedPaymentsFailed')} failed) | **${int('forwardedPaymentsPerSec')} /s** | \`forwardedPaymentsPerSec\` |`);
  if (f['forwardedHopCpuUsPerPayment'] !== undefined) {
    p(`| CPU per forwarded payment: payer A / hop H / payee B | ${(n('forwardedPayerCpuUsPerPayment') / 1000).toFixed(2)} / ${(n('forwardedHopCpuUsPerPayment') / 1000).toFixed(2)} / ${(n('forwardedPayeeCpuUsPerPayment') / 1000).toFixed(2)} ms | \`forwarded{Payer,Hop,Payee}CpuUsPerPayment\` |`);
  }
  p();
  p('Beside the limits, in the same run:');
  if (f['multiHopLatencyVsPathX'] !== undefined) p(`- one payment over one forwarding hop takes ${x('multiHopLatencyVsPathX')} one update's summed sign/verify/fsync path${f['multiHopVsDirectLatencyX'] !== undefined ? ` and ${x('multiHopVsDirectLatencyX')} a direct payment between two processes through HTTP` : ''}.`);
  if (f['forwardedVsRpcPaymentsPct'] !== undefined) p(`- forwarded payments/s are ${pct('forwardedVsRpcPaymentsPct')} of direct payments over the RPC channel.`);
}
p();
p('### Streams on one channel (two embedded nodes, real LevelDB; lateness measured by the payer)');
p();
p('| streams | mode, rate each | ticks/s metered by the payee | tick lateness p50 / p99 | RSS |');
p('|---|---|---|---|---|');
for (const [key, count, mode] of [['signed500', 500, 'signed, 1 sat/s'], ['signed2000', 2000, 'signed, 1 sat/s'], ['signed5000', 5000, 'signed, 1 sat/s'], ['hashchain25', 25, 'hash chain, 1 msat/10 ms']] as const) {
  const k = (s: string) => `streams_${key}_${s}`;
  if (f[k('ticksPerSec')] === undefined) continue;
  p(`| ${count.toLocaleString('en-US')} | ${mode} | ${int(k('ticksPerSec'))} | ${n(k('latenessP50Ms')).toFixed(0)} / ${n(k('latenessP99Ms')).toFixed(0)} ms | ${n(k('rssMB')).toFixed(0)} MB |`);
}
p();
p(`Most 1-tick/s streams with p99 lateness under 100 ms in this run (\`streamsOnTime\`): ${f['streamsOnTime'] ? int('streamsOnTime') : 'none of the runs'}.`);
p();
p('### CLI start (medians of 15 runs)');
p();
p('| command | wall time | over a bare `node -e 0` | name |');
p('|---|---|---|---|');
p(`| \`node -e 0\` | ${ms('nodeBareStartMs', 0)} | | \`nodeBareStartMs\` |`);
p(`| \`sluice --help\` | ${ms('cliStartMs', 0)} | +${ms('cliStartOverBareMs', 0)} | \`cliStartMs\` |`);
p(`| \`sluice info\` (a query to a running node) | ${ms('cliQueryMs', 0)} | +${ms('cliQueryOverBareMs', 0)} | \`cliQueryMs\` |`);
process.stdout.write(out.join('\n') + '\n');
