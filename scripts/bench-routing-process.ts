// The bench's routing-process section (issue 10): real node processes in a line A–H–B–C, channels
// announced by gossip, paying invoices across hops through the control API as a program would.
// - forwarded payments/s through one hop: many invoices of B paid by A at once over A's RPC channel,
//   each one routed A→H→B (H forwards, keeping its fee);
// - multi-hop latency: one payment at a time, A→H→B (one forwarding hop) and A→H→B→C (two).
// The payee's balance is checked to the msat at the end, so a figure never counts a payment that
// did not arrive.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ApiClient } from '../src/api/client.js';
import { readApiUrl } from '../src/api/url-file.js';
import { readToken } from '../src/api/token.js';
import { routedPaymentCodec, invoiceViewCodec } from '../src/api/routing-codec.js';
import { createInvoiceRequestCodec, payInvoiceRequestCodec } from '../src/api/routing-requests.js';
import type { RoutedPaymentView } from '../src/api/routing-types.js';
import type { RpcClient } from '../src/api/rpc-client.js';
import { cpuMs } from './bench-api.js';
import { start, stopProcesses } from './bench-procs.js';
import { fmt, line, median, pct, record } from './bench-lib.js';

const AMOUNT = 1_000_000n; // 1,000 sat an invoice
const CAPACITY = 1_000_000_000_000n;
/** Forwarded payments in the throughput run, and how many A keeps in flight (its channel to H holds at most 30 HTLCs a side, ChannelLimits.maxLocks). */
const FORWARDED = 2_000;
const WINDOW = 30;
const LATENCY_RUNS = 200;

interface Proc { name: string; api: ApiClient; id: string; target: string; pid: number }

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function invoices(rpc: RpcClient, n: number): Promise<string[]> {
  const made = await Promise.all(
    Array.from({ length: n }, (_, i) => rpc.request('POST', '/v1/invoices', createInvoiceRequestCodec.encode({ amount: AMOUNT, description: `bench ${i}` }), invoiceViewCodec)),
  );
  return made.map((v) => v.invoice);
}

const payOver = (rpc: RpcClient, invoice: string): Promise<RoutedPaymentView> =>
  rpc.request('POST', '/v1/payments/invoice', payInvoiceRequestCodec.encode({ invoice }), routedPaymentCodec);

/** Every payment that succeeded, for the balance check at the end. */
const paid: RoutedPaymentView[] = [];

async function sequentialLatency(payer: RpcClient, payee: RpcClient, hops: number): Promise<number[]> {
  const invs = await invoices(payee, LATENCY_RUNS);
  const lat: number[] = [];
  for (const inv of invs) {
    const t = performance.now();
    const p = await payOver(payer, inv);
    lat.push(performance.now() - t);
    if (p.status !== 'succeeded' || p.route.length !== hops) throw new Error(`latency payment ${p.status} over ${p.route.length} hops`);
    paid.push(p);
  }
  return lat;
}

