// The payer and payee together, in the worst order: the payer goes silent on its hub (the hub's claim
// on the payer's lock is never signed), the payee claims what it metered from the hub (which moves the
// downstream lock's root away from the upstream one's), force-closes the hub's downstream channel, and
// later registers, against the moved root, a chain deeper than went through the hub (the payer handed
// it over). The hub watches the closing downstream channel for what the payee shows, but only after its
// claim upstream completed, and that claim waits for a payer that never answers: the hub never read the
// registry, registered upstream only what it had relayed, and paid the payee the rest out of pocket.
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '../../src/crypto/bytes.js';
import { until } from '../helpers/until.js';
import { chan, FEE, line, RATE, shortLockStream, streamOf, type Line } from './hopchain-net.js';

let w: Line | undefined;
afterEach(async () => {
  await w?.net.stop();
  w = undefined;
});

const EXPIRY_BLOCKS = 300;

describe('hash-chain across hops: a silent payer does not stop the hub watching its downstream channel', () => {
  it('A silent, C closes B–C, registers 20 ticks more than B relayed and settles; A closes after its expiry: B is paid upstream for all of it', async () => {
    w = await line({ blockTimeMs: 100, disputeBlocks: 20 }); // a hub's delta is the window + 3: 2.3 s to register upstream
    const { a, b, c, ab, bc } = w;
    // A's locks expire EXPIRY_BLOCKS out instead of a day
    const { s, secret, upLock } = await shortLockStream(w, EXPIRY_BLOCKS);
    a.peers.disconnect(b.nodeId, 'silent');
    // C claims what it metered (B signs; B's own claim upstream is never answered)
    const metered = (await streamOf(c, s.streamId))!.ticks;
    const claimed = c.channels.channels.get(bc.channelId)!.signed.state.locks[0]!;
    await c.channels.submitOps(bc.channelId, [{ op: 'claimHashchain', id: claimed.id, depth: metered, preimage: secret.preimageAt(metered) }]).settled;
    // C closes B–C and holds its settle (the lock's receiver may)
    const hold = c.streams.chain!.holdSettle.bind(c.streams.chain!);
    c.streams.chain!.holdSettle = () => Number.MAX_SAFE_INTEGER;
    await c.closeChannel({ channelId: bc.channelId, force: true });
    const closing = await until(async () => {
      const lc = await c.ledger.channel(fromHex(bc.channelId));
      return lc?.status === 'closing' ? lc : undefined;
    }, 20_000, 'B–C closing on the ledger');
    await until(async () => (await c.ledger.info()).height >= closing.deadlineHeight! + 3, 20_000, 'the window to pass');
    const deep = metered + 20;
    const downLock = c.channels.channels.get(bc.channelId)!.signed.state.locks[0]!;
    if (downLock.kind !== 'hashchain') throw new Error('a hash-chain lock expected');
    const shown = (await c.ledger.chain(downLock.root).catch(() => undefined))?.depth ?? 0;
    await c.account.registerChain({ root: downLock.root, preimage: secret.preimageAt(deep), depth: deep - metered, registeredDepth: shown });
    c.streams.chain!.holdSettle = hold;
    await until(async () => (await chan(c, bc.channelId)).payout !== undefined, 30_000, 'B–C settled');
    const paidDown = (await chan(c, bc.channelId)).payout!.local;
    expect(paidDown).toBe(BigInt(deep) * RATE);
    // past A's expiry and a window, A closes A–B with the state before any claim of B's
    await until(async () => (await a.ledger.info()).height >= upLock.expiryHeight! + 21, 60_000, "A's lock expired, and a window more");
    await a.closeChannel({ channelId: ab.channelId, force: true });
    await until(async () => (await chan(b, ab.channelId)).payout !== undefined, 30_000, 'A–B settled');
    expect((await chan(b, ab.channelId)).payout!.local).toBeGreaterThanOrEqual(paidDown + BigInt(deep) * FEE);
  }, 120_000);
});
