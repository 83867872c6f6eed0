// Attack: malformed or forged gossip sent in bulk, each earning a BOLT 1 warning back: the node spends a
// send (and its encryption) on every one. A peer is told once a minute, however many it sends.
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { MemoryGraphStore } from '../../src/node/graph-store.js';
import { NodeGossip } from '../../src/node/node-gossip.js';
import { silentLogger } from '../../src/util/log.js';
import type { ChannelAnnouncementMessage } from '../../src/wire/gossip.js';
import { CHAIN_HASH, FakeLedger } from '../helpers/gossip-net.js';
import { until } from '../helpers/until.js';

let g: NodeGossip | undefined;
afterEach(() => g?.stop());

/** A channel_announcement whose first node id is not a key: refused with a warning, before any ledger read. */
const badKey = (i: number): ChannelAnnouncementMessage => ({
  kind: 'channelAnnouncement', nodeSignature1: new Uint8Array(64), nodeSignature2: new Uint8Array(64), bitcoinSignature1: new Uint8Array(64),
  bitcoinSignature2: new Uint8Array(64), features: new Uint8Array(0), chainHash: CHAIN_HASH, shortChannelId: (i + 1).toString(16).padStart(16, '0'),
  nodeId1: new Uint8Array(33), nodeId2: publicKeyOf(randomSecretKey()), bitcoinKey1: new Uint8Array(33), bitcoinKey2: new Uint8Array(33), extra: new Uint8Array(0),
});

describe('attack: gossip that earns a warning, in bulk', () => {
  it('each peer is warned once, however many it sends', async () => {
    const warned: string[] = [];
    g = await NodeGossip.start({
      secretKey: randomSecretKey(), chainHash: CHAIN_HASH, ledger: new FakeLedger(), store: new MemoryGraphStore(), log: silentLogger(),
      send: () => undefined, warn: (peer) => warned.push(peer),
    });
    const [eve, mallory] = [toHex(publicKeyOf(randomSecretKey())), toHex(publicKeyOf(randomSecretKey()))];
    for (let i = 0; i < 100; i++) g.onMessage(eve, badKey(i));
    g.onMessage(mallory, badKey(500));
    await until(() => g!.manager.counts.queued === 0 && warned.length >= 2, 10_000, 'the messages checked');
    expect(warned.filter((p) => p === eve).length).toBe(1);
    expect(warned.filter((p) => p === mallory).length).toBe(1);
  });
});
