// Applying a proposer's operations to the latest both-signed state. Both sides run this same pure
// function: the proposer to build the state it signs, the receiver to check that the state it is asked
// to sign is exactly what the operations say — a peer can never slip in a balance it was not given.
//
// Direction rules (P = proposer, R = receiver):
//   pay, streamPay    P -> R
//   addHtlc           lock from P
//   fulfillHtlc       lock from R, P shows the preimage, P gets the amount
//   failHtlc          lock from R, P gives it back to R
//   failMalformedHtlc lock from R, P gives it back to R (P could not read its onion: a BADONION code)
//   addHashchain      lock from P (a streaming budget)
//   claimHashchain    lock from R, P shows x at depth k: P gets k units, the lock's root becomes x
//   releaseHashchain  lock from R, P gives the unclaimed remainder back to R
//   close             marks the state closing; needs no locks; nothing may follow it
//
// An addHtlc's onion and a failHtlc's reason do not reach the state: a lock holds amount, hash and
// expiry only, so the signed state (and the ledger's view of it) is the same whatever they carry.
import { equalBytes } from '../crypto/bytes.js';
import { MAX_HASH_CHAIN_LENGTH, hashChain, sha256 } from '../crypto/hash.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import { assertNever } from '../wire/assert-never.js';
import { BADONION } from '../onion/failure-codes.js';
import { MAX_LOCKS, balanceOf, checkInvariant, lockAmount, otherSide, type ChannelState, type Lock, type Side } from './state.js';
import type { Result } from '../util/result.js';


/** What a node accepts from its peer (and holds itself to). */
export interface ChannelLimits {
  /** Each side keeps this much once it has reached it. */
  reserve: bigint;
  /** Most locks one side may have open. */
  maxLocks: number;
  /** Most value one side may have locked at once. */
  maxInFlight: bigint;
}

export function defaultLimits(capacity: bigint): ChannelLimits {
  return { reserve: capacity / 100n, maxLocks: 30, maxInFlight: capacity };
}

/** Refused: which op (its index in the update) and why. */
export interface OpsError {
  index: number;
  reason: string;
}
export type OpsResult = Result<{ state: ChannelState }, OpsError>;

/** Lock ids are allocated from disjoint spaces (A even, B odd) so concurrent proposals never collide. */
export function lockIdSide(id: number): Side {
  return id % 2 === 0 ? 'A' : 'B';
}

