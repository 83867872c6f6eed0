import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { hashChain, sha256 } from '../../src/crypto/hash.js';
import { audit } from '../../src/ledger/audit.js';
import type { Tx, TxErrorCode } from '../../src/ledger/types.js';
import type { Lock } from '../../src/channel/state.js';
import { bothSign, ctx, faucetTx, newChannelId, party, signed, state } from '../helpers/ledger-fixture.js';
import { B_FUNDS, CAP, FEE, accept, bal, closing, expectReject, nextNonce, world, type World } from './world.js';

describe('faucet and transfer', () => {
  it('mints with the faucet on, refuses with it off', () => {
    const w = world({ open: false });
    expect(bal(w, w.a)).toBe(5_000_000_000n);
    expectReject(w, faucetTx(w.b.pk, 1n), ctx(3, { faucet: false }), 'FAUCET_DISABLED');
    expectReject(w, faucetTx(w.b.pk, 0n), ctx(3), 'MALFORMED');
  });

  it('moves amount and takes the fee', () => {
    const w = world({ open: false });
    accept(w, signed(w.a, 0, { kind: 'transfer', to: w.b.pk, amount: 1000n }), ctx(3));
    expect(bal(w, w.b)).toBe(B_FUNDS + 1000n);
    expect(bal(w, w.a)).toBe(5_000_000_000n - 1000n - FEE);
    expect(w.st.account(w.a.pk).nonce).toBe(1);
    expect(w.st.supply().fees).toBe(FEE);
  });

  const table: [string, (w: World) => Tx, TxErrorCode][] = [
    ['bad signature (signed by another key)', (w) => ({ ...signed(w.eve, 0, { kind: 'transfer', to: w.b.pk, amount: 1n }), from: w.a.pk }), 'BAD_SIGNATURE'],
    ['signed for another chain', (w) => signed(w.a, 0, { kind: 'transfer', to: w.b.pk, amount: 1n }, 'other-chain'), 'BAD_SIGNATURE'],
    ['tampered amount', (w) => ({ ...signed(w.a, 0, { kind: 'transfer', to: w.b.pk, amount: 1n }), amount: 2n }) as Tx, 'BAD_SIGNATURE'],
    ['nonce from the future', (w) => signed(w.a, 5, { kind: 'transfer', to: w.b.pk, amount: 1n }), 'BAD_NONCE'],
    ['overdraft', (w) => signed(w.a, 0, { kind: 'transfer', to: w.b.pk, amount: 5_000_000_000n }), 'INSUFFICIENT_FUNDS'],
    ['zero amount', (w) => signed(w.a, 0, { kind: 'transfer', to: w.b.pk, amount: 0n }), 'MALFORMED'],
    ['no balance at all', () => signed(party(), 0, { kind: 'transfer', to: party().pk, amount: 1n }), 'INSUFFICIENT_FUNDS'],
  ];
  it.each(table)('rejects: %s', (_name, make, code) => {
    const w = world({ open: false });
    expectReject(w, make(w), ctx(3), code);
  });

  it('rejects a replayed transaction', () => {
    const w = world({ open: false });
    const tx = signed(w.a, 0, { kind: 'transfer', to: w.b.pk, amount: 1n });
    accept(w, tx, ctx(3));
    expectReject(w, tx, ctx(4), 'BAD_NONCE');
  });
});

