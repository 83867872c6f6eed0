import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatMsat, MAX_MSAT, msatFromJson, parseAmount } from '../src/money.js';

describe('parseAmount', () => {
  it.each([
    ['1500msat', 1500n],
    ['10sat', 10_000n],
    ['10', 10_000n],
    ['0', 0n],
    [' 7msat ', 7n],
    ['9223372036854775807msat', MAX_MSAT],
    ['1.5sat', 1500n],
    ['1.5 sat', 1500n],
    ['0.001sat', 1n],
    ['1.500sat', 1500n],
    ['2.5', 2500n],
    ['10SAT', 10_000n],
    ['1500MSat', 1500n],
    ['0.0001btc', 10_000_000n],
    ['1BTC', 100_000_000_000n],
  ])('%s -> %s msat', (input, expected) => {
    expect(parseAmount(input)).toBe(expected);
  });

  it.each(['-5', 'abc', '', '10  sat', '1.sat', '.5sat', '1e3', '0x10', '9223372036854775808msat', '9223372036854776sat', '99999999999999999999999'])(
    'rejects %j with a clear error',
    (input) => {
      expect(() => parseAmount(input)).toThrow(/amount|too large/);
    },
  );

  it.each(['1.5msat', '0.0001sat', '0.000000000001btc', '1.0001'])('refuses %j as finer than a msat', (input) => {
    expect(() => parseAmount(input, '--max')).toThrow(new RegExp(`^--max: '${input.replace('.', '\\.')}' is finer than 1 msat`));
  });

  it('reads back what formatMsat prints (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: MAX_MSAT }), (v) => parseAmount(formatMsat(v)) === v));
  });
});

describe('msatFromJson', () => {
  it('refuses negatives and fractions', () => {
    expect(() => msatFromJson('-1')).toThrow();
    expect(() => msatFromJson(1.5)).toThrow();
    expect(msatFromJson('42')).toBe(42n);
  });

  it('formats both whole and fractional sats', () => {
    expect(formatMsat(10_000n)).toBe('10 sat');
    expect(formatMsat(1500n)).toBe('1.5 sat');
    expect(formatMsat(1n)).toBe('0.001 sat');
  });

  it('round-trips any msat value through its msat string (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: MAX_MSAT }), (v) => parseAmount(`${v}msat`) === v));
  });
});
