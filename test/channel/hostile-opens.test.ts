// Issue 7 items 3 and 1 (channel side), at the ChannelManager: opens a hostile peer sends to race or
// exhaust us. One state 0 per channel id is ever countersigned, the ledger's open must carry exactly it,
// and unfunded opens are bounded per peer and in all and forgotten after their deadline.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { localBalance } from '../../src/channel/machine.js';
import { DEFAULT_OPEN_LIMITS } from '../../src/node/unfunded-opens.js';
import { MAX_QUEUED_PEER_MESSAGES } from '../../src/node/channels.js';
import { accepts, managerNet, openMessage, type ManagerNode } from '../helpers/channel-managers.js';

describe('two state 0s signed (issue 7 item 3)', () => {
  it('two opens under one id with different push, back to back: only the first is countersigned', async () => {
    const net = managerNet();
    const victim = net.add('victim');
    const attacker = randomSecretKey();
    const attackerId = toHex(publicKeyOf(attacker));
    const first = openMessage({ sk: attacker, push: 0n });
    const second = openMessage({ sk: attacker, channelId: first.channelId, push: 500_000_000n });
    // hold the first acceptance's write, so the second arrives while it is being stored
    const held = victim.store.hold(1);
    void victim.mgr.onOpenChannel(attackerId, first);
    await held.reached;
    void victim.mgr.onOpenChannel(attackerId, second);
    held.release();
    await net.idle();
    const id = toHex(first.channelId);
    expect(accepts(victim, id)).toHaveLength(1);
    expect(victim.errors).toEqual([{ to: attackerId, channelId: id, text: 'channel id already in use', kind: 'error' }]);
    const ch = victim.mgr.channels.get(id)!;
    expect(ch.signed.state.balanceB).toBe(0n); // the record is the state 0 we signed, the only one
    expect(victim.store.channelWrites(id)).toHaveLength(1);
  });

  it('a retransmission of the same open while it is being stored gets one answer, not a refusal', async () => {
    const net = managerNet();
    const victim = net.add('victim');
    const peer = randomSecretKey();
    const m = openMessage({ sk: peer });
    const held = victim.store.hold(1);
    void victim.mgr.onOpenChannel(toHex(publicKeyOf(peer)), m);
    await held.reached;
    void victim.mgr.onOpenChannel(toHex(publicKeyOf(peer)), m);
    held.release();
    await net.idle();
    expect(accepts(victim)).toHaveLength(1);
    expect(victim.errors).toEqual([]);
  });

  it.each([
    ['carries another push', 1n],
    ['carries no state 0', undefined],
  ])('a ledger open that %s (not the state 0 we signed) is not counted open', async (_n, delta) => {
    const net = managerNet();
    const a = net.add('a');
    const b = net.add('b');
    const id = await net.openSigned(a, b);
    const rec = net.ledger.get(id)!;
    const s0 = rec.openState!;
    net.ledger.set(id, { ...rec, openState: delta === undefined ? undefined : { ...s0, balanceA: s0.balanceA - delta, balanceB: s0.balanceB + delta } });
    await net.reconcile(id);
    for (const n of [a, b]) {
      const c = n.mgr.channels.get(id)!;
      expect(c.status).toBe('failed');
      expect(c.failure).toMatch(/the ledger's open carries another state 0/);
    }
  });

  it('an open forgotten past its deadline and re-sent with another push: the ledger open of the first is not counted', async () => {
    const net = managerNet();
    const victim = net.add('victim', { openLimits: { deadlineBlocks: 3 } });
    const attacker = randomSecretKey();
    const attackerId = toHex(publicKeyOf(attacker));
    const first = openMessage({ sk: attacker, push: 0n });
    void victim.mgr.onOpenChannel(attackerId, first);
    await net.idle();
    for (let i = 0; i < 3; i++) await net.block();
    const id = toHex(first.channelId);
    expect(victim.mgr.channels.has(id)).toBe(false);
    void victim.mgr.onOpenChannel(attackerId, openMessage({ sk: attacker, channelId: first.channelId, push: 500_000_000n }));
    await net.idle();
    expect(victim.mgr.channels.get(id)!.signed.state.balanceB).toBe(500_000_000n);
    // the attacker funds the first (push 0) under the id: our record says 500,000 sat are ours; the ledger disagrees
    const s0 = { channelId: first.channelId, seq: 0n, balanceA: first.capacity, balanceB: 0n, locks: [], closing: false };
    net.ledger.set(id, { channelId: first.channelId, a: publicKeyOf(attacker), b: victim.pk, capacity: first.capacity, locked: first.capacity, status: 'open', openedHeight: net.height, reveals: {}, openState: s0 });
    await net.reconcile(id);
    expect(victim.mgr.channels.get(id)!.status).toBe('failed');
  });
});

/** Send `count` unfunded opens to the victim, each from `keyFor(i)`. */
async function flood(net: ReturnType<typeof managerNet>, victim: ManagerNode, count: number, keyFor: (i: number) => Uint8Array) {
  for (let i = 0; i < count; i++) {
    const sk = keyFor(i);
    void victim.mgr.onOpenChannel(toHex(publicKeyOf(sk)), openMessage({ sk }));
  }
  await net.idle();
}

describe('unfunded opens are bounded and forgotten (issue 7 item 1, channel side)', () => {
  const { perPeer, total } = DEFAULT_OPEN_LIMITS;

  it('300 unfunded opens from one peer: 4 are held, the rest refused naming the limit; an honest channel keeps paying', async () => {
    const net = managerNet();
    const victim = net.add('victim', { openLimits: { deadlineBlocks: 5 } });
    const friend = net.add('friend');
    const id = await net.openFunded(friend, victim);
    const attacker = randomSecretKey();
    const attackerId = toHex(publicKeyOf(attacker));
    const toAttacker = () => victim.sent.filter((s) => s.to === attackerId && s.m.kind === 'acceptChannel').length;
    await flood(net, victim, 300, () => attacker);
    expect(toAttacker()).toBe(perPeer);
    const refusals = victim.errors.filter((e) => e.kind === 'error');
    expect(refusals).toHaveLength(300 - perPeer);
    expect(refusals[0]!.text).toMatch(/channel refused: you have 4 unfunded channels with us \(limit 4 per peer\)/);
    expect(victim.mgr.list()).toHaveLength(1 + perPeer);
    expect(victim.mgr.unfunded.size).toBe(perPeer);
    // the real channel is untouched by all this
    const paid = await friend.mgr.submitOps(id, [{ op: 'pay', amount: 9000n }]).settled;
    await net.idle();
    expect(paid.seq).toBe(1n);
    expect(localBalance(victim.mgr.channels.get(id)!)).toBe(9000n);
    // past the deadline the unfunded ones are forgotten (memory and store), the funded one stays
    for (let i = 0; i < 5; i++) await net.block();
    expect(victim.mgr.list().map((c) => toHex(c.channelId))).toEqual([id]);
    expect((await victim.store.inner.loadChannels()).map((c) => toHex(c.channelId))).toEqual([id]);
    expect(victim.mgr.unfunded.size).toBe(0);
    expect(victim.mgr.sizes()).toEqual({ channels: 1, queues: 1, accepting: 0, waiters: 0 });
    // and the peer may open again
    await flood(net, victim, 1, () => attacker);
    expect(toAttacker()).toBe(perPeer + 1);
  });

  it('300 unfunded opens from 300 keys: 64 are held in all, the rest refused naming the limit', async () => {
    const net = managerNet();
    const victim = net.add('victim', { openLimits: { deadlineBlocks: 5 } });
    await flood(net, victim, 300, () => randomSecretKey());
    expect(accepts(victim).length).toBe(total);
    const refusals = victim.errors.filter((e) => e.kind === 'error');
    expect(refusals).toHaveLength(300 - total);
    expect(refusals[0]!.text).toMatch(/this node has 64 unfunded channels \(limit 64 in all\)/);
    expect(victim.mgr.list()).toHaveLength(total);
    for (let i = 0; i < 5; i++) await net.block();
    expect(victim.mgr.list()).toHaveLength(0);
    expect(await victim.store.inner.loadChannels()).toHaveLength(0);
    expect(victim.mgr.sizes()).toEqual({ channels: 0, queues: 0, accepting: 0, waiters: 0 });
  });

  it('an open funded on the ledger is never forgotten, even past the deadline', async () => {
    const net = managerNet();
    const victim = net.add('victim', { openLimits: { deadlineBlocks: 2 } });
    const opener = net.add('opener');
    const id = await net.openSigned(opener, victim);
    // funded on the ledger, but the victim has not heard yet (its watcher is behind)
    expect(net.ledger.has(id)).toBe(true);
    for (let i = 0; i < 4; i++) await net.block();
    expect(victim.mgr.channels.get(id)?.status).toBe('opening');
    await net.reconcile(id);
    expect(victim.mgr.channels.get(id)?.status).toBe('open');
    expect(victim.mgr.unfunded.size).toBe(0);
  });

  it('a forget whose delete fails keeps the open (in memory and store, still counted) and tries again at the next block', async () => {
    const net = managerNet();
    const victim = net.add('victim', { openLimits: { deadlineBlocks: 2 } });
    await flood(net, victim, 1, () => randomSecretKey());
    victim.store.fail((w) => w.method === 'deleteChannel');
    for (let i = 0; i < 2; i++) await net.block();
    expect(victim.mgr.list()).toHaveLength(1);
    expect(victim.mgr.unfunded.size).toBe(1);
    expect(await victim.store.inner.loadChannels()).toHaveLength(1);
    await net.block();
    expect(victim.mgr.list()).toHaveLength(0);
    expect(await victim.store.inner.loadChannels()).toHaveLength(0);
  });

  it('the count survives a restart: opens loaded from the store still count and are still forgotten', async () => {
    const net = managerNet();
    const victim = net.add('victim', { openLimits: { deadlineBlocks: 4 } });
    const attacker = randomSecretKey();
    await flood(net, victim, 4, () => attacker);
    const restarted = net.add('victim-again', { openLimits: { deadlineBlocks: 4 }, store: victim.store });
    await restarted.mgr.load();
    expect(restarted.mgr.unfunded.countFor(toHex(publicKeyOf(attacker)))).toBe(4);
    await flood(net, restarted, 1, () => attacker);
    expect(restarted.errors.map((e) => e.text)).toEqual([expect.stringMatching(/limit 4 per peer/)]);
    for (let i = 0; i < 4; i++) await net.block();
    expect(restarted.mgr.list()).toHaveLength(0);
  });
});

describe('a peer piling up messages on a channel', () => {
  it('while a write is slow, more than 64 queued messages for one channel get a warning and a hang-up, and the queue stays bounded', async () => {
    const net = managerNet();
    const a = net.add('a');
    const b = net.add('b');
    const id = await net.openFunded(a, b);
    const held = b.store.hold((w) => w.method === 'saveChannel');
    void a.mgr.submitOps(id, [{ op: 'pay', amount: 1000n }]).settled;
    await held.reached; // b is storing the payment's state; what follows waits behind it
    const channelId = b.mgr.channels.get(id)!.channelId;
    for (let i = 0; i < 300; i++) b.mgr.onMessage(a.id, { kind: 'reestablish', channelId, signedSeq: 0n });
    expect(b.disconnects.length).toBe(300 - MAX_QUEUED_PEER_MESSAGES + 1); // every message past the bound (the update itself holds one place)
    expect(b.errors.at(-1)!.text).toBe(`more than ${MAX_QUEUED_PEER_MESSAGES} messages queued for this channel`);
    held.release();
    await net.idle();
    expect(b.mgr.channels.get(id)!.signed.state.seq).toBe(1n);
  });
});
