// Attacks on the ledger rules from issue 7, each named after the attack: fees that burn the other side's
// payout (item 2) and free work before a refusal (item 5). On the rules before the fix, fees came out of
// channel funds and a reveal hashed its whole depth before it was refused.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { hashChain } from '../../src/crypto/hash.js';
import { applyTx, MAX_REVEAL_UNITS_PER_TX, type WorkMeter } from '../../src/ledger/rules.js';
import { audit } from '../../src/ledger/audit.js';
import { buildBlock } from '../../src/ledger/rules.js';
import type { Tx, TxErrorCode } from '../../src/ledger/types.js';
import type { Lock } from '../../src/channel/state.js';
import { bothSign, ctx, faucetTx, must, party, signed, state } from '../helpers/ledger-fixture.js';
import { B_FUNDS, CAP, FEE, accept, bal, closing, nextNonce, world, type World } from './world.js';

const A_START = 5_000_000_000n;

/** Apply a whole block of transactions at one height, as a closer flooding one block would. */
function block(w: World, txs: Tx[], height: number): { applied: number; rejected: TxErrorCode[] } {
  const r = buildBlock(w.st, txs, ctx(height));
  w.st.apply(r.writes);
  expect(audit(w.st).ok).toBe(true);
  return { applied: r.applied.length, rejected: r.rejected.map((x) => x.error.code) };
}

