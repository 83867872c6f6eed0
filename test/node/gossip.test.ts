// GossipManagers in an in-memory network: announcing our channels (the announcement_signatures
// exchange), relaying, learning a route through nodes we have no channel with, every bound, pruning.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { randomSecretKey, publicKeyOf } from '../../src/crypto/keys.js';
import { findRoute } from '../../src/routing/pathfind.js';
import { announcementForRecord, announcementSignaturesFor, assembleAnnouncement, signAnnouncement, signChannelUpdate } from '../../src/gossip/messages.js';
import { MemoryGraphStore } from '../../src/node/graph-store.js';
import { encodeShortChannelId } from '../../src/ledger/short-channel-id.js';
import { CAP, CHAIN_HASH, GossipNet, POLICY, type NetNode } from '../helpers/gossip-net.js';

async function line(net: GossipNet, names: string[]): Promise<NetNode[]> {
  const nodes: NetNode[] = [];
  for (const n of names) nodes.push(await net.add(n));
  for (let i = 0; i + 1 < nodes.length; i++) net.connect(nodes[i]!, nodes[i + 1]!);
  return nodes;
}

/** Open x–y on the ledger and have both announce it. */
async function announce(net: GossipNet, x: NetNode, y: NetNode, policy = POLICY) {
  const rec = net.ledger.open(x.pk, y.pk);
  const rx = await x.gossip.announceChannel({ channelId: rec.channelId, policy });
  const ry = await y.gossip.announceChannel({ channelId: rec.channelId, policy });
  return { rec, rx, ry };
}

