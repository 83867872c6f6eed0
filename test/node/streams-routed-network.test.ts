// Streams across hops between whole nodes in one process (the in-memory transport, a real ledger,
// LevelDB, the HTLC switch): a payer A with no channel to the payee D streams over A–B–C–D (3 hops).
// The terms go over a direct connection A–D; each batch is a keysend HTLC through B and C. Checked to the
// msat: D's meter is D's channel balance, each hub keeps exactly its fees, A paid ticks + fees.
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChannelGraph } from '../../src/routing/graph.js';
import { SluiceNode } from '../../src/node/node.js';
import type { StreamPolicy } from '../../src/node/streams.js';
import { silentLogger } from '../../src/util/log.js';
import { encodeBatchRecord, STREAM_BATCH_TLV_TYPE } from '../../src/stream/batch.js';
import { CrashingStore } from '../helpers/crash-store.js';
import { FaultyStore } from '../helpers/store-doubles.js';
import { testNet, type TestNet } from '../helpers/network.js';
import type { NodeStore } from '../../src/node/store-port.js';
import { until } from '../helpers/until.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

const BLOCK_MS = 400;
const CAP = 1_000_000_000n;
const fee = (amount: bigint) => 1000n + (amount * 100n) / 1_000_000n; // every node's default policy

async function channel(from: SluiceNode, to: SluiceNode, graph: ChannelGraph) {
  await from.connectInMemory(to.nodeId);
  const ch = await from.openChannel({ peerId: to.nodeId, capacity: CAP, push: 0n });
  await until(async () => (await to.listChannels()).find((c) => c.channelId === ch.channelId)?.status === 'open', 20_000, 'the channel open at both ends');
  // what gossip would show the payer (the in-memory net has no announcements in this test)
  const scid = ch.channelId.slice(0, 16);
  graph.addChannel({ shortChannelId: scid, node1: from.nodeId, node2: to.nodeId, capacityMsat: CAP });
  graph.setPolicy(scid, from.nodeId, { feeBaseMsat: 1000n, feePpm: 100n, cltvExpiryDelta: 12, htlcMinimumMsat: 1000n, htlcMaximumMsat: CAP });
  return ch;
}

const balance = async (n: SluiceNode, channelId: string) => (await n.listChannels()).find((c) => c.channelId === channelId)!.localBalance;
const streamOf = async (n: SluiceNode, id: string) => (await n.listStreams()).find((s) => s.streamId === id);

/** A–B–C–D, A streaming to D; `payeeStore` gives D a store of the test's (given the network's dir). */
async function fourNodes(payeePolicy?: StreamPolicy, payeeStore?: (dir: string) => NodeStore) {
  net = await testNet({ blockTimeMs: BLOCK_MS });
  const graph = new ChannelGraph();
  const a = await net.node('A', undefined, { graph: () => graph });
  const [b, c, d] = [await net.node('B'), await net.node('C'), await net.node('D', payeePolicy, payeeStore ? { store: payeeStore(net.dir) } : {})];
  for (const n of [a, b, c]) await n.faucet(5_000_000_000n);
  const ab = await channel(a, b, graph);
  const bc = await channel(b, c, graph);
  const cd = await channel(c, d, graph);
  await a.connectInMemory(d.nodeId); // the stream's own connection: no channel
  return { a, b, c, d, ab, bc, cd };
}

