// A payer that goes silent on its hub. The hub claims on the payer's lock in their channel (every 30
// ticks, at once when the payee claims from it, everything at the end), and registers its depth on the
// ledger only if that channel is closing. A payer that stops answering (gone, or lying: it never signs
// the hub's claim) leaves the channel open and the claim unsigned; the payee has meanwhile claimed from
// the hub what went through it. Once the payer's lock has expired (and a dispute window more) nothing
// the hub holds can be shown for it any more: the registry pays a lock only what was registered below
// its expiry, and reveals are refused from a window past it. The payer then closes with the state
// before the claim and its whole lock comes back to it: the hub paid the payee and got nothing. The
// hub must register what it holds unclaimed upstream before the upstream lock's expiry, and take no
// tick it could no longer register in time. (The payer here sets its lock's expiry 250 blocks out,
// which the hub accepts, so the test does not wait for a day of blocks.)
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { chan, FEE, line, RATE, shortLockStream, type Line } from './hopchain-net.js';

let w: Line | undefined;
afterEach(async () => {
  await w?.net.stop();
  w = undefined;
});

const EXPIRY_BLOCKS = 250;

describe('hash-chain across hops: the hub registers upstream before the upstream lock expires', () => {
  it('the payer stops signing (and answering) once the payee has claimed from the hub, closes after its lock\'s expiry: the hub is still paid', async () => {
    w = await line({ blockTimeMs: 100, disputeBlocks: 20 }); // a hub's delta is the window + 3: 2.3 s to register upstream
    const { a, b, ab, bc } = w;
    // A's locks expire EXPIRY_BLOCKS out instead of a day
    const { s, upLock: lock } = await shortLockStream(w, EXPIRY_BLOCKS);
    // A goes silent on B (B's claims are never signed), and stops the stream at C directly
    a.peers.disconnect(b.nodeId, 'silent');
    await a.controlStream({ streamId: s.streamId, action: 'stop' });
    await until(async () => b.channels.channels.get(bc.channelId)!.signed.state.locks.length === 0, 30_000, 'C claims from B and gives its lock back');
    const paidDown = b.channels.channels.get(bc.channelId)!.signed.state.balanceB;
    expect(paidDown).toBeGreaterThanOrEqual(3n * RATE);
    // past A's lock's expiry and a window: A closes with the state before B's claim
    await until(async () => (await a.ledger.info()).height >= lock.expiryHeight! + 21, 60_000, "A's lock expired, and a window more");
    await a.closeChannel({ channelId: ab.channelId, force: true });
    await until(async () => (await chan(b, ab.channelId)).payout !== undefined, 30_000, 'A–B settled');
    const up = (await chan(b, ab.channelId)).payout!.local;
    expect(up).toBeGreaterThanOrEqual(paidDown + (paidDown / RATE) * FEE); // never out of pocket beyond its fee
  }, 120_000);
});
