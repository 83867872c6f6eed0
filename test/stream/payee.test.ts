import { describe, expect, it } from 'vitest';
import { parseRate } from '../../src/stream/rate.js';
import { makeTerms, type TermsOptions } from '../../src/stream/terms.js';
import { checkLate, meterTick, meterTickTo, observedRate, pauseMeter, resumeMeter, startMeter, stopMeter, type PayeeMeter } from '../../src/stream/payee.js';

const terms = (rate = '2sat/min', rest: Omit<TermsOptions, 'rate'> = {}) => makeTerms({ rate: parseRate(rate), ...rest });
const T0 = 5_000_000;

function accept(m: PayeeMeter, amount: bigint, ticks: number, now: number): PayeeMeter {
  const r = meterTick(m, amount, ticks, now);
  if ('error' in r) throw new Error(r.error.message);
  return r.meter;
}

describe('meterTick', () => {
  it('accepts exactly the amount the terms give for those ticks', () => {
    let m = startMeter('s1', terms(), T0);
    m = accept(m, 33n, 1, T0 + 1000);
    m = accept(m, 33n, 1, T0 + 2000);
    m = accept(m, 34n, 1, T0 + 3000);
    m = accept(m, 2000n - 100n, 57, T0 + 60_000);
    expect(m).toMatchObject({ ticks: 60, paid: 2000n, lastTickAt: T0 + 60_000 });
  });

  it.each([
    [32n, 1, 'underpaid'],
    [0n, 1, 'underpaid'],
    [34n, 1, 'overpaid'],
    [66n, 1, 'overpaid'],
    [66n, 0, 'bad-ticks'],
    [66n, 1.5, 'bad-ticks'],
    [66n, -2, 'bad-ticks'],
  ] as const)('%s msat for %s ticks: %s', (amount, ticks, reason) => {
    const r = meterTick(startMeter('s1', terms(), T0), amount, ticks, T0 + 1000);
    expect(r).toMatchObject({ error: { reason } });
  });

  it('refuses ticks past the end of the stream, then refuses everything once finished', () => {
    let m = startMeter('s1', terms('10msat/s', { max: 25n }), T0);
    expect(meterTick(m, 30n, 4, T0)).toMatchObject({ error: { reason: 'too-many-ticks' } });
    m = accept(m, 20n, 2, T0 + 2000);
    expect(meterTick(m, 10n, 1, T0 + 3000)).toMatchObject({ error: { reason: 'overpaid' } }); // the last tick is 5 msat
    m = accept(m, 5n, 1, T0 + 3000);
    expect(m.status).toBe('finished');
    expect(meterTick(m, 0n, 1, T0 + 4000)).toMatchObject({ error: { reason: 'not-running' } });
  });

  it('absolute form: a replayed or reordered payment is stale, never counted twice', () => {
    let m = startMeter('s1', terms('10msat/s'), T0);
    const first = meterTickTo(m, 20n, 2, T0 + 2000);
    if ('error' in first) throw new Error(first.error.message);
    m = first.meter;
    expect(meterTickTo(m, 20n, 2, T0 + 2100)).toMatchObject({ error: { reason: 'stale' } });
    expect(meterTickTo(m, 10n, 1, T0 + 2100)).toMatchObject({ error: { reason: 'stale' } });
    expect(meterTickTo(m, 10n, 3, T0 + 3000)).toMatchObject({ meter: { ticks: 3, paid: 30n } });
    expect(meterTickTo(m, 10n, Number.NaN, T0 + 3000)).toMatchObject({ error: { reason: 'bad-ticks' } });
  });

  it('takes the ticks a payer settles after pausing, but nothing once stopped', () => {
    let m = pauseMeter(startMeter('s1', terms('10msat/s'), T0), T0 + 1500);
    m = accept(m, 10n, 1, T0 + 1600);
    m = stopMeter(m, T0 + 2000);
    expect(meterTick(m, 10n, 1, T0 + 2100)).toMatchObject({ error: { reason: 'not-running' } });
    expect(resumeMeter(m, T0 + 3000)).toBe(m);
  });
});

describe('checkLate', () => {
  const grace = 500;

  it('turns late after tickMs + grace without a tick, and on time at the next check after a tick', () => {
    let m = startMeter('s1', terms('10msat/s'), T0);
    expect(checkLate(m, T0 + 1500, grace)).toMatchObject({ becameLate: false, becameOnTime: false, meter: { late: false } });
    let r = checkLate(m, T0 + 1501, grace);
    expect(r).toMatchObject({ becameLate: true, becameOnTime: false, meter: { late: true } });
    m = r.meter;
    expect(checkLate(m, T0 + 2000, grace)).toMatchObject({ becameLate: false, becameOnTime: false });
    m = accept(m, 10n, 1, T0 + 2000);
    expect(m.late).toBe(true); // only checkLate flips it, so it reports the transition
    r = checkLate(m, T0 + 2100, grace);
    expect(r).toMatchObject({ becameLate: false, becameOnTime: true, meter: { late: false } });
  });

  it('is never late while paused, and measures from the resume', () => {
    let m = pauseMeter(startMeter('s1', terms('10msat/s'), T0), T0 + 200);
    let r = checkLate(m, T0 + 60_000, grace);
    expect(r.becameLate).toBe(false);
    m = resumeMeter(r.meter, T0 + 60_000);
    expect(checkLate(m, T0 + 61_500, grace).becameLate).toBe(false);
    r = checkLate(m, T0 + 61_501, grace);
    expect(r.becameLate).toBe(true);
    expect(checkLate(pauseMeter(r.meter, T0 + 62_000), T0 + 62_000, grace).becameOnTime).toBe(true);
  });
});

describe('observedRate', () => {
  it('is msat per second paid so far', () => {
    let m = startMeter('s1', terms('10msat/s'), T0);
    expect(observedRate(m, T0)).toBe(0n);
    m = accept(m, 40n, 4, T0 + 4000);
    expect(observedRate(m, T0 + 4000)).toBe(10n);
    expect(observedRate(m, T0 + 8000)).toBe(5n);
  });
});
