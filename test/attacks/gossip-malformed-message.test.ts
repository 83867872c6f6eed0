// Attack: gossip of a known (even) type that does not decode, over a real connection. BOLT 1: a message
// that cannot be parsed ends the connection (with a warning first); it must not reach the gossip manager,
// and it must not touch anyone else's connection. A well-formed one on another connection still arrives.
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { chainHash } from '../../src/channel/state.js';
import { signChannelUpdate } from '../../src/gossip/messages.js';
import { PeerManager } from '../../src/node/peers.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { silentLogger } from '../../src/util/log.js';
import { CHANNEL_UPDATE_TYPE, type GossipMessage } from '../../src/wire/gossip.js';
import { HostilePeer } from '../helpers/hostile-peer.js';
import { POLICY } from '../helpers/gossip-net.js';
import { until } from '../helpers/until.js';

const running: PeerManager[] = [];
const hostiles: HostilePeer[] = [];
afterEach(async () => {
  for (const h of hostiles.splice(0)) h.close();
  for (const pm of running.splice(0)) await pm.stop();
});

describe('attack: malformed gossip on the wire', () => {
  it('a channel_update cut short ends that connection with a warning, reaches no handler, and leaves the others', async () => {
    const secretKey = randomSecretKey();
    const network = new MemoryNetwork();
    const got: { peer: string; m: GossipMessage }[] = [];
    const pm = new PeerManager({
      secretKey, nodeId: publicKeyOf(secretKey), chainHash: chainHash('sluice-test'), log: silentLogger(), network,
      hasChannel: () => false,
      onChannelMessage: () => {}, onStreamMessage: () => {}, onPeerError: () => {}, onConnected: () => {}, onDisconnected: () => {},
      onGossipMessage: (peer, m) => got.push({ peer, m }),
    });
    await pm.start();
    running.push(pm);
    const nodeId = toHex(publicKeyOf(secretKey));
    const [evil, honest] = [await HostilePeer.connect({ memory: network, remoteNodeId: nodeId }), await HostilePeer.connect({ memory: network, remoteNodeId: nodeId })];
    hostiles.push(evil, honest);
    await evil.init();
    await honest.init();

    const cut = new Uint8Array(2 + 40);
    cut[0] = CHANNEL_UPDATE_TYPE >> 8;
    cut[1] = CHANNEL_UPDATE_TYPE & 0xff;
    evil.send(cut);
    const reason = await evil.disconnected;
    expect(evil.received.some((m) => m.kind === 'warning')).toBe(true);
    expect(reason).toBeTruthy();

    const update = signChannelUpdate({ chainHash: chainHash('sluice-test'), shortChannelId: '0000050000000000', timestamp: 1000, direction: 0, policy: POLICY }, randomSecretKey());
    honest.send(update);
    await until(() => got.length > 0, 10_000, 'the honest update handed to gossip');
    expect(got.map((g) => [g.peer, g.m.kind])).toEqual([[honest.nodeId, 'channelUpdate']]);
    expect(honest.closed).toBe(false);
  });
});
