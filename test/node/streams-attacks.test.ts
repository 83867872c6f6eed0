// Streams attacked the way a hostile channel peer would (issue 8): each case was reproduced on main.
// Two whole nodes in one process; the attacker speaks raw stream messages and channel ops.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { ManualClock, type Clock } from '../../src/node/clock.js';
import type { SluiceNode } from '../../src/node/node.js';
import type { StreamPolicy } from '../../src/node/streams.js';
import type { NodeStore } from '../../src/node/store.js';
import type { StreamMessage } from '../../src/wire/stream.js';
import { until } from '../helpers/cluster.js';
import { testNet, type TestNet } from '../helpers/network.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

async function pair(bobPolicy?: StreamPolicy, alicePolicy?: StreamPolicy, bobClock?: Clock, aliceClock?: Clock): Promise<{ alice: SluiceNode; bob: SluiceNode; channelId: string }> {
  net = await testNet({ disputeBlocks: 40 });
  const alice = await net.node('alice', alicePolicy, { clock: aliceClock });
  const bob = await net.node('bob', bobPolicy, { clock: bobClock });
  await alice.faucet(2_000_000_000n);
  await alice.connectInMemory(bob.nodeId);
  const ch = await alice.openChannel({ peerId: bob.nodeId, capacity: 1_000_000_000n, push: 0n });
  await until(async () => (await bob.listChannels())[0]?.status === 'open', 15_000, 'bob sees the channel open');
  return { alice, bob, channelId: ch.channelId };
}

/** The stream records a node has on disk (not its spending ledger). */
async function storedStreams(node: SluiceNode): Promise<unknown[]> {
  const store = (node as unknown as { store: NodeStore }).store;
  return (await store.loadStreams()).filter((v) => v['kind'] !== 'spend' && v['kind'] !== 'paid');
}

/** Record the stream messages a node sends (the attacker replays them). */
function tap(node: SluiceNode): StreamMessage[] {
  const sent: StreamMessage[] = [];
  const send = node.peers.send.bind(node.peers);
  node.peers.send = ((peer: string, m: StreamMessage) => {
    if (m.kind.startsWith('stream')) sent.push(m);
    return send(peer, m as never);
  }) as typeof node.peers.send;
  return sent;
}

function rawOpen(channelId: string, streamId: Uint8Array, o: { rateAmount: bigint; ratePerMs: number; max?: bigint; mode?: 'signed' | 'hashchain'; lockId?: number }): StreamMessage {
  return {
    kind: 'streamOpen', channelId: fromHex(channelId), streamId, mode: o.mode ?? 'signed', rateAmount: o.rateAmount, ratePerMs: o.ratePerMs,
    tickMs: o.ratePerMs < 1000 ? o.ratePerMs : 1000, max: o.max ?? 0n, durationMs: 0n, hashchainLockId: o.lockId ?? 0,
  };
}

describe('issue 8, attack 1: one budget, two streams', () => {
  it('refuses a second stream naming a lock that already backs one, so reveals are metered once', async () => {
    const { alice, bob, channelId } = await pair();
    const sent = tap(alice);
    const s1 = await alice.openStream({ peerId: bob.nodeId, rate: '1000msat/100ms', max: 10_000_000n, mode: 'hashchain' });
    const open1 = sent.find((m) => m.kind === 'streamOpen')!;
    const lockId = (open1 as Extract<StreamMessage, { kind: 'streamOpen' }>).hashchainLockId;
    // a second stream naming the first stream's lock
    const s2 = randomBytes(16);
    alice.peers.send(bob.nodeId, rawOpen(channelId, s2, { rateAmount: 1000n, ratePerMs: 100, max: 10_000_000n, mode: 'hashchain', lockId }));
    await until(async () => (await bob.listStreams()).find((s) => s.streamId === s1.streamId && s.ticks >= 3), 15_000, 'ticks on stream 1');
    // replay stream 1's reveals under stream 2's id
    for (const m of sent.filter((x) => x.kind === 'streamTick')) alice.peers.send(bob.nodeId, { ...m, streamId: s2 } as StreamMessage);
    await alice.controlStream({ streamId: s1.streamId, action: 'pause' });
    await until(async () => (await bob.listStreams()).find((s) => s.streamId === s1.streamId)?.status === 'paused', 15_000, 'bob sees the pause');
    const deepest = Math.max(...sent.flatMap((m) => (m.kind === 'streamTick' ? [m.depth] : [])));
    const streams = await bob.listStreams();
    const metered = streams.reduce((sum, s) => sum + s.paid, 0n);
    expect(metered).toBeLessThanOrEqual(1000n * BigInt(deepest)); // what the one lock can pay
    expect(streams.find((s) => s.streamId === toHex(s2))?.status ?? 'rejected').toBe('rejected');
  });
});

