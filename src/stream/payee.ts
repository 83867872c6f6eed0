// The payee's meter: accepts a payment only if it is exactly what the terms say for the ticks it
// claims, so a payer can neither underpay a tick nor claim ticks past the end of the stream. Totals
// are absolute (ticks, paid == owedAfter(ticks)), like the payer's, so the two sides agree to the msat.
import { checkAmount, checkId, checkTime } from './check.js';
import { checkTerms, maxTicks, owedAfter, type StreamStatus, type StreamTerms } from './terms.js';
import type { Result } from '../util/result.js';

export interface PayeeMeter {
  id: string;
  terms: StreamTerms;
  ticks: number;
  paid: bigint;
  startedAt: number;
  lastTickAt?: number;
  /** Set only by checkLate, so that it alone reports the late/on-time transitions. */
  late: boolean;
  status: StreamStatus;
  /** Last resume; lateness is measured from here too, since paused time is not billed. */
  resumedAt?: number;
}

export type MeterErrorReason = 'underpaid' | 'overpaid' | 'too-many-ticks' | 'bad-ticks' | 'stale' | 'not-running';

export type MeterResult = Result<{ meter: PayeeMeter }, MeterError>;

export interface MeterError {
  reason: MeterErrorReason;
  message: string;
}

export function startMeter(id: string, terms: StreamTerms, now: number): PayeeMeter {
  checkId(id);
  checkTerms(terms);
  checkTime(now);
  return { id, terms, ticks: 0, paid: 0n, startedAt: now, late: false, status: 'active' };
}

/**
 * A payment of `amount` for `ticks` more ticks. Accepted while active or paused (a payer settles the
 * ticks it used before pausing); refused once stopped or finished.
 */
export function meterTick(m: PayeeMeter, amount: bigint, ticks: number, now: number): MeterResult {
  checkAmount(amount, 'amount');
  checkTime(now);
  if (!Number.isSafeInteger(ticks) || ticks < 1) return fail('bad-ticks', `ticks must be a whole number >= 1, got ${String(ticks)}`);
  return meterTickTo(m, amount, m.ticks + ticks, now);
}

/**
 * Absolute form (what the streamPay op carries): the payer has now paid for `totalTicks` in all, and
 * `amount` is this payment. A replayed or reordered payment (totalTicks <= ticks) is 'stale', so a
 * tick is never counted twice.
 */
export function meterTickTo(m: PayeeMeter, amount: bigint, totalTicks: number, now: number, opts: { gap?: boolean } = {}): MeterResult {
  checkAmount(amount, 'amount');
  checkTime(now);
  if (m.status === 'stopped' || m.status === 'finished') return fail('not-running', `stream ${m.id} is ${m.status}`);
  if (!Number.isSafeInteger(totalTicks) || totalTicks < 0) return fail('bad-ticks', `total ticks must be a whole number, got ${String(totalTicks)}`);
  if (totalTicks <= m.ticks) return fail('stale', `already paid for ${m.ticks} ticks, this payment says ${totalTicks}`);
  const end = maxTicks(m.terms);
  if (end !== undefined && totalTicks > end) return fail('too-many-ticks', `${totalTicks} ticks would pass the stream's ${end}`);
  const expected = owedAfter(m.terms, totalTicks) - owedAfter(m.terms, m.ticks);
  const what = `${totalTicks - m.ticks} ticks cost ${expected} msat, got ${amount}`;
  // `gap`: payments may have landed while this meter was not stored (a restart), so a short payment may
  // be the rest of ones we missed. It is taken, but only its amount is counted: `paid` is always the
  // sum of money that moved, never the payer's claim.
  if (amount < expected && !opts.gap) return fail('underpaid', what);
  if (amount > expected) return fail('overpaid', what);
  const meter: PayeeMeter = { ...m, ticks: totalTicks, paid: m.paid + amount, lastTickAt: now };
  if (totalTicks === end) meter.status = 'finished';
  return { ok: true, meter };
}

function fail(reason: MeterErrorReason, message: string): MeterResult {
  return { ok: false, error: { reason, message } };
}

export function pauseMeter(m: PayeeMeter, now: number): PayeeMeter {
  checkTime(now);
  return m.status === 'active' ? { ...m, status: 'paused' } : m;
}

export function resumeMeter(m: PayeeMeter, now: number): PayeeMeter {
  checkTime(now);
  return m.status === 'paused' ? { ...m, status: 'active', resumedAt: now } : m;
}

export function stopMeter(m: PayeeMeter, now: number): PayeeMeter {
  checkTime(now);
  return m.status === 'active' || m.status === 'paused' ? { ...m, status: 'stopped' } : m;
}

/**
 * Late when, while active, no tick arrived for tickMs + graceMs (since the last tick, start or
 * resume). The shell pauses the meter while the payer is unreachable, since its clock stops too.
 */
export function checkLate(m: PayeeMeter, now: number, graceMs: number): { meter: PayeeMeter; becameLate: boolean; becameOnTime: boolean } {
  checkTime(now);
  checkTime(graceMs, 'graceMs');
  const since = Math.max(m.lastTickAt ?? m.startedAt, m.resumedAt ?? m.startedAt);
  const late = m.status === 'active' && now - since > m.terms.tickMs + graceMs;
  const meter = late === m.late ? m : { ...m, late };
  return { meter, becameLate: late && !m.late, becameOnTime: !late && m.late };
}

/** msat per second paid since the start, for display (0 before any time has passed). */
export function observedRate(m: PayeeMeter, now: number): bigint {
  checkTime(now);
  const elapsed = Math.floor(now - m.startedAt);
  return elapsed <= 0 ? 0n : (m.paid * 1000n) / BigInt(elapsed);
}