describe('streams across hops (signed, a keysend HTLC per batch)', () => {
  it('A streams to D over B and C: the meter, the balances and the fees agree to the msat', async () => {
    const { a, b, c, d, ab, bc, cd } = await fourNodes();
    const rate = 10_000n; // msat per second, one batch a second
    const opened = await a.openStream({ peerId: d.nodeId, rate: '10sat/s', durationMs: 4000 });
    expect(opened).toMatchObject({ status: 'active', channelId: '00'.repeat(32), route: [b.nodeId, c.nodeId, d.nodeId], feesPaid: 0n, batchMs: 1000 });
    await until(async () => (await streamOf(d, opened.streamId))?.status === 'finished', 30_000, 'D finishes the stream');
    await until(async () => (await streamOf(a, opened.streamId))?.status === 'finished', 10_000, 'A finishes the stream');
    const payee = (await streamOf(d, opened.streamId))!;
    const payer = (await streamOf(a, opened.streamId))!;
    expect(payee).toMatchObject({ role: 'payee', ticks: 4, paid: 4n * rate });
    expect(payer).toMatchObject({ role: 'payer', ticks: 4, paid: 4n * rate });
    const feeC = fee(rate);
    const feeB = fee(rate + feeC);
    expect(payer.feesPaid).toBe(4n * (feeB + feeC));
    // what reached each party, in its channels
    await until(async () => (await balance(d, cd.channelId)) === 4n * rate, 10_000, 'D holds the ticks');
    await until(async () => (await balance(b, ab.channelId)) === 4n * (rate + feeB + feeC), 10_000, 'B is paid upstream');
    expect(await balance(a, ab.channelId)).toBe(CAP - 4n * (rate + feeB + feeC));
    expect(CAP - (await balance(b, bc.channelId))).toBe(4n * (rate + feeC)); // B forwarded the rest: it keeps feeB
    await until(async () => (await balance(c, bc.channelId)) === 4n * (rate + feeC), 10_000, 'C is paid upstream');
    expect(CAP - (await balance(c, cd.channelId))).toBe(4n * rate); // C keeps feeC
    // keysend stays off at D: only a stream D accepted gets in without it
    const plain = await a.payer.payNode(d.nodeId, 5000n);
    expect(plain).toMatchObject({ status: 'failed', failure: { reason: 'rejected_by_payee' } });
  }, 60_000);

  it('the payee refuses batch HTLCs it did not agree to: an unknown stream, a range already paid, a range past its end', async () => {
    const { a, d, cd } = await fourNodes();
    const s = await a.openStream({ peerId: d.nodeId, rate: '10sat/s', durationMs: 2000 });
    await until(async () => (await streamOf(d, s.streamId))?.status === 'finished', 30_000, 'D finishes the stream');
    // the meter counts the last batch once its settle is stored, the channel once its fulfil is signed
    await until(async () => (await balance(d, cd.channelId)) === 20_000n, 10_000, 'D holds both batches');
    const before = await balance(d, cd.channelId);
    const forged = async (streamId: string, from: number, to: number, amount: bigint) =>
      a.payer.payNode(d.nodeId, amount, { customRecords: [{ type: STREAM_BATCH_TLV_TYPE, value: encodeBatchRecord({ streamId, from, to }) }] });
    expect(await forged('ee'.repeat(16), 0, 1, 10_000n)).toMatchObject({ status: 'failed', failure: { reason: 'rejected_by_payee' } });
    expect(await forged(s.streamId, 0, 1, 10_000n)).toMatchObject({ status: 'failed', failure: { reason: 'rejected_by_payee' } });
    expect(await forged(s.streamId, 2, 3, 10_000n)).toMatchObject({ status: 'failed', failure: { reason: 'rejected_by_payee' } }); // past the end
    expect(await balance(d, cd.channelId)).toBe(before);
    expect(await streamOf(d, s.streamId)).toMatchObject({ ticks: 2, paid: 20_000n });
  }, 60_000);

  it('refuses what is too dear or unreachable: a fee over --max-fee, a payee with no known address', async () => {
    const { a, d } = await fourNodes();
    await expect(a.openStream({ peerId: d.nodeId, rate: '10sat/s', maxFeeMsat: 2000n })).rejects.toMatchObject({ code: 'FEE_LIMIT' });
    await a.disconnectPeer({ nodeId: d.nodeId });
    await until(async () => !(await a.listPeers()).some((p) => p.nodeId === d.nodeId && p.connected), 10_000, 'A and D apart');
    await expect(a.openStream({ peerId: d.nodeId, rate: '10sat/s' })).rejects.toMatchObject({ code: 'NO_ADDRESS' });
  }, 60_000);

  it('pause and resume across hops: no tick is paid while paused, the payee sees both, the stream still pays exactly its 5 ticks', async () => {
    const { a, d, cd } = await fourNodes();
    const s = await a.openStream({ peerId: d.nodeId, rate: '10sat/s', durationMs: 5000 });
    await until(async () => ((await streamOf(d, s.streamId))?.ticks ?? 0) >= 2, 20_000, 'two ticks metered');
    const paused = await a.controlStream({ streamId: s.streamId, action: 'pause' });
    await until(async () => (await streamOf(d, s.streamId))?.status === 'paused', 10_000, 'D sees the pause');
    // what was due at the pause may still arrive; after that nothing moves
    await until(async () => (await streamOf(a, s.streamId))?.ticks === (await streamOf(d, s.streamId))?.ticks, 10_000, 'the last batch settled');
    const atPause = (await streamOf(d, s.streamId))!.ticks;
    expect(atPause).toBeGreaterThanOrEqual(paused.ticks);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await streamOf(d, s.streamId))!.ticks).toBe(atPause);
    await a.controlStream({ streamId: s.streamId, action: 'resume' });
    await until(async () => (await streamOf(d, s.streamId))?.status === 'finished', 30_000, 'D finishes');
    expect(await streamOf(d, s.streamId)).toMatchObject({ ticks: 5, paid: 50_000n });
    // the meter counts a batch once its settle is stored; the channel moves when the fulfil is signed
    await until(async () => (await balance(d, cd.channelId)) === 50_000n, 10_000, "D's channel to hold the last batch");
  }, 60_000);

  it("the payee's bound on a peer's streams holds across hops (maxStreamsPerChannel, counted per peer)", async () => {
    const { a, d } = await fourNodes({ maxStreamsPerChannel: 1 });
    const first = await a.openStream({ peerId: d.nodeId, rate: '10sat/s', durationMs: 60_000 });
    await expect(a.openStream({ peerId: d.nodeId, rate: '10sat/s' })).rejects.toMatchObject({ code: 'STREAM_REJECTED', message: expect.stringContaining('at most 1 streams per peer across hops') });
    await until(async () => ((await streamOf(d, first.streamId))?.ticks ?? 0) >= 1, 20_000, 'a tick metered');
    await a.controlStream({ streamId: first.streamId, action: 'stop' });
    await until(async () => (await streamOf(d, first.streamId))?.status === 'stopped', 10_000, 'D sees the stop');
    expect((await a.openStream({ peerId: d.nodeId, rate: '10sat/s', durationMs: 2000 })).status).toBe('active');
  }, 60_000);

  it('a hub (C) stopped mid-stream and started again: nothing is paid twice, and the stream goes on', async () => {
    const { a, b, c, d, ab, cd } = await fourNodes();
    const s = await a.openStream({ peerId: d.nodeId, rate: '10sat/s', durationMs: 8000 });
    await until(async () => ((await streamOf(d, s.streamId))?.ticks ?? 0) >= 2, 30_000, 'two ticks metered');
    await c.stop();
    net!.nodes.splice(net!.nodes.indexOf(c), 1);
    const c2 = await SluiceNode.start({ dataDir: join(net!.dir, 'C'), ledgerUrl: net!.ledger.url, network: net!.network, log: silentLogger() });
    net!.nodes.push(c2);
    await until(async () => ['finished', 'stopped'].includes((await streamOf(a, s.streamId))?.status ?? ''), 60_000, 'A ends the stream');
    const payer = (await streamOf(a, s.streamId))!;
    expect(payer.status).toBe('finished');
    await until(async () => (await streamOf(d, s.streamId))?.status === 'finished', 20_000, 'D finishes too');
    const payee = (await streamOf(d, s.streamId))!;
    expect(payee).toMatchObject({ ticks: 8, paid: 80_000n });
    await until(async () => (await balance(d, cd.channelId)) === 80_000n, 20_000, 'D holds every tick once');
    await until(async () => (await balance(b, ab.channelId)) === 80_000n + payer.feesPaid!, 20_000, 'A paid ticks + fees');
    // Each batch that went through paid its own route fee (batches after the outage may hold several ticks).
    const batches = (await a.payer.list()).filter((p) => p.status === 'succeeded' && p.destination === d.nodeId);
    expect(batches.reduce((x, p) => x + p.amountMsat, 0n)).toBe(80_000n);
    expect(batches.reduce((x, p) => x + p.feeMsat, 0n)).toBe(payer.feesPaid);
    for (const p of batches) expect(p.feeMsat).toBe(fee(p.amountMsat + fee(p.amountMsat)) + fee(p.amountMsat));
    // C kept exactly its fees on the batches it forwarded, across its restart
    const feeC = batches.reduce((x, p) => x + fee(p.amountMsat), 0n);
    await until(async () => (await balance(c2, cd.channelId)) === CAP - 80_000n, 20_000, 'C paid D');
    expect((await c2.listChannels()).find((ch) => ch.peerId === b.nodeId)?.localBalance).toBe(80_000n + feeC);
  }, 90_000);

  it('the payer restarted mid-stream resumes from its stored batch: every tick paid once, fees exact', async () => {
    const { b, c, d, ab, cd } = await fourNodes();
    let a = net!.nodes[0]!;
    const graph = new ChannelGraph();
    for (const [ch, from, to] of [[ab, a, b], [await bcOf(b, c), b, c], [cd, c, d]] as const) {
      const scid = ch.channelId.slice(0, 16);
      graph.addChannel({ shortChannelId: scid, node1: from.nodeId, node2: to.nodeId, capacityMsat: CAP });
      graph.setPolicy(scid, from.nodeId, { feeBaseMsat: 1000n, feePpm: 100n, cltvExpiryDelta: 12, htlcMinimumMsat: 1000n, htlcMaximumMsat: CAP });
    }
    const s = await a.openStream({ peerId: d.nodeId, rate: '10sat/s', durationMs: 6000 });
    await until(async () => ((await streamOf(d, s.streamId))?.ticks ?? 0) >= 2, 30_000, 'two ticks metered');
    await a.stop();
    net!.nodes.splice(net!.nodes.indexOf(a), 1);
    a = await SluiceNode.start({ dataDir: join(net!.dir, 'A'), ledgerUrl: net!.ledger.url, network: net!.network, log: silentLogger(), graph: () => graph });
    net!.nodes.push(a);
    await a.connectInMemory(d.nodeId); // the stream's connection (an in-memory peer has no address to redial)
    await until(async () => (await streamOf(a, s.streamId))?.status === 'finished', 60_000, 'A finishes the stream after its restart');
    await until(async () => (await streamOf(d, s.streamId))?.status === 'finished', 20_000, 'D finishes it');
    expect(await streamOf(d, s.streamId)).toMatchObject({ ticks: 6, paid: 60_000n });
    await until(async () => (await balance(d, cd.channelId)) === 60_000n, 20_000, 'D holds each tick once');
    const view = (await streamOf(a, s.streamId))!;
    const batches = (await a.payer.list()).filter((p) => p.status === 'succeeded');
    expect(batches.reduce((x, p) => x + p.amountMsat, 0n)).toBe(60_000n);
    expect(view.feesPaid).toBe(batches.reduce((x, p) => x + p.feeMsat, 0n));
    await until(async () => (await balance(b, ab.channelId)) === 60_000n + view.feesPaid!, 20_000, 'A paid ticks + fees once');
  }, 90_000);
});

