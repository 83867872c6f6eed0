// Attack on the ledger's settlement timing, as a ledger user: settle a force-closed channel before its
// HTLC locks expire, so a preimage the receiver learns later (from its own downstream, which waited on
// purpose) counts for nothing. The settle must wait for every HTLC lock's expiry, bounded, and a
// dispute with a newer state that adds HTLCs moves that wait.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../../src/crypto/hash.js';
import type { Lock } from '../../src/channel/state.js';
import { MAX_LOCK_WAIT_BLOCKS } from '../../src/ledger/close-rules.js';
import { MAX_HTLC_CLTV_BLOCKS } from '../../src/forward/policy.js';
import { bothSign, ctx, signed, state } from '../helpers/ledger-fixture.js';
import { B_FUNDS, CAP, FEE, accept, bal, closing, expectReject, nextNonce, world } from '../ledger/world.js';

const htlc = (id: number, amount: bigint, preimage: Uint8Array, expiryHeight: number): Lock => ({ kind: 'htlc', id, from: 'A', amount, paymentHash: sha256(preimage), expiryHeight });

describe('attack: settle a closing channel before its HTLCs expire', () => {
  it('the settle waits for the HTLC\'s expiry; a preimage registered after the window but before the expiry pays the receiver', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    const pre = randomBytes(32);
    const ev = closing(w, w.a, 3n, CAP - 10_000_000n, 0n, 5, [htlc(2, 10_000_000n, pre, 40)]);
    expect(ev[0]).toMatchObject({ kind: 'channelClosing', deadlineHeight: 40 });
    expectReject(w, signed(w.a, nextNonce(w, w.a), { kind: 'settle', channelId: w.id }), ctx(5 + ctx(5).disputeBlocks), 'WINDOW_OPEN');
    w.nonce.set(w.a, 1);
    accept(w, signed(w.eve, 0, { kind: 'preimage', preimage: pre }), ctx(39)); // the last block that counts
    accept(w, signed(w.b, 0, { kind: 'settle', channelId: w.id }), ctx(40));
    expect(bal(w, w.b)).toBe(B_FUNDS - FEE + 10_000_000n);
  });

  it('a stale close before the HTLC, disputed with the state holding it: the wait moves to its expiry', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    const pre = randomBytes(32);
    closing(w, w.a, 2n, CAP, 0n, 5); // the state before the HTLC: a plain window
    expect(w.st.channel(w.id)!.deadlineHeight).toBe(5 + ctx(5).disputeBlocks);
    const newer = bothSign(state(w.id, 3n, CAP - 10_000_000n, 0n, { locks: [htlc(2, 10_000_000n, pre, 60)] }), w.a, w.b);
    accept(w, signed(w.b, 0, { kind: 'dispute', channelId: w.id, state: newer }), ctx(7));
    expect(w.st.channel(w.id)!.deadlineHeight).toBe(60);
    accept(w, signed(w.eve, 0, { kind: 'preimage', preimage: pre }), ctx(50));
    expectReject(w, signed(w.b, 1, { kind: 'settle', channelId: w.id }), ctx(59), 'WINDOW_OPEN');
    accept(w, signed(w.b, 1, { kind: 'settle', channelId: w.id }), ctx(60));
    expect(bal(w, w.b)).toBe(B_FUNDS - 2n * FEE + 10_000_000n);
  });

  it('an HTLC signed with an absurd expiry holds the settle back at most MAX_LOCK_WAIT_BLOCKS', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    closing(w, w.a, 3n, CAP - 1_000n, 0n, 5, [htlc(2, 1_000n, randomBytes(32), 0xffffffff)]);
    expect(w.st.channel(w.id)!.deadlineHeight).toBe(5 + MAX_LOCK_WAIT_BLOCKS);
  });

  it('every HTLC a forwarder takes expires within the settle\'s wait of any later close', () => {
    // decideForward refuses an incoming expiry more than MAX_HTLC_CLTV_BLOCKS above the height it is
    // forwarded at; a close comes later, so its wait covers the whole lock.
    expect(MAX_HTLC_CLTV_BLOCKS).toBeLessThanOrEqual(MAX_LOCK_WAIT_BLOCKS);
  });
});