describe('issue 8, attack 2: meter catch-up without money', () => {
  it('after a payee restart, a 1 msat payment claiming 4e9 ticks does not make the meter report them paid', async () => {
    const { alice, bob, channelId } = await pair();
    const s = await alice.openStream({ peerId: bob.nodeId, rate: '10msat/100ms', mode: 'signed' });
    await until(async () => ((await bob.listStreams())[0]?.ticks ?? 0) >= 3, 15_000, 'ticks');
    await alice.controlStream({ streamId: s.streamId, action: 'pause' });
    await until(async () => (await bob.listStreams())[0]?.status === 'paused', 15_000, 'bob sees the pause');
    await bob.stop();
    net!.nodes.splice(net!.nodes.indexOf(bob), 1);
    const bob2 = await net!.node('bob');
    await alice.connectInMemory(bob2.nodeId);
    await until(async () => (await alice.listChannels())[0]?.status === 'open' && alice.peers.isConnected(bob2.nodeId), 15_000, 'reconnected');
    const { settled } = alice.channels.submitOps(channelId, [{ op: 'streamPay', streamId: fromHex(s.streamId), amount: 1n, ticks: 4_000_000_000 }]);
    const { seq } = await settled;
    await until(async () => (await bob2.listChannels())[0]!.seq >= seq, 15_000, 'bob holds the forged payment');
    const [ch] = await bob2.listChannels();
    const [view] = await bob2.listStreams();
    expect(view!.paid).toBeLessThanOrEqual(ch!.localBalance); // the meter counts only money that moved
    expect(view!.paid).toBeLessThan(1_000_000n);
  });
});

describe('issue 8, attack 3: a close one state behind', () => {
  it('the payee reveals against whichever state is adjudicated, so revealed ticks are paid', async () => {
    const { alice, bob, channelId } = await pair({ checkpointTicks: 3 });
    await bob.faucet(100_000n); // ledger fees (the dispute's, the reveals') come from bob's own account
    // one tick a second, so the pause below lands before the next checkpoint
    const s = await alice.openStream({ peerId: bob.nodeId, rate: '1000msat/s', max: 10_000_000n, mode: 'hashchain' });
    const old = alice.channels.channels.get(channelId)!.signed; // the lock, before any claim
    await until(async () => (await bob.listChannels())[0]!.localBalance >= 3000n, 15_000, 'a checkpoint claim');
    await until(async () => ((await bob.listStreams())[0]?.ticks ?? 0) >= 4, 15_000, 'reveals past the checkpoint');
    await alice.controlStream({ streamId: s.streamId, action: 'pause' });
    await until(async () => (await bob.listStreams())[0]?.status === 'paused', 15_000, 'bob sees the pause');
    const revealed = (await bob.listStreams())[0]!;
    expect(old.state.seq).toBeLessThan((await bob.listChannels())[0]!.seq);
    // the payer closes with the state before the claim
    await alice.account.channelTx('forceClose', fromHex(channelId), { state: old });
    const closed = await until(async () => {
      const lc = await bob.ledger.channel(fromHex(channelId));
      return lc?.status === 'closed' ? lc : undefined;
    }, 30_000, 'the close to settle');
    // bob gets every revealed tick: the claimed part in his balance, the rest through the reveal
    const lock = closed.latest!.state.locks.find((l) => l.kind === 'hashchain');
    const claimedUnits = 10_000 - (lock?.kind === 'hashchain' ? lock.maxUnits : 0);
    // a direct stream's lock has no expiry: only a lock a hub extends needs one (STREAM_LOCK_EXPIRY_BLOCKS),
    // and with one the ledger would hold the payer's channel until it if the payee never settled
    expect(lock?.kind === 'hashchain' && lock.expiryHeight).toBe(undefined);
    const inBalance = closed.latest!.state.balanceB;
    const fromReveals = lock ? 1000n * BigInt(closed.reveals[lock.id]?.depth ?? 0) : 0n;
    expect(fromReveals).toBeGreaterThan(0n);
    expect(inBalance + fromReveals).toBe(revealed.paid);
    expect(BigInt(claimedUnits) * 1000n).toBe(inBalance);
  }, 60_000);
});