describe('open', () => {
  it('locks capacity from the opener and charges it the fee', () => {
    const w = world({ push: 1000n });
    expect(bal(w, w.a)).toBe(5_000_000_000n - CAP - FEE);
    const ch = w.st.channel(w.id)!;
    expect(ch.status).toBe('open');
    expect(ch.locked).toBe(CAP);
  });

  const table: [string, (w: World, id: Uint8Array) => Tx, TxErrorCode][] = [
    ['state 0 not signed by the peer', (w, id) => {
      const s = state(id, 0n, CAP, 0n);
      const bad = bothSign(s, w.a, w.eve);
      return signed(w.a, 0, { kind: 'open', channelId: id, peer: w.b.pk, capacity: CAP, state: bad });
    }, 'BAD_SIGNATURE'],
    ['state 0 for another channel', (w, id) => signed(w.a, 0, { kind: 'open', channelId: id, peer: w.b.pk, capacity: CAP, state: bothSign(state(newChannelId(), 0n, CAP, 0n), w.a, w.b) }), 'BAD_STATE'],
    ['state 0 that does not add up', (w, id) => signed(w.a, 0, { kind: 'open', channelId: id, peer: w.b.pk, capacity: CAP, state: bothSign(state(id, 0n, CAP, 1n), w.a, w.b) }), 'BAD_STATE'],
    ['state with seq 1', (w, id) => signed(w.a, 0, { kind: 'open', channelId: id, peer: w.b.pk, capacity: CAP, state: bothSign(state(id, 1n, CAP, 0n), w.a, w.b) }), 'BAD_STATE'],
    ['state signed for another chain', (w, id) => signed(w.a, 0, { kind: 'open', channelId: id, peer: w.b.pk, capacity: CAP, state: bothSign(state(id, 0n, CAP, 0n), w.a, w.b, 'other') }), 'BAD_SIGNATURE'],
    ['capacity beyond balance', (w, id) => signed(w.a, 0, { kind: 'open', channelId: id, peer: w.b.pk, capacity: 5_000_000_000n, state: bothSign(state(id, 0n, 5_000_000_000n, 0n), w.a, w.b) }), 'INSUFFICIENT_FUNDS'],
    ['channel to self', (w, id) => signed(w.a, 0, { kind: 'open', channelId: id, peer: w.a.pk, capacity: CAP, state: bothSign(state(id, 0n, CAP, 0n), w.a, w.a) }), 'MALFORMED'],
  ];
  it.each(table)('rejects: %s', (_n, make, code) => {
    const w = world({ open: false });
    expectReject(w, make(w, newChannelId()), ctx(3), code);
  });

  it('rejects reusing a channel id', () => {
    const w = world();
    const s0 = bothSign(state(w.id, 0n, CAP, 0n), w.a, w.b);
    expectReject(w, signed(w.a, 1, { kind: 'open', channelId: w.id, peer: w.b.pk, capacity: CAP, state: s0 }), ctx(3), 'CHANNEL_EXISTS');
  });
});

describe('cooperative close', () => {
  it('pays both sides exactly their balances at once, its submitter paying the fee from its account', () => {
    const w = world();
    const fin = bothSign(state(w.id, 7n, 600_000_000n, 400_000_000n, { closing: true }), w.a, w.b);
    const events = accept(w, signed(w.b, 0, { kind: 'close', channelId: w.id, state: fin }), ctx(5));
    expect(bal(w, w.b)).toBe(B_FUNDS - FEE + 400_000_000n);
    expect(bal(w, w.a)).toBe(5_000_000_000n - CAP - FEE + 600_000_000n);
    expect(w.st.channel(w.id)!.status).toBe('closed');
    expect(events[0]!.kind).toBe('channelClosed');
  });

  const table: [string, (w: World) => Tx, TxErrorCode][] = [
    ['not marked closing', (w) => signed(w.a, 1, { kind: 'close', channelId: w.id, state: bothSign(state(w.id, 3n, CAP, 0n), w.a, w.b) }), 'BAD_STATE'],
    ['by an outsider', (w) => signed(w.eve, 0, { kind: 'close', channelId: w.id, state: bothSign(state(w.id, 3n, CAP, 0n, { closing: true }), w.a, w.b) }), 'NOT_A_PARTY'],
    ['forged counter-signature', (w) => signed(w.a, 1, { kind: 'close', channelId: w.id, state: bothSign(state(w.id, 3n, 0n, CAP, { closing: true }), w.a, w.eve) }), 'BAD_SIGNATURE'],
    ['unknown channel', (w) => signed(w.a, 1, { kind: 'close', channelId: newChannelId(), state: bothSign(state(w.id, 3n, CAP, 0n, { closing: true }), w.a, w.b) }), 'UNKNOWN_CHANNEL'],
  ];
  it.each(table)('rejects: %s', (_n, make, code) => {
    const w = world();
    w.nonce.set(w.a, 1);
    expectReject(w, make(w), ctx(5), code);
  });
});

