import { describe, expect, it } from 'vitest';
import { parseRate } from '../../src/stream/rate.js';
import { makeTerms, type TermsOptions } from '../../src/stream/terms.js';
import {
  goOffline,
  goOnline,
  nextTickAt,
  pausePayer,
  recordTicks,
  recordTicksTo,
  resumePayer,
  startPayer,
  stopPayer,
  ticksDue,
  type PayerStream,
} from '../../src/stream/payer.js';

const terms = (rest: Omit<TermsOptions, 'rate'> = {}) => makeTerms({ rate: parseRate('10msat/s'), ...rest });
const T0 = 1_000_000;

/** Pay whatever is due at `now`, as the shell does on each timer. */
const payDue = (s: PayerStream, now: number) => recordTicks(s, ticksDue(s, now), now);

describe('payer schedule', () => {
  it('pays one tick per full second of running time', () => {
    let s = startPayer('s1', terms(), T0);
    expect(nextTickAt(s)).toBe(T0 + 1000);
    expect(ticksDue(s, T0 + 999)).toBe(0);
    expect(ticksDue(s, T0 + 3500)).toBe(3);
    s = payDue(s, T0 + 3500);
    expect(s).toMatchObject({ ticksPaid: 3, paid: 30n, status: 'active' });
    expect(ticksDue(s, T0 + 3500)).toBe(0);
    expect(nextTickAt(s)).toBe(T0 + 4000);
  });

  it('never pays for paused time, and pausing twice is harmless', () => {
    let s = startPayer('s1', terms(), T0);
    s = pausePayer(s, T0 + 1500);
    const again = pausePayer(s, T0 + 9000);
    expect(again).toBe(s);
    expect(ticksDue(s, T0 + 100_000)).toBe(1); // the second used before the pause is still owed
    expect(nextTickAt(s)).toBeUndefined();
    s = payDue(s, T0 + 100_000);
    s = resumePayer(s, T0 + 100_000);
    expect(nextTickAt(s)).toBe(T0 + 100_500); // the half second before the pause counts
    expect(ticksDue(s, T0 + 100_499)).toBe(0);
    expect(ticksDue(s, T0 + 100_500)).toBe(1);
  });

  it('never pays for offline time, even if resumed while offline', () => {
    let s = startPayer('s1', terms(), T0);
    s = goOffline(s, T0 + 2000);
    s = pausePayer(s, T0 + 3000);
    s = resumePayer(s, T0 + 4000); // still offline: the clock stays stopped
    expect(ticksDue(s, T0 + 60_000)).toBe(2);
    expect(nextTickAt(s)).toBeUndefined();
    s = goOnline(s, T0 + 60_000);
    expect(goOnline(s, T0 + 70_000)).toBe(s);
    expect(ticksDue(s, T0 + 61_000)).toBe(3);
    expect(nextTickAt(s)).toBe(T0 + 60_000); // two ticks already due: schedule now
  });

  it('going online while paused does not restart the clock', () => {
    let s = startPayer('s1', terms(), T0);
    s = goOffline(s, T0 + 1000);
    s = pausePayer(s, T0 + 2000);
    s = goOnline(s, T0 + 3000);
    expect(ticksDue(s, T0 + 50_000)).toBe(1);
    s = resumePayer(s, T0 + 50_000);
    expect(ticksDue(s, T0 + 51_000)).toBe(2);
  });

  it('a clock that steps back counts as no time', () => {
    const s = startPayer('s1', terms(), T0);
    expect(ticksDue(s, T0 - 5000)).toBe(0);
    expect(pausePayer(s, T0 - 5000).activeMs).toBe(0);
  });

  it('stops at max: the last tick is partial and the stream finishes', () => {
    let s = startPayer('s1', terms({ max: 25n }), T0);
    expect(ticksDue(s, T0 + 60_000)).toBe(3);
    s = payDue(s, T0 + 60_000);
    expect(s).toMatchObject({ ticksPaid: 3, paid: 25n, status: 'finished', activeMs: 60_000 });
    expect(s.resumedAt).toBeUndefined();
    expect(ticksDue(s, T0 + 120_000)).toBe(0);
    expect(nextTickAt(s)).toBeUndefined();
    expect(() => recordTicks(s, 1, T0 + 120_000)).toThrow(/pass the stream's 3 ticks/);
  });

  it('stops at the duration', () => {
    let s = startPayer('s1', terms({ durationMs: 2500 }), T0);
    s = payDue(s, T0 + 10_000);
    expect(s).toMatchObject({ ticksPaid: 2, paid: 20n, status: 'finished' });
  });

  it('books what was paid, even ahead of the clock; the absolute form is idempotent', () => {
    let s = startPayer('s1', terms(), T0);
    // The shell decides with ticksDue; booking a payment already made must never fail, or it would be paid again.
    expect(recordTicks(s, 2, T0 + 1500)).toMatchObject({ ticksPaid: 2, paid: 20n });
    s = recordTicksTo(s, 1, T0 + 1500);
    expect(recordTicksTo(s, 1, T0 + 1500)).toBe(s); // a replay after a crash changes nothing
    expect(recordTicksTo(s, 0, T0 + 1500)).toBe(s);
    expect(recordTicks(s, 0, T0 + 1500)).toBe(s);
    expect(ticksDue(recordTicks(s, 2, T0 + 1500), T0 + 2500)).toBe(0);
    expect(() => recordTicks(s, -1, T0)).toThrow(/ticks/);
  });

  it('a stopped stream still owes its used ticks, then stops for good', () => {
    let s = startPayer('s1', terms(), T0);
    s = stopPayer(s, T0 + 2200);
    expect(stopPayer(s, T0 + 5000)).toBe(s);
    expect(resumePayer(s, T0 + 5000)).toBe(s);
    expect(ticksDue(s, T0 + 5000)).toBe(2);
    s = payDue(s, T0 + 5000);
    expect(s).toMatchObject({ ticksPaid: 2, paid: 20n, status: 'stopped' });
    expect(nextTickAt(s)).toBeUndefined();
  });

  it('validates its arguments', () => {
    expect(() => startPayer('', terms(), T0)).toThrow(/id/);
    expect(() => startPayer('s', terms(), Number.NaN)).toThrow(/now/);
    expect(() => startPayer('s', { ...terms(), tickMs: 5 }, T0)).toThrow(/tickMs/);
  });
});
