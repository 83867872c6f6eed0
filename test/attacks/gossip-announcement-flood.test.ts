// Attack: channel_announcements that pass every signature check (the attacker signs them with two keys
// of its own) for short ids no ledger channel has. Each costs the node a ledger read, and the same
// message can be sent again and again. The flood must not delay our own announcements and closes, and
// must not crowd out another peer's gossip.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { announcementForRecord, assembleAnnouncement, signAnnouncement, signChannelUpdate } from '../../src/gossip/messages.js';
import { decodeShortChannelId, encodeShortChannelId } from '../../src/ledger/short-channel-id.js';
import type { LedgerChannel } from '../../src/ledger/types.js';
import type { ChannelAnnouncementMessage } from '../../src/wire/gossip.js';
import { CHAIN_HASH, GossipNet, POLICY } from '../helpers/gossip-net.js';

/** A well-signed announcement by two throwaway keys for a short id the ledger does not hold. */
function bogusAnnouncement(height: number, txIndex = 0): ChannelAnnouncementMessage {
  const [x, y] = [randomSecretKey(), randomSecretKey()];
  const fake = {
    channelId: new Uint8Array(32), a: publicKeyOf(x), b: publicKeyOf(y), capacity: 1n, locked: 1n, status: 'open', openedHeight: height, reveals: {},
    shortChannelId: encodeShortChannelId({ height, txIndex, output: 0 }),
  } satisfies LedgerChannel;
  const u = announcementForRecord(fake, CHAIN_HASH)!;
  const [s1, s2] = [x, y].sort((p, q) => (toHex(publicKeyOf(p)) < toHex(publicKeyOf(q)) ? -1 : 1)).map((k) => signAnnouncement(u, k));
  return assembleAnnouncement(u, { node: s1!, bitcoin: s1! }, { node: s2!, bitcoin: s2! });
}

/** Count the ledger reads the announcements cost (by short id). */
function countShortIdReads(net: GossipNet): { n: number } {
  const count = { n: 0 };
  const read = net.ledger.channelByShortId.bind(net.ledger);
  net.ledger.channelByShortId = async (scid) => {
    count.n++;
    return read(scid);
  };
  return count;
}

describe('attack: signed announcements for channels that do not exist', () => {
  it('a flood of them does not hold back our own announcement, nor an honest peer\'s update', async () => {
    const FLOOD = 150;
    const net = new GossipNet({ maxQueued: 100 });
    const [a, b, c, eve] = [await net.add('a'), await net.add('b'), await net.add('c'), await net.add('eve')];
    net.connect(a, b);
    net.connect(b, c);
    // b–c is known to a (an honest channel of others); c's later update should reach a's graph
    const bc = net.ledger.open(b.pk, c.pk);
    await b.gossip.announceChannel({ channelId: bc.channelId, policy: POLICY });
    await c.gossip.announceChannel({ channelId: bc.channelId, policy: POLICY });
    await net.pump();
    expect(a.gossip.graph.channelCount).toBe(1);
    const reads = countShortIdReads(net);

    // eve sends the same signed announcement over and over (re-sending costs her nothing)
    const bogus = bogusAnnouncement(900);
    const flood = Array.from({ length: FLOOD }, () => a.gossip.handleMessage(eve.id, bogus));

    // meanwhile a opens a channel with b and announces it; and c publishes a new policy, relayed by b
    const ab = net.ledger.open(a.pk, b.pk);
    let readsWhenOurs = -1;
    const ours = a.gossip.announceChannel({ channelId: ab.channelId, policy: POLICY }).then((r) => {
      readsWhenOurs = reads.n;
      return r;
    });
    const cIs1 = toHex(announcementForRecord(bc, CHAIN_HASH)!.nodeId1) === c.id;
    const update = signChannelUpdate({
      chainHash: CHAIN_HASH, shortChannelId: bc.shortChannelId!, timestamp: Math.floor(net.nowMs / 1000) + 5, direction: cIs1 ? 0 : 1, policy: { ...POLICY, feePpm: 777n },
    }, c.sk);
    let readsWhenHonest = -1;
    const honest = a.gossip.handleMessage(b.id, update).then((o) => {
      readsWhenHonest = reads.n;
      return o;
    });

    expect(await ours).toBe('pending');
    expect((await honest).result).toBe('accepted');
    const outcomes = await Promise.all(flood);
    // our own work ran before eve's waiting messages; b's update waited for at most one of them
    expect(readsWhenOurs).toBeLessThanOrEqual(1);
    expect(readsWhenHonest).toBeLessThanOrEqual(2);
    // eve's messages beyond the bound were dropped, b's was not
    expect(outcomes.filter((o) => o.result === 'dropped').length).toBeGreaterThan(0);
    const seen = a.gossip.graph.channel(bc.shortChannelId!)!;
    expect((cIs1 ? seen.policy1 : seen.policy2)?.feePpm).toBe(777n);
  });

  it('the same refused announcement sent again costs no ledger read; a closed channel\'s replayed announcement neither', async () => {
    const net = new GossipNet();
    const [a, b, c, eve] = [await net.add('a'), await net.add('b'), await net.add('c'), await net.add('eve')];
    const reads = countShortIdReads(net);
    const bogus = bogusAnnouncement(901);
    const codes = [];
    for (let i = 0; i < 20; i++) {
      const o = await a.gossip.handleMessage(eve.id, bogus);
      codes.push(o.result === 'ignored' ? o.refusal.code : o.result);
    }
    expect(codes[0]).toBe('unknown_channel');
    expect(new Set(codes.slice(1))).toEqual(new Set(['refused_before']));
    expect(reads.n).toBe(1);

    // b–c's real announcement, kept by eve and replayed after the ledger closed the channel
    net.connect(b, c);
    const bc = net.ledger.open(b.pk, c.pk);
    await b.gossip.announceChannel({ channelId: bc.channelId, policy: POLICY });
    await c.gossip.announceChannel({ channelId: bc.channelId, policy: POLICY });
    await net.pump();
    const real = b.gossip.graph.channel(bc.shortChannelId!) && (await b.store.load()).channels[0]!.announcement;
    const { decodeGossipMessage } = await import('../../src/wire/gossip-frame.js');
    const d = decodeGossipMessage(real!);
    if (!d.ok || d.value.kind !== 'channelAnnouncement') throw new Error('stored announcement does not decode');
    net.ledger.close(bc);
    const before = reads.n;
    const first = await a.gossip.handleMessage(eve.id, d.value);
    expect(first.result === 'ignored' && first.refusal.code).toBe('channel_not_open');
    for (let i = 0; i < 10; i++) expect((await a.gossip.handleMessage(eve.id, d.value)).result).toBe('ignored');
    expect(reads.n - before).toBe(1);
    expect(a.gossip.graph.channelCount).toBe(0);

    // an honest announcement for a short id the attacker "refused" in advance still goes in: refusals are by bytes
    const ab = net.ledger.open(a.pk, b.pk, 902);
    const pre = bogusAnnouncement(902, decodeShortChannelId(ab.shortChannelId!).txIndex);
    expect(pre.shortChannelId).toBe(ab.shortChannelId);
    await c.gossip.handleMessage(eve.id, pre); // wrong_keys at c
    net.connect(a, b);
    net.connect(b, c);
    await a.gossip.announceChannel({ channelId: ab.channelId, policy: POLICY });
    await b.gossip.announceChannel({ channelId: ab.channelId, policy: POLICY });
    await net.pump();
    expect(c.gossip.graph.channel(ab.shortChannelId!)).toBeDefined();
  });
});
