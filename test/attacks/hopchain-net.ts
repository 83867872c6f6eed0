// Shared setup for the hash-chain-across-hops attacks (test/attacks/hopchain-*.test.ts): whole nodes in
// one process (in-memory transport, a real ledger, LevelDB) on the line A–B–C, as in
// test/node/streams-hop-chain-network.test.ts. A pays, B is the hub under attack, C is paid; A and C
// are the liars in most attacks (they are the ones who can work together against B).
import { ChannelGraph } from '../../src/routing/graph.js';
import type { SluiceNode, NodeOptions } from '../../src/node/node.js';
import type { StreamPolicy } from '../../src/node/streams.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';
import { fromHex } from '../../src/crypto/bytes.js';
import { HashChainSecret } from '../../src/stream/hashchain.js';
import { STREAM_LOCK_EXPIRY_BLOCKS } from '../../src/node/streams-payer.js';
import type { ChannelOp } from '../../src/wire/channel-ops.js';

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

/**
 * A lying payer A whose locks expire `expiryBlocks` out instead of a day (so a test need not wait a
 * day), streaming to C over B until three ticks reach C. Returns the stream, A's own chain (A can hand
 * any of its preimages to C directly) and A's lock to B.
 */
export async function shortLockStream(w: Line, expiryBlocks: number) {
  const { a, c, ab } = w;
  const submit = a.channels.submitOps.bind(a.channels);
  a.channels.submitOps = ((id: string, ops: ChannelOp[], ...rest: unknown[]) => {
    const short = ops.map((op) => (op.op === 'addHashchain' && op.expiryHeight !== undefined ? { ...op, expiryHeight: op.expiryHeight - STREAM_LOCK_EXPIRY_BLOCKS + expiryBlocks } : op));
    return (submit as (...x: unknown[]) => ReturnType<typeof submit>)(id, short, ...rest);
  }) as typeof a.channels.submitOps;
  const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
  await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 3, 20_000, 'three ticks reach C');
  const payer = a.streams.records.get(s.streamId)!.chain as { seed: string; units: number };
  const secret = HashChainSecret.create(fromHex(payer.seed), payer.units);
  const upLock = a.channels.channels.get(ab.channelId)!.signed.state.locks[0]!;
  if (upLock.kind !== 'hashchain' || upLock.expiryHeight === undefined) throw new Error('a hash-chain lock with an expiry expected');
  return { s, secret, upLock: upLock as typeof upLock & { expiryHeight: number } };
}
