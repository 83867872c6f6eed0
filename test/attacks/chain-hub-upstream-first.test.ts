// Attack review of the chain registry (docs/ledger.md "The chain registry"): a payer A and a payee B who
// work together rob the hub H between them. On the line A–H–B both channels lock under one root; H's
// lock to B expires first (E_HB < E_AH), as a hub's duty says. H forwarded D units: A gave H the chain to
// depth D, H registered D. But A made the chain (it holds the seed), so A can hand B every preimage
// directly, past what went through H. H is safe only if whatever B can still be paid downstream is also
// paid to H upstream:
//   1. A closes A–H at once and settles at the window's end, long before E_HB; B then registers the whole
//      chain (below E_HB, so H–B pays it), and A–H, already settled, pays H only D;
//   2. A–H settles after E_AH; B keeps the lock on H–B open past both expiries, then closes it and reveals
//      the whole chain in its window: a reveal counted whenever it is made pays B, H can no longer be paid
//      for it upstream.
// What must hold (the HTLC rule, applied to hash-chain locks with an expiry): a lock pays only the depth
// registered before its expiry, or revealed on its channel at most a dispute window after it (a hub's
// downstream lock expires at least a window before its upstream one, so such a reveal is still a mark
// below the upstream expiry), and a channel whose state holds such a lock settles no earlier than the
// lock's expiry unless its receiver (whom the wait protects) settles.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { hashChain } from '../../src/crypto/hash.js';
import { buildBlock } from '../../src/ledger/rules.js';
import { audit } from '../../src/ledger/audit.js';
import { MemoryState } from '../../src/ledger/view.js';
import type { Tx, TxErrorCode } from '../../src/ledger/types.js';
import type { HashchainLock, SignedState } from '../../src/channel/state.js';
import { bothSign, ctx, faucetTx, party, signed, state, type Party } from '../helpers/ledger-fixture.js';

const CAP = 1_000_000_000n;
const WINDOW = 10;
const N = 100; // the budget's units, on both hops
const D = 10; // what went through H
const UNIT_OUT = 1000n; // H–B
const UNIT_IN = 1010n; // A–H: H's fee is 10 msat a unit
const E_HB = 60;
const E_AH = 80;

interface Hop {
  id: Uint8Array;
  payer: Party;
  payee: Party;
  s1: SignedState;
  lock: HashchainLock;
}

function setup() {
  const [A, H, B, EVE] = [party(), party(), party(), party()];
  const seed = randomBytes(32);
  const at = (k: number) => hashChain(seed, N - k);
  const hop = (payer: Party, payee: Party, unit: bigint, expiryHeight: number): Hop => {
    const id = randomBytes(32);
    const lock: HashchainLock = { kind: 'hashchain', id: 7, from: 'A', root: at(0), unit, maxUnits: N, expiryHeight };
    return { id, payer, payee, lock, s1: bothSign(state(id, 1n, CAP - unit * BigInt(N), 0n, { locks: [lock] }), payer, payee) };
  };
  const ah = hop(A, H, UNIT_IN, E_AH);
  const hb = hop(H, B, UNIT_OUT, E_HB);
  const st = new MemoryState();
  let height = 1;
  /** One block of these transactions; returns what was refused (kind:code). */
  const block = (...txs: [Party, Parameters<typeof signed>[2]][]): string[] => {
    const built = txs.map(([p, body], i) => signed(p, st.account(p.pk).nonce + txs.slice(0, i).filter(([q]) => q === p).length, body));
    const r = buildBlock(st, built, ctx(height, { disputeBlocks: WINDOW }));
    st.apply(r.writes);
    expect(audit(st).ok).toBe(true);
    height++;
    return r.rejected.map((x) => `${x.tx.kind}:${x.error.code as TxErrorCode}`);
  };
  const parties = [A, H, B, EVE];
  const fund: Tx[] = parties.map((p) => faucetTx(p.pk, 2n * CAP));
  st.apply(buildBlock(st, fund, ctx(height++)).writes);
  const opens = block(
    [A, { kind: 'open', channelId: ah.id, peer: H.pk, capacity: CAP, state: bothSign(state(ah.id, 0n, CAP, 0n), A, H) }],
    [H, { kind: 'open', channelId: hb.id, peer: B.pk, capacity: CAP, state: bothSign(state(hb.id, 0n, CAP, 0n), H, B) }],
  );
  expect(opens).toEqual([]);
  const until = (h: number) => {
    while (height < h) block();
  };
  const hubNet = () => st.channel(ah.id)!.payoutB! - st.channel(hb.id)!.payoutB!; // H holds only what the locks pay
  return { A, H, B, EVE, at, ah, hb, st, block, until, hubNet, height: () => height };
}

