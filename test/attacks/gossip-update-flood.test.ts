// Attack: a channel's own node floods channel_updates, each newer than the last (and dated up to the
// hour ahead we allow), each flipping `disabled`. Each one is valid: without a bound per channel every
// one was a store write and a relay. Relayed from many identities, the per-peer rate does not hold it.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { announcementForRecord, signChannelUpdate, signNodeAnnouncement } from '../../src/gossip/messages.js';
import { MemoryGraphStore } from '../../src/node/graph-store.js';
import { CHAIN_HASH, GossipNet, POLICY } from '../helpers/gossip-net.js';

describe('attack: a flood of valid channel_updates for one channel', () => {
  it('is held to a few accepted per channel direction, and a forger cannot use up the allowance', async () => {
    const net = new GossipNet();
    const [a, b] = [await net.add('a'), await net.add('b')];
    let writes = 0;
    const store = new MemoryGraphStore();
    const save = store.saveUpdate.bind(store);
    store.saveUpdate = async (...args) => {
      writes++;
      return save(...args);
    };
    const v = await net.add('victim', store);
    net.connect(a, b);
    net.connect(b, v);
    const rec = net.ledger.open(a.pk, b.pk);
    await a.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY });
    await b.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY });
    await net.pump();
    expect(v.gossip.graph.channel(rec.shortChannelId!)).toBeDefined();
    const aDir = toHex(announcementForRecord(rec, CHAIN_HASH)!.nodeId1) === a.id ? 0 : 1;
    const now = Math.floor(net.nowMs / 1000);

    // a forger first: updates "from a" with eve's signature must not use up a's allowance
    const eve = randomSecretKey();
    for (let i = 0; i < 50; i++) {
      const forged = signChannelUpdate({ chainHash: CHAIN_HASH, shortChannelId: rec.shortChannelId!, timestamp: now + 10 + i, direction: aDir, policy: { ...POLICY, feePpm: 1n } }, eve);
      await v.gossip.handleMessage(toHex(publicKeyOf(randomSecretKey())), forged);
    }
    writes = 0;
    // a itself, through 200 fresh identities, each with a newer timestamp, flipping disabled
    const results: string[] = [];
    for (let i = 0; i < 200; i++) {
      const u = signChannelUpdate({
        chainHash: CHAIN_HASH, shortChannelId: rec.shortChannelId!, timestamp: now + 100 + i * 10, direction: aDir, policy: { ...POLICY, disabled: i % 2 === 0 },
      }, a.sk);
      const o = await v.gossip.handleMessage(toHex(publicKeyOf(randomSecretKey())), u);
      results.push(o.result);
    }
    // a's first update, with the announcement, took one of the burst
    const burst = v.gossip.limits.updateBurst;
    expect(results.filter((r) => r === 'accepted').length).toBe(burst - 1);
    expect(writes).toBe(burst - 1);
    // the allowance comes back with time: one more a minute later
    net.nowMs += 60_000;
    const later = signChannelUpdate({ chainHash: CHAIN_HASH, shortChannelId: rec.shortChannelId!, timestamp: now + 2095, direction: aDir, policy: { ...POLICY, feePpm: 4321n } }, a.sk);
    expect((await v.gossip.handleMessage(b.id, later)).result).toBe('accepted');
    const seen = v.gossip.graph.channel(rec.shortChannelId!)!;
    expect((aDir === 0 ? seen.policy1 : seen.policy2)?.feePpm).toBe(4321n);
  });

  it('node_announcements, each newer, from many identities, are held the same way per node', async () => {
    const net = new GossipNet();
    const [a, b, v] = [await net.add('a'), await net.add('b'), await net.add('victim')];
    net.connect(a, b);
    net.connect(b, v);
    const rec = net.ledger.open(a.pk, b.pk);
    await a.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY });
    await b.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY });
    await net.pump();
    const now = Math.floor(net.nowMs / 1000);
    let writes = 0;
    const save = v.store.saveNode.bind(v.store);
    v.store.saveNode = async (...args) => {
      writes++;
      return save(...args);
    };
    const results: string[] = [];
    for (let i = 0; i < 60; i++) {
      const m = signNodeAnnouncement({ timestamp: now + 1 + i, alias: `a${i}`, addresses: [{ type: 'dns', host: `h${i}.example`, port: 9735 }] }, a.sk);
      results.push((await v.gossip.handleMessage(toHex(publicKeyOf(randomSecretKey())), m)).result);
    }
    expect(results.filter((r) => r === 'accepted').length).toBe(v.gossip.limits.updateBurst);
    expect(writes).toBe(v.gossip.limits.updateBurst);
    expect(v.gossip.snapshot().nodes.find((n) => n.nodeId === a.id)?.alias).toBe(`a${v.gossip.limits.updateBurst - 1}`);
  });
});
