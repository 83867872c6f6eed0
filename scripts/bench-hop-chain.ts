// The bench's hop-chain section (issue 11): hash-chain ticks/s through one hub. Three embedded nodes
// (in-memory transport with its BOLT 8 encryption, real LevelDB, a real ledger): A streams to C in
// hash-chain mode over B. Once B relays the stream, A's stream is paused and A sends B one streamTick per
// unit, as fast as B takes them, in windows; B checks each with one hash against the last depth it took
// and forwards it to C. The figure is the ticks B took and forwarded per second (CPU time per tick too:
// all three nodes and the ledger share this process, so it is an upper bound on the hub's own cost).
// The message rate limits of B and C are raised for the run: by default a peer may send a node at most
// DEFAULT_MESSAGES_PER_SECOND messages a second, which would be the figure instead.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex } from '../src/crypto/bytes.js';
import { fmt, line, record } from './bench-lib.js';

const TICKS = 20_000;
const WINDOW = 500;
const CAP = 1_000_000_000_000n;

export async function benchHopChain(): Promise<void> {
  process.stdout.write('\nhash-chain stream across one hub (three embedded nodes, in-memory transport, real LevelDB)\n');
  const { startLedger } = await import('../src/ledger/service.js');
  const { SluiceNode } = await import('../src/node/node.js');
  const { MemoryNetwork } = await import('../src/transport/memory.js');
  const { ChannelGraph } = await import('../src/routing/graph.js');
  const { silentLogger } = await import('../src/util/log.js');
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-hop-'));
  const ledger = await startLedger({ dataDir: join(dir, 'ledger'), port: 0, blockTimeMs: 100, faucet: true, log: silentLogger() });
  const network = new MemoryNetwork();
  const graph = new ChannelGraph();
  const fast = { messageBurst: 1_000_000, messagesPerSecond: 1_000_000 };
  const start = (name: string, extra = {}) => SluiceNode.start({ dataDir: join(dir, name), ledgerUrl: ledger.url, network, log: silentLogger(), peerLimits: fast, ...extra });
  const a = await start('a', { graph: () => graph });
  const b = await start('b');
  const c = await start('c');
  try {
    for (const n of [a, b]) await n.faucet(5_000_000_000_000n);
    for (const [from, to] of [[a, b], [b, c]] as const) {
      await from.connectInMemory(to.nodeId);
      const ch = await from.openChannel({ peerId: to.nodeId, capacity: CAP, push: 0n });
      const scid = ch.channelId.slice(0, 16);
      graph.addChannel({ shortChannelId: scid, node1: from.nodeId, node2: to.nodeId, capacityMsat: CAP });
      graph.setPolicy(scid, from.nodeId, { feeBaseMsat: 1000n, feePpm: 100n, cltvExpiryDelta: 12, htlcMinimumMsat: 1000n, htlcMaximumMsat: CAP });
    }
    await a.connectInMemory(c.nodeId);
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: (TICKS + 100) * 1000, mode: 'hashchain' });
    const relay = async () => {
      for (;;) {
        const r = b.streams.chain!.list().find((x) => x.streamId === s.streamId && x.status === 'relaying');
        if (r) return r;
        await new Promise((res) => setTimeout(res, 20));
      }
    };
    await relay();
    await a.controlStream({ streamId: s.streamId, action: 'pause' });
    const rec = a.streams.records.get(s.streamId)!;
    const chain = a.streams.chainOf(rec)!;
    const from = (await relay()).depth;
    const preimages = Array.from({ length: TICKS }, (_, i) => chain.preimageAt(from + i + 1)); // the payer's work, not timed
    const streamId = fromHex(s.streamId);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let sent = 0; sent < TICKS; sent += WINDOW) {
      const end = Math.min(TICKS, sent + WINDOW);
      for (let i = sent; i < end; i++) a.peers.send(b.nodeId, { kind: 'streamTick', streamId, depth: from + i + 1, preimage: preimages[i]! });
      while ((await relay()).depth < from + end) await new Promise((res) => setImmediate(res));
    }
    const secs = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu0);
    record('hashchainHopTicksPerSec', TICKS / secs);
    record('hashchainHopCpuUsPerTick', (used.user + used.system) / TICKS);
    line(`hash-chain ticks/s through one hub (${TICKS.toLocaleString('en-US')})`, `${fmt(TICKS / secs)} /s  (CPU ${((used.user + used.system) / TICKS).toFixed(1)} µs a tick, all three nodes)`);
  } finally {
    for (const n of [a, b, c]) await n.stop().catch(() => undefined);
    await ledger.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