function applyOne(s: ChannelState, op: ChannelOp, p: Side): ChannelState | string {
  const r = otherSide(p);
  const bal = { A: s.balanceA, B: s.balanceB };
  let locks = s.locks;
  if (s.closing) return 'the state is already closing';
  switch (op.op) {
    case 'pay':
    case 'streamPay': {
      // a stream payment moves money exactly like a payment; the stream id and tick count are the
      // payee's to meter, not the channel's to check
      if (op.amount <= 0n) return 'payment amount must be positive';
      if (bal[p] < op.amount) return `insufficient balance: ${bal[p]} msat < ${op.amount} msat`;
      bal[p] -= op.amount;
      bal[r] += op.amount;
      break;
    }
    case 'addHtlc':
    case 'addHashchain': {
      if (lockIdSide(op.id) !== p) return `lock id ${op.id} is not in the proposer's id space`;
      if (locks.some((l) => l.id === op.id)) return `lock id ${op.id} is already in use`;
      const lock: Lock = op.op === 'addHtlc'
        ? { kind: 'htlc', id: op.id, from: p, amount: op.amount, paymentHash: op.paymentHash, expiryHeight: op.expiryHeight }
        : { kind: 'hashchain', id: op.id, from: p, root: op.root, unit: op.unit, maxUnits: op.maxUnits, ...(op.expiryHeight === undefined ? {} : { expiryHeight: op.expiryHeight }) };
      if (lock.kind === 'hashchain' && (op.op !== 'addHashchain' || op.maxUnits < 1 || op.maxUnits > MAX_HASH_CHAIN_LENGTH || op.unit <= 0n)) {
        return `hash-chain lock needs 1..${MAX_HASH_CHAIN_LENGTH} units of a positive amount`;
      }
      const amount = lockAmount(lock);
      if (amount <= 0n) return 'lock amount must be positive';
      if (bal[p] < amount) return `insufficient balance for lock: ${bal[p]} msat < ${amount} msat`;
      bal[p] -= amount;
      locks = [...locks, lock];
      break;
    }
    case 'fulfillHtlc':
    case 'failHtlc':
    case 'failMalformedHtlc': {
      // BOLT 2: update_fail_malformed_htlc is only for an onion the proposer could not read
      if (op.op === 'failMalformedHtlc' && (op.failureCode & BADONION) === 0) {
        return `malformed-onion failure code 0x${op.failureCode.toString(16).padStart(4, '0')} lacks the BADONION bit`;
      }
      const lock = locks.find((l) => l.id === op.id);
      if (!lock || lock.kind !== 'htlc') return `no HTLC ${op.id}`;
      if (lock.from !== r) return `HTLC ${op.id} was not offered to the proposer`;
      if (op.op === 'fulfillHtlc') {
        if (!equalBytes(sha256(op.preimage), lock.paymentHash)) return `wrong preimage for HTLC ${op.id}`;
        bal[p] += lock.amount;
      } else {
        bal[r] += lock.amount;
      }
      locks = locks.filter((l) => l.id !== op.id);
      break;
    }
    case 'claimHashchain': {
      const lock = locks.find((l) => l.id === op.id);
      if (!lock || lock.kind !== 'hashchain') return `no hash-chain lock ${op.id}`;
      if (lock.from !== r) return `hash-chain lock ${op.id} does not pay the proposer`;
      if (op.depth < 1 || op.depth > lock.maxUnits) return `depth ${op.depth} is outside 1..${lock.maxUnits}`;
      if (!equalBytes(hashChain(op.preimage, op.depth), lock.root)) return `preimage does not hash to the root in ${op.depth} steps`;
      bal[p] += lock.unit * BigInt(op.depth);
      const left = lock.maxUnits - op.depth;
      locks = left === 0
        ? locks.filter((l) => l.id !== op.id)
        : locks.map((l) => (l.id === op.id ? { ...lock, root: op.preimage, maxUnits: left } : l));
      break;
    }
    case 'releaseHashchain': {
      const lock = locks.find((l) => l.id === op.id);
      if (!lock || lock.kind !== 'hashchain') return `no hash-chain lock ${op.id}`;
      if (lock.from !== r) return `hash-chain lock ${op.id} does not pay the proposer`;
      bal[r] += lockAmount(lock);
      locks = locks.filter((l) => l.id !== op.id);
      break;
    }
    case 'close': {
      if (locks.length > 0) return 'cannot close with locks open';
      return { ...s, closing: true };
    }
    default:
      return assertNever(op);
  }
  return { ...s, balanceA: bal.A, balanceB: bal.B, locks };
}

/**
 * The state `seq + 1` that `ops`, proposed by side `p`, make from `base`, checked against the capacity
 * invariant and the limits (reserve, locks, in-flight value).
 */
export function applyOps(base: ChannelState, ops: readonly ChannelOp[], p: Side, capacity: bigint, limits: ChannelLimits): OpsResult {
  return extendOps(base, base, ops, p, capacity, limits);
}

/**
 * Like applyOps, but continuing from `running` (the result of earlier ops on `base` in the same update),
 * so a proposer can add queued entries one at a time without re-applying what it already took.
 */
export function extendOps(
  base: ChannelState, running: ChannelState, ops: readonly ChannelOp[], p: Side, capacity: bigint, limits: ChannelLimits,
): OpsResult {
  if (base.closing) return { ok: false, error: { index: 0, reason: 'the channel is closing' } };
  let s: ChannelState = running;
  for (let i = 0; i < ops.length; i++) {
    const next = applyOne(s, ops[i]!, p);
    if (typeof next === 'string') return { ok: false, error: { index: i, reason: next } };
    s = next;
  }
  s = { ...s, seq: base.seq + 1n };
  const bad = checkInvariant(s, capacity) ?? checkLimits(base, s, limits);
  return bad ? { ok: false, error: { index: ops.length - 1, reason: bad } } : { ok: true, state: s };
}

function checkLimits(before: ChannelState, after: ChannelState, limits: ChannelLimits): string | null {
  if (after.locks.length > MAX_LOCKS) return `more than ${MAX_LOCKS} locks`;
  for (const side of ['A', 'B'] as const) {
    const was = balanceOf(before, side);
    const now = balanceOf(after, side);
    // A side that pays may not drop below its reserve; one that has not reached it yet may not pay at all.
    if (now < was && now < limits.reserve) return `side ${side} would go below its reserve of ${limits.reserve} msat`;
    const mine = after.locks.filter((l) => l.from === side);
    if (mine.length > limits.maxLocks && mine.length > before.locks.filter((l) => l.from === side).length) {
      return `side ${side} would have more than ${limits.maxLocks} locks`;
    }
    const inFlight = mine.reduce((sum, l) => sum + lockAmount(l), 0n);
    if (inFlight > limits.maxInFlight) return `side ${side} would have more than ${limits.maxInFlight} msat in flight`;
  }
  return null;
}