describe('fees burn the victim\'s payout (issue 7, item 2)', () => {
  // A closes with stale state 1 (A 900k sat, B 100k sat) and then disputes its own close with states
  // 2..K+1 in one block. B is paid what the last state gives it (all of it once A is penalized), whatever K.
  it.each([1, 2, 10, 1000])('dispute spam: the closer disputes its own stale close %i times in one block', (k) => {
    const w = world();
    w.nonce.set(w.a, 1);
    must(w.st, faucetTx(w.a.pk, BigInt(k) * FEE), ctx(3)); // the closer can afford every dispute
    closing(w, w.a, 1n, 900_000_000n, 100_000_000n, 5);
    const disputes: Tx[] = [];
    for (let seq = 2; seq <= k + 1; seq++) {
      const s = bothSign(state(w.id, BigInt(seq), 900_000_000n - BigInt(seq), 100_000_000n + BigInt(seq)), w.a, w.b);
      disputes.push(signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: s }));
    }
    expect(block(w, disputes, 6)).toEqual({ applied: k, rejected: [] });
    accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'settle', channelId: w.id }), ctx(15));
    const last = BigInt(k + 1);
    const penalized = k >= 2; // two or more past the state it closed with
    const toB = penalized ? CAP : 100_000_000n + last;
    expect(w.st.channel(w.id)!.payoutB).toBe(toB);
    expect(w.st.channel(w.id)!.payoutA).toBe(CAP - toB);
    // B's account: what it had, less the one fee it chose to pay (settle), plus exactly its payout
    expect(bal(w, w.b)).toBe(B_FUNDS - FEE + toB);
    // every dispute fee came from A's own account
    expect(bal(w, w.a)).toBe(A_START + BigInt(k) * FEE - CAP - FEE - FEE - BigInt(k) * FEE + (CAP - toB));
  }, 60_000);

  it('dispute spam: a closer whose account runs dry is refused, not paid for by the channel', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    closing(w, w.a, 1n, 900_000_000n, 100_000_000n, 5);
    // A empties its account, then tries 3 disputes it cannot pay for
    const left = bal(w, w.a) - FEE;
    accept(w, signed(w.a, nextNonce(w, w.a), { kind: 'transfer', to: w.eve.pk, amount: left }), ctx(5));
    expect(bal(w, w.a)).toBe(0n);
    const txs = [2n, 3n, 4n].map((seq) => signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: bothSign(state(w.id, seq, 800_000_000n, 200_000_000n), w.a, w.b) }));
    expect(block(w, txs, 6)).toEqual({ applied: 0, rejected: ['INSUFFICIENT_FUNDS', 'INSUFFICIENT_FUNDS', 'INSUFFICIENT_FUNDS'] });
    expect(w.st.channel(w.id)!.latest!.state.seq).toBe(1n);
    expect(w.st.channel(w.id)!.locked).toBe(CAP);
  });

  it('one-unit reveal spam: a payee with nothing on its side reveals 1,000 times and the payer still gets its exact share', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    const seed = randomBytes(32);
    const N = 2000;
    const UNIT = 1000n;
    const locks: Lock[] = [{ kind: 'hashchain', id: 1, from: 'A', root: hashChain(seed, N), unit: UNIT, maxUnits: N }];
    const lockTotal = UNIT * BigInt(N);
    closing(w, w.a, 3n, CAP - lockTotal, 0n, 5, locks); // B has nothing on its side
    must(w.st, faucetTx(w.b.pk, 1000n * FEE), ctx(5)); // B can pay for its reveals
    const work: WorkMeter = { hashes: 0 };
    let x = hashChain(seed, N - 1000); // the preimage at depth 1000; walk up one unit at a time
    const preimages: Uint8Array[] = [];
    for (let k = 1000; k >= 1; k--) {
      preimages[k] = x;
      x = hashChain(x, 1);
    }
    for (let k = 1; k <= 1000; k++) {
      const r = applyTx(w.st, signed(w.b, nextNonce(w, w.b), { kind: 'reveal', channelId: w.id, lockId: 1, preimage: preimages[k]!, depth: k }), ctx(6, { work }));
      if (!r.ok) throw new Error(r.error.message);
      w.st.apply(r.writes);
    }
    // each reveal was checked from the one before: one hash each
    expect(work.hashes).toBe(1000);
    accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'settle', channelId: w.id }), ctx(15));
    expect(w.st.channel(w.id)!.payoutA).toBe(CAP - lockTotal + (lockTotal - 1000n * UNIT));
    expect(w.st.channel(w.id)!.payoutB).toBe(1000n * UNIT);
    expect(bal(w, w.a)).toBe(A_START - CAP - FEE - FEE + (CAP - 1000n * UNIT));
    expect(bal(w, w.b)).toBe(B_FUNDS + 1000n * FEE - 1001n * FEE + 1000n * UNIT);
  }, 60_000);

  it('a reveal from an account that cannot pay its fee is refused, whoever holds the preimage', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    const seed = randomBytes(32);
    const locks: Lock[] = [{ kind: 'hashchain', id: 1, from: 'A', root: hashChain(seed, 10), unit: 1000n, maxUnits: 10 }];
    closing(w, w.a, 3n, CAP - 10_000n, 0n, 5, locks);
    const poor = party();
    const work: WorkMeter = { hashes: 0 };
    const r = applyTx(w.st, signed(poor, 0, { kind: 'reveal', channelId: w.id, lockId: 1, preimage: hashChain(seed, 5), depth: 5 }), ctx(6, { work }));
    expect(r.ok ? 'accepted' : r.error.code).toBe('INSUFFICIENT_FUNDS');
    expect(work.hashes).toBe(0);
  });
});

