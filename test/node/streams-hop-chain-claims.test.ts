// A hub's upstream claims while many ticks arrive (docs/streams.md "Hash-chain mode across hops",
// claims): every tick past the checkpoint asks for a claim, and while one is being signed on the payer's
// channel the asks must fold into one more claim, not queue one each. They used to: each waiting ask,
// once the claim in flight ended, queued itself again behind the next, so n ticks during one claim cost
// about n²/2 claim passes in one burst of microtasks (20,000 ticks ran a hub out of heap, and a payer
// that sits on the hub's claim while it streams reveals can make that happen at will). Counted here:
// the passes asked for and the claims sent, not time or heap.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChannelGraph } from '../../src/routing/graph.js';
import { ChainRelays } from '../../src/node/streams-chain.js';
import type { SluiceNode } from '../../src/node/node.js';
import type { ChannelOp } from '../../src/wire/channel-ops.js';
import type { Message } from '../../src/wire/message.js';
import { fromHex } from '../../src/crypto/bytes.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';

let net: TestNet | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await net?.stop();
  net = undefined;
});

const CAP = 1_000_000_000_000n;
const TICKS = 2000;
/** The peers' message limits are raised: the default rate would pace the ticks instead. */
const fast = { peerLimits: { messageBurst: 1_000_000, messagesPerSecond: 1_000_000 } };

async function channel(from: SluiceNode, to: SluiceNode, graph: ChannelGraph) {
  await from.connectInMemory(to.nodeId);
  const ch = await from.openChannel({ peerId: to.nodeId, capacity: CAP, push: 0n });
  await until(async () => (await to.listChannels()).find((c) => c.channelId === ch.channelId)?.status === 'open', 20_000, 'the channel open at both ends');
  const scid = ch.channelId.slice(0, 16);
  graph.addChannel({ shortChannelId: scid, node1: from.nodeId, node2: to.nodeId, capacityMsat: CAP });
  graph.setPolicy(scid, from.nodeId, { feeBaseMsat: 1000n, feePpm: 100n, cltvExpiryDelta: 12, htlcMinimumMsat: 1000n, htlcMaximumMsat: CAP });
  return ch;
}

describe('a hub claiming upstream while ticks keep coming', () => {
  it('folds the claims asked for during one in flight into one more, however many ticks ask', async () => {
    net = await testNet({ blockTimeMs: 400 });
    const graph = new ChannelGraph();
    const a = await net.node('A', undefined, { graph: () => graph, ...fast });
    const b = await net.node('B', undefined, fast);
    const c = await net.node('C', undefined, fast);
    for (const n of [a, b]) await n.faucet(5_000_000_000_000n);
    const ab = await channel(a, b, graph);
    await channel(b, c, graph);
    await a.connectInMemory(c.nodeId);
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: (TICKS + 100) * 1000, mode: 'hashchain' });
    const relay = () => b.streams.chain!.list().find((x) => x.streamId === s.streamId && x.status === 'relaying');
    const from = (await until(relay, 20_000, 'B relays the stream')).depth;
    // The payer's own clock is stopped; it reveals by hand, and holds the hub's claim unsigned meanwhile:
    // its channel replies to B wait until every tick is sent.
    await a.controlStream({ streamId: s.streamId, action: 'pause' });
    const chain = a.streams.chainOf(a.streams.records.get(s.streamId)!)!;
    const held: Message[] = [];
    let holding = true;
    const send = a.peers.send.bind(a.peers);
    a.peers.send = (nodeId, m) => {
      if (holding && nodeId === b.nodeId && (m.kind === 'updateState' || m.kind === 'ackState' || m.kind === 'commitState')) {
        held.push(m);
        return true;
      }
      return send(nodeId, m);
    };
    const passes = vi.spyOn(ChainRelays.prototype as unknown as { claimUp(id: string, final: boolean): Promise<void> }, 'claimUp');
    const claims: ChannelOp[] = [];
    const submit = b.channels.submitOps.bind(b.channels);
    b.channels.submitOps = (channelId, ops, attach) => {
      if (channelId === ab.channelId) claims.push(...ops.filter((o) => o.op === 'claimHashchain'));
      return submit(channelId, ops, attach);
    };

    const streamId = fromHex(s.streamId);
    for (let i = 1; i <= TICKS; i++) a.peers.send(b.nodeId, { kind: 'streamTick', streamId, depth: from + i, preimage: chain.preimageAt(from + i) });
    await until(() => (relay()?.depth ?? 0) >= from + TICKS, 30_000, 'B takes every tick');
    // B asked for its checkpoint claim and is waiting on A for it
    expect(claims).toHaveLength(1);
    holding = false;
    for (const m of held.splice(0)) send(b.nodeId, m);
    await until(() => relay()?.claimedUp === from + TICKS, 30_000, 'B claims every tick upstream');

    // one pass asked by each tick at or past the checkpoint, none queued again (before: ~TICKS²/2)
    expect(passes.mock.calls.length).toBeLessThanOrEqual(TICKS + 10);
    // the checkpoint claim, then one claim for everything that came while it was in flight
    expect(claims).toHaveLength(2);
    expect(claims.reduce((n, o) => n + (o.op === 'claimHashchain' ? o.depth : 0), 0)).toBe(from + TICKS);
  }, 60_000);
});
