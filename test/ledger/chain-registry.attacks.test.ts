// The chain registry (issue 11): rule tables for every way a payer could lower the payee's payout, a
// payee could take more than it earned, or anyone could make the ledger work or hold more than it paid
// for. A pays B on a hash-chain lock of N units; `at(k)` is the preimage at depth k (the root is at(0)).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { hashChain, MAX_HASH_CHAIN_LENGTH } from '../../src/crypto/hash.js';
import { applyTx, buildBlock, MAX_REVEAL_UNITS_PER_TX, type WorkMeter } from '../../src/ledger/rules.js';
import { audit } from '../../src/ledger/audit.js';
import { revealSteps } from '../../src/ledger/reveal-steps.js';
import { registeredBefore } from '../../src/ledger/chain-registry.js';
import type { Tx, TxErrorCode } from '../../src/ledger/types.js';
import type { HashchainLock, Lock } from '../../src/channel/state.js';
import { bothSign, ctx, party, signed, state, type Party } from '../helpers/ledger-fixture.js';
import { CAP, FEE, accept, bal, closing, nextNonce, world, type World } from './world.js';

const N = 100;
const UNIT = 1000n;
const LOCKED = UNIT * BigInt(N);
const B_BAL = 1_000_000n; // what B holds in the states below, besides the lock
const A_BAL = CAP - LOCKED - B_BAL;
const EXPIRY = 50;

function chain() {
  const seed = randomBytes(32);
  return (k: number) => hashChain(seed, N - k);
}

function lockOf(at: (k: number) => Uint8Array, over: Partial<HashchainLock> = {}): HashchainLock {
  return { kind: 'hashchain', id: 1, from: 'A', root: at(0), unit: UNIT, maxUnits: N, expiryHeight: EXPIRY, ...over };
}

function register(w: World, who: Party, root: Uint8Array, depth: number, preimage: Uint8Array, height: number) {
  return accept(w, signed(who, nextNonce(w, who), { kind: 'registerChain', root, depth, preimage }), ctx(height));
}

/**
 * Close with the lock at `closeAt` (unilaterally, by A) and settle after the window; B's payout. B, the
 * lock's receiver, settles: before the lock's expiry nobody else may (close-rules.ts chainLockWait).
 */
function closeAndSettle(w: World, locks: Lock[], closeAt: number, bBal = B_BAL, seq = 3n): bigint {
  const aBal = CAP - bBal - locks.reduce((s, l) => s + (l.kind === 'hashchain' ? l.unit * BigInt(l.maxUnits) : l.amount), 0n);
  closing(w, w.a, seq, aBal, bBal, closeAt, locks);
  accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'settle', channelId: w.id }), ctx(closeAt + 10));
  const ch = w.st.channel(w.id)!;
  expect(ch.payoutA! + ch.payoutB!).toBe(CAP);
  return ch.payoutB!;
}

function setup(): { w: World; at: (k: number) => Uint8Array } {
  const w = world();
  w.nonce.set(w.a, 1);
  return { w, at: chain() };
}

