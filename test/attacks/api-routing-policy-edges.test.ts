// Attack (as the node's operator, or a script holding its API token): policy updates with edge values.
// A policy change must reach the network's graph (else payers keep routing by the old fee and their
// payments fail at us), and a value that BOLT 7 cannot carry must not become our forwarding policy
// while the network is told the old one.
import { afterEach, describe, expect, it } from 'vitest';
import { policyUpdateCodec } from '../../src/api/routing-requests.js';
import type { SluiceNode } from '../../src/node/node.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

/** Our direction's policy of the channel, as our own gossip graph holds it (what peers are sent). */
function announcedPolicy(n: SluiceNode, channelId: string) {
  const scid = n.htlcs.localChannels().find((c) => c.channelId === channelId)?.shortChannelId;
  const ch = scid === undefined ? undefined : n.gossip.graph.channel(scid);
  if (!ch) return undefined;
  return ch.node1 === n.nodeId ? ch.policy1 : ch.policy2;
}

describe('attack: channel policy updates with edge values', () => {
  it('a fee base past BOLT 7\'s u32 is refused by the request rules', () => {
    expect(() => policyUpdateCodec.decode({ feeBase: '4294967296' })).toThrow(/feeBase/);
    expect(policyUpdateCodec.decode({ feeBase: '4294967295' }).feeBase).toBe(4294967295n);
  });

  it('a new policy set through the routing API is announced; one that cannot be forwarded is announced disabled', async () => {
    net = await testNet({ blockTimeMs: 300 });
    const [a, b] = [await net.node('A'), await net.node('B')];
    await a.faucet(5_000_000_000n);
    await a.connectInMemory(b.nodeId);
    const ch = await a.openChannel({ peerId: b.nodeId, capacity: 1_000_000_000n, push: 0n });
    await until(() => announcedPolicy(a, ch.channelId) !== undefined && announcedPolicy(b, ch.channelId) !== undefined, 20_000, 'the channel announced');

    await a.routing.channelPolicy({ channelId: ch.channelId, update: { feePpm: 5000 } });
    await until(() => announcedPolicy(a, ch.channelId)?.feePpm === 5000n, 10_000, 'the new fee announced');

    // a minimum above the capacity: nothing can be forwarded, so the network is told the channel is disabled
    await a.routing.channelPolicy({ channelId: ch.channelId, update: { htlcMinimum: 2_000_000_000n } });
    await until(() => announcedPolicy(a, ch.channelId)?.disabled === true, 10_000, 'the channel announced disabled');
  });
});