describe('GossipManager network', () => {
  it('announced channels reach a node that has no channel with their parties, and it can route over them', async () => {
    const net = new GossipNet();
    const [a, b, c, d] = await line(net, ['a', 'b', 'c', 'd']);
    const ab = await announce(net, a!, b!);
    expect(ab.rx).toBe('pending'); // b has not signed yet
    await announce(net, b!, c!);
    await announce(net, c!, d!, { ...POLICY, feeBaseMsat: 5n });
    await a!.gossip.announceNode({ alias: 'alice', addresses: [{ type: 'dns', host: 'alice.example', port: 9735 }] });
    await net.pump();

    for (const n of [a, b, c, d]) expect(n!.gossip.graph.channelCount).toBe(3);
    const seen = d!.gossip.graph.channel(ab.rec.shortChannelId!)!;
    expect(seen.capacityMsat).toBe(CAP); // from the ledger record
    expect(seen.policy1).toEqual({ ...POLICY, disabled: false });
    expect(seen.policy2).toEqual({ ...POLICY, disabled: false });
    expect(d!.gossip.snapshot().nodes.find((n) => n.nodeId === a!.id)).toEqual({ nodeId: a!.id, alias: 'alice', addresses: ['alice.example:9735'] });
    // nothing any honest node sent was refused, apart from repeats of what it already had
    const refused = net.outcomes.filter((o) => o.outcome.result !== 'accepted' && !(o.outcome.result === 'ignored' && o.outcome.refusal.code === 'duplicate'));
    expect(refused).toEqual([]);

    const r = findRoute({ graph: d!.gossip.graph, source: d!.id, target: a!.id, amountMsat: 10_000_000n, finalCltvExpiry: 130, currentHeight: 100, nowMs: net.nowMs });
    expect(r.ok && r.route.hops.map((h) => h.to)).toEqual([c!.id, b!.id, a!.id]);
  });

  it('a new policy replaces the old one everywhere; an old update replayed is stale', async () => {
    const net = new GossipNet();
    const [a, b, c] = await line(net, ['a', 'b', 'c']);
    const { rec } = await announce(net, a!, b!);
    await net.pump();
    const old = c!.gossip.graph.channel(rec.shortChannelId!)!;
    const aIs1 = old.node1 === a!.id;
    net.nowMs += 60_000;
    expect(await a!.gossip.announceChannel({ channelId: rec.channelId, policy: { ...POLICY, feePpm: 999n, disabled: true } })).toBe('announced');
    await net.pump();
    const now = c!.gossip.graph.channel(rec.shortChannelId!)!;
    expect((aIs1 ? now.policy1 : now.policy2)).toEqual({ ...POLICY, feePpm: 999n, disabled: true });
    // replay a's first update at c: refused as stale, graph unchanged
    const first = signChannelUpdate({ chainHash: CHAIN_HASH, shortChannelId: rec.shortChannelId!, timestamp: Math.floor(net.nowMs / 1000) - 60, direction: aIs1 ? 0 : 1, policy: POLICY }, a!.sk);
    const out = await c!.gossip.handleMessage(b!.id, first);
    expect(out.result === 'ignored' && out.refusal.code).toBe('stale');
  });

  it('a peer that signs first: its signatures wait, and our later announceChannel completes at once', async () => {
    const net = new GossipNet();
    const [a, b] = await line(net, ['a', 'b']);
    const rec = net.ledger.open(a!.pk, b!.pk);
    expect(await b!.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY })).toBe('pending');
    await net.pump();
    expect(a!.gossip.counts.stashed).toBe(1);
    expect(await a!.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY })).toBe('announced');
    await net.pump();
    expect(b!.gossip.counts.pending).toBe(0);
    expect(b!.gossip.graph.channel(rec.shortChannelId!)?.policy1).toBeDefined();
    expect(b!.gossip.graph.channel(rec.shortChannelId!)?.policy2).toBeDefined();
  });

  it('signatures are resent when the peer reconnects', async () => {
    const net = new GossipNet();
    const a = await net.add('a');
    const b = await net.add('b');
    const rec = net.ledger.open(a.pk, b.pk);
    expect(await a.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY })).toBe('pending');
    expect(await b.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY })).toBe('pending');
    net.connect(a, b); // both send their pending signatures on connect
    await net.pump();
    expect(a.gossip.graph.channelCount).toBe(1);
    expect(b.gossip.graph.channelCount).toBe(1);
  });

  it('refuses a forged announcement (warn), one the ledger does not hold, and bad announcement_signatures', async () => {
    const net = new GossipNet();
    const [a, b, c] = await line(net, ['a', 'b', 'c']);
    const eve = { sk: randomSecretKey() };
    const rec = net.ledger.open(a!.pk, b!.pk);
    const u = announcementForRecord(rec, CHAIN_HASH)!;
    const forged = signAnnouncement(u, eve.sk);
    const good = signAnnouncement(u, a!.sk);
    const ann = assembleAnnouncement(u, { node: forged, bitcoin: forged }, { node: good, bitcoin: good });
    const r1 = await c!.gossip.handleMessage(b!.id, ann);
    expect(r1.result === 'ignored' && [r1.refusal.code, r1.refusal.action]).toEqual(['bad_signature', 'warn']);

    // both parties really signed, but the ledger has no such short id
    const fake = { ...rec, shortChannelId: encodeShortChannelId({ height: 99, txIndex: 0, output: 0 }) };
    const u2 = announcementForRecord(fake, CHAIN_HASH)!;
    const sa = signAnnouncement(u2, a!.sk);
    const sb = signAnnouncement(u2, b!.sk);
    const [s1, s2] = toHex(u2.nodeId1) === a!.id ? [sa, sb] : [sb, sa];
    const r2 = await c!.gossip.handleMessage(b!.id, assembleAnnouncement(u2, { node: s1, bitcoin: s1 }, { node: s2, bitcoin: s2 }));
    expect(r2.result === 'ignored' && r2.refusal.code).toBe('unknown_channel');
    expect(c!.gossip.graph.channelCount).toBe(0);

    // announcement_signatures from the wrong peer, and from the right peer with eve's signature
    expect(await a!.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY })).toBe('pending');
    const fromEve = announcementSignaturesFor(rec.channelId, u, eve.sk);
    const r3 = await a!.gossip.handleMessage(c!.id, fromEve);
    expect(r3.result === 'ignored' && r3.refusal.code).toBe('not_our_channel');
    const r4 = await a!.gossip.handleMessage(b!.id, fromEve);
    expect(r4.result === 'ignored' && [r4.refusal.code, r4.refusal.action]).toEqual(['bad_signature', 'warn']);
    expect(a!.gossip.graph.channelCount).toBe(0);
  });

  it('bounds: messages per peer, pending announcements, stashed signatures, the sync on connect', async () => {
    const net = new GossipNet({ burst: 5, messagesPerMinute: 60, maxPendingAnnouncements: 1, maxStashedSignatures: 2, maxSyncMessages: 4 });
    const [a, b] = await line(net, ['a', 'b']);
    const stranger = publicKeyOf(randomSecretKey());
    // rate: 5 at once, then one per second
    const upd = (t: number) => signChannelUpdate({ chainHash: CHAIN_HASH, shortChannelId: '0000010000000000', timestamp: t, direction: 0, policy: POLICY }, a!.sk);
    const results = [];
    for (let i = 0; i < 6; i++) results.push((await b!.gossip.handleMessage(a!.id, upd(100 + i))).result);
    expect(results).toEqual(['ignored', 'ignored', 'ignored', 'ignored', 'ignored', 'dropped']);
    net.nowMs += 1000;
    expect((await b!.gossip.handleMessage(a!.id, upd(200))).result).toBe('ignored'); // a token came back
    expect((await b!.gossip.handleMessage(a!.id, upd(201))).result).toBe('dropped');
    // another peer has its own bucket
    expect((await b!.gossip.handleMessage(toHex(stranger), upd(300))).result).toBe('ignored');

    // pending: one at a time
    const r1 = net.ledger.open(a!.pk, b!.pk);
    const r2 = net.ledger.open(a!.pk, stranger);
    expect(await a!.gossip.announceChannel({ channelId: r1.channelId, policy: POLICY })).toBe('pending');
    expect(await a!.gossip.announceChannel({ channelId: r2.channelId, policy: POLICY })).toBe('too_many_pending');

    // stash: signatures for three channels we did not announce; two are kept
    const c = await net.add('c');
    for (let i = 0; i < 3; i++) {
      net.nowMs += 10_000;
      const rec = net.ledger.open(c.pk, a!.pk);
      const m = announcementSignaturesFor(rec.channelId, announcementForRecord(rec, CHAIN_HASH)!, a!.sk);
      expect((await c.gossip.handleMessage(a!.id, m)).result).toBe('accepted');
    }
    expect(c.gossip.counts.stashed).toBe(2);

    // sync: a node with 3 announced channels sends a new peer at most 4 messages
    const big = new GossipNet({ maxSyncMessages: 4 });
    const [x, y, z, w] = await line(big, ['x', 'y', 'z', 'w']);
    await announce(big, x!, y!);
    await announce(big, y!, z!);
    await announce(big, z!, w!);
    await big.pump();
    const late = await big.add('late');
    big.connect(late, y!);
    const before = big.outcomes.length;
    await big.pump(1);
    const got = big.outcomes.slice(before).filter((o) => o.to === late.id && o.from === y!.id);
    expect(got.length).toBeLessThanOrEqual(4);
    expect(got[0]?.kind).toBe('channelAnnouncement');
    expect(late.gossip.graph.channelCount).toBeGreaterThanOrEqual(1);
  });

  it('channels the ledger closed are pruned at tick, with node announcements left without a channel', async () => {
    const net = new GossipNet({ closedChecksPerTick: 10 });
    const [a, b, c] = await line(net, ['a', 'b', 'c']);
    const { rec } = await announce(net, a!, b!);
    await announce(net, b!, c!);
    await a!.gossip.announceNode({ alias: 'a', addresses: [{ type: 'ipv4', host: '127.0.0.1', port: 9000 }] });
    await net.pump();
    expect(c!.gossip.snapshot().nodes.find((n) => n.nodeId === a!.id)?.alias).toBe('a');
    net.ledger.close(rec);
    await c!.gossip.tick();
    expect(c!.gossip.graph.channel(rec.shortChannelId!)).toBeUndefined();
    expect(c!.gossip.graph.channelCount).toBe(1);
    expect(c!.gossip.snapshot().nodes.map((n) => n.nodeId).sort()).toEqual([b!.id, c!.id].sort()); // a has no channel left
    const stored = await c!.store.load();
    expect(stored.channels.map((s) => s.shortChannelId)).not.toContain(rec.shortChannelId);
    expect(stored.nodes.map((n) => n.nodeId)).not.toContain(a!.id);
    // the watcher's hook does the same at once
    await b!.gossip.onChannelClosed(rec.shortChannelId!);
    expect(b!.gossip.graph.channel(rec.shortChannelId!)).toBeUndefined();
  });

  it('stale channels are pruned after two weeks; our own are re-signed instead', async () => {
    const net = new GossipNet();
    const [a, b, c] = await line(net, ['a', 'b', 'c']);
    const ab = await announce(net, a!, b!);
    const bc = await announce(net, b!, c!);
    await net.pump();
    // a and b go silent; c keeps refreshing its own (bc) only
    net.disconnect(a!, b!);
    for (let day = 1; day <= 15; day++) {
      net.nowMs += 24 * 3600 * 1000;
      await c!.gossip.tick();
      await b!.gossip.tick();
      await net.pump();
    }
    // b refreshed its updates (it is a party to both), so c still has bc; ab's a-side went stale at c
    expect(c!.gossip.graph.channel(bc.rec.shortChannelId!)).toBeDefined();
    expect(c!.gossip.graph.channel(ab.rec.shortChannelId!)).toBeUndefined();
    // b never prunes its own channel for staleness
    expect(b!.gossip.graph.channel(ab.rec.shortChannelId!)).toBeDefined();
  });

  it('a node restarted on its store has the same graph', async () => {
    const net = new GossipNet();
    const store = new MemoryGraphStore();
    const a = await net.add('a', store);
    const b = await net.add('b');
    net.connect(a, b);
    const { rec } = await announce(net, a, b);
    await net.pump();
    const again = await net.add('a2', store.clone(), a.sk);
    expect(again.gossip.graph.channel(rec.shortChannelId!)).toEqual(a.gossip.graph.channel(rec.shortChannelId!));
    expect(again.gossip.snapshot()).toEqual(a.gossip.snapshot());
  });

  it('the check queue is bounded; a store failure drops one message and the next is handled', async () => {
    const net = new GossipNet({ maxQueued: 2 });
    const [a, b] = await line(net, ['a', 'b']);
    const upd = (t: number) => signChannelUpdate({ chainHash: CHAIN_HASH, shortChannelId: '0000010000000000', timestamp: t, direction: 0, policy: POLICY }, a!.sk);
    const all = [1, 2, 3].map((t) => b!.gossip.handleMessage(a!.id, upd(t)));
    expect((await Promise.all(all)).map((o) => o.result)).toEqual(['ignored', 'ignored', 'dropped']);
    expect(b!.gossip.counts.queued).toBe(0);

    const failing = new MemoryGraphStore();
    let fail = true;
    const save = failing.saveChannel.bind(failing);
    failing.saveChannel = async (...args) => {
      if (fail) throw new Error('ENOSPC (injected)');
      return save(...args);
    };
    const c = await net.add('c', failing);
    net.connect(b!, c);
    const rec = net.ledger.open(a!.pk, b!.pk);
    const u = announcementForRecord(rec, CHAIN_HASH)!;
    const [s1, s2] = [a!, b!].sort((x, y) => (x.id < y.id ? -1 : 1)).map((n) => signAnnouncement(u, n.sk));
    const ann = assembleAnnouncement(u, { node: s1!, bitcoin: s1! }, { node: s2!, bitcoin: s2! });
    const r1 = await c.gossip.handleMessage(b!.id, ann);
    expect(r1.result === 'ignored' && r1.refusal.code).toBe('store_failed');
    expect(c.gossip.graph.channelCount).toBe(0); // not stored, so not in the graph either
    fail = false;
    expect((await c.gossip.handleMessage(b!.id, ann)).result).toBe('accepted');
    expect((await failing.load()).channels.length).toBe(1);
  });

  it('a policy that cannot be written is refused when announcing, before anything is signed', async () => {
    const net = new GossipNet();
    const [a, b] = await line(net, ['a', 'b']);
    const rec = net.ledger.open(a!.pk, b!.pk);
    await expect(a!.gossip.announceChannel({ channelId: rec.channelId, policy: { ...POLICY, htlcMinimumMsat: CAP + 1n } })).rejects.toThrow(/htlc_minimum/);
    await expect(a!.gossip.announceChannel({ channelId: rec.channelId, policy: { ...POLICY, feeBaseMsat: 1n << 32n } })).rejects.toThrow(/u32/);
    expect(a!.gossip.counts.pending).toBe(0);
    const other = net.ledger.open(b!.pk, publicKeyOf(randomSecretKey()));
    await expect(a!.gossip.announceChannel({ channelId: other.channelId, policy: POLICY })).rejects.toThrow(/not a party/);
    net.ledger.close(rec);
    expect(await a!.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY })).toBe('not_open');
  });

  it('the graph is bounded: past maxChannels of others an announcement is refused as graph_full', async () => {
    const net = new GossipNet({ maxChannels: 1 });
    const [a, b, c, d] = await line(net, ['a', 'b', 'c', 'd']);
    await announce(net, a!, b!);
    await announce(net, b!, c!);
    await announce(net, c!, d!);
    await net.pump();
    // our own channels are not counted (test/attacks/gossip-graph-full.test.ts): a holds a-b and one of
    // the others' channels, and refuses the second
    expect(a!.gossip.graph.channelCount).toBe(2);
    expect(net.outcomes.some((o) => o.to === a!.id && o.outcome.result === 'ignored' && o.outcome.refusal.code === 'graph_full')).toBe(true);
  });

  it('bytes: a message over maxMessageBytes is dropped; a flush sends at most maxFlushBytes and keeps the rest', async () => {
    const net = new GossipNet({ maxFlushBytes: 500 });
    const [a, b, c] = await line(net, ['a', 'b', 'c']);
    const { rec } = await announce(net, a!, b!);
    const aIs1 = toHex(announcementForRecord(rec, CHAIN_HASH)!.nodeId1) === a!.id;
    const big = { ...signChannelUpdate({ chainHash: CHAIN_HASH, shortChannelId: rec.shortChannelId!, timestamp: 5, direction: aIs1 ? 0 : 1, policy: POLICY }, a!.sk), extra: new Uint8Array(1000) };
    const r = await c!.gossip.handleMessage(b!.id, big);
    expect(r.result === 'ignored' && r.refusal.code).toBe('too_large');

    // b completes a-b and queues the announcement (434 bytes framed) and updates (140 each): one flush of
    // 500 bytes takes the announcement only, and the updates wait for the next
    const before = net.outcomes.length;
    await net.pump(1);
    expect(b!.gossip.counts.outbox).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++) await net.pump(1);
    const toC = net.outcomes.slice(before).filter((o) => o.to === c!.id);
    expect(toC[0]?.kind).toBe('channelAnnouncement');
    expect(c!.gossip.graph.channel(rec.shortChannelId!)?.policy1).toBeDefined();
    expect(c!.gossip.graph.channel(rec.shortChannelId!)?.policy2).toBeDefined();
    expect(b!.gossip.counts.outbox).toBe(0);
  });

  it('another peer cannot replace a channel peer\'s stashed signatures with its own', async () => {
    const net = new GossipNet();
    const [a, b] = await line(net, ['a', 'b']);
    const eve = await net.add('eve');
    net.connect(eve, a!);
    const rec = net.ledger.open(a!.pk, b!.pk);
    const u = announcementForRecord(rec, CHAIN_HASH)!;
    await a!.gossip.handleMessage(b!.id, announcementSignaturesFor(rec.channelId, u, b!.sk));
    await a!.gossip.handleMessage(eve.id, announcementSignaturesFor(rec.channelId, u, eve.sk));
    expect(a!.gossip.counts.stashed).toBe(2);
    expect(await a!.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY })).toBe('announced'); // b's were kept
  });

  it('the ledger check for closed channels reads a bounded number per tick, rotating through the graph', async () => {
    const net = new GossipNet({ closedChecksPerTick: 1 });
    const [a, b, c, d] = await line(net, ['a', 'b', 'c', 'd']);
    const recs = [(await announce(net, a!, b!)).rec, (await announce(net, b!, c!)).rec, (await announce(net, c!, d!)).rec];
    await net.pump();
    expect(d!.gossip.graph.channelCount).toBe(3);
    for (const r of recs) net.ledger.close(r);
    for (let t = 1; t <= 3; t++) {
      const reads = net.ledger.reads;
      await d!.gossip.tick();
      expect(net.ledger.reads - reads).toBe(1);
      expect(d!.gossip.graph.channelCount).toBe(3 - t);
    }
  });
});