describe('the chain registry: a payer and payee together cannot make a hub pay downstream more than it is paid upstream', () => {
  it('A settles A–H before B registers (still below H–B\'s expiry): the settle waits for the lock\'s expiry, and H is paid every unit it pays B', () => {
    const w = setup();
    // H registers what it forwarded; A closes A–H with the lock at once
    expect(w.block([w.H, { kind: 'registerChain', root: w.at(0), depth: D, preimage: w.at(D) }], [w.A, { kind: 'forceClose', channelId: w.ah.id, state: w.ah.s1 }])).toEqual([]);
    w.until(w.height() + WINDOW);
    // at the window's end A (the lock's sender) settles: refused until the lock's expiry
    expect(w.block([w.A, { kind: 'settle', channelId: w.ah.id }])).toEqual(['settle:WINDOW_OPEN']);
    // A hands B the whole chain; B registers it below its own lock's expiry (10,000 units a step: one step)
    w.until(E_HB - 5);
    expect(w.block([w.B, { kind: 'registerChain', root: w.at(0), depth: N, preimage: w.at(N) }])).toEqual([]);
    // B closes H–B and settles: paid the whole budget by H
    expect(w.block([w.B, { kind: 'forceClose', channelId: w.hb.id, state: w.hb.s1 }])).toEqual([]);
    w.until(E_AH);
    expect(w.block([w.EVE, { kind: 'settle', channelId: w.hb.id }], [w.A, { kind: 'settle', channelId: w.ah.id }])).toEqual([]);
    expect(w.st.channel(w.hb.id)!.payoutB).toBe(UNIT_OUT * BigInt(N));
    expect(w.st.channel(w.ah.id)!.payoutB).toBe(UNIT_IN * BigInt(N));
    expect(w.hubNet()).toBe((UNIT_IN - UNIT_OUT) * BigInt(N));
  });

  it('the receiver may settle at the window\'s end (the wait is its protection): a direct stream\'s payee is not held up', () => {
    const w = setup();
    expect(w.block([w.H, { kind: 'forceClose', channelId: w.ah.id, state: w.ah.s1 }])).toEqual([]);
    expect(w.block([w.H, { kind: 'reveal', channelId: w.ah.id, lockId: 7, depth: D, preimage: w.at(D) }])).toEqual([]);
    w.until(w.height() + WINDOW - 1);
    expect(w.block([w.EVE, { kind: 'settle', channelId: w.ah.id }])).toEqual(['settle:WINDOW_OPEN']); // anyone else waits
    expect(w.block([w.H, { kind: 'settle', channelId: w.ah.id }])).toEqual([]);
    expect(w.st.channel(w.ah.id)!.payoutB).toBe(UNIT_IN * BigInt(D));
  });

  it('B keeps H–B open past both expiries, then closes and reveals the whole chain: the reveal comes too late to pay, H pays B only what went through it', () => {
    const w = setup();
    // H registered what it forwarded before A's expiry; A–H settles (after its expiry) paying H D units
    expect(w.block([w.H, { kind: 'registerChain', root: w.at(0), depth: D, preimage: w.at(D) }])).toEqual([]);
    expect(w.block([w.A, { kind: 'forceClose', channelId: w.ah.id, state: w.ah.s1 }])).toEqual([]);
    w.until(E_AH);
    expect(w.block([w.A, { kind: 'settle', channelId: w.ah.id }])).toEqual([]);
    expect(w.st.channel(w.ah.id)!.payoutB).toBe(UNIT_IN * BigInt(D));
    // long after: B closes H–B with the lock, and reveals depth N (A gave it the chain)
    w.until(E_AH + 20);
    expect(w.block([w.B, { kind: 'forceClose', channelId: w.hb.id, state: w.hb.s1 }])).toEqual([]);
    expect(w.block([w.B, { kind: 'reveal', channelId: w.hb.id, lockId: 7, depth: N, preimage: w.at(N) }])).toEqual(['reveal:WINDOW_CLOSED']); // past its expiry and a window
    w.until(w.height() + WINDOW);
    expect(w.block([w.EVE, { kind: 'settle', channelId: w.hb.id }])).toEqual([]);
    expect(w.st.channel(w.hb.id)!.payoutB).toBe(UNIT_OUT * BigInt(D));
    expect(w.hubNet()).toBe((UNIT_IN - UNIT_OUT) * BigInt(D));
  });

  it('a reveal below the lock\'s expiry still pays, and is a mark for the lock upstream', () => {
    const w = setup();
    expect(w.block([w.B, { kind: 'forceClose', channelId: w.hb.id, state: w.hb.s1 }])).toEqual([]);
    expect(w.block([w.B, { kind: 'reveal', channelId: w.hb.id, lockId: 7, depth: 30, preimage: w.at(30) }])).toEqual([]);
    w.until(w.height() + WINDOW);
    expect(w.block([w.B, { kind: 'settle', channelId: w.hb.id }])).toEqual([]);
    expect(w.block([w.A, { kind: 'forceClose', channelId: w.ah.id, state: w.ah.s1 }])).toEqual([]);
    w.until(E_AH);
    expect(w.block([w.EVE, { kind: 'settle', channelId: w.ah.id }])).toEqual([]);
    expect(w.hubNet()).toBe((UNIT_IN - UNIT_OUT) * 30n);
  });

  it('a reveal downstream in the window after its own expiry still pays B, and H upstream (its lock expires a window later)', () => {
    const w = setup();
    expect(w.block([w.A, { kind: 'forceClose', channelId: w.ah.id, state: w.ah.s1 }])).toEqual([]);
    w.until(E_HB); // B closes H–B at its lock's expiry, and reveals in the window's last block
    expect(w.block([w.B, { kind: 'forceClose', channelId: w.hb.id, state: w.hb.s1 }])).toEqual([]);
    w.until(E_HB + WINDOW - 1);
    expect(w.block([w.B, { kind: 'reveal', channelId: w.hb.id, lockId: 7, depth: 40, preimage: w.at(40) }])).toEqual([]);
    w.until(E_AH);
    expect(w.block([w.EVE, { kind: 'settle', channelId: w.hb.id }], [w.EVE, { kind: 'settle', channelId: w.ah.id }])).toEqual([]);
    expect(w.st.channel(w.hb.id)!.payoutB).toBe(UNIT_OUT * 40n);
    expect(w.hubNet()).toBe((UNIT_IN - UNIT_OUT) * 40n);
  });

  it('the payer disputes with a claim\'s state in the block before the expiry, ahead of the payee\'s reveal: the payee shows it again after the expiry, against the moved root', () => {
    const w = setup();
    const C = 20;
    const claimed: HashchainLock = { ...w.hb.lock, root: w.at(C), maxUnits: N - C };
    const s2 = bothSign(state(w.hb.id, 2n, CAP - UNIT_OUT * BigInt(N), UNIT_OUT * BigInt(C), { locks: [claimed] }), w.H, w.B);
    w.until(E_HB - 5);
    expect(w.block([w.H, { kind: 'forceClose', channelId: w.hb.id, state: w.hb.s1 }])).toEqual([]);
    w.until(E_HB - 1);
    // one block: H's dispute first, then B's reveal against the root it had: refused
    expect(w.block([w.H, { kind: 'dispute', channelId: w.hb.id, state: s2 }], [w.B, { kind: 'reveal', channelId: w.hb.id, lockId: 7, depth: 60, preimage: w.at(60) }])).toEqual(['reveal:BAD_PREIMAGE']);
    expect(w.block([w.B, { kind: 'reveal', channelId: w.hb.id, lockId: 7, depth: 60 - C, preimage: w.at(60) }])).toEqual([]); // at the expiry
    w.until(E_HB + WINDOW);
    expect(w.block([w.B, { kind: 'settle', channelId: w.hb.id }])).toEqual([]);
    expect(w.st.channel(w.hb.id)!.payoutB).toBe(UNIT_OUT * 60n);
  });
});
