// A ledger world for rule tests: three parties (A funded, B with a small account, eve an outsider), a
// channel A->B opened at height 2, and helpers that apply transactions and check the audit after each.
import { expect } from 'vitest';
import { applyTx, type TxContext } from '../../src/ledger/rules.js';
import { audit } from '../../src/ledger/audit.js';
import { MemoryState } from '../../src/ledger/view.js';
import type { Tx, TxErrorCode } from '../../src/ledger/types.js';
import type { Lock } from '../../src/channel/state.js';
import { bothSign, ctx, faucetTx, must, newChannelId, party, signed, state, type Party } from '../helpers/ledger-fixture.js';

export const FEE = 200_000n;
export const CAP = 1_000_000_000n; // 1M sat
/** B's own ledger account, from which it pays the fees of what it submits (a node keeps one for disputes). */
export const B_FUNDS = 10_000_000n;

export interface World {
  st: MemoryState;
  a: Party;
  b: Party;
  eve: Party;
  id: Uint8Array;
  nonce: Map<Party, number>;
}

export function nextNonce(w: World, p: Party): number {
  const n = w.nonce.get(p) ?? 0;
  w.nonce.set(p, n + 1);
  return n;
}

/** A funded, opened channel A->B with state 0 = (CAP - 100k sat pushed... ) kept simple: all to A. */
export function world(opts: { open?: boolean; push?: bigint } = {}): World {
  const st = new MemoryState();
  const a = party();
  const b = party();
  const eve = party();
  const w: World = { st, a, b, eve, id: newChannelId(), nonce: new Map() };
  must(st, faucetTx(a.pk, 5_000_000_000n), ctx(1));
  must(st, faucetTx(eve.pk, 1_000_000_000n), ctx(1));
  must(st, faucetTx(b.pk, B_FUNDS), ctx(1));
  if (opts.open ?? true) {
    const push = opts.push ?? 0n;
    const s0 = bothSign(state(w.id, 0n, CAP - push, push), a, b);
    must(st, signed(a, nextNonce(w, a), { kind: 'open', channelId: w.id, peer: b.pk, capacity: CAP, state: s0 }), ctx(2));
  }
  return w;
}

export function expectReject(w: World, tx: Tx, c: TxContext, code: TxErrorCode): void {
  const before = JSON.stringify([...w.st.accounts.entries()].map(([k, v]) => [k, String(v.balance), v.nonce]));
  const r = applyTx(w.st, tx, c);
  expect(r.ok ? 'accepted' : r.error.code).toBe(code);
  // a rejection returns no writes, so the state cannot have changed
  const after = JSON.stringify([...w.st.accounts.entries()].map(([k, v]) => [k, String(v.balance), v.nonce]));
  expect(after).toBe(before);
}

export function accept(w: World, tx: Tx, c: TxContext) {
  const r = applyTx(w.st, tx, c);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  w.st.apply(r.writes);
  expect(audit(w.st).ok).toBe(true);
  return r.events;
}

export const bal = (w: World, p: Party) => w.st.account(p.pk).balance;

export function closing(w: World, by: Party, seq: bigint, a: bigint, b: bigint, height = 5, locks: Lock[] = [], fee = FEE) {
  const s = bothSign(state(w.id, seq, a, b, { locks }), w.a, w.b);
  return accept(w, signed(by, nextNonce(w, by), { kind: 'forceClose', channelId: w.id, state: s }), ctx(height, { fee }));
}

