// Streams between two whole nodes in one process: both modes, caps, stop, and a vanished payer.
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeEvent } from '../../src/api/types.js';
import { until } from '../helpers/cluster.js';
import { testNet, type TestNet } from '../helpers/network.js';
import type { SluiceNode } from '../../src/node/node.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

async function pair(): Promise<{ alice: SluiceNode; bob: SluiceNode }> {
  net = await testNet({ disputeBlocks: 40 }); // 40 blocks of 30 ms: time for the payee's reveal
  const alice = await net.node('alice');
  const bob = await net.node('bob');
  await alice.faucet(2_000_000_000n);
  await alice.connectInMemory(bob.nodeId);
  await alice.openChannel({ peerId: bob.nodeId, capacity: 1_000_000_000n, push: 0n });
  await until(async () => (await bob.listChannels())[0]?.status === 'open');
  return { alice, bob };
}

describe.each(['signed', 'hashchain'] as const)('a %s stream', (mode) => {
  it('pays exactly the ticks up to its cap, and both sides agree', async () => {
    const { alice, bob } = await pair();
    const bobEvents: NodeEvent[] = [];
    bob.onEvent((e) => bobEvents.push(e));
    const s = await alice.openStream({ peerId: bob.nodeId, rate: '10msat/100ms', max: 300n, mode });
    expect(s.status).toBe('active');
    const done = await until(async () => (await alice.listStreams()).find((x) => x.status === 'finished'));
    expect(done.paid).toBe(300n);
    expect(done.ticks).toBe(30);
    const payee = await until(async () => (await bob.listStreams()).find((x) => x.status === 'finished'));
    expect(payee.paid).toBe(300n);
    // the money is in the channel: a signed balance (for hash chains, after the final claim and release)
    await until(async () => (await bob.listChannels())[0]!.localBalance === 300n);
    const [ach] = await alice.listChannels();
    expect(ach!.localBalance).toBe(1_000_000_000n - 300n);
    expect(bobEvents.some((e) => e.type === 'stream' && e.event === 'tick')).toBe(true);
  });

  it('stops when the payee stops it, and nothing is paid after', async () => {
    const { alice, bob } = await pair();
    await alice.openStream({ peerId: bob.nodeId, rate: '10msat/100ms', max: 100_000n, mode });
    const [incoming] = await until(async () => {
      const l = await bob.listStreams();
      return l.length && l[0]!.ticks >= 5 ? l : undefined;
    });
    await bob.controlStream({ streamId: incoming!.streamId, action: 'stop' });
    const stopped = await until(async () => (await alice.listStreams()).find((x) => x.status === 'stopped'));
    await new Promise((r) => setTimeout(r, 400));
    const after = (await alice.listStreams())[0]!;
    expect(after.paid).toBe(stopped.paid);
    await until(async () => (await bob.listChannels())[0]!.localBalance === after.paid);
  });
});

describe('a vanished payer', () => {
  it('the payee closes alone and the ledger pays exactly the hash-chain ticks revealed', async () => {
    const { alice, bob } = await pair();
    await alice.openStream({ peerId: bob.nodeId, rate: '1000msat/100ms', max: 10_000_000n, mode: 'hashchain' });
    const seen = await until(async () => {
      const l = await bob.listStreams();
      return l[0] && l[0].ticks >= 8 ? l[0] : undefined;
    });
    expect(seen.ticks).toBeLessThan(60); // no checkpoint yet: all of it is only in reveals
    await alice.stop(); // the payer vanishes
    net!.nodes.splice(net!.nodes.indexOf(alice), 1);
    const revealed = (await bob.listStreams())[0]!;
    const [ch] = await bob.listChannels();
    // every ledger transaction pays its fee from its sender's account: bob keeps a little for his
    await bob.faucet(100_000n);
    await bob.closeChannel({ channelId: ch!.channelId, force: true });
    await until(async () => (await bob.listChannels())[0]!.status === 'closed', 20_000);
    const w = await bob.wallet();
    // the ledger paid bob exactly the ticks revealed; his account paid the force close, reveal and settle
    expect((await bob.listChannels())[0]!.payout!.local).toBe(revealed.paid);
    expect(w.nonce).toBe(3);
    expect(w.balance).toBe(100_000n + revealed.paid - 3n * 1000n);
  });
});

describe('spending limits', () => {
  it('pause a stream when the node-wide total is reached, and nothing past it is paid', async () => {
    net = await testNet({ disputeBlocks: 40 });
    const alice = await net.node('alice', { nodeLimits: { total: 55n } });
    const bob = await net.node('bob');
    await alice.faucet(2_000_000_000n);
    await alice.connectInMemory(bob.nodeId);
    await alice.openChannel({ peerId: bob.nodeId, capacity: 1_000_000_000n, push: 0n });
    await until(async () => (await bob.listChannels())[0]?.status === 'open');
    await alice.openStream({ peerId: bob.nodeId, rate: '10msat/100ms', mode: 'signed' });
    const paused = await until(async () => (await alice.listStreams()).find((s) => s.status === 'paused'));
    expect(paused.reason).toMatch(/spending limit/);
    expect(paused.paid).toBe(50n);
    await new Promise((r) => setTimeout(r, 400));
    expect((await alice.listStreams())[0]!.paid).toBe(50n);
    await until(async () => (await bob.listChannels())[0]!.localBalance === 50n);
  });
});

describe('a peer that was away', () => {
  it('is told on reconnect that the stream was paused meanwhile', async () => {
    const { alice, bob } = await pair();
    await alice.openStream({ peerId: bob.nodeId, rate: '10msat/100ms', mode: 'signed' });
    await until(async () => ((await bob.listStreams())[0]?.ticks ?? 0) >= 3);
    alice.peers.disconnect(bob.nodeId, 'test: cable pulled');
    await until(async () => !(await alice.listPeers()).find((p) => p.nodeId === bob.nodeId)?.connected);
    const [s] = await alice.listStreams();
    await alice.controlStream({ streamId: s!.streamId, action: 'pause' }); // the message cannot arrive
    expect((await bob.listStreams())[0]!.status).toBe('active');
    await alice.connectInMemory(bob.nodeId);
    await until(async () => (await bob.listStreams())[0]!.status === 'paused');
  });
});