describe('a free ledger stall (issue 7, item 5): a request costs bounded work before it is paid or refused', () => {
  const N = 1_000_000;
  function deepLock(w: World): { seed: Uint8Array; root: Uint8Array } {
    w.nonce.set(w.a, 1);
    const seed = randomBytes(32);
    const root = randomBytes(32); // the attacker does not need a real chain: it only wants the ledger to hash
    closing(w, w.a, 3n, CAP - BigInt(N), 0n, 5, [{ kind: 'hashchain', id: 1, from: 'A', root, unit: 1n, maxUnits: N }]);
    return { seed, root };
  }
  const table: [string, (w: World, seed: Uint8Array) => Tx, TxErrorCode, number][] = [
    ['a wrong preimage at depth 1,000,000 (the issue\'s stall)', (w, seed) => signed(w.eve, 0, { kind: 'reveal', channelId: w.id, lockId: 1, preimage: seed, depth: N }), 'TOO_MUCH_WORK', 0],
    ['a wrong preimage one past the per-request bound', (w, seed) => signed(w.eve, 0, { kind: 'reveal', channelId: w.id, lockId: 1, preimage: seed, depth: MAX_REVEAL_UNITS_PER_TX + 1 }), 'TOO_MUCH_WORK', 0],
    ['a depth past the lock\'s maxUnits', (w, seed) => signed(w.eve, 0, { kind: 'reveal', channelId: w.id, lockId: 1, preimage: seed, depth: N + 1 }), 'BAD_PREIMAGE', 0],
    ['a sender that cannot pay the fee', (w, seed) => signed(party(), 0, { kind: 'reveal', channelId: w.id, lockId: 1, preimage: seed, depth: 5 }), 'INSUFFICIENT_FUNDS', 0],
    ['a stale nonce', (w, seed) => signed(w.eve, 7, { kind: 'reveal', channelId: w.id, lockId: 1, preimage: seed, depth: 5 }), 'BAD_NONCE', 0],
    ['an unknown lock', (w, seed) => signed(w.eve, 0, { kind: 'reveal', channelId: w.id, lockId: 2, preimage: seed, depth: 5 }), 'BAD_STATE', 0],
    ['the worst that is hashed: a wrong preimage at exactly the bound', (w, seed) => signed(w.eve, 0, { kind: 'reveal', channelId: w.id, lockId: 1, preimage: seed, depth: MAX_REVEAL_UNITS_PER_TX }), 'BAD_PREIMAGE', MAX_REVEAL_UNITS_PER_TX],
  ];
  it.each(table)('%s: refused after at most the hashes it is allowed', (_n, make, code, hashes) => {
    const w = world();
    const { seed } = deepLock(w);
    const work: WorkMeter = { hashes: 0 };
    const r = applyTx(w.st, make(w, seed), ctx(6, { work }));
    expect(r.ok ? 'accepted' : r.error.code).toBe(code);
    expect(work.hashes).toBe(hashes);
  });

  it('an honest deep reveal goes in steps, each checked from the one before and costing only its own units', () => {
    const w = world();
    w.nonce.set(w.a, 1);
    const seed = randomBytes(32);
    const n = 3 * MAX_REVEAL_UNITS_PER_TX;
    closing(w, w.a, 3n, CAP - BigInt(n), 0n, 5, [{ kind: 'hashchain', id: 1, from: 'A', root: hashChain(seed, n), unit: 1n, maxUnits: n }]);
    const at = (k: number) => hashChain(seed, n - k);
    const work: WorkMeter = { hashes: 0 };
    const reveal = (k: number) => applyTx(w.st, signed(w.b, nextNonce(w, w.b), { kind: 'reveal', channelId: w.id, lockId: 1, preimage: at(k), depth: k }), ctx(6, { work }));
    const r0 = reveal(n); // all at once: refused, nothing hashed
    expect(r0.ok ? 'accepted' : r0.error.code).toBe('TOO_MUCH_WORK');
    w.nonce.set(w.b, 0);
    for (const k of [MAX_REVEAL_UNITS_PER_TX, 2 * MAX_REVEAL_UNITS_PER_TX, n]) {
      const before = work.hashes;
      const r = reveal(k);
      if (!r.ok) throw new Error(r.error.message);
      w.st.apply(r.writes);
      expect(work.hashes - before).toBe(MAX_REVEAL_UNITS_PER_TX);
    }
    expect(w.st.channel(w.id)!.reveals[1]!.depth).toBe(n);
  });
});

