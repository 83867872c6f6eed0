// What every ledger rule shares: the block context, the result type, and the one way a transaction pays
// its fee (from its sender's own account, never from a channel's funds). Pure: no I/O, no clock.
import { toHex } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import type { Msat } from '../money.js';
import type { Account, LedgerEvent, LedgerParams, SignedTxBody, TxError, TxErrorCode } from './types.js';
import type { LedgerView, Write } from './view.js';
import type { Result } from '../util/result.js';

/** Work a rule did for one transaction, counted by the caller that owns it (tests, the chain's metrics). */
export interface WorkMeter {
  /** sha256 calls spent checking hash-chain reveals. */
  hashes: number;
}

export interface TxContext extends LedgerParams {
  /** Height of the block this transaction goes into. */
  height: number;
  /**
   * The transaction's index among those applied in the block so far (buildBlock sets it). Absent when a
   * transaction is only being checked for the mempool, where its place in the block is not known yet.
   */
  txIndex?: number;
  /** Optional: the rules add the work they do to it. */
  work?: WorkMeter;
}

export type ApplyResult = Result<{ writes: Write[]; events: LedgerEvent[] }, TxError>;

export const reject = (code: TxErrorCode, message: string): ApplyResult => ({ ok: false, error: { code, message } });

/** Collects account changes so that a sender who is also a payee gets one consistent record. */
export class AccountEdits {
  private readonly edits = new Map<string, { id: Uint8Array; acct: Account }>();
  constructor(private readonly view: LedgerView) {}
  get(id: Uint8Array): Account {
    const key = toHex(id);
    let e = this.edits.get(key);
    if (!e) {
      e = { id, acct: { ...this.view.account(id) } };
      this.edits.set(key, e);
    }
    return e.acct;
  }
  writes(): Write[] {
    return [...this.edits.values()].map((e) => ({ kind: 'account', id: e.id, value: e.acct }));
  }
}

/**
 * The sender pays `amount + fee` from its own account; returns the edits with its nonce bumped, or a
 * rejection. This is the only place a fee is paid: what a transaction costs falls on who sent it, so
 * no transaction can take its fee out of another party's channel payout.
 */
export function debitSender(view: LedgerView, tx: SignedTxBody, amount: Msat, ctx: TxContext): AccountEdits | ApplyResult {
  const acct = view.account(tx.from);
  const need = amount + ctx.fee;
  if (acct.balance < need) {
    return reject('INSUFFICIENT_FUNDS', `balance ${acct.balance} msat is short of ${need} msat (amount ${amount} + fee ${ctx.fee})`);
  }
  const edits = new AccountEdits(view);
  const a = edits.get(tx.from);
  a.balance -= need;
  a.nonce += 1;
  return edits;
}

export function isRejection(r: AccountEdits | ApplyResult): r is ApplyResult {
  return !(r instanceof AccountEdits);
}

export function feeWrite(view: LedgerView, fee: Msat): Write {
  const s = view.supply();
  return { kind: 'supply', value: { ...s, fees: s.fees + fee } };
}

/**
 * A reveal may claim at most this many units past the deepest depth already shown for its lock: checking
 * it costs one sha256 per unit (about 1.2 µs each, so at most ~12 ms), and a refused reveal pays nothing,
 * so this bounds the free work one request can ask of the ledger. Deeper claims go in steps, each a paid
 * transaction checked from the step before (the node does this itself: src/ledger/reveal-steps.ts). A chain
 * registration (chain-registry.ts) is bounded the same way.
 */
export const MAX_REVEAL_UNITS_PER_TX = 10_000;

/** sha256 applied `n` times, each call counted on the meter. */
export function countedChain(x: Uint8Array, n: number, work: WorkMeter | undefined): Uint8Array {
  let h = x;
  for (let i = 0; i < n; i++) h = sha256(h);
  if (work) work.hashes += n;
  return h;
}