describe('streams across hops: the payee restarted', () => {
  it('stopped and started mid-stream: its meter matches its channel, and the stream goes on to the end', async () => {
    const { a, c, d, cd } = await fourNodes();
    const s = await a.openStream({ peerId: d.nodeId, rate: '10sat/s', durationMs: 6000 });
    await until(async () => ((await streamOf(d, s.streamId))?.ticks ?? 0) >= 2, 30_000, 'two ticks metered');
    await d.stop();
    net!.nodes.splice(net!.nodes.indexOf(d), 1);
    const d2 = await SluiceNode.start({ dataDir: join(net!.dir, 'D'), ledgerUrl: net!.ledger.url, network: net!.network, log: silentLogger() });
    net!.nodes.push(d2);
    const back = (await streamOf(d2, s.streamId))!;
    expect(back.paid).toBe(await balance(d2, cd.channelId)); // nothing settled is missing from the meter
    await until(async () => (await c.listPeers()).some((p) => p.nodeId === d2.nodeId && p.connected), 20_000, 'C back with D');
    await a.connectInMemory(d2.nodeId);
    await until(async () => (await streamOf(a, s.streamId))?.status === 'finished', 60_000, 'A finishes the stream');
    await until(async () => (await streamOf(d2, s.streamId))?.status === 'finished', 20_000, 'D finishes it');
    expect(await streamOf(d2, s.streamId)).toMatchObject({ ticks: 6, paid: 60_000n });
    await until(async () => (await balance(d2, cd.channelId)) === 60_000n, 10_000, "D's channel to hold the last batch");
  }, 90_000);
});

