// Attack: announcement_signatures from strangers, for channels that do not exist or are not theirs, to
// fill the stash where a channel peer's early signatures wait, so that ours cannot complete when we
// announce. Nothing in them can be checked before we announce the channel they name.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { encodeShortChannelId } from '../../src/ledger/short-channel-id.js';
import type { AnnouncementSignaturesMessage } from '../../src/wire/gossip.js';
import { announcementForRecord, announcementSignaturesFor } from '../../src/gossip/messages.js';
import { CHAIN_HASH, GossipNet, POLICY } from '../helpers/gossip-net.js';

const junk = (i: number): AnnouncementSignaturesMessage => ({
  kind: 'announcementSignatures', channelId: new Uint8Array(32).fill(i % 256), shortChannelId: encodeShortChannelId({ height: 1000 + i, txIndex: 0, output: 0 }),
  nodeSignature: new Uint8Array(64).fill(1), bitcoinSignature: new Uint8Array(64).fill(1),
});

describe('attack: filling the announcement_signatures stash', () => {
  it('one stranger\'s flood, then many strangers\' one each, do not push out the channel peer\'s signatures', async () => {
    const net = new GossipNet();
    const [a, b] = [await net.add('a'), await net.add('b')];
    net.connect(a, b);
    const rec = net.ledger.open(a.pk, b.pk);
    expect(await b.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY })).toBe('pending');
    await net.pump();
    expect(a.gossip.counts.stashed).toBe(1); // b's, waiting for a to decide

    const limit = a.gossip.limits.maxStashedSignatures;
    const eve = toHex(publicKeyOf(randomSecretKey()));
    for (let i = 0; i < limit + 50; i++) await a.gossip.handleMessage(eve, junk(i));
    const strangers = Array.from({ length: limit + 10 }, () => toHex(publicKeyOf(randomSecretKey())));
    for (const [i, s] of strangers.entries()) await a.gossip.handleMessage(s, junk(5000 + i));
    expect(a.gossip.counts.stashed).toBeLessThanOrEqual(limit);

    // a decides to announce: b's stashed signatures complete it at once
    expect(await a.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY })).toBe('announced');
    expect(a.gossip.graph.channel(rec.shortChannelId!)).toBeDefined();
  });

  it('a stranger\'s stashed signatures go when it disconnects', async () => {
    const net = new GossipNet();
    const [a, eve] = [await net.add('a'), await net.add('eve')];
    net.connect(a, eve);
    for (let i = 0; i < 20; i++) await a.gossip.handleMessage(eve.id, junk(i));
    expect(a.gossip.counts.stashed).toBe(20);
    net.disconnect(a, eve);
    expect(a.gossip.counts.stashed).toBe(0);
  });

  it('a channel peer repeating announcement_signatures for an announced channel gets the announcement once per connection', async () => {
    const net = new GossipNet();
    const [a, b] = [await net.add('a'), await net.add('b')];
    net.connect(a, b);
    const rec = net.ledger.open(a.pk, b.pk);
    await a.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY });
    await b.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY });
    await net.pump();
    const sigs = announcementSignaturesFor(rec.channelId, announcementForRecord(rec, CHAIN_HASH)!, b.sk);
    const before = net.outcomes.length;
    for (let i = 0; i < 50; i++) expect((await a.gossip.handleMessage(b.id, sigs)).result).toBe('accepted');
    await net.pump(1);
    expect(net.outcomes.slice(before).filter((o) => o.to === b.id && o.kind === 'channelAnnouncement').length).toBe(1);
    // after a reconnect, once more
    net.disconnect(a, b);
    net.connect(a, b);
    await net.pump(1);
    const mid = net.outcomes.length;
    for (let i = 0; i < 5; i++) await a.gossip.handleMessage(b.id, sigs);
    await net.pump(1);
    expect(net.outcomes.slice(mid).filter((o) => o.to === b.id && o.kind === 'channelAnnouncement').length).toBe(1);
  });
});