describe('a dispute that erases the payee\'s reveal (penalty + reveal interplay)', () => {
  // A pays B on a hash-chain lock of N units. State 3 holds the lock at root R0; in state 4 B claimed C of
  // them into its balance, so the lock's root moved to the preimage at depth C and maxUnits fell by C.
  // B holds ticks to depth D > C. A closes with state 3; B reveals D against R0. A then disputes with
  // state 4 (one ahead: no penalty) at the last block of the window, when B can no longer re-reveal.
  const N = 100;
  const C = 30;
  const D = 60;
  const UNIT = 1000n;
  const LOCKED = UNIT * BigInt(N);
  function setup() {
    const w = world();
    w.nonce.set(w.a, 1);
    const seed = randomBytes(32);
    const at = (k: number) => hashChain(seed, N - k); // the preimage at depth k of the original chain
    const lock0: Lock = { kind: 'hashchain', id: 1, from: 'A', root: at(0), unit: UNIT, maxUnits: N };
    const lock1: Lock = { ...lock0, root: at(C), maxUnits: N - C };
    const aBal = CAP - LOCKED - 1_000_000n;
    closing(w, w.a, 3n, aBal, 1_000_000n, 5, [lock0]); // deadline 15
    accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'reveal', channelId: w.id, lockId: 1, preimage: at(D), depth: D }), ctx(6));
    const s4 = bothSign(state(w.id, 4n, aBal, 1_000_000n + UNIT * BigInt(C), { locks: [lock1] }), w.a, w.b);
    return { w, s4, at };
  }
  // what B is owed: its state-4 balance plus the D - C units it showed past its claim
  const owedB = 1_000_000n + UNIT * BigInt(D);

  it('the closer disputes with the state after the payee\'s claim at the last block: the reveal still counts', () => {
    const { w, s4 } = setup();
    accept(w, signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: s4 }), ctx(14)); // last block of the window
    expect(w.st.channel(w.id)!.reveals[1]?.depth).toBe(D - C);
    accept(w, signed(w.eve, nextNonce(w, w.eve), { kind: 'settle', channelId: w.id }), ctx(15));
    expect(w.st.channel(w.id)!.payoutB).toBe(owedB);
    expect(w.st.channel(w.id)!.payoutA).toBe(CAP - owedB);
  });

  it('the payee\'s own dispute landing after its reveal keeps the reveal too', () => {
    const { w, s4 } = setup();
    accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'dispute', channelId: w.id, state: s4 }), ctx(6));
    accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'settle', channelId: w.id }), ctx(15));
    expect(w.st.channel(w.id)!.payoutB).toBe(owedB);
  });

  it('a reveal the claim already covers is dropped, and a new lock under the same id does not inherit it', () => {
    const { w, at } = setup();
    // state 4': B claimed past what it revealed (depth 80): nothing left to carry
    const claimed: Lock = { kind: 'hashchain', id: 1, from: 'A', root: at(80), unit: UNIT, maxUnits: N - 80 };
    const s4 = bothSign(state(w.id, 4n, CAP - LOCKED - 1_000_000n, 1_000_000n + UNIT * 80n, { locks: [claimed] }), w.a, w.b);
    accept(w, signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: s4 }), ctx(7));
    expect(w.st.channel(w.id)!.reveals[1]).toBeUndefined();
    // state 5: lock 1 replaced by an unrelated chain of the same shape: the old preimage proves nothing there
    const other: Lock = { ...claimed, root: randomBytes(32) };
    const s5 = bothSign(state(w.id, 5n, CAP - LOCKED - 1_000_000n, 1_000_000n + UNIT * 80n, { locks: [other] }), w.a, w.b);
    accept(w, signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: s5 }), ctx(8));
    expect(w.st.channel(w.id)!.reveals[1]).toBeUndefined();
  });
});