export async function benchRoutingProcesses(): Promise<void> {
  process.stdout.write('\nrouting between node processes: a line A–H–B–C, invoices paid through the control API\n');
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const procs: ChildProcess[] = [];
  try {
    // 1 s blocks: an HTLC's final expiry is 12 blocks out (MIN_FINAL_CLTV_EXPIRY_DELTA), and with the 100 ms
    // blocks of the other sections a payment queued behind a full channel (30 HTLCs) outlives that budget
    // and the payee refuses it as too close to expiry
    const ledger = start(['ledger', 'start', '--data-dir', join(dir, 'ledger'), '--port', '0', '--block-time', '1s', '--faucet', '--log-level', 'warn']);
    procs.push(ledger.proc);
    const ledgerUrl = (await ledger.wait(/listening on (ws:\/\/\S+)/))[1]!;
    const nodes: Proc[] = [];
    const profDir = process.env['SLUICE_BENCH_CPU_PROF']; // a directory: A and H write CPU profiles there as they exit
    for (const name of ['a', 'h', 'b', 'c']) {
      const d = join(dir, name);
      const n = start(['node', 'start', '--data-dir', d, '--port', '0', '--api-port', '0', '--ledger', ledgerUrl, '--alias', name, '--log-level', 'warn', '--gossip-interval', '300ms'], profDir && (name === 'a' || name === 'h') ? ['--cpu-prof', '--cpu-prof-dir', join(profDir, name)] : []);
      procs.push(n.proc);
      const target = (await n.wait(/peers connect to (\S+)/))[1]!;
      nodes.push({ name, api: new ApiClient({ url: await readApiUrl(d), token: await readToken(d) }), id: target.split('@')[0]!, target, pid: n.proc.pid! });
    }
    const [a, h, b, c] = nodes as [Proc, Proc, Proc, Proc];
    // each opens a channel to the next and holds all of it: payments flow A→H→B→C
    for (const [from, to] of [[a, h], [h, b], [b, c]] as const) {
      await from.api.faucet(2n * CAPACITY);
      await from.api.connectPeer(to.target);
      await from.api.openChannel({ peerId: to.id, capacity: CAPACITY });
    }
    // usable: A has learnt all three channels from gossip and finds the two-hop route to C
    const t0 = performance.now();
    await until("A's graph to hold the line's three channels", async () => ((await a.api.graph()).channels.length === 3 ? true : undefined));
    await until('a route from A to C', async () => ((await a.api.queryRoute({ nodeId: c.id, amount: AMOUNT })).hops.length === 3 ? true : undefined));
    line('channels usable (announced, A routes to C)', `${((performance.now() - t0) / 1000).toFixed(1)} s after the last opened`);

    const [rpcA, rpcB, rpcC] = await Promise.all([a.api.openRpc({ maxInFlight: WINDOW }), b.api.openRpc(), c.api.openRpc()]);
    try {
      // warm up every path once (the first payment may race the last gossip)
      for (const payee of [rpcB, rpcC]) {
        const [inv] = await invoices(payee, 1);
        paid.push(await until('a first payment across the line', async () => {
          const p = await payOver(rpcA, inv!);
          return p.status === 'succeeded' ? p : undefined;
        }));
      }

      const one = await sequentialLatency(rpcA, rpcB, 2);
      record('multiHopLatencyP50Ms', median(one));
      record('multiHopLatencyP99Ms', pct(one, 99));
      line(`A→H→B, one at a time (${LATENCY_RUNS}): p50 / p99`, `${median(one).toFixed(2)} ms / ${pct(one, 99).toFixed(2)} ms`);
      const two = await sequentialLatency(rpcA, rpcC, 3);
      record('fourHopLatencyP50Ms', median(two));
      record('fourHopLatencyP99Ms', pct(two, 99));
      line(`A→H→B→C, one at a time (${LATENCY_RUNS}): p50 / p99`, `${median(two).toFixed(2)} ms / ${pct(two, 99).toFixed(2)} ms`);

      const invs = await invoices(rpcB, FORWARDED);
      const cpu0 = { a: cpuMs(a.pid), h: cpuMs(h.pid), b: cpuMs(b.pid) };
      const t1 = performance.now();
      const out = await Promise.all(invs.map((inv) => payOver(rpcA, inv).catch((e: Error) => e)));
      const secs = (performance.now() - t1) / 1000;
      const ok = out.filter((p): p is RoutedPaymentView => !(p instanceof Error) && p.status === 'succeeded');
      // counted, not thrown: a run on a loaded machine still says what it reached, and why the rest did not
      record('forwardedPaymentsFailed', FORWARDED - ok.length);
      if (ok.length !== FORWARDED) {
        const bad = out.find((p) => p instanceof Error || p.status !== 'succeeded');
        line(`  ${FORWARDED - ok.length} of ${FORWARDED} did not succeed`, bad instanceof Error ? bad.message : bad?.failure ?? bad?.status ?? '');
      }
      record('forwardedPaymentsPerSec', ok.length / secs);
      line(`forwarded payments/s through H (${FORWARDED.toLocaleString('en-US')}, ${WINDOW} in flight)`, `${fmt(ok.length / secs)} /s`);
      const perPayment = (name: string, pid: number, before: number | undefined) => {
        const after = cpuMs(pid);
        if (after === undefined || before === undefined) return undefined;
        return record(name, ((after - before) * 1000) / FORWARDED);
      };
      const cpu = [perPayment('forwardedPayerCpuUsPerPayment', a.pid, cpu0.a), perPayment('forwardedHopCpuUsPerPayment', h.pid, cpu0.h), perPayment('forwardedPayeeCpuUsPerPayment', b.pid, cpu0.b)];
      if (cpu.every((x) => x !== undefined)) line('  CPU per payment: payer / hop / payee', `${cpu.map((x) => x!.toFixed(0)).join(' / ')} µs`);

      // every channel holds to the msat what the routes say moved over it (the warm-ups' routes included)
      paid.push(...ok);
      const moved = new Map<string, bigint>();
      for (const p of paid) {
        let from = a.id;
        for (const hop of p.route) {
          moved.set(`${from}>${hop.nodeId}`, (moved.get(`${from}>${hop.nodeId}`) ?? 0n) + hop.amount);
          from = hop.nodeId;
        }
      }
      for (const [from, to] of [[h, b], [b, c]] as const) {
        const want = moved.get(`${from.id}>${to.id}`) ?? 0n;
        await until(`${to.name}'s channel from ${from.name} to hold ${want} msat`, async () =>
          (await to.api.listChannels()).find((x) => x.peerId === from.id)?.localBalance === want ? true : undefined, 30_000);
      }
      line('payee balances check', 'exact (every hop as the routes say)');
    } finally {
      await Promise.all([rpcA.close(), rpcB.close(), rpcC.close()]);
    }
  } finally {
    await stopProcesses(dir, procs);
  }
}