describe('unilateral close, dispute and settle', () => {
  it('settles the submitted state after the window', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    const ev = closing(w, w.b, 4n, 700_000_000n, 300_000_000n, 5);
    expect(ev[0]).toMatchObject({ kind: 'channelClosing', deadlineHeight: 15 });
    expectReject(w, signed(w.b, nextNonce(w, w.b), { kind: 'settle', channelId: w.id }), ctx(14), 'WINDOW_OPEN');
    w.nonce.set(w.b, 1);
    accept(w, signed(w.eve, 0, { kind: 'settle', channelId: w.id }), ctx(15));
    // each side gets its balance; the fees fell on who sent: B the close, eve the settle, A the open
    expect(bal(w, w.b)).toBe(B_FUNDS - FEE + 300_000_000n);
    expect(bal(w, w.a)).toBe(5_000_000_000n - CAP - FEE + 700_000_000n);
  });

  it('penalizes a stale close: the newer state wins and the cheater forfeits its balance', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    closing(w, w.a, 2n, 900_000_000n, 100_000_000n); // A cheats with an old state
    const newer = bothSign(state(w.id, 9n, 500_000_000n, 500_000_000n), w.a, w.b);
    const ev = accept(w, signed(w.b, 0, { kind: 'dispute', channelId: w.id, state: newer }), ctx(8));
    expect(ev[0]).toMatchObject({ kind: 'channelDisputed', penalized: 'A' });
    accept(w, signed(w.b, 1, { kind: 'settle', channelId: w.id }), ctx(15));
    // B gets the whole capacity (its balance and A's forfeited one); each paid its own fees
    expect(bal(w, w.a)).toBe(5_000_000_000n - CAP - FEE - FEE);
    expect(bal(w, w.b)).toBe(B_FUNDS - 2n * FEE + CAP);
  });

  it('replaces a state one behind without a penalty (an unacknowledged update is not cheating)', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    closing(w, w.a, 4n, 900_000_000n, 100_000_000n);
    const next = bothSign(state(w.id, 5n, 800_000_000n, 200_000_000n), w.a, w.b);
    const ev = accept(w, signed(w.b, 0, { kind: 'dispute', channelId: w.id, state: next }), ctx(8));
    expect(ev[0]).toMatchObject({ kind: 'channelDisputed' });
    expect((ev[0] as { penalized?: string }).penalized).toBeUndefined();
    accept(w, signed(w.b, 1, { kind: 'settle', channelId: w.id }), ctx(15));
    expect(bal(w, w.b)).toBe(B_FUNDS - 2n * FEE + 200_000_000n);
    // A paid its open and its close; B's dispute and settle were B's
    expect(bal(w, w.a)).toBe(5_000_000_000n - CAP - FEE + 800_000_000n - FEE);
  });

  it('lets a watchtower dispute without locking out the honest side, and the newest state wins', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    closing(w, w.a, 3n, 900_000_000n, 100_000_000n);
    // anyone with a newer state may submit it; here an outsider with seq 6
    accept(w, signed(w.eve, 0, { kind: 'dispute', channelId: w.id, state: bothSign(state(w.id, 6n, 800_000_000n, 200_000_000n), w.a, w.b) }), ctx(6));
    // bob's own, newer still, is not refused
    accept(w, signed(w.b, 0, { kind: 'dispute', channelId: w.id, state: bothSign(state(w.id, 10n, 500_000_000n, 500_000_000n), w.a, w.b) }), ctx(7));
    const ch = w.st.channel(w.id)!;
    expect(ch.latest!.state.seq).toBe(10n);
    expect(ch.submittedBy).toBe('A');
    expect(ch.penalized).toBe('A');
    // each dispute was paid by its sender, nothing by the channel
    expect(ch.locked).toBe(CAP);
    expect(bal(w, w.eve)).toBe(1_000_000_000n - FEE);
    expect(bal(w, w.b)).toBe(B_FUNDS - FEE);
  });

  it('keeps the penalty once earned, even if the closer later shows an even newer state', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    closing(w, w.a, 3n, 900_000_000n, 100_000_000n);
    accept(w, signed(w.b, 0, { kind: 'dispute', channelId: w.id, state: bothSign(state(w.id, 10n, 500_000_000n, 500_000_000n), w.a, w.b) }), ctx(6));
    accept(w, signed(w.a, 2, { kind: 'dispute', channelId: w.id, state: bothSign(state(w.id, 11n, 499_000_000n, 501_000_000n), w.a, w.b) }), ctx(7));
    expect(w.st.channel(w.id)!.penalized).toBe('A');
    expect(w.st.channel(w.id)!.latest!.state.seq).toBe(11n);
  });

  const table: [string, (w: World) => Tx, number, TxErrorCode][] = [
    ['dispute with an older state', (w) => signed(w.b, 0, { kind: 'dispute', channelId: w.id, state: bothSign(state(w.id, 1n, CAP, 0n), w.a, w.b) }), 8, 'STALE_STATE'],
    ['dispute with the same seq', (w) => signed(w.b, 0, { kind: 'dispute', channelId: w.id, state: bothSign(state(w.id, 5n, CAP, 0n), w.a, w.b) }), 8, 'STALE_STATE'],
    ['dispute after the window', (w) => signed(w.b, 0, { kind: 'dispute', channelId: w.id, state: bothSign(state(w.id, 9n, CAP, 0n), w.a, w.b) }), 15, 'WINDOW_CLOSED'],
    ['dispute with a forged state', (w) => signed(w.b, 0, { kind: 'dispute', channelId: w.id, state: bothSign(state(w.id, 9n, 0n, CAP), w.eve, w.b) }), 8, 'BAD_SIGNATURE'],
    ['second unilateral close', (w) => signed(w.b, 0, { kind: 'forceClose', channelId: w.id, state: bothSign(state(w.id, 9n, CAP, 0n), w.a, w.b) }), 8, 'WRONG_STATUS'],
    ['cooperative close while closing', (w) => signed(w.b, 0, { kind: 'close', channelId: w.id, state: bothSign(state(w.id, 9n, CAP, 0n, { closing: true }), w.a, w.b) }), 8, 'WRONG_STATUS'],
    ['settle before the window', (w) => signed(w.b, 0, { kind: 'settle', channelId: w.id }), 14, 'WINDOW_OPEN'],
  ];
  it.each(table)('rejects: %s', (_n, make, height, code) => {
    const w = world();
    w.nonce.set(w.a, 1);
    closing(w, w.a, 5n, CAP, 0n);
    expectReject(w, make(w), ctx(height), code);
  });

  it('rejects a unilateral close of a state for another channel and by an outsider', () => {
    const w = world();
    const other = bothSign(state(newChannelId(), 3n, CAP, 0n), w.a, w.b);
    expectReject(w, signed(w.b, 0, { kind: 'forceClose', channelId: w.id, state: other }), ctx(5), 'BAD_STATE');
    const mine = bothSign(state(w.id, 3n, CAP, 0n), w.a, w.b);
    expectReject(w, signed(w.eve, 0, { kind: 'forceClose', channelId: w.id, state: mine }), ctx(5), 'NOT_A_PARTY');
  });
});

