// The forwarding argument of multihop.md §7.6 (S2) as a property of the ledger rules. On a line A–H–B
// both channels hold a hash-chain lock under the same root; H's lock to B expires before A's lock to H,
// and H's upstream unit is its downstream unit plus its per-unit fee. A gave H the chain to depth D and
// H gave B the same. Then whatever order and heights the two channels close in (unilaterally, by either
// side, the payer perhaps with the stale state before the lock and the other side disputing late in the
// window), H is paid D units by A and pays B exactly D units, so H ends with its fees and never out of
// pocket; B is paid exactly what reached it; audit holds after every block.
//
// Each side does only what its node would: B registers its depth before its lock's expiry (or, in the
// other mode, reveals it on H–B while H–B is closing, if that is before its lock's expiry, and registers
// it otherwise: a lock with an expiry pays only what was shown before it); H, which holds everything it
// forwarded, registers it once before A's lock expires (or when A–H closes) unless the registry already
// has it; a side whose peer closed with a stale state disputes with the newest in the window; an outsider
// settles each channel after its window and its lock's expiry (before it, only the lock's receiver may).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { hashChain } from '../../src/crypto/hash.js';
import { buildBlock } from '../../src/ledger/rules.js';
import { audit } from '../../src/ledger/audit.js';
import { MemoryState } from '../../src/ledger/view.js';
import type { Tx } from '../../src/ledger/types.js';
import type { HashchainLock, SignedState } from '../../src/channel/state.js';
import { bothSign, ctx, faucetTx, party, signed, state, type Party } from '../helpers/ledger-fixture.js';

const CAP = 1_000_000_000n;
const WINDOW = 10;
const A = party();
const H = party();
const B = party();
const EVE = party();

interface ChannelPlan {
  closeAt: number;
  byPayer: boolean;
  stale: boolean; // the payer closes with state 0, before the lock existed
  disputeDelay: number; // blocks after the close at which the other side disputes a stale close
  settleDelay: number; // blocks after the deadline at which someone settles
}

const channelPlan = fc.record({
  closeAt: fc.integer({ min: 3, max: 150 }),
  byPayer: fc.boolean(),
  stale: fc.boolean(),
  disputeDelay: fc.integer({ min: 0, max: WINDOW - 1 }),
  settleDelay: fc.integer({ min: 0, max: 30 }),
});