describe('issue 8, attack 4: spending limits raced', () => {
  it('four concurrent hash-chain opens under a 1,000,000 msat node limit lock at most 1,000,000', async () => {
    const { alice, bob } = await pair(undefined, { nodeLimits: { total: 1_000_000n } });
    const opens = await Promise.allSettled(
      [0, 1, 2, 3].map(() => alice.openStream({ peerId: bob.nodeId, rate: '1000msat/100ms', max: 1_000_000n, mode: 'hashchain' })),
    );
    expect(opens.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const [ch] = await alice.listChannels();
    expect(ch!.localBalance).toBeGreaterThanOrEqual(1_000_000_000n - 1_000_000n);
  });

  it('a refused open gives its reservation back', async () => {
    const { alice, bob } = await pair({ minRatePerSec: 5000n }, { nodeLimits: { total: 1_000_000n } });
    await expect(alice.openStream({ peerId: bob.nodeId, rate: '100msat/100ms', max: 1_000_000n, mode: 'hashchain' })).rejects.toThrow(/price/);
    const ok = await alice.openStream({ peerId: bob.nodeId, rate: '1000msat/100ms', max: 1_000_000n, mode: 'hashchain' });
    expect(ok.status).toBe('active');
  });
});

describe('issue 8, attack 5: unlimited payee streams', () => {
  it('bounds the payee streams a channel peer may open', async () => {
    const { alice, bob, channelId } = await pair({ maxStreamsPerChannel: 4 });
    const sent = tap(bob);
    for (let i = 0; i < 10; i++) alice.peers.send(bob.nodeId, rawOpen(channelId, randomBytes(16), { rateAmount: 10n, ratePerMs: 100 }));
    await until(async () => sent.filter((m) => m.kind === 'streamAccept' || m.kind === 'streamReject').length === 10, 15_000, 'ten answers');
    expect(sent.filter((m) => m.kind === 'streamAccept')).toHaveLength(4);
    expect((await bob.listStreams()).filter((s) => s.status === 'active')).toHaveLength(4);
  });

  it('expires a payee stream that is never paid (by its default, on a clock the test drives), and frees its place', async () => {
    const clock = new ManualClock(Date.now());
    const { alice, bob, channelId } = await pair({ maxStreamsPerChannel: 1 }, undefined, clock);
    const sent = tap(bob);
    alice.peers.send(bob.nodeId, rawOpen(channelId, randomBytes(16), { rateAmount: 10n, ratePerMs: 100 }));
    await until(async () => (await bob.listStreams()).length === 1, 15_000, 'the stream is open');
    clock.advance(59_000); // the loop runs 590 times on the way
    expect(await bob.listStreams()).toHaveLength(1); // not yet: 60 s by default
    clock.advance(2_000);
    await until(async () => (await bob.listStreams()).length === 0, 15_000, 'the idle stream to expire');
    alice.peers.send(bob.nodeId, rawOpen(channelId, randomBytes(16), { rateAmount: 10n, ratePerMs: 100 }));
    await until(async () => sent.filter((m) => m.kind === 'streamAccept').length === 2, 15_000, 'a second accept');
  });
});

describe('attack: a payee that stops a hash-chain stream at once exhausts the payer\'s spending limit', () => {
  it('the unspent budget the payee gives back is given back to the limits too', async () => {
    const { alice, bob } = await pair(undefined, { nodeLimits: { total: 1_000_000n } });
    const s = await alice.openStream({ peerId: bob.nodeId, rate: '1000msat/100ms', max: 1_000_000n, mode: 'hashchain' });
    // bob (the payee) stops it before any tick: his node claims nothing and releases the whole budget
    await bob.controlStream({ streamId: s.streamId, action: 'stop' });
    await until(async () => (await alice.listChannels())[0]!.localBalance === 1_000_000_000n, 15_000, 'the budget back in alice\'s balance');
    // nothing was paid, so the limit has all its room again: the same stream can be opened again
    const again = await alice.openStream({ peerId: bob.nodeId, rate: '1000msat/100ms', max: 1_000_000n, mode: 'hashchain' });
    expect(again.status).toBe('active');
  }, 60_000);
});

describe('attack: a hash-chain stream that expires as never paid after its budget was locked', () => {
  it('the payee gives the locked budget back when it drops the stream, so it is not locked until the channel closes', async () => {
    const clock = new ManualClock(Date.now());
    const { alice, bob } = await pair(undefined, { nodeLimits: { total: 600_000n } }, clock);
    // one tick a minute: alice's loop (on the wall clock) never ticks within this test
    const s = await alice.openStream({ peerId: bob.nodeId, rate: '60sat/min', billing: 'interval', max: 600_000n, mode: 'hashchain' });
    expect((await alice.listChannels())[0]!.localBalance).toBe(1_000_000_000n - 600_000n);
    clock.advance(125_000); // past the first tick's due time and the idle expiry, on bob's clock
    await until(async () => (await bob.listStreams()).length === 0, 15_000, 'bob to drop the never-paid stream');
    await until(async () => (await alice.listChannels())[0]!.localBalance === 1_000_000_000n, 15_000, 'the budget back in alice\'s balance');
    await until(async () => (await alice.listStreams()).find((v) => v.streamId === s.streamId)?.status === 'stopped', 15_000, 'alice\'s stream to stop');
    // and her limit has its room again
    const again = await alice.openStream({ peerId: bob.nodeId, rate: '60sat/min', billing: 'interval', max: 600_000n, mode: 'hashchain' });
    expect(again.status).toBe('active');
  }, 60_000);
});

describe('attack: a peer fills the payee\'s store with ended streams', () => {
  it('a stream stopped before it was ever paid is forgotten, so open-then-stop costs the node nothing it keeps', async () => {
    const { alice, bob, channelId } = await pair({ maxStreamsPerChannel: 2 });
    const sent = tap(bob);
    for (let i = 0; i < 20; i++) {
      const streamId = randomBytes(16);
      alice.peers.send(bob.nodeId, rawOpen(channelId, streamId, { rateAmount: 10n, ratePerMs: 100 }));
      alice.peers.send(bob.nodeId, { kind: 'streamControl', streamId, action: 'stop', reason: 'bye' });
    }
    await until(async () => sent.filter((m) => m.kind === 'streamAccept' || m.kind === 'streamReject').length === 20, 15_000, 'twenty answers');
    await until(async () => (await bob.listStreams()).length === 0, 15_000, 'every never-paid stream to be forgotten');
    // The record's delete is a synced write that may still be in flight when the view has dropped it.
    await until(async () => (await storedStreams(bob)).length === 0, 15_000, 'every never-paid stream record to be deleted');
    expect(await storedStreams(bob)).toHaveLength(0);
  }, 60_000);

  it('ended paid streams a peer leaves on a channel are bounded: the oldest are forgotten', async () => {
    const { alice, bob } = await pair({ keepEndedPerChannel: 3 });
    for (let i = 0; i < 6; i++) {
      const s = await alice.openStream({ peerId: bob.nodeId, rate: '10msat/100ms' });
      await until(async () => ((await bob.listStreams()).find((v) => v.streamId === s.streamId)?.paid ?? 0n) > 0n, 15_000, 'a paid tick');
      await alice.controlStream({ streamId: s.streamId, action: 'stop' });
      await until(async () => (await bob.listStreams()).find((v) => v.streamId === s.streamId)?.status === 'stopped', 15_000, 'bob sees the stop');
    }
    const mine = await bob.listStreams();
    expect(mine).toHaveLength(4); // three ended kept when the last one opened, and the last one
    expect(await storedStreams(bob)).toHaveLength(4);
  }, 60_000);
});

describe('attack: a payee that accepts a hash-chain stream and never signs its lock', () => {
  it('the payer\'s open gives up in a bounded time (the stream stays opening until the lock\'s outcome is known)', async () => {
    const clock = new ManualClock(Date.now());
    const { alice, bob } = await pair(undefined, undefined, undefined, clock);
    bob.channels.onMessage = () => undefined; // bob answers stream messages, never a channel update
    const open = alice.openStream({ peerId: bob.nodeId, rate: '1000msat/100ms', max: 100_000n, mode: 'hashchain' });
    const outcome = open.then(() => 'opened', (e: Error) => e.message);
    await until(async () => (await alice.listChannels())[0]!.pendingUpdates > 0, 15_000, 'the lock proposed');
    clock.advance(16_000);
    expect(await outcome).toMatch(/lock/);
    expect((await alice.listStreams())[0]!.status).toBe('opening');
  }, 60_000);
});

describe('a hash-chain lock that backs no running stream (its stream was dropped or stopped before the lock was signed)', () => {
  it('the payee gives it back at once rather than leave it locked until the channel closes', async () => {
    const { alice, bob, channelId } = await pair();
    const { settled } = alice.channels.submitOps(channelId, [{ op: 'addHashchain', id: 1000, root: new Uint8Array(32).fill(5), unit: 10n, maxUnits: 1000 }]);
    await settled;
    await until(async () => (await alice.listChannels())[0]!.localBalance === 1_000_000_000n, 15_000, 'the orphan lock given back');
    expect(await bob.listStreams()).toHaveLength(0);
  }, 60_000);
});

describe('a stream opened the moment the payer sees its channel open', () => {
  it('waits for the payee to see the open too, instead of being refused (the payer\'s watcher may be first)', async () => {
    net = await testNet({ disputeBlocks: 40 });
    const alice = await net.node('alice');
    const bob = await net.node('bob');
    await alice.faucet(2_000_000_000n);
    await alice.connectInMemory(bob.nodeId);
    const sent = tap(bob);
    const opened = alice.openChannel({ peerId: bob.nodeId, capacity: 1_000_000_000n, push: 0n });
    // catch bob between accepting the open and seeing it on the ledger
    const deadline = Date.now() + 15_000;
    let ch = [...bob.channels.channels.values()][0];
    while (ch?.status !== 'opening' && Date.now() < deadline) {
      await new Promise((r) => setImmediate(r));
      ch = [...bob.channels.channels.values()][0];
    }
    expect(ch?.status).toBe('opening');
    const streamId = randomBytes(16);
    bob.streams.onMessage(alice.nodeId, rawOpen(toHex(ch!.channelId), streamId, { rateAmount: 10n, ratePerMs: 1000 }));
    await opened;
    await until(async () => sent.some((m) => (m.kind === 'streamAccept' || m.kind === 'streamReject') && toHex(m.streamId) === toHex(streamId)), 15_000, 'bob to answer');
    const answer = sent.find((m) => toHex(m.streamId) === toHex(streamId))!;
    expect(answer.kind).toBe('streamAccept');
  }, 60_000);
});

describe('a direct hash-chain payee that vanishes', () => {
  it('does not hold the payer\'s channel past the dispute window: the payer force-closes and settles with its budget back', async () => {
    const { alice, bob, channelId } = await pair();
    await alice.openStream({ peerId: bob.nodeId, rate: '1000msat/s', max: 10_000_000n, mode: 'hashchain' });
    await until(async () => ((await bob.listStreams())[0]?.ticks ?? 0) >= 2, 15_000, 'a few reveals reach bob');
    await bob.stop(); // bob is gone for good: he never claims, reveals or settles
    await alice.closeChannel({ channelId, force: true });
    // the ledger settles at the window's end (40 blocks), not at a lock expiry a day away
    const closed = await until(async () => {
      const lc = await alice.ledger.channel(fromHex(channelId));
      return lc?.status === 'closed' ? lc : undefined;
    }, 40_000, 'the close to settle');
    const lock = closed.latest!.state.locks.find((l) => l.kind === 'hashchain');
    expect(lock).toBeDefined();
    expect(closed.closedHeight!).toBeLessThanOrEqual(closed.deadlineHeight! + 5);
  }, 60_000);
});