describe('registry payouts: what a lock with an expiry pays, whenever its channel settles', () => {
  it('a registration below the expiry pays even when the channel closes long after the expiry (no close needed to claim)', () => {
    const { w, at } = setup();
    register(w, w.b, at(0), 30, at(30), 10);
    expect(closeAndSettle(w, [lockOf(at)], 200)).toBe(B_BAL + 30n * UNIT);
  });

  it('anyone may register (a hop that learned the preimage): who registers does not matter', () => {
    const { w, at } = setup();
    register(w, w.eve, at(0), 30, at(30), 10);
    expect(closeAndSettle(w, [lockOf(at)], 60)).toBe(B_BAL + 30n * UNIT);
  });

  it('late registration: a payee registering at the expiry height takes nothing', () => {
    const { w, at } = setup();
    register(w, w.b, at(0), 30, at(30), EXPIRY);
    expect(closeAndSettle(w, [lockOf(at)], 60)).toBe(B_BAL);
  });

  it('deepened after the expiry: only the depth registered below the expiry counts', () => {
    const { w, at } = setup();
    register(w, w.b, at(0), 20, at(20), 10);
    register(w, w.b, at(0), 60, at(60), EXPIRY); // too late for this lock
    expect(w.st.chain(at(0))!.marks).toEqual([{ height: 10, depth: 20 }, { height: EXPIRY, depth: 60 }]);
    expect(closeAndSettle(w, [lockOf(at)], 60)).toBe(B_BAL + 20n * UNIT);
  });

  it('double counting: a reveal and a registration of the same ticks pay once (the deeper of the two)', () => {
    for (const [registered, revealed, paid] of [[30, 40, 40], [70, 40, 70], [40, 40, 40]] as const) {
      const { w, at } = setup();
      register(w, w.b, at(0), registered, at(registered), 4);
      closing(w, w.a, 3n, A_BAL, B_BAL, 5, [lockOf(at)]);
      accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'reveal', channelId: w.id, lockId: 1, preimage: at(revealed), depth: revealed }), ctx(6));
      accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'settle', channelId: w.id }), ctx(15)); // the receiver: before the expiry
      expect(w.st.channel(w.id)!.payoutB).toBe(B_BAL + BigInt(paid) * UNIT);
    }
  });

  it('over the budget: a registration deeper than maxUnits pays maxUnits, the rest of the chain is worth nothing here', () => {
    const { w, at } = setup();
    register(w, w.b, at(0), 80, at(80), 10);
    const small = lockOf(at, { maxUnits: 10 });
    expect(closeAndSettle(w, [small], 20, B_BAL + LOCKED - 10n * UNIT)).toBe(B_BAL + LOCKED);
  });

  it('a legacy lock (no expiry) ignores the registry: only reveals on its channel pay it, as before', () => {
    const { w, at } = setup();
    register(w, w.b, at(0), 30, at(30), 10);
    const { expiryHeight: _none, ...legacy } = lockOf(at);
    expect(closeAndSettle(w, [legacy], 20)).toBe(B_BAL);
  });

  it('another chain\'s registration pays nothing under this lock', () => {
    const { w, at } = setup();
    const other = chain();
    register(w, w.b, other(0), 30, other(30), 10);
    expect(closeAndSettle(w, [lockOf(at)], 20)).toBe(B_BAL);
  });

  it('a settled channel is not reopened by a later registration (the payout is fixed at settle)', () => {
    const { w, at } = setup();
    const paid = closeAndSettle(w, [lockOf(at)], 5);
    register(w, w.b, at(0), 30, at(30), 20);
    expect(paid).toBe(B_BAL);
    expect(w.st.channel(w.id)!.payoutB).toBe(B_BAL);
  });
});

