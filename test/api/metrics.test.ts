// /metrics from real node processes, read by a Prometheus text-format parser, against what the
// node's own API answers: behind the token on the API port, and without it on --metrics-port.
import { request } from 'node:http';
import parse, { type ParsedFamily, type ParsedSample } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiClient } from '../../src/api/client.js';
import { channelPair, cluster, freePort, until, type Cluster, type NodeProc } from '../helpers/cluster.js';

const SLOW = 120_000;
let c: Cluster;
let alice: NodeProc;
let bob: NodeProc;
let aliceApi: ApiClient;
let bobApi: ApiClient;
let metricsPort: number;

async function scrape(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(url, { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

async function metricsOf(n: NodeProc): Promise<Map<string, ParsedFamily>> {
  const token = (await readFile(join(n.dir, 'api-token'), 'utf8')).trim();
  const r = await scrape(`http://127.0.0.1:${n.apiPort}/metrics`, { authorization: `Bearer ${token}` });
  expect(r.status).toBe(200);
  return new Map(parse(r.text).map((f) => [f.name, f]));
}

function sample(m: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): ParsedSample {
  const family = m.get(name);
  if (!family) throw new Error(`no metric ${name}`);
  const hit = family.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  if (!hit) throw new Error(`no ${name} with ${JSON.stringify(labels)}`);
  return hit;
}
const value = (m: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}) => Number(sample(m, name, labels).value);

/** A GET with a Host header of our choosing (fetch does not let a caller set Host). */
function getWithHost(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  c = await cluster({ blockTime: '100ms' });
  metricsPort = await freePort();
  ({ alice, bob, aliceApi, bobApi } = await channelPair(c, { aliceArgs: ['--metrics-port', String(metricsPort)] }));
  for (const amount of [1_000n, 2_000n, 3_000n]) await aliceApi.pay({ peerId: bob.id, amount });
  await aliceApi.openStream({ peerId: bob.id, rate: '5sat/s', durationMs: 3_000 });
  await until(async () => {
    const [a, b] = [(await aliceApi.listStreams())[0], (await bobApi.listStreams())[0]];
    return a?.status === 'finished' && b?.status === 'finished' && a.paid === b.paid;
  }, 30_000, 'the stream to finish on both sides');
}, SLOW);

afterAll(async () => {
  await c?.shutdown();
}, SLOW);

describe('/metrics', () => {
  it("matches the node's API: channels, balances, peers, height, streams", async () => {
    const before = await aliceApi.info();
    const m = await metricsOf(alice);
    const after = await aliceApi.info();
    const [channels, wallet, streams] = [await aliceApi.listChannels(), await aliceApi.wallet(), await aliceApi.listStreams()];
    for (const status of ['opening', 'open', 'closing', 'closed'] as const) expect(value(m, 'sluice_channels', { status })).toBe(after.channels[status]);
    expect(value(m, 'sluice_channel_balance_msat', { side: 'local' })).toBe(Number(channels[0]!.localBalance));
    expect(value(m, 'sluice_channel_balance_msat', { side: 'remote' })).toBe(Number(channels[0]!.remoteBalance));
    expect(value(m, 'sluice_channel_capacity_msat')).toBe(1_000_000_000);
    expect(value(m, 'sluice_ledger_balance_msat')).toBe(Number(wallet.balance));
    expect(value(m, 'sluice_ledger_reachable')).toBe(1);
    expect(value(m, 'sluice_peers', { state: 'connected' })).toBe(after.peers.connected);
    expect(value(m, 'sluice_peers', { state: 'known' })).toBe(after.peers.known);
    const height = value(m, 'sluice_ledger_height');
    expect(height).toBeGreaterThanOrEqual(before.height);
    expect(height).toBeLessThanOrEqual(after.height);
    expect(value(m, 'sluice_streams', { role: 'payer', status: 'finished' })).toBe(1);
    expect(value(m, 'sluice_streams_late')).toBe(0);
    // a payment per stream tick rides in a channel state too, but only direct pays are 'sent' payments
    expect(value(m, 'sluice_payments_total', { direction: 'sent' })).toBe(3);
    expect(value(m, 'sluice_payments_msat_total', { direction: 'sent' })).toBe(6_000);
    expect(value(m, 'sluice_stream_ticks_total', { role: 'payer' })).toBe(streams[0]!.ticks);
  }, SLOW);

  it('counts what the payee metered, and times payments and store writes in histograms', async () => {
    const m = await metricsOf(bob);
    const [stream] = await bobApi.listStreams();
    expect(value(m, 'sluice_stream_ticks_total', { role: 'payee' })).toBe(stream!.ticks);
    expect(value(m, 'sluice_payments_total', { direction: 'received' })).toBeGreaterThanOrEqual(3);
    const lateness = sample(m, 'sluice_stream_tick_lateness_seconds');
    expect(Number(lateness.buckets?.['+Inf'])).toBe(stream!.ticks - 1); // one gap between each two ticks
    const a = await metricsOf(alice);
    // The parser drops the labels of labelled histograms, so read it only while it has one series:
    // three payments, all answered, all counted as 'ok'.
    expect(a.get('sluice_payment_latency_seconds')?.metrics).toHaveLength(1);
    expect(Number(sample(a, 'sluice_payment_latency_seconds').buckets?.['+Inf'])).toBe(3);
    // every state both sides signed was written, synced, before it was acted on
    const writes = Number(sample(a, 'sluice_store_write_seconds').buckets?.['+Inf']);
    const seq = Number((await aliceApi.listChannels())[0]!.seq);
    expect(writes).toBeGreaterThanOrEqual(seq);
  }, SLOW);

  it('needs the token on the API port; --metrics-port serves it without, to this machine only', async () => {
    expect((await scrape(`http://127.0.0.1:${alice.apiPort}/metrics`)).status).toBe(401);
    const open = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(open.status).toBe(200);
    expect(open.type).toContain('text/plain');
    const m = new Map(parse(open.text).map((f) => [f.name, f]));
    expect(value(m, 'sluice_channels', { status: 'open' })).toBe(1);
    expect(await getWithHost(metricsPort, '/metrics', `rebind.test:${metricsPort}`)).toBe(421);
    expect((await scrape(`http://127.0.0.1:${metricsPort}/v1/info`)).status).toBe(404);
  }, SLOW);
});
