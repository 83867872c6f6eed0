// The payer's schedule. A tick falls due for each full tickMs of time the stream was running AND the
// peer was reachable; paused or offline time never accrues, so it is never paid. The totals are
// absolute (ticksPaid, paid == owedAfter(ticksPaid)), so re-deriving what is due after a crash or a
// repeated call cannot pay a tick twice.
import { InputError } from '../util/errors.js';
import { checkCount, checkId, checkTime } from './check.js';
import { checkTerms, maxTicks, owedAfter, type StreamStatus, type StreamTerms } from './terms.js';

export interface PayerStream {
  id: string;
  terms: StreamTerms;
  status: StreamStatus;
  /** Time (ms) the stream was running while the peer was reachable, up to the last state change. */
  activeMs: number;
  /** Start of the current running period; undefined while paused, offline, stopped or finished. */
  resumedAt?: number;
  ticksPaid: number;
  paid: bigint;
  /** The peer is unreachable (absent = reachable). Kept apart from status, so a resume while offline does not restart the clock. */
  offline?: boolean;
}

export function startPayer(id: string, terms: StreamTerms, now: number): PayerStream {
  checkId(id);
  checkTerms(terms);
  checkTime(now);
  return { id, terms, status: 'active', activeMs: 0, resumedAt: now, ticksPaid: 0, paid: 0n };
}

/** Running time up to `now`. A clock that stepped backwards counts as no time, never as negative. */
export function activeAt(s: PayerStream, now: number): number {
  checkTime(now);
  return s.resumedAt === undefined ? s.activeMs : s.activeMs + Math.max(0, now - s.resumedAt);
}

/** Fold the current running period into activeMs and stop the clock. */
function halt(s: PayerStream, now: number): PayerStream {
  const { resumedAt: _dropped, ...rest } = s;
  return { ...rest, activeMs: activeAt(s, now) };
}

export function pausePayer(s: PayerStream, now: number): PayerStream {
  checkTime(now);
  if (s.status !== 'active') return s; // pausing twice (or a stopped stream) changes nothing
  return { ...halt(s, now), status: 'paused' };
}

export function resumePayer(s: PayerStream, now: number): PayerStream {
  checkTime(now);
  if (s.status !== 'paused') return s;
  const next: PayerStream = { ...s, status: 'active' };
  if (!s.offline) next.resumedAt = now; // offline: the clock restarts on goOnline
  return next;
}

export function stopPayer(s: PayerStream, now: number): PayerStream {
  checkTime(now);
  if (s.status === 'stopped' || s.status === 'finished') return s;
  return { ...halt(s, now), status: 'stopped' };
}

export function goOffline(s: PayerStream, now: number): PayerStream {
  checkTime(now);
  if (s.offline) return s;
  return { ...halt(s, now), offline: true };
}

export function goOnline(s: PayerStream, now: number): PayerStream {
  checkTime(now);
  if (!s.offline) return s;
  const { offline: _dropped, ...rest } = s;
  const next: PayerStream = { ...rest };
  if (s.status === 'active') next.resumedAt = now;
  return next;
}

/** Ticks completed by `now` (capped by the terms), paid or not. */
function ticksEarned(s: PayerStream, now: number): number {
  const earned = Math.floor(activeAt(s, now) / s.terms.tickMs);
  const end = maxTicks(s.terms);
  return end === undefined ? earned : Math.min(earned, end);
}

/**
 * Completed ticks not yet paid. Still counts after a pause or stop: time already used is owed
 * (a partial tick is not), so the shell settles it when it pauses or stops.
 */
export function ticksDue(s: PayerStream, now: number): number {
  return Math.max(0, ticksEarned(s, now) - s.ticksPaid);
}

/** Record that `n` more ticks were paid (the channel update carrying them is signed by both). */
export function recordTicks(s: PayerStream, n: number, now: number): PayerStream {
  checkCount(n, 'ticks');
  return recordTicksTo(s, s.ticksPaid + n, now);
}

/**
 * Absolute form of recordTicks: `total` ticks have been paid. Repeating it is harmless (a total at or
 * below ticksPaid changes nothing). Refuses totals past maxTicks. It does not refuse ticks ahead of
 * the time used: it books a payment already made, and refusing the truth would make ticksDue offer
 * those ticks again (a clock that steps back between paying and booking must not cause a double
 * payment). Deciding what to pay is ticksDue's job.
 */
export function recordTicksTo(s: PayerStream, total: number, now: number): PayerStream {
  checkCount(total, 'total ticks');
  checkTime(now);
  if (total <= s.ticksPaid) return s;
  const end = maxTicks(s.terms);
  if (end !== undefined && total > end) throw new InputError(`ticks: ${total} would pass the stream's ${end} ticks`);
  const next: PayerStream = { ...s, ticksPaid: total, paid: owedAfter(s.terms, total) };
  if (total === end && s.status !== 'stopped') return { ...halt(next, now), status: 'finished' };
  return next;
}

/**
 * When the next unpaid tick falls due, for the shell's timer; at or before `now` when ticks are
 * already due. Undefined while the clock is stopped (paused, offline, stopped, finished) or the
 * stream has paid all its ticks.
 */
export function nextTickAt(s: PayerStream): number | undefined {
  if (s.status !== 'active' || s.resumedAt === undefined) return undefined;
  const end = maxTicks(s.terms);
  if (end !== undefined && s.ticksPaid >= end) return undefined;
  const needMs = (s.ticksPaid + 1) * s.terms.tickMs - s.activeMs;
  return s.resumedAt + Math.max(0, needMs);
}