const scenario = fc.record({
  maxUnits: fc.integer({ min: 1, max: 60 }),
  depthShare: fc.double({ min: 0, max: 1, noNaN: true }),
  unitOut: fc.bigInt({ min: 1n, max: 5_000n }),
  feePerUnit: fc.bigInt({ min: 0n, max: 500n }),
  expiryB: fc.integer({ min: 20, max: 80 }),
  expiryGap: fc.integer({ min: 1, max: 40 }),
  registerAt: fc.double({ min: 0, max: 1, noNaN: true }),
  bReveals: fc.boolean(), // B only reveals on H–B (never registers)
  revealDelay: fc.integer({ min: 0, max: WINDOW - 1 }),
  ah: channelPlan,
  hb: channelPlan,
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

interface Line {
  id: Uint8Array;
  payer: Party;
  payee: Party;
  s0: SignedState;
  s1: SignedState;
  lock: HashchainLock;
}

function line(payer: Party, payee: Party, lock: HashchainLock): Line {
  const id = randomBytes(32);
  const locked = lock.unit * BigInt(lock.maxUnits);
  return {
    id, payer, payee, lock,
    s0: bothSign(state(id, 0n, CAP, 0n), payer, payee),
    s1: bothSign(state(id, 1n, CAP - locked, 0n, { locks: [lock] }), payer, payee),
  };
}

function run(sc: Scenario) {
  const N = sc.maxUnits;
  const D = Math.floor(sc.depthShare * (N + 1)) % (N + 1); // what A gave H and H gave B
  const seed = randomBytes(32);
  const at = (k: number) => hashChain(seed, N - k);
  const root = at(0);
  const expiryA = sc.expiryB + sc.expiryGap;
  const unitIn = sc.unitOut + sc.feePerUnit;
  const ah = line(A, H, { kind: 'hashchain', id: 2, from: 'A', root, unit: unitIn, maxUnits: N, expiryHeight: expiryA });
  const hb = line(H, B, { kind: 'hashchain', id: 4, from: 'A', root, unit: sc.unitOut, maxUnits: N, expiryHeight: sc.expiryB });

  const st = new MemoryState();
  const setup = buildBlock(st, [faucetTx(A.pk, 2n * CAP), faucetTx(H.pk, 2n * CAP), faucetTx(B.pk, CAP), faucetTx(EVE.pk, CAP)], ctx(1));
  st.apply(setup.writes);
  let pending: Tx[] = [];
  const nonceOf = (p: Party) => st.account(p.pk).nonce + pending.filter((t) => t.kind !== 'faucet' && t.from === p.pk).length;
  const send = (p: Party, body: Parameters<typeof signed>[2]) => pending.push(signed(p, nonceOf(p), body));
  send(A, { kind: 'open', channelId: ah.id, peer: H.pk, capacity: CAP, state: ah.s0 });
  send(H, { kind: 'open', channelId: hb.id, peer: B.pk, capacity: CAP, state: hb.s0 });
  const opened = buildBlock(st, pending, ctx(2));
  expect(opened.rejected).toEqual([]);
  st.apply(opened.writes);
  pending = [];

  const plans: [Line, ChannelPlan][] = [[ah, sc.ah], [hb, sc.hb]];
  const bRegisterAt = 3 + Math.floor(sc.registerAt * (sc.expiryB - 3)); // below B's expiry
  const registered = () => st.chain(root)?.depth ?? 0;
  let hRegistered = false;
  let bRegistered = false;
  const last = 150 + WINDOW + 30 + 1;
  for (let h = 3; h <= last; h++) {
    pending = [];
    // closes, and the other side's dispute of a stale close
    for (const [l, p] of plans) {
      const stale = p.byPayer && p.stale;
      if (h === p.closeAt) send(p.byPayer ? l.payer : l.payee, { kind: 'forceClose', channelId: l.id, state: stale ? l.s0 : l.s1 });
      if (stale && h === p.closeAt + p.disputeDelay) send(l.payee, { kind: 'dispute', channelId: l.id, state: l.s1 });
    }
    const pendingDepth = () => Math.max(registered(), ...pending.filter((t) => t.kind === 'registerChain').map((t) => (t.kind === 'registerChain' ? t.depth : 0)));
    // H registers what it forwarded once: when A–H closes, or two blocks before A's lock expires
    if (D > 0 && !hRegistered && (h === sc.ah.closeAt + 1 || h === expiryA - 2)) {
      hRegistered = true;
      if (pendingDepth() < D) send(H, { kind: 'registerChain', root, depth: D, preimage: at(D) });
    }
    const hbStale = sc.hb.byPayer && sc.hb.stale;
    const revealAt = sc.hb.closeAt + Math.max(sc.revealDelay, hbStale ? sc.hb.disputeDelay : 0);
    const bReveals = sc.bReveals && revealAt < sc.expiryB;
    // B registers before its expiry (at once if H–B closes first), or only reveals on H–B
    if (D > 0 && !bReveals && !bRegistered && (h === bRegisterAt || h === sc.hb.closeAt + 1) && h < sc.expiryB) {
      bRegistered = true;
      if (pendingDepth() < D) send(B, { kind: 'registerChain', root, depth: D, preimage: at(D) });
    }
    if (D > 0 && bReveals && h === revealAt) send(B, { kind: 'reveal', channelId: hb.id, lockId: hb.lock.id, preimage: at(D), depth: D });
    for (const [l, p] of plans) if (h === Math.max(p.closeAt + WINDOW, l.lock.expiryHeight!) + p.settleDelay) send(EVE, { kind: 'settle', channelId: l.id });
    const r = buildBlock(st, pending, ctx(h, { disputeBlocks: WINDOW }));
    expect(r.rejected.map((x) => `${x.tx.kind}: ${x.error.code} ${x.error.message}`)).toEqual([]);
    st.apply(r.writes);
    expect(audit(st).ok).toBe(true);
  }
  const ahDone = st.channel(ah.id)!;
  const hbDone = st.channel(hb.id)!;
  expect([ahDone.status, hbDone.status]).toEqual(['closed', 'closed']);
  const toH = ahDone.payoutB!; // H holds nothing on A–H but what the lock pays it
  const toB = hbDone.payoutB!;
  expect(toB).toBe(sc.unitOut * BigInt(D)); // B: exactly what reached it
  expect(toH).toBe(unitIn * BigInt(D)); // H: paid upstream for every unit it forwarded
  expect(toH - toB).toBe(sc.feePerUnit * BigInt(D)); // never out of pocket: its fee per unit, no more, no less
  expect(ahDone.payoutA! + toH).toBe(CAP);
  expect(hbDone.payoutA! + toB).toBe(CAP);
}

describe('forwarding a hash-chain stream over A–H–B (multihop.md §7.6, S2)', () => {
  it('whatever the close order and heights, H is paid D units upstream and pays B D units downstream', () => {
    fc.assert(fc.property(scenario, (sc) => run(sc)), { numRuns: 60 });
  }, 120_000);

  it('the cases a random run may miss: each channel closed first, late, stale and disputed at the last block', () => {
    const base: Scenario = {
      maxUnits: 40, depthShare: 0.6, unitOut: 1000n, feePerUnit: 10n, expiryB: 30, expiryGap: 10, registerAt: 0.5,
      bReveals: false, revealDelay: 0,
      ah: { closeAt: 3, byPayer: true, stale: true, disputeDelay: WINDOW - 1, settleDelay: 0 },
      hb: { closeAt: 100, byPayer: false, stale: false, disputeDelay: 0, settleDelay: 0 },
    };
    run(base); // A–H closes first, stale, before anything is registered; H disputes at the last block
    run({ ...base, ah: { ...base.ah, closeAt: 120 }, hb: { ...base.hb, closeAt: 3, byPayer: true, stale: true, disputeDelay: WINDOW - 1 } }); // H–B first
    run({ ...base, bReveals: true, revealDelay: WINDOW - 1, hb: { ...base.hb, closeAt: 140 } }); // H–B closes long after both expiries: too late to reveal, B registered
    run({ ...base, bReveals: true, revealDelay: WINDOW - 1, hb: { ...base.hb, closeAt: 15 } }); // B reveals on H–B, below its expiry
    run({ ...base, depthShare: 0 }); // nothing forwarded: nobody is paid anything
    run({ ...base, depthShare: 0.999 }); // the whole budget
  }, 60_000);
});
