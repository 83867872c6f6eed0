import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InputError } from '../../src/crypto/bytes.js';
import { formatRate, parseRate } from '../../src/stream/rate.js';

describe('parseRate', () => {
  it.each([
    ['10msat/s', 10n, 1000],
    ['2sat/min', 2000n, 60_000],
    ['1/h', 1000n, 3_600_000],
    ['500msat/250ms', 500n, 250],
    ['3sat/sec', 3000n, 1000],
    ['7msat/5s', 7n, 5000],
    ['1msat/1.5s', 1n, 1500],
    [' 10 msat / s ', 10n, 1000],
    ['10 msat/s', 10n, 1000],
  ])('%j -> %s msat per %s ms', (text, amount, perMs) => {
    expect(parseRate(text)).toEqual({ amount, perMs });
  });

  it.each([
    ['abc', /rate: 'abc' is not a rate/],
    ['10sat', /rate: '10sat' is not a rate/],
    ['10sat/', /no time unit/],
    ['/s', /no amount/],
    ['-1/s', /rate: '-1' is not a whole msat or sat amount/],
    ['1.5msat/s', /'1.5msat' is not a whole/], // finer than a msat (1.5sat/s is 1500msat/s)
    ['10sat/fortnight', /'fortnight' is not a time unit/],
    ['0/s', /must be positive/],
    ['0msat/s', /must be positive/],
    ['1/s/s', /not a rate/],
    ['1msat/0.5ms', /not a whole number of ms/],
    ['1msat/0ms', /positive/],
    ['1msat/60d', /not a time unit/],
    ['1msat/2000h', /interval must be/], // past the wire's u32 ms
  ])('rejects %j', (text, message) => {
    expect(() => parseRate(text)).toThrow(InputError);
    expect(() => parseRate(text)).toThrow(message);
  });
});

describe('formatRate', () => {
  it.each([
    [{ amount: 10n, perMs: 1000 }, '10 msat/s'],
    [{ amount: 2000n, perMs: 60_000 }, '2 sat/min'],
    [{ amount: 1000n, perMs: 3_600_000 }, '1 sat/h'],
    [{ amount: 500n, perMs: 250 }, '500 msat/250ms'],
    [{ amount: 1500n, perMs: 5000 }, '1500 msat/5s'],
    [{ amount: 1n, perMs: 120_000 }, '1 msat/2min'],
  ])('%o -> %s', (rate, text) => {
    expect(formatRate(rate)).toBe(text);
  });

  it('reads back what it prints (property)', () => {
    const rate = fc.record({ amount: fc.bigInt({ min: 1n, max: 10n ** 12n }), perMs: fc.integer({ min: 1, max: 0xffff_ffff }) });
    fc.assert(fc.property(rate, (r) => {
      expect(parseRate(formatRate(r))).toEqual(r);
    }));
  });
});