describe('streams across hops: the payee crashes', () => {
  it('dead just after it settled its third batch: its meter comes back at exactly that batch, whose stored settle then completes', async () => {
    let streamId = '';
    let store!: CrashingStore;
    // No write is durable after the one that settles the third batch (the meter's record rides in it).
    const { a, c, d, cd } = await fourNodes(undefined, (dir) => (store = new CrashingStore(join(dir, 'D'), {
      // the write of the switch's settle answer for the HTLC, with the meter's record attached
      after: (w) => (w.records ?? []).some((r) => r.kind === 'htlc') && (w.records ?? []).some((r) => r.kind === 'stream' && r.key === streamId && 'value' in r && (r.value as { ticks?: number }).ticks === 3),
    })));
    const live = net!;
    const s = await a.openStream({ peerId: d.nodeId, rate: '10sat/s', durationMs: 6000 });
    streamId = s.streamId;
    await store.reached;
    await d.stop();
    live.nodes.splice(live.nodes.indexOf(d), 1);
    const d2 = await live.node('D');
    expect(await streamOf(d2, s.streamId)).toMatchObject({ ticks: 3, paid: 30_000n });
    // The third batch's settle is stored (with the preimage): the signed balance follows once the fulfil is signed with C.
    expect(await balance(d2, cd.channelId)).toBeGreaterThanOrEqual(20_000n);
    await until(async () => (await c.listPeers()).some((p) => p.nodeId === d2.nodeId && p.connected), 20_000, 'C back with D');
    await until(async () => (await balance(d2, cd.channelId)) >= 30_000n, 20_000, 'the stored settle signed');
    await a.connectInMemory(d2.nodeId);
    await until(async () => (await streamOf(a, s.streamId))?.status === 'finished', 60_000, 'A finishes the stream');
    await until(async () => (await streamOf(d2, s.streamId))?.status === 'finished', 20_000, 'D finishes it');
    expect(await streamOf(d2, s.streamId)).toMatchObject({ ticks: 6, paid: 60_000n });
    await until(async () => (await balance(d2, cd.channelId)) === 60_000n, 20_000, 'D holds each tick once');
  }, 90_000);
});

