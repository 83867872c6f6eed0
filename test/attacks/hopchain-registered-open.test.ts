// The payer and payee together, without closing anything until it is too late for the hub. The payer
// stops signing the hub's claims; the payee claims what it metered from the hub (so the downstream
// lock's root moves away from the upstream one's) and, its channel with the hub still open, registers
// against the moved root a chain deeper than went through the hub (the payer handed it over). The
// registry pays that depth to the downstream lock whenever its channel settles, since it was registered
// below the lock's expiry. The payee waits until the upstream lock has expired, then closes: the hub
// learns the depth only then (it watched the registry for a channel only once it was closing), too late
// to register it upstream, and the silent payer closes after its expiry too. The hub must read the
// registry for its downstream lock once registrations there stop counting (at its expiry), while it can
// still register upstream.
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { chan, FEE, line, RATE, shortLockStream, streamOf, type Line } from './hopchain-net.js';

let w: Line | undefined;
afterEach(async () => {
  await w?.net.stop();
  w = undefined;
});

const EXPIRY_BLOCKS = 250;

describe('hash-chain across hops: a chain registered downstream while the channel is open still reaches the hub in time', () => {
  it('A silent; C claims, registers 20 ticks more than B relayed, and closes B–C after A\'s lock expired: B is paid upstream for all of it', async () => {
    w = await line({ blockTimeMs: 100, disputeBlocks: 20 }); // a hub's delta is the window + 3: 2.3 s to register upstream
    const { a, b, c, ab, bc } = w;
    // A's locks expire EXPIRY_BLOCKS out instead of a day
    const { s, secret, upLock } = await shortLockStream(w, EXPIRY_BLOCKS);
    a.peers.disconnect(b.nodeId, 'silent');
    const metered = (await streamOf(c, s.streamId))!.ticks;
    const claimed = c.channels.channels.get(bc.channelId)!.signed.state.locks[0]!;
    await c.channels.submitOps(bc.channelId, [{ op: 'claimHashchain', id: claimed.id, depth: metered, preimage: secret.preimageAt(metered) }]).settled;
    const deep = metered + 20;
    const moved = c.channels.channels.get(bc.channelId)!.signed.state.locks[0]!;
    if (moved.kind !== 'hashchain') throw new Error('a hash-chain lock expected');
    await c.account.registerChain({ root: moved.root, preimage: secret.preimageAt(deep), depth: deep - metered, registeredDepth: 0 });
    // past A's lock's expiry (and a window): C closes B–C and is paid the registered depth; A closes A–B
    await until(async () => (await a.ledger.info()).height >= upLock.expiryHeight! + 21, 60_000, "A's lock expired, and a window more");
    await c.closeChannel({ channelId: bc.channelId, force: true });
    await a.closeChannel({ channelId: ab.channelId, force: true });
    await until(async () => (await chan(c, bc.channelId)).payout !== undefined, 30_000, 'B–C settled');
    const paidDown = (await chan(c, bc.channelId)).payout!.local;
    expect(paidDown).toBe(BigInt(deep) * RATE);
    await until(async () => (await chan(b, ab.channelId)).payout !== undefined, 30_000, 'A–B settled');
    expect((await chan(b, ab.channelId)).payout!.local).toBeGreaterThanOrEqual(paidDown + BigInt(deep) * FEE);
  }, 120_000);
});