describe('a dispute that erases a reveal too deep to re-check (issue 7, final review)', () => {
  // As above, but B's reveal reaches past its claim by more than one request may hash. The dispute
  // cannot carry it (checking it would be unbounded free work), so it must leave B time to show it
  // again in steps: without that, A disputing at the window's last block lowered B's payout.
  const C = 5;
  const D = C + MAX_REVEAL_UNITS_PER_TX + 1; // owed past the claim: one unit more than a dispute may check
  const N = D + 10;
  const UNIT = 1n;
  function setup() {
    const w = world();
    w.nonce.set(w.a, 1);
    const seed = randomBytes(32);
    const chain = (k: number) => hashChain(seed, N - k); // the preimage at depth k of the original chain
    const lock0: Lock = { kind: 'hashchain', id: 1, from: 'A', root: chain(0), unit: UNIT, maxUnits: N };
    const lock1: Lock = { ...lock0, root: chain(C), maxUnits: N - C };
    const aBal = CAP - BigInt(N) - 1_000_000n;
    closing(w, w.a, 3n, aBal, 1_000_000n, 5, [lock0]); // deadline 15
    for (const k of [MAX_REVEAL_UNITS_PER_TX, D]) {
      accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'reveal', channelId: w.id, lockId: 1, preimage: chain(k), depth: k }), ctx(6));
    }
    const s4 = bothSign(state(w.id, 4n, aBal, 1_000_000n + UNIT * BigInt(C), { locks: [lock1] }), w.a, w.b);
    return { w, s4, chain };
  }
  const owedB = 1_000_000n + UNIT * BigInt(D);

  it('the closer disputes at the last block: the window reopens for a full window, the payee re-reveals and is paid in full', () => {
    const { w, s4, chain } = setup();
    expect(w.st.channel(w.id)!.deadlineHeight).toBe(15);
    const work: WorkMeter = { hashes: 0 };
    accept(w, signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: s4 }), ctx(14, { work }));
    expect(work.hashes).toBe(0); // the over-deep reveal was not hashed
    expect(w.st.channel(w.id)!.reveals[1]).toBeUndefined();
    expect(w.st.channel(w.id)!.deadlineHeight).toBe(14 + ctx(14).disputeBlocks);
    // the old deadline no longer settles the channel
    const early = applyTx(w.st, signed(w.eve, nextNonce(w, w.eve), { kind: 'settle', channelId: w.id }), ctx(15));
    expect(early.ok ? 'accepted' : early.error.code).toBe('WINDOW_OPEN');
    w.nonce.set(w.eve, w.nonce.get(w.eve)! - 1); // refused: the nonce was not used
    // B shows its ticks again against the new root (depths below lock1's root), in steps
    const newDepth = D - C;
    for (const k of [MAX_REVEAL_UNITS_PER_TX, newDepth]) {
      accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'reveal', channelId: w.id, lockId: 1, preimage: chain(C + k), depth: k }), ctx(16));
    }
    accept(w, signed(w.eve, nextNonce(w, w.eve), { kind: 'settle', channelId: w.id }), ctx(24));
    expect(w.st.channel(w.id)!.payoutB).toBe(owedB);
    expect(w.st.channel(w.id)!.payoutA).toBe(CAP - owedB);
  });

  it('a dispute that carries every reveal it owes leaves the deadline where it was', () => {
    const { w, chain } = setup();
    // state 4'': B's claim reaches within one request's check of its reveal (D - C' = the bound)
    const c2 = D - MAX_REVEAL_UNITS_PER_TX;
    const lock: Lock = { kind: 'hashchain', id: 1, from: 'A', root: chain(c2), unit: UNIT, maxUnits: N - c2 };
    const s4 = bothSign(state(w.id, 4n, CAP - BigInt(N) - 1_000_000n, 1_000_000n + UNIT * BigInt(c2), { locks: [lock] }), w.a, w.b);
    accept(w, signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: s4 }), ctx(14));
    expect(w.st.channel(w.id)!.reveals[1]?.depth).toBe(MAX_REVEAL_UNITS_PER_TX);
    expect(w.st.channel(w.id)!.deadlineHeight).toBe(15);
    accept(w, signed(w.eve, nextNonce(w, w.eve), { kind: 'settle', channelId: w.id }), ctx(15));
    expect(w.st.channel(w.id)!.payoutB).toBe(owedB);
  });
});