describe('a claim moves the root: the payer disputes to erase a registration made against the older root', () => {
  // State 3 holds the lock at root at(0). In state 4 B claimed C units into its balance (root at(C),
  // maxUnits N - C); in state 5, C2 more. B registered D against at(0) before the expiry, then the
  // payer disputes with the newer states after the expiry, when B can no longer register against at(C).
  const C = 20;
  const C2 = 10;
  const D = 60;
  const s = (w: World, seq: bigint, claimed: number, at: (k: number) => Uint8Array, over: Partial<HashchainLock> = {}) =>
    bothSign(state(w.id, seq, A_BAL, B_BAL + UNIT * BigInt(claimed), { locks: [lockOf(at, { root: at(claimed), maxUnits: N - claimed, ...over })] }), w.a, w.b);

  it('one dispute after the expiry: the old root\'s registration still counts, as D - claimed units', () => {
    const { w, at } = setup();
    register(w, w.b, at(0), D, at(D), 10);
    closing(w, w.b, 3n, A_BAL, B_BAL, 60, [lockOf(at)]);
    accept(w, signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: s(w, 4n, C, at) }), ctx(69)); // last block
    expect(w.st.channel(w.id)!.anchors?.[1]).toEqual([{ root: at(0), offset: C }]);
    accept(w, signed(w.eve, nextNonce(w, w.eve), { kind: 'settle', channelId: w.id }), ctx(70));
    expect(w.st.channel(w.id)!.payoutB).toBe(B_BAL + UNIT * BigInt(D));
  });

  it('two disputes: anchors compose (D - C - C2 units against the newest root)', () => {
    const { w, at } = setup();
    register(w, w.b, at(0), D, at(D), 10);
    closing(w, w.b, 3n, A_BAL, B_BAL, 60, [lockOf(at)]);
    accept(w, signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: s(w, 4n, C, at) }), ctx(61));
    accept(w, signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: s(w, 5n, C + C2, at) }), ctx(62));
    expect(w.st.channel(w.id)!.anchors?.[1]).toEqual([{ root: at(0), offset: C + C2 }]); // at(C) has no entry: not kept
    accept(w, signed(w.eve, nextNonce(w, w.eve), { kind: 'settle', channelId: w.id }), ctx(71));
    // B closed two behind, so its balance (with the units it claimed) goes to A; the lock still pays what
    // B registered past its claims
    expect(w.st.channel(w.id)!.penalized).toBe('B');
    expect(w.st.channel(w.id)!.payoutB).toBe(UNIT * BigInt(D - C - C2));
  });

  it('a claim past the registration: the old registration is worth nothing more (the payee cannot be paid twice)', () => {
    const { w, at } = setup();
    register(w, w.b, at(0), D, at(D), 10);
    closing(w, w.b, 3n, A_BAL, B_BAL, 60, [lockOf(at)]);
    accept(w, signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: s(w, 4n, 80, at) }), ctx(61));
    accept(w, signed(w.eve, nextNonce(w, w.eve), { kind: 'settle', channelId: w.id }), ctx(70));
    expect(w.st.channel(w.id)!.payoutB).toBe(B_BAL + UNIT * 80n);
  });

  it('a lock added again under the same id (new expiry or unit) does not inherit the old chain\'s registration', () => {
    for (const over of [{ expiryHeight: EXPIRY + 100 }, { unit: UNIT * 2n }]) {
      const { w, at } = setup();
      register(w, w.b, at(0), D, at(D), 10);
      closing(w, w.b, 3n, A_BAL, B_BAL, 60, [lockOf(at)]);
      const fresh = chain();
      const lock = lockOf(fresh, { maxUnits: 40, ...over });
      const newer = bothSign(state(w.id, 4n, CAP - B_BAL - lock.unit * 40n, B_BAL, { locks: [lock] }), w.a, w.b);
      accept(w, signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: newer }), ctx(61));
      expect(w.st.channel(w.id)!.anchors).toBeUndefined();
      accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'settle', channelId: w.id }), ctx(70)); // the receiver: the new lock may expire later
      expect(w.st.channel(w.id)!.payoutB).toBe(B_BAL);
    }
  });

  it('a payer cannot grow the anchors with disputes: roots nobody registered are not kept', () => {
    const { w, at } = setup();
    closing(w, w.b, 3n, A_BAL, B_BAL, 60, [lockOf(at)]);
    for (let k = 1; k <= 20; k++) accept(w, signed(w.a, nextNonce(w, w.a), { kind: 'dispute', channelId: w.id, state: s(w, BigInt(3 + k), k, at) }), ctx(61));
    expect(w.st.channel(w.id)!.anchors).toBeUndefined();
  });
});

