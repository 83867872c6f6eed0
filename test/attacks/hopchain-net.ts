// Shared setup for the hash-chain-across-hops attacks (test/attacks/hopchain-*.test.ts): whole nodes in
// one process (in-memory transport, a real ledger, LevelDB) on the line A–B–C, as in
// test/node/streams-hop-chain-network.test.ts. A pays, B is the hub under attack, C is paid; A and C
// are the liars in most attacks (they are the ones who can work together against B).
import { ChannelGraph } from '../../src/routing/graph.js';
import type { SluiceNode, NodeOptions } from '../../src/node/node.js';
import type { StreamPolicy } from '../../src/node/streams.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';

export const CAP = 1_000_000_000n;
export const RATE = 10_000n; // 10sat/s: one tick a second of 10 000 msat
export const FEE = 1000n + (RATE * 100n) / 1_000_000n; // B's policy (below), per tick forwarded

export async function channel(from: SluiceNode, to: SluiceNode, graph: ChannelGraph) {
  await from.connectInMemory(to.nodeId);
  const ch = await from.openChannel({ peerId: to.nodeId, capacity: CAP, push: 0n });
  await until(async () => (await to.listChannels()).find((c) => c.channelId === ch.channelId)?.status === 'open', 20_000, 'the channel open at both ends');
  const scid = ch.channelId.slice(0, 16);
  graph.addChannel({ shortChannelId: scid, node1: from.nodeId, node2: to.nodeId, capacityMsat: CAP });
  graph.setPolicy(scid, from.nodeId, { feeBaseMsat: 1000n, feePpm: 100n, cltvExpiryDelta: 12, htlcMinimumMsat: 1000n, htlcMaximumMsat: CAP });
  return ch;
}

export const chan = async (n: SluiceNode, channelId: string) => (await n.listChannels()).find((c) => c.channelId === channelId)!;
export const balance = async (n: SluiceNode, channelId: string) => (await chan(n, channelId)).localBalance;
export const streamOf = async (n: SluiceNode, id: string) => (await n.listStreams()).find((s) => s.streamId === id);
export const lockCount = (n: SluiceNode, channelId: string) => n.channels.channels.get(channelId)!.signed.state.locks.length;

export interface Line {
  net: TestNet;
  a: SluiceNode;
  b: SluiceNode;
  c: SluiceNode;
  ab: { channelId: string };
  bc: { channelId: string };
}

export async function line(o: { blockTimeMs?: number; disputeBlocks?: number; a?: StreamPolicy; bExtra?: Partial<NodeOptions> } = {}): Promise<Line> {
  const net = await testNet({ blockTimeMs: o.blockTimeMs ?? 400, ...(o.disputeBlocks ? { disputeBlocks: o.disputeBlocks } : {}) });
  const graph = new ChannelGraph();
  const a = await net.node('A', o.a, { graph: () => graph });
  const b = await net.node('B', undefined, o.bExtra);
  const c = await net.node('C');
  for (const n of [a, b, c]) await n.faucet(5_000_000_000n);
  const ab = await channel(a, b, graph);
  const bc = await channel(b, c, graph);
  await a.connectInMemory(c.nodeId); // the stream's own connection: no channel
  return { net, a, b, c, ab, bc };
}