describe('locks at settlement', () => {
  it('pays an HTLC to the receiver only if its preimage was registered before expiry', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    const pre1 = randomBytes(32);
    const pre2 = randomBytes(32);
    const pre3 = randomBytes(32);
    const locks: Lock[] = [
      { kind: 'htlc', id: 1, from: 'A', amount: 10_000_000n, paymentHash: sha256(pre1), expiryHeight: 20 }, // claimed in time
      { kind: 'htlc', id: 2, from: 'A', amount: 20_000_000n, paymentHash: sha256(pre2), expiryHeight: 7 }, // claimed too late
      { kind: 'htlc', id: 3, from: 'A', amount: 30_000_000n, paymentHash: sha256(pre3), expiryHeight: 20 }, // never claimed
    ];
    closing(w, w.a, 3n, CAP - 60_000_000n, 0n, 5, locks);
    accept(w, signed(w.eve, 0, { kind: 'preimage', preimage: pre1 }), ctx(6));
    accept(w, signed(w.eve, 1, { kind: 'preimage', preimage: pre2 }), ctx(8));
    expectReject(w, signed(w.eve, 2, { kind: 'preimage', preimage: pre1 }), ctx(9), 'ALREADY_REGISTERED');
    // the window ends at 15, but the settle waits for the HTLCs' expiry (20): a preimage may come until then
    expectReject(w, signed(w.b, 0, { kind: 'settle', channelId: w.id }), ctx(15), 'WINDOW_OPEN');
    accept(w, signed(w.b, 0, { kind: 'settle', channelId: w.id }), ctx(20));
    expect(bal(w, w.b)).toBe(B_FUNDS - FEE + 10_000_000n);
  });

  it('pays a hash-chain lock exactly the deepest revealed ticks', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    const seed = randomBytes(32);
    const root = hashChain(seed, 100);
    const locks: Lock[] = [{ kind: 'hashchain', id: 7, from: 'A', root, unit: 1000n, maxUnits: 100 }];
    closing(w, w.b, 3n, CAP - 100_000n, 0n, 5, locks, 100n);
    // the payee holds the chain: depth k means sha256^k(x_k) == root, x_k = sha256^(100-k)(seed)
    const at = (k: number) => hashChain(seed, 100 - k);
    accept(w, signed(w.b, 1, { kind: 'reveal', channelId: w.id, lockId: 7, preimage: at(30), depth: 30 }), ctx(6, { fee: 100n }));
    expectReject(w, signed(w.b, 2, { kind: 'reveal', channelId: w.id, lockId: 7, preimage: at(20), depth: 20 }), ctx(7, { fee: 100n }), 'STALE_STATE');
    expectReject(w, signed(w.b, 2, { kind: 'reveal', channelId: w.id, lockId: 7, preimage: at(40), depth: 41 }), ctx(7, { fee: 100n }), 'BAD_PREIMAGE');
    expectReject(w, signed(w.b, 2, { kind: 'reveal', channelId: w.id, lockId: 7, preimage: seed, depth: 101 }), ctx(7, { fee: 100n }), 'BAD_PREIMAGE');
    expectReject(w, signed(w.b, 2, { kind: 'reveal', channelId: w.id, lockId: 8, preimage: at(40), depth: 40 }), ctx(7, { fee: 100n }), 'BAD_STATE');
    accept(w, signed(w.b, 2, { kind: 'reveal', channelId: w.id, lockId: 7, preimage: at(42), depth: 42 }), ctx(7, { fee: 100n }));
    expectReject(w, signed(w.b, 3, { kind: 'reveal', channelId: w.id, lockId: 7, preimage: at(50), depth: 50 }), ctx(15, { fee: 100n }), 'WINDOW_CLOSED');
    // an outsider's reveal is paid from its own account, like a party's
    const eveBefore = bal(w, w.eve);
    expectReject(w, signed(w.eve, 0, { kind: 'reveal', channelId: w.id, lockId: 7, preimage: at(42), depth: 42 }), ctx(8, { fee: 100n }), 'STALE_STATE');
    accept(w, signed(w.eve, 0, { kind: 'reveal', channelId: w.id, lockId: 7, preimage: at(43), depth: 43 }), ctx(8, { fee: 100n }));
    expect(bal(w, w.eve)).toBe(eveBefore - 100n);
    accept(w, signed(w.b, 3, { kind: 'settle', channelId: w.id }), ctx(15, { fee: 100n }));
    // exactly 43 ticks of 1000 msat; the payee paid its close, two reveals and the settle from its account
    expect(bal(w, w.b)).toBe(B_FUNDS - 4n * 100n + 43_000n);
    expect(bal(w, w.a)).toBe(5_000_000_000n - CAP - FEE + (CAP - 43_000n));
    expect(audit(w.st).ok).toBe(true);
  });
});