describe('reveals feed the registry: a hop upstream under the same root is paid by a reveal downstream', () => {
  it('a reveal on a lock with an expiry registers its depth for the root at the reveal\'s height', () => {
    const { w, at } = setup();
    closing(w, w.a, 3n, A_BAL, B_BAL, 5, [lockOf(at)]);
    accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'reveal', channelId: w.id, lockId: 1, preimage: at(40), depth: 40 }), ctx(7));
    expect(w.st.chain(at(0))).toEqual({ depth: 40, preimage: at(40), marks: [{ height: 7, depth: 40 }] });
  });

  it('a reveal on a legacy lock leaves the registry alone', () => {
    const { w, at } = setup();
    const { expiryHeight: _none, ...legacy } = lockOf(at);
    closing(w, w.a, 3n, A_BAL, B_BAL, 5, [legacy]);
    accept(w, signed(w.b, nextNonce(w, w.b), { kind: 'reveal', channelId: w.id, lockId: 1, preimage: at(40), depth: 40 }), ctx(7));
    expect(w.st.chain(at(0))).toBeUndefined();
  });
});

describe('free work and free storage: every refusal is cheap, every entry is paid for', () => {
  const deep = MAX_HASH_CHAIN_LENGTH;
  const table: [string, (w: World, root: Uint8Array) => Tx, TxErrorCode, number][] = [
    ['a wrong preimage a million deep', (w, root) => signed(w.eve, 0, { kind: 'registerChain', root, depth: deep, preimage: randomBytes(32) }), 'TOO_MUCH_WORK', 0],
    ['one past the per-request bound', (w, root) => signed(w.eve, 0, { kind: 'registerChain', root, depth: MAX_REVEAL_UNITS_PER_TX + 1, preimage: randomBytes(32) }), 'TOO_MUCH_WORK', 0],
    ['a depth past the longest chain', (w, root) => signed(w.eve, 0, { kind: 'registerChain', root, depth: deep + 1, preimage: randomBytes(32) }), 'BAD_PREIMAGE', 0],
    ['depth 0', (w, root) => signed(w.eve, 0, { kind: 'registerChain', root, depth: 0, preimage: root }), 'BAD_PREIMAGE', 0],
    ['a sender that cannot pay the fee', (_w, root) => signed(party(), 0, { kind: 'registerChain', root, depth: 5, preimage: randomBytes(32) }), 'INSUFFICIENT_FUNDS', 0],
    ['a stale nonce', (w, root) => signed(w.eve, 7, { kind: 'registerChain', root, depth: 5, preimage: randomBytes(32) }), 'BAD_NONCE', 0],
    ['a bad signature', (w, root) => ({ ...signed(w.eve, 0, { kind: 'registerChain', root, depth: 5, preimage: randomBytes(32) }), depth: 6 }), 'BAD_SIGNATURE', 0],
    ['the worst that is hashed: a wrong preimage at exactly the bound', (w, root) => signed(w.eve, 0, { kind: 'registerChain', root, depth: MAX_REVEAL_UNITS_PER_TX, preimage: randomBytes(32) }), 'BAD_PREIMAGE', MAX_REVEAL_UNITS_PER_TX],
  ];
  it.each(table)('%s: refused after at most the hashes it is allowed, nothing written', (_n, make, code, hashes) => {
    const w = world();
    const root = randomBytes(32);
    const work: WorkMeter = { hashes: 0 };
    const before = bal(w, w.eve);
    const r = applyTx(w.st, make(w, root), ctx(6, { work }));
    expect(r.ok ? 'accepted' : r.error.code).toBe(code);
    expect(work.hashes).toBe(hashes);
    expect(bal(w, w.eve)).toBe(before);
    expect(w.st.chain(root)).toBeUndefined();
  });

  it('a depth already registered is refused for free (ALREADY_REGISTERED), shallower or equal', () => {
    const { w, at } = setup();
    register(w, w.b, at(0), 30, at(30), 10);
    for (const depth of [30, 10]) {
      const work: WorkMeter = { hashes: 0 };
      const r = applyTx(w.st, signed(w.eve, nextNonce(w, w.eve), { kind: 'registerChain', root: at(0), depth, preimage: at(depth) }), ctx(11, { work }));
      expect(r.ok ? 'accepted' : r.error.code).toBe('ALREADY_REGISTERED');
      expect(work.hashes).toBe(0);
      w.nonce.set(w.eve, w.nonce.get(w.eve)! - 1);
    }
  });

  it('a deep registration goes in steps, each checked from the deepest registered, costing only its own units; one block leaves one mark', () => {
    const w = world();
    const seed = randomBytes(32);
    const n = 2 * MAX_REVEAL_UNITS_PER_TX + 500;
    const root = hashChain(seed, n);
    const work: WorkMeter = { hashes: 0 };
    const whole = applyTx(w.st, signed(w.b, 0, { kind: 'registerChain', root, depth: n, preimage: seed }), ctx(6, { work }));
    expect(whole.ok ? 'accepted' : whole.error.code).toBe('TOO_MUCH_WORK');
    const steps = revealSteps({ preimage: seed, depth: n, shownDepth: 0 });
    expect(steps.map((x) => x.depth)).toEqual([MAX_REVEAL_UNITS_PER_TX, 2 * MAX_REVEAL_UNITS_PER_TX, n]);
    const txs = steps.map((x) => signed(w.b, nextNonce(w, w.b), { kind: 'registerChain', root, depth: x.depth, preimage: x.preimage }));
    const r = buildBlock(w.st, txs, ctx(7, { work }));
    expect(r.rejected).toEqual([]);
    w.st.apply(r.writes);
    expect(work.hashes).toBe(n);
    expect(w.st.chain(root)!.marks).toEqual([{ height: 7, depth: n }]);
    expect(audit(w.st).ok).toBe(true);
  });

  it('each registration pays one fee from its sender, never from a channel', () => {
    const { w, at } = setup();
    const before = bal(w, w.eve);
    const fees = w.st.supply().fees;
    register(w, w.eve, at(0), 10, at(10), 8);
    register(w, w.eve, at(0), 20, at(20), 9);
    expect(bal(w, w.eve)).toBe(before - 2n * FEE);
    expect(w.st.supply().fees).toBe(fees + 2n * FEE);
    expect(w.st.channel(w.id)!.locked).toBe(CAP);
    expect(w.st.chain(at(0))!.marks).toHaveLength(2); // one mark per paid block that deepened the root
  });
});

