// Attack: a ledger user opens many cheap channels between keys of its own and announces them all, until
// the graph holds maxChannels. Channels of others are then refused (that is the bound), but our own
// channel must still be announced: it is bounded by our own opens, not by what peers sent.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { announcementForRecord, assembleAnnouncement, signAnnouncement } from '../../src/gossip/messages.js';
import { CHAIN_HASH, GossipNet, POLICY } from '../helpers/gossip-net.js';

describe('attack: filling the graph with the attacker\'s own channels', () => {
  it('our own channel is still announced when peers filled the graph', async () => {
    const MAX = 3;
    const net = new GossipNet({ maxChannels: MAX });
    const [a, b, eve] = [await net.add('a'), await net.add('b'), await net.add('eve')];
    net.connect(a, b);
    net.connect(a, eve);
    for (let i = 0; i < MAX + 2; i++) {
      const [x, y] = [randomSecretKey(), randomSecretKey()];
      const rec = net.ledger.open(publicKeyOf(x), publicKeyOf(y), 10 + i, 1000n);
      const u = announcementForRecord(rec, CHAIN_HASH)!;
      const [s1, s2] = [x, y].sort((p, q) => (toHex(publicKeyOf(p)) < toHex(publicKeyOf(q)) ? -1 : 1)).map((k) => signAnnouncement(u, k));
      await a.gossip.handleMessage(eve.id, assembleAnnouncement(u, { node: s1!, bitcoin: s1! }, { node: s2!, bitcoin: s2! }));
    }
    expect(a.gossip.graph.channelCount).toBe(MAX);

    const ab = net.ledger.open(a.pk, b.pk, 50);
    await a.gossip.announceChannel({ channelId: ab.channelId, policy: POLICY });
    await b.gossip.announceChannel({ channelId: ab.channelId, policy: POLICY });
    await net.pump();
    expect(a.gossip.graph.channel(ab.shortChannelId!)?.policy1).toBeDefined();
    expect(a.gossip.graph.channel(ab.shortChannelId!)?.policy2).toBeDefined();
    expect(a.gossip.counts.pending).toBe(0);
    // it went out to the others too (b's graph was not full)
    expect(b.gossip.graph.channel(ab.shortChannelId!)).toBeDefined();
    // and the bound on others' channels still holds
    expect(a.gossip.counts.channels).toBe(MAX + 1);
  });
});
