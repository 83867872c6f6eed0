import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InputError } from '../../src/crypto/bytes.js';
import { parseRate } from '../../src/stream/rate.js';
import { hashchainUnits, makeTerms, maxTicks, owedAfter, tickAmount, type TermsOptions } from '../../src/stream/terms.js';

const terms = (rate: string, rest: Omit<TermsOptions, 'rate'> = {}) => makeTerms({ rate: parseRate(rate), ...rest });

describe('makeTerms', () => {
  it.each([
    ['10msat/s', 'prorata', 1000],
    ['2sat/min', 'prorata', 1000],
    ['2sat/min', 'interval', 60_000],
    ['1/h', 'prorata', 1000],
    ['500msat/250ms', 'prorata', 250],
    ['500msat/250ms', 'interval', 250],
  ] as const)('%s billed %s ticks every %s ms', (rate, billing, tickMs) => {
    expect(terms(rate, { billing }).tickMs).toBe(tickMs);
  });

  it('defaults to pro-rata, signed, open-ended', () => {
    expect(terms('10msat/s')).toEqual({ rate: { amount: 10n, perMs: 1000 }, billing: 'prorata', tickMs: 1000, mode: 'signed' });
    expect(maxTicks(terms('10msat/s'))).toBeUndefined();
  });

  it.each([
    [{ max: 0n }, /max: must be at least 1/],
    [{ max: -5n }, /max/],
    [{ durationMs: 0 }, /duration/],
    [{ durationMs: 1.5 }, /duration/],
    [{ durationMs: 500 }, /shorter than one tick/],
    [{ mode: 'hashchain' as const }, /hashchain mode needs max or duration/],
    [{ billing: 'weekly' as never }, /billing/],
    [{ mode: 'hashchain' as const, max: 5n }, /less than one unit/],
    [{ mode: 'hashchain' as const, durationMs: 2_000_000_000 }, /at most 1000000/],
  ])('rejects %o', (rest, message) => {
    expect(() => terms('10msat/s', rest)).toThrow(InputError);
    expect(() => terms('10msat/s', rest)).toThrow(message);
  });

  it('hashchain mode needs every tick to be the same whole unit, and says which rate would do', () => {
    expect(() => terms('2sat/min', { mode: 'hashchain', durationMs: 60_000 })).toThrow(/33msat\/s or 34msat\/s, or interval billing/);
    expect(hashchainUnits(terms('2sat/min', { mode: 'hashchain', billing: 'interval', durationMs: 600_000 }))).toEqual({ units: 10, unit: 2000n });
    expect(hashchainUnits(terms('3sat/min', { mode: 'hashchain', durationMs: 60_000 }))).toEqual({ units: 60, unit: 50n });
  });
});

describe('owedAfter / tickAmount', () => {
  it('2sat/min billed per second pays 33 or 34 msat a tick and exactly 2000 msat a minute', () => {
    const t = terms('2sat/min');
    const ticks = Array.from({ length: 60 }, (_, i) => tickAmount(t, i + 1));
    expect(new Set(ticks)).toEqual(new Set([33n, 34n]));
    expect(ticks.reduce((a, b) => a + b, 0n)).toBe(2000n);
    expect(owedAfter(t, 60)).toBe(2000n);
    expect(owedAfter(t, 3600)).toBe(120_000n);
  });

  it.each([
    ['10msat/s', {}, 0, 0n],
    ['10msat/s', {}, 7, 70n],
    ['10msat/s', { max: 25n }, 2, 20n],
    ['10msat/s', { max: 25n }, 3, 25n], // the last tick is partial: 5 msat
    ['10msat/s', { max: 25n }, 99, 25n],
    ['10msat/s', { durationMs: 4500 }, 9, 40n], // 4 whole ticks, the half second is not billed
    ['1msat/min', {}, 59, 0n], // sub-msat ticks accumulate without drift
    ['1msat/min', {}, 60, 1n],
    ['2sat/min', { billing: 'interval' as const }, 3, 6000n],
    ['500msat/250ms', { max: 1200n }, 3, 1200n],
  ])('%s %o after %s ticks -> %s', (rate, rest, ticks, owed) => {
    expect(owedAfter(terms(rate, rest), ticks)).toBe(owed);
  });

  it.each([
    ['10msat/s', { max: 25n }, 3],
    ['10msat/s', { max: 30n }, 3],
    ['10msat/s', { durationMs: 4500 }, 4],
    ['10msat/s', { durationMs: 2000, max: 1000n }, 2],
    ['10msat/s', { durationMs: 100_000, max: 95n }, 10],
    ['10msat/s', { mode: 'hashchain' as const, max: 25n }, 2], // whole units only
  ])('%s %o ends after %s ticks', (rate, rest, n) => {
    const t = terms(rate, rest);
    expect(maxTicks(t)).toBe(n);
    expect(tickAmount(t, n + 1)).toBe(0n);
  });

  it('refuses a fractional or negative tick count', () => {
    expect(() => owedAfter(terms('10msat/s'), -1)).toThrow(/ticks/);
    expect(() => owedAfter(terms('10msat/s'), 1.5)).toThrow(/ticks/);
    expect(() => tickAmount(terms('10msat/s'), 0)).toThrow(/tick/);
  });
});

describe('hashchain terms', () => {
  it('every tick pays the same unit, and the chain covers the whole stream (property)', () => {
    const arb = fc.record({
      unit: fc.bigInt({ min: 1n, max: 10_000n }),
      perMs: fc.constantFrom(100, 250, 1000, 60_000),
      billing: fc.constantFrom('prorata' as const, 'interval' as const),
      k: fc.integer({ min: 1, max: 1_000_000 }),
      spare: fc.bigInt({ min: 0n, max: 10_000n }),
    });
    fc.assert(
      fc.property(arb, ({ unit, perMs, billing, k, spare }) => {
        const max = unit * BigInt(k) + (spare % unit); // a budget that is not a whole number of units stops short of it
        const tickMs = billing === 'interval' || perMs < 1000 ? perMs : 1000;
        const rate = { amount: (unit * BigInt(perMs)) / BigInt(tickMs), perMs };
        const t = makeTerms({ rate, billing, max, mode: 'hashchain' });
        const { units, unit: u } = hashchainUnits(t);
        expect(u).toBe(unit);
        expect(units).toBe(k);
        expect(maxTicks(t)).toBe(units);
        for (const n of [1, Math.ceil(units / 2), units]) expect(owedAfter(t, n)).toBe(BigInt(n) * unit);
        expect(owedAfter(t, units + 1)).toBe(BigInt(units) * unit);
      }),
    );
  });
});