describe('the registry\'s marks under random registrations', () => {
  it('blocks of registrations leave one mark per block that deepened the root, and the depth below any expiry is the brute-force answer', () => {
    const L = 400;
    const seed = randomBytes(32);
    const at = (k: number) => hashChain(seed, L - k);
    const root = at(0);
    const blocks = fc.array(fc.array(fc.integer({ min: 0, max: L }), { maxLength: 4 }), { minLength: 1, maxLength: 12 });
    fc.assert(fc.property(blocks, fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 8 }), (perBlock, expiries) => {
      const w = world({ open: false });
      const shown: { height: number; depth: number }[] = []; // every accepted registration, in order
      perBlock.forEach((depths, i) => {
        const height = 3 + i;
        let nonce = w.st.account(w.eve.pk).nonce;
        const txs = depths.map((d) => signed(w.eve, nonce++, { kind: 'registerChain', root, depth: d, preimage: at(d) }));
        // a refused registration leaves its nonce unused: the ones after it are refused too (BAD_NONCE)
        const r = buildBlock(w.st, txs, ctx(height));
        w.st.apply(r.writes);
        for (const a of r.applied) if (a.tx.kind === 'registerChain') shown.push({ height, depth: a.tx.depth });
        expect(audit(w.st).ok).toBe(true);
      });
      const marks: { height: number; depth: number }[] = [];
      for (const s of shown) {
        if (marks.length > 0 && marks[marks.length - 1]!.height === s.height) marks[marks.length - 1]!.depth = s.depth;
        else marks.push({ ...s });
      }
      const entry = w.st.chain(root);
      expect(entry?.marks ?? []).toEqual(marks);
      for (const e of expiries) {
        const brute = Math.max(0, ...shown.filter((s) => s.height < e).map((s) => s.depth));
        expect(registeredBefore(entry, e)).toBe(brute);
      }
    }), { numRuns: 40 });
  });
});
