// Hash-chain streams across hops between whole nodes in one process (in-memory transport, a real ledger,
// LevelDB): a payer A with no channel to the payee C streams over A–B–C. A locks under the chain's root
// on A–B with the payee's unit plus B's fee per tick; B adds its own lock under the same root on B–C and
// relays each tick. Checked to the msat once everything is claimed and given back: C holds ticks × unit,
// B exactly its fee per tick, A paid both, and no lock is left on either channel.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelGraph } from '../../src/routing/graph.js';
import { SluiceNode } from '../../src/node/node.js';
import { silentLogger } from '../../src/util/log.js';
import type { StreamPolicy } from '../../src/node/streams.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';
import { fromHex } from '../../src/crypto/bytes.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

const BLOCK_MS = 400;
const CAP = 1_000_000_000n;
const RATE = 10_000n; // 10sat/s: one tick a second of 10 000 msat
const FEE = 1000n + (RATE * 100n) / 1_000_000n; // B's default policy, per tick forwarded

async function channel(from: SluiceNode, to: SluiceNode, graph: ChannelGraph) {
  await from.connectInMemory(to.nodeId);
  const ch = await from.openChannel({ peerId: to.nodeId, capacity: CAP, push: 0n });
  await until(async () => (await to.listChannels()).find((c) => c.channelId === ch.channelId)?.status === 'open', 20_000, 'the channel open at both ends');
  const scid = ch.channelId.slice(0, 16);
  graph.addChannel({ shortChannelId: scid, node1: from.nodeId, node2: to.nodeId, capacityMsat: CAP });
  graph.setPolicy(scid, from.nodeId, { feeBaseMsat: 1000n, feePpm: 100n, cltvExpiryDelta: 12, htlcMinimumMsat: 1000n, htlcMaximumMsat: CAP });
  return ch;
}

const chan = async (n: SluiceNode, channelId: string) => (await n.listChannels()).find((c) => c.channelId === channelId)!;
const balance = async (n: SluiceNode, channelId: string) => (await chan(n, channelId)).localBalance;
const streamOf = async (n: SluiceNode, id: string) => (await n.listStreams()).find((s) => s.streamId === id);
const lockCount = (n: SluiceNode, channelId: string) => n.channels.channels.get(channelId)!.signed.state.locks.length;

async function threeNodes(payerPolicy?: StreamPolicy) {
  net = await testNet({ blockTimeMs: BLOCK_MS });
  const graph = new ChannelGraph();
  const a = await net.node('A', payerPolicy, { graph: () => graph });
  const [b, c] = [await net.node('B'), await net.node('C')];
  for (const n of [a, b]) await n.faucet(5_000_000_000n);
  const ab = await channel(a, b, graph);
  const bc = await channel(b, c, graph);
  await a.connectInMemory(c.nodeId); // the stream's own connection: no channel
  return { a, b, c, ab, bc, graph };
}

/** Everything claimed and given back: no lock on either channel, and the balances say who got what. */
async function settled(a: SluiceNode, b: SluiceNode, c: SluiceNode, ab: { channelId: string }, bc: { channelId: string }, ticks: bigint) {
  await until(async () => lockCount(c, bc.channelId) === 0 && lockCount(b, bc.channelId) === 0, 20_000, 'the payee gave its lock back');
  await until(async () => lockCount(a, ab.channelId) === 0 && lockCount(b, ab.channelId) === 0, 20_000, 'the hub gave the payer its lock back');
  expect(await balance(c, bc.channelId)).toBe(ticks * RATE);
  expect(await balance(b, bc.channelId)).toBe(CAP - ticks * RATE);
  expect(await balance(b, ab.channelId)).toBe(ticks * (RATE + FEE));
  expect(await balance(a, ab.channelId)).toBe(CAP - ticks * (RATE + FEE));
}

