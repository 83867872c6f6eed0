// Attack: the initial sync as an amplifier. On connect a peer gets what we know (up to maxSyncBytes):
// a handshake and an init buy it all. A stranger that reconnects in a loop, or that makes a fresh
// identity for each connection (keys are free), makes us send the whole graph again and again.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { GossipManager } from '../../src/node/gossip.js';
import type { GossipLimits } from '../../src/node/gossip-limits.js';
import type { MemoryGraphStore } from '../../src/node/graph-store.js';
import type { GossipMessage } from '../../src/wire/gossip.js';
import { encodeGossipMessage } from '../../src/wire/gossip-frame.js';
import { CHAIN_HASH, GossipNet, POLICY, type NetNode } from '../helpers/gossip-net.js';

const CHANNELS = 10;

/** A line of CHANNELS announced channels; returns the net and its middle node. */
async function knownGraph(): Promise<{ net: GossipNet; hub: NetNode; nodes: NetNode[] }> {
  const net = new GossipNet();
  const nodes: NetNode[] = [];
  for (let i = 0; i <= CHANNELS; i++) nodes.push(await net.add(`n${i}`));
  for (let i = 0; i < CHANNELS; i++) {
    const [x, y] = [nodes[i]!, nodes[i + 1]!];
    net.connect(x, y);
    const rec = net.ledger.open(x.pk, y.pk);
    await x.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY });
    await y.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY });
  }
  await net.pump();
  const hub = nodes[Math.floor(CHANNELS / 2)]!;
  expect(hub.gossip.graph.channelCount).toBe(CHANNELS);
  return { net, hub, nodes };
}

/** The hub again, on a copy of its store, with a send that counts bytes per peer. */
async function victim(net: GossipNet, hub: NetNode, limits: Partial<GossipLimits> = {}, channelPeers = new Set<string>()) {
  const sent = new Map<string, { bytes: number; msgs: GossipMessage[] }>();
  const clock = { ms: net.nowMs };
  const g = await GossipManager.start({
    nodeSecretKey: hub.sk, chainHash: CHAIN_HASH, ledger: net.ledger, store: (hub.store as MemoryGraphStore).clone(), limits, nowMs: () => clock.ms,
    isChannelPeer: (p) => channelPeers.has(p),
    send: (peer, m) => {
      const e = sent.get(peer) ?? { bytes: 0, msgs: [] };
      e.bytes += encodeGossipMessage(m).length;
      e.msgs.push(m);
      sent.set(peer, e);
    },
  });
  const total = () => [...sent.values()].reduce((s, e) => s + e.bytes, 0);
  return { g, sent, clock, total };
}

describe('attack: the sync on connect as an amplifier', () => {
  it('a stranger reconnecting in a loop gets the graph once, then only what changed', async () => {
    const { net, hub, nodes } = await knownGraph();
    const v = await victim(net, hub);
    const eve = toHex(publicKeyOf(randomSecretKey()));
    v.g.onPeerConnected(eve);
    const full = v.sent.get(eve)!.bytes;
    expect(v.sent.get(eve)!.msgs.filter((m) => m.kind === 'channelAnnouncement').length).toBe(CHANNELS);
    for (let i = 0; i < 30; i++) {
      v.g.onPeerDisconnected(eve);
      v.clock.ms += 2000;
      v.g.onPeerConnected(eve);
    }
    expect(v.sent.get(eve)!.bytes).toBe(full); // nothing changed, nothing re-sent

    // something changes while eve is away: she gets that channel on her next connect, and only that
    v.g.onPeerDisconnected(eve);
    const [x, y] = [nodes[0]!, nodes[1]!];
    const rec = [...net.ledger.records.values()].find((r) => toHex(r.a) === x.id && toHex(r.b) === y.id)!;
    v.clock.ms += 60_000;
    net.nowMs = v.clock.ms;
    await x.gossip.announceChannel({ channelId: rec.channelId, policy: { ...POLICY, feePpm: 4242n } });
    // the new update reaches the victim as gossip from x
    const k = x.gossip.graph.channel(rec.shortChannelId!)!;
    const upd = (await x.store.load()).updates.find((u) => u.shortChannelId === rec.shortChannelId && u.direction === (k.node1 === x.id ? 0 : 1))!;
    const { decodeGossipMessage } = await import('../../src/wire/gossip-frame.js');
    const d = decodeGossipMessage(upd.update);
    if (!d.ok) throw new Error('stored update does not decode');
    expect((await v.g.handleMessage(x.id, d.value)).result).toBe('accepted');
    const before = v.sent.get(eve)!.msgs.length;
    v.g.onPeerConnected(eve);
    const again = v.sent.get(eve)!.msgs.slice(before);
    expect(again.length).toBeGreaterThan(0);
    expect(again.every((m) => m.kind !== 'nodeAnnouncement' && (m.kind === 'channelAnnouncement' || m.kind === 'channelUpdate') && m.shortChannelId === rec.shortChannelId)).toBe(true);
    expect(again.some((m) => m.kind === 'channelUpdate' && m.feeProportionalMillionths === 4242)).toBe(true);
  });

  it('fresh identities, each connecting once, share one budget of sync bytes a minute', async () => {
    const { net, hub } = await knownGraph();
    const BUDGET = 30_000; // about four syncs of this graph
    const channelPeer = toHex(publicKeyOf(randomSecretKey()));
    const v = await victim(net, hub, { syncBytesPerMinute: BUDGET }, new Set([channelPeer]));
    for (let i = 0; i < 40; i++) v.g.onPeerConnected(toHex(publicKeyOf(randomSecretKey())));
    expect(v.total()).toBeLessThanOrEqual(BUDGET);
    expect(v.total()).toBeGreaterThan(BUDGET / 2); // the first few did get their sync
    // a peer we have a channel with is not held to the strangers' budget
    v.g.onPeerConnected(channelPeer);
    expect(v.sent.get(channelPeer)!.msgs.filter((m) => m.kind === 'channelAnnouncement').length).toBe(CHANNELS);
    // a minute later the budget is back: a newcomer gets a whole graph again
    v.clock.ms += 60_000;
    const late = toHex(publicKeyOf(randomSecretKey()));
    v.g.onPeerConnected(late);
    expect(v.sent.get(late)!.msgs.filter((m) => m.kind === 'channelAnnouncement').length).toBe(CHANNELS);
  });
});
