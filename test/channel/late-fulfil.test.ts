// A fulfil proposed at or past the HTLC's expiry height is refused by the offerer's ChannelManager: the
// ledger would no longer pay that lock to the peer, and the switch may have failed the incoming HTLC
// back already, so signing it would pay the peer from our own balance (a hostile next hop holding an
// HTLC until its expiry, then fulfilling). Before the expiry the same fulfil is taken.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../../src/crypto/hash.js';
import { managerNet } from '../helpers/channel-managers.js';

async function pairWithHtlc(aLeads: boolean, expiryIn: number) {
  for (;;) {
    const net = managerNet();
    const a = net.add('a');
    const b = net.add('b');
    if ((a.id < b.id) !== aLeads) continue;
    const id = await net.openFunded(a, b);
    const preimage = randomBytes(32);
    const lockId = 2;
    const { settled } = a.mgr.submitOps(id, [{ op: 'addHtlc', id: lockId, amount: 1_000_000n, paymentHash: sha256(preimage), expiryHeight: net.height + expiryIn, onion: new Uint8Array(1366) }]);
    await net.idle();
    await settled;
    await net.idle();
    expect(b.mgr.channels.get(id)!.signed.state.locks).toHaveLength(1);
    return { net, a, b, id, preimage, lockId };
  }
}

describe('a fulfil at or past the expiry', () => {
  it.each([['leads', true], ['follows', false]])('the offerer (it %s) refuses it and fails the channel; the lock stays for the ledger to refund', async (_r, aLeads) => {
    const { net, a, b, id, preimage, lockId } = await pairWithHtlc(aLeads, 3);
    for (let i = 0; i < 3; i++) await net.block();
    b.mgr.submitOps(id, [{ op: 'fulfillHtlc', id: lockId, preimage }]);
    await net.idle();
    expect(a.errors.some((e) => e.kind === 'error' && /past its expiry/.test(e.text))).toBe(true);
    expect(a.mgr.channels.get(id)!.signed.state.locks).toHaveLength(1);
    expect(a.mgr.channels.get(id)!.status).toBe('forceClosing');
  });

  it.each([['leads', true], ['follows', false]])('one block before the expiry the offerer (it %s) takes it', async (_r, aLeads) => {
    const { net, a, b, id, preimage, lockId } = await pairWithHtlc(aLeads, 3);
    for (let i = 0; i < 2; i++) await net.block();
    const { settled } = b.mgr.submitOps(id, [{ op: 'fulfillHtlc', id: lockId, preimage }]);
    await net.idle();
    await settled;
    await net.idle();
    expect(a.mgr.channels.get(id)!.signed.state.locks).toHaveLength(0);
    expect(a.errors).toHaveLength(0);
  });
});