async function bcOf(b: SluiceNode, c: SluiceNode) {
  return (await b.listChannels()).find((ch) => ch.peerId === c.nodeId)!;
}

describe('streams across hops: the payee cannot store a settle', () => {
  it('puts its meter back for the batch whose settle was not stored, and the HTLC asked again is counted once', async () => {
    let streamId = '';
    const store = new FaultyStore();
    const { a, d, cd } = await fourNodes(undefined, () => store);
    // the switch's write of the second batch's settle (with the meter's record at 2 ticks) fails, once
    store.fail((w) => (w.records ?? []).some((r) => r.kind === 'htlc') && (w.records ?? []).some((r) => r.kind === 'stream' && r.key === streamId && 'value' in r && (r.value as { ticks?: number }).ticks === 2));
    // the meter in D's memory right after the release
    const afterRelease: number[] = [];
    const routed = d.streams.routed!;
    const real = routed.releasedBatch.bind(routed);
    vi.spyOn(routed, 'releasedBatch').mockImplementation((key) => {
      real(key);
      const r = d.streams.records.get(streamId);
      afterRelease.push(r?.role === 'payee' ? r.ticks : -1);
    });
    const s = await a.openStream({ peerId: d.nodeId, rate: '10sat/s', durationMs: 4000 });
    streamId = s.streamId;
    await until(async () => (await streamOf(a, s.streamId))?.status === 'finished', 60_000, 'A finishes the stream');
    await until(async () => (await streamOf(d, s.streamId))?.status === 'finished', 20_000, 'D finishes it');
    expect(afterRelease).toEqual([1]);
    expect(await streamOf(d, s.streamId)).toMatchObject({ ticks: 4, paid: 40_000n });
    await until(async () => (await balance(d, cd.channelId)) === 40_000n, 20_000, 'D holds each tick once');
  }, 90_000);
});