describe('hash-chain streams across hops (one lock per hop under one root, one hash per tick per hop)', () => {
  it('a stop that overtakes the last reveals through the hub still lets them count at the payee', async () => {
    const { a, b, c, ab, bc } = await threeNodes();
    // B relays every tick to C 1.5 s late: A's stop, sent straight to C, gets there first
    const send = b.peers.send.bind(b.peers);
    b.peers.send = (nodeId, m) => {
      if (nodeId === c.nodeId && m.kind === 'streamTick') {
        setTimeout(() => send(nodeId, m), 1500);
        return true;
      }
      return send(nodeId, m);
    };
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 3000, mode: 'hashchain' });
    await until(async () => (await streamOf(a, s.streamId))?.status === 'finished', 30_000, 'A finishes the stream');
    await until(async () => ['finished', 'stopped'].includes((await streamOf(c, s.streamId))?.status ?? ''), 30_000, 'C ends the stream');
    expect(await streamOf(c, s.streamId)).toMatchObject({ ticks: 3, paid: 3n * RATE });
    await settled(a, b, c, ab, bc, 3n);
  }, 60_000);

  it('A streams to C over B: the meter, the balances and B\'s fee agree to the msat', async () => {
    const { a, b, c, ab, bc } = await threeNodes();
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 4000, mode: 'hashchain' });
    expect(s).toMatchObject({ status: 'active', mode: 'hashchain', route: [b.nodeId, c.nodeId], feesPaid: 0n });
    // A's lock to B carries the payee's unit plus B's fee, for every tick
    expect(a.channels.channels.get(ab.channelId)!.signed.state.locks[0]).toMatchObject({ kind: 'hashchain', unit: RATE + FEE, maxUnits: 4 });
    // B's lock to C: the same root, the payee's unit, a lower expiry
    await until(async () => lockCount(c, bc.channelId) === 1, 10_000, "B's lock on B–C");
    const [up, down] = [a.channels.channels.get(ab.channelId)!.signed.state.locks[0]!, c.channels.channels.get(bc.channelId)!.signed.state.locks[0]!];
    if (up.kind !== 'hashchain' || down.kind !== 'hashchain') throw new Error('hash-chain locks expected');
    expect(down).toMatchObject({ unit: RATE, maxUnits: 4 });
    expect(Buffer.from(down.root).equals(Buffer.from(up.root))).toBe(true);
    expect(down.expiryHeight!).toBeLessThan(up.expiryHeight!);
    await until(async () => (await streamOf(c, s.streamId))?.status === 'finished', 30_000, 'C finishes the stream');
    await until(async () => (await streamOf(a, s.streamId))?.status === 'finished', 10_000, 'A finishes the stream');
    expect(await streamOf(c, s.streamId)).toMatchObject({ role: 'payee', ticks: 4, paid: 4n * RATE });
    expect(await streamOf(a, s.streamId)).toMatchObject({ role: 'payer', ticks: 4, paid: 4n * RATE, feesPaid: 4n * FEE });
    await settled(a, b, c, ab, bc, 4n);
  }, 60_000);

  it('refuses a fee per tick over --max-fee, and a lock (ticks and fees) over the spending limit, before anything is locked', async () => {
    // the limit covers the ticks of a 3-tick stream, not their fees
    const { a, c, ab } = await threeNodes({ nodeLimits: { total: 3n * RATE + 3n * FEE - 1n } });
    await expect(a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 3000, mode: 'hashchain', maxFeeMsat: FEE - 1n })).rejects.toMatchObject({ code: 'FEE_LIMIT' });
    await expect(a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 3000, mode: 'hashchain' })).rejects.toMatchObject({ code: 'SPENDING_LIMIT' });
    expect(lockCount(a, ab.channelId)).toBe(0);
    expect((await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 2000, mode: 'hashchain' })).status).toBe('active');
  }, 60_000);

  it('the payer stops early: what was revealed is paid on every hop, the rest of each budget comes back', async () => {
    const { a, b, c, ab, bc } = await threeNodes();
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
    await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 2, 20_000, 'two ticks reach C');
    await a.controlStream({ streamId: s.streamId, action: 'stop' });
    await until(async () => (await streamOf(c, s.streamId))?.status === 'stopped', 10_000, 'C sees the stop');
    const ticks = BigInt((await streamOf(c, s.streamId))!.ticks);
    expect(ticks).toBeGreaterThanOrEqual(2n);
    expect(BigInt((await streamOf(a, s.streamId))!.ticks)).toBeGreaterThanOrEqual(ticks);
    await settled(a, b, c, ab, bc, ticks);
  }, 60_000);

  it('the hub (B) stopped mid-stream and started again: it relays on, and is paid upstream for every tick it paid downstream', async () => {
    const { a, b, c, ab, bc } = await threeNodes();
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 8000, mode: 'hashchain' });
    await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 2, 30_000, 'two ticks reach C');
    await b.stop();
    net!.nodes.splice(net!.nodes.indexOf(b), 1);
    const b2 = await SluiceNode.start({ dataDir: join(net!.dir, 'B'), ledgerUrl: net!.ledger.url, network: net!.network, log: silentLogger() });
    net!.nodes.push(b2);
    await a.connectInMemory(b2.nodeId);
    await c.connectInMemory(b2.nodeId).catch(() => undefined);
    await until(async () => ['finished', 'stopped'].includes((await streamOf(c, s.streamId))?.status ?? ''), 60_000, 'C ends the stream');
    const payee = (await streamOf(c, s.streamId))!;
    expect(payee.status).toBe('finished');
    expect(payee).toMatchObject({ ticks: 8, paid: 8n * RATE });
    await settled(a, b2, c, ab, bc, 8n);
  }, 90_000);

  it('paused and resumed, then the payer restarted mid-stream: nothing is paid while paused, every tick is paid once', async () => {
    const { b, c, ab, bc, graph } = await threeNodes();
    let a = net!.nodes[0]!;
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 6000, mode: 'hashchain' });
    await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 1, 20_000, 'a tick reaches C');
    await a.controlStream({ streamId: s.streamId, action: 'pause' });
    await until(async () => (await streamOf(c, s.streamId))?.status === 'paused', 10_000, 'C sees the pause');
    await until(async () => (await streamOf(c, s.streamId))?.ticks === (await streamOf(a, s.streamId))?.ticks, 10_000, 'the last reveal relayed');
    const atPause = (await streamOf(c, s.streamId))!.ticks;
    await new Promise((r) => setTimeout(r, 2500));
    expect((await streamOf(c, s.streamId))!.ticks).toBe(atPause);
    await a.controlStream({ streamId: s.streamId, action: 'resume' });
    await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= atPause + 2, 20_000, 'two more ticks');
    await a.stop();
    net!.nodes.splice(net!.nodes.indexOf(a), 1);
    a = await SluiceNode.start({ dataDir: join(net!.dir, 'A'), ledgerUrl: net!.ledger.url, network: net!.network, log: silentLogger(), graph: () => graph });
    net!.nodes.push(a);
    await a.connectInMemory(c.nodeId); // the stream's connection (an in-memory peer has no address to redial)
    await a.connectInMemory(b.nodeId).catch(() => undefined);
    await until(async () => (await streamOf(c, s.streamId))?.status === 'finished', 60_000, 'C finishes the stream after the restart');
    expect(await streamOf(c, s.streamId)).toMatchObject({ ticks: 6, paid: 6n * RATE });
    await until(async () => (await streamOf(a, s.streamId))?.status === 'finished', 20_000, 'A finishes it');
    await settled(a, b, c, ab, bc, 6n);
  }, 90_000);

  it('the payee restarted mid-stream: the depth comes back from its reveals, every tick is paid once, the hub keeps its fee', async () => {
    const { a, b, c, ab, bc } = await threeNodes();
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 6000, mode: 'hashchain' });
    await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 2, 20_000, 'two ticks reach C');
    await c.stop();
    net!.nodes.splice(net!.nodes.indexOf(c), 1);
    const c2 = await SluiceNode.start({ dataDir: join(net!.dir, 'C'), ledgerUrl: net!.ledger.url, network: net!.network, log: silentLogger() });
    net!.nodes.push(c2);
    // still bound to the hub's lock after the restart
    expect(await streamOf(c2, s.streamId)).toMatchObject({ channelId: bc.channelId, status: 'active' });
    await until(async () => (await b.listPeers()).some((p) => p.nodeId === c2.nodeId && p.connected), 20_000, 'B back with C');
    await a.connectInMemory(c2.nodeId);
    await until(async () => (await streamOf(c2, s.streamId))?.status === 'finished', 60_000, 'C finishes the stream');
    expect(await streamOf(c2, s.streamId)).toMatchObject({ ticks: 6, paid: 6n * RATE });
    await settled(a, b, c2, ab, bc, 6n);
  }, 90_000);

  it('the payee force-closes its channel with the hub mid-stream: it is paid its meter on the ledger, the hub at least as much upstream, plus its fee', async () => {
    const { a, b, c, ab, bc } = await threeNodes();
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
    await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 3, 20_000, 'three ticks reach C');
    await c.faucet(100_000n); // C pays the close, its reveal and the settle from its own ledger account
    await c.closeChannel({ channelId: bc.channelId, force: true });
    // C's stream ends with its channel, and C tells A (A cannot see B–C close); A stops revealing
    await until(async () => (await streamOf(a, s.streamId))?.status === 'stopped', 20_000, 'A hears the stop');
    await until(async () => (await chan(c, bc.channelId)).payout !== undefined, 30_000, 'B–C settled on the ledger');
    const metered = BigInt((await streamOf(c, s.streamId))!.ticks);
    expect((await chan(c, bc.channelId)).payout!.local).toBe(metered * RATE); // claims plus the reveal on the ledger
    // B claimed upstream everything it relayed, then gave the rest of A's lock back
    await until(async () => lockCount(b, ab.channelId) === 0, 20_000, "A's lock given back");
    const up = await balance(b, ab.channelId);
    expect(up % (RATE + FEE)).toBe(0n);
    const relayed = up / (RATE + FEE);
    expect(relayed).toBeGreaterThanOrEqual(metered);
    expect(relayed).toBeLessThanOrEqual(BigInt((await streamOf(a, s.streamId))!.ticks));
    expect(up - metered * RATE).toBeGreaterThanOrEqual(metered * FEE); // never out of pocket beyond its fee
    expect(await balance(a, ab.channelId)).toBe(CAP - up);
  }, 90_000);

  it('the payer force-closes its channel with the hub mid-stream: the hub registers its depth, and the ledger pays it for every tick it paid on', async () => {
    const { a, b, c, ab, bc } = await threeNodes();
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
    await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 3, 20_000, 'three ticks reach C');
    await a.closeChannel({ channelId: ab.channelId, force: true });
    // C is told (it cannot see A–B close): it claims what it metered from B and gives B's lock back
    await until(async () => (await streamOf(c, s.streamId))?.status === 'stopped', 20_000, 'C hears the stop');
    await until(async () => lockCount(c, bc.channelId) === 0, 20_000, "B's lock given back");
    const metered = BigInt((await streamOf(c, s.streamId))!.ticks);
    expect(await balance(c, bc.channelId)).toBe(metered * RATE);
    // A–B settles with A's lock paid by the chain registry: B registered what C claimed from it (or more)
    await until(async () => (await chan(b, ab.channelId)).payout !== undefined, 30_000, 'A–B settled on the ledger');
    const up = (await chan(b, ab.channelId)).payout!.local;
    expect(up % (RATE + FEE)).toBe(0n);
    expect(up / (RATE + FEE)).toBeGreaterThanOrEqual(metered);
    expect(up / (RATE + FEE)).toBeLessThanOrEqual(BigInt((await streamOf(a, s.streamId))!.ticks));
    expect(up - metered * RATE).toBeGreaterThanOrEqual(metered * FEE);
  }, 90_000);

  it('the payer force-closes while the payee is gone: the hub does not settle A–B itself before its lock\'s expiry (its settle would waive the wait that pays it for a deeper chain registered downstream)', async () => {
    const { a, b, c, ab } = await threeNodes();
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
    await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 2, 20_000, 'two ticks reach C');
    await c.stop(); // C keeps B's lock: it may still be paid downstream by a registration
    await a.closeChannel({ channelId: ab.channelId, force: true });
    const closing = await until(async () => {
      const lc = await b.ledger.channel(fromHex(ab.channelId));
      return lc?.status === 'closing' ? lc : undefined;
    }, 20_000, 'A–B closing on the ledger');
    // well past the window (B, the lock's receiver, would have settled at its end): still closing
    await until(async () => (await b.ledger.info()).height >= closing.deadlineHeight! + 8, 30_000, 'the window and a few blocks to pass');
    expect((await b.ledger.channel(fromHex(ab.channelId)))?.status).toBe('closing');
    expect(b.streams.chain!.holdSettle(ab.channelId)).toBeGreaterThan((await b.ledger.info()).height);
  }, 90_000);

  it('two hubs (A–B–C–D): each extends the lock it got, each keeps exactly its fee per tick', async () => {
    net = await testNet({ blockTimeMs: BLOCK_MS });
    const graph = new ChannelGraph();
    const a = await net.node('A', undefined, { graph: () => graph });
    const [b, c, d] = [await net.node('B'), await net.node('C'), await net.node('D')];
    for (const n of [a, b, c]) await n.faucet(5_000_000_000n);
    const ab = await channel(a, b, graph);
    const bc = await channel(b, c, graph);
    const cd = await channel(c, d, graph);
    await a.connectInMemory(d.nodeId);
    const feeC = FEE; // C forwards RATE to D
    const feeB = 1000n + ((RATE + feeC) * 100n) / 1_000_000n; // B forwards RATE + feeC to C
    const s = await a.openStream({ peerId: d.nodeId, rate: '10sat/s', durationMs: 3000, mode: 'hashchain' });
    expect(s).toMatchObject({ route: [b.nodeId, c.nodeId, d.nodeId], feesPaid: 0n });
    await until(async () => (await streamOf(d, s.streamId))?.status === 'finished', 30_000, 'D finishes the stream');
    expect(await streamOf(d, s.streamId)).toMatchObject({ ticks: 3, paid: 3n * RATE });
    await until(async () => (await streamOf(a, s.streamId))?.feesPaid === 3n * (feeB + feeC), 10_000, "A's fees");
    for (const [n, ch] of [[a, ab], [b, ab], [b, bc], [c, bc], [c, cd], [d, cd]] as const) {
      await until(async () => lockCount(n, ch.channelId) === 0, 20_000, 'every lock given back');
    }
    expect(await balance(d, cd.channelId)).toBe(3n * RATE);
    expect(await balance(c, bc.channelId) - (CAP - (await balance(c, cd.channelId)))).toBe(3n * feeC);
    expect(await balance(b, ab.channelId) - (CAP - (await balance(b, bc.channelId)))).toBe(3n * feeB);
    expect(await balance(a, ab.channelId)).toBe(CAP - 3n * (RATE + feeB + feeC));
  }, 90_000);

  it('bounds what a peer can make a hub hold: relays past the per-peer limit are refused and the lock given back', async () => {
    net = await testNet({ blockTimeMs: BLOCK_MS });
    const graph = new ChannelGraph();
    const a = await net.node('A', undefined, { graph: () => graph });
    const b = await net.node('B', { maxChainRelaysPerPeer: 1 });
    const c = await net.node('C');
    for (const n of [a, b]) await n.faucet(5_000_000_000n);
    const ab = await channel(a, b, graph);
    await channel(b, c, graph);
    await a.connectInMemory(c.nodeId);
    const first = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
    await until(async () => ((await streamOf(c, first.streamId))?.ticks ?? 0) >= 1, 20_000, 'the first stream relays');
    // the same lock named again under another stream id: one lock pays for one relay, never two
    const lock = a.channels.channels.get(ab.channelId)!.signed.state.locks[0]!;
    a.peers.send(b.nodeId, { kind: 'streamChain', streamId: new Uint8Array(16).fill(0xee), channelId: Buffer.from(ab.channelId, 'hex'), lockId: lock.id, hops: [{ nodeId: Buffer.from(c.nodeId, 'hex'), unit: RATE }] });
    const second = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
    // B refuses to relay it and releases A's lock: A's stream stops, its budget given back
    await until(async () => (await streamOf(a, second.streamId))?.status === 'stopped', 20_000, 'the second stream stops');
    expect(b.streams.chain!.list().map((r) => r.streamId)).toEqual([first.streamId]);
    await until(async () => lockCount(a, ab.channelId) === 1, 10_000, 'only the first lock stays');
  }, 60_000);
});
