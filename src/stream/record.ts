// A stream as each side keeps it: one record, one status. The payer's money is absolute totals with a
// hold (ILP STREAM): `ticksPaid` is committed (in a stored channel state), `held` is the one payment in
// flight (proposed, not yet known to be stored by both); the payee owns its meter and, in hash-chain
// mode, its chain (how deep the payer has revealed). Plain data: the shell stores it as it is.
import { owedAfter, type StreamTerms } from './terms.js';
import type { PayerStream } from './payer.js';
import type { PayeeMeter } from './payee.js';
import type { RoutedPayee, RoutedPayer } from './batch.js';
import type { HopChainPayee, HopChainPayer } from './hop-chain.js';

export type StreamStatus = 'opening' | 'active' | 'paused' | 'stopped' | 'finished' | 'rejected';
export type StreamRole = 'payer' | 'payee';

interface StreamCommon {
  id: string;
  peerId: string;
  channelId: string;
  terms: StreamTerms;
  status: StreamStatus;
  startedAt: number;
  reason?: string;
  /** When it stopped or finished (ms): a peer that was away then is told again when it reconnects. */
  endedAt?: number;
}

/** A payer's hash chain: the seed is a secret (never logged or shown); the lock holds the budget. */
export interface PayerChain {
  seed: string;
  units: number;
  unit: bigint;
  lockId: number;
  /** The payee released the lock, and what it had not claimed was given back to the limits: never twice. */
  returned?: boolean;
}

export interface PayerRecord extends StreamCommon {
  role: 'payer';
  /** Running time while the peer was reachable, up to the last state change (ms). */
  activeMs: number;
  /** Start of the current running period; absent while stopped, paused or offline. */
  resumedAt?: number;
  offline?: boolean;
  /** Committed ticks (signed mode: in a stored channel state; hash-chain mode: revealed). */
  ticksPaid: number;
  /** Signed mode: the payment in flight, to `ticks` in all, and when its spend was held. */
  held?: { ticks: number; amount: bigint; at: number };
  /** Hash-chain mode: the chain and the lock that holds the budget. */
  chain?: PayerChain;
  /** Hash-chain mode: the whole budget's spend hold, until the lock is signed or refused. */
  budgetHold?: { amount: bigint; at: number };
  /** A stream across hops (no channel with the payee): each batch is a keysend HTLC (batch.ts). */
  routed?: RoutedPayer;
  /** A hash-chain stream across hops: our lock is on the channel with the first hop, our ticks go to it (hop-chain.ts). */
  hopChain?: HopChainPayer;
}

/** A payee's view of the payer's hash chain, measured from the first root (absolute depth). */
export interface PayeeChain {
  lockId: number;
  units: number;
  unit: bigint;
  revealedDepth: number;
  /** sha256^revealedDepth of this is the first root (hex). */
  revealedValue?: string;
}

export interface PayeeRecord extends StreamCommon {
  role: 'payee';
  /** The payer's absolute tick total of the last payment counted. */
  ticks: number;
  /** Money that moved to us for this stream in both-signed states (or was revealed), never a claim. */
  paid: bigint;
  lastTickAt?: number;
  resumedAt?: number;
  late: boolean;
  /** Signed mode: the channel seq of the last payment counted (decimal). */
  countedSeq?: string;
  chain?: PayeeChain;
  /** A stream across hops: it is paid by batch HTLCs, not streamPay ops (batch.ts). */
  routed?: RoutedPayee;
  /** A hash-chain stream across hops: backed by the lock under this root that the last hop adds (hop-chain.ts). */
  hopChain?: HopChainPayee;
}

export type StreamRecord = PayerRecord | PayeeRecord;

export const isEnded = (s: StreamStatus): boolean => s === 'stopped' || s === 'finished' || s === 'rejected';

/** What the payer has paid, counting the payment in flight (what a crash must never pay again). */
export function payerTicks(r: PayerRecord): number {
  return r.held ? Math.max(r.ticksPaid, r.held.ticks) : r.ticksPaid;
}

/** What the view shows as paid: a payer counts its payment in flight (it is stored with its proposal, as on disk). */
export function paidOf(r: StreamRecord): bigint {
  return r.role === 'payer' ? owedAfter(r.terms, payerTicks(r)) : r.paid;
}

export function ticksOf(r: StreamRecord): number {
  return r.role === 'payer' ? payerTicks(r) : r.ticks;
}

/** The record as the payer schedule (payer.ts) sees it. */
export function payerClock(r: PayerRecord): PayerStream {
  const status = r.status === 'paused' ? 'paused' : r.status === 'finished' ? 'finished' : r.status === 'active' ? 'active' : 'stopped';
  const p: PayerStream = { id: r.id, terms: r.terms, status, activeMs: r.activeMs, ticksPaid: r.ticksPaid, paid: owedAfter(r.terms, r.ticksPaid) };
  if (r.resumedAt !== undefined) p.resumedAt = r.resumedAt;
  if (r.offline) p.offline = true;
  return p;
}

/** Fold the schedule's clock back into the record (its status stays the record's own). */
export function withClock(r: PayerRecord, p: PayerStream): PayerRecord {
  const { resumedAt: _r, offline: _o, ...rest } = r;
  const next: PayerRecord = { ...rest, activeMs: p.activeMs, ticksPaid: p.ticksPaid };
  if (p.resumedAt !== undefined) next.resumedAt = p.resumedAt;
  if (p.offline) next.offline = true;
  return next;
}

/** The record as the meter (payee.ts) sees it. */
export function payeeMeter(r: PayeeRecord): PayeeMeter {
  const status = r.status === 'paused' ? 'paused' : r.status === 'finished' ? 'finished' : r.status === 'active' ? 'active' : 'stopped';
  const m: PayeeMeter = { id: r.id, terms: r.terms, ticks: r.ticks, paid: r.paid, startedAt: r.startedAt, late: r.late, status };
  if (r.lastTickAt !== undefined) m.lastTickAt = r.lastTickAt;
  if (r.resumedAt !== undefined) m.resumedAt = r.resumedAt;
  return m;
}
