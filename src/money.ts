// Money is bigint millisatoshi everywhere. Parsing is strict: anything that is not an exact,
// non-negative whole number of msat (or sat) is an error, never a rounding or a NaN.
import { InputError } from './crypto/bytes.js';

export type Msat = bigint;

/** Largest amount any field may hold: it must fit a signed 64-bit integer on the wire and in storage. */
export const MAX_MSAT: Msat = (1n << 63n) - 1n;

export class AmountError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'AmountError';
  }
}

// A whole or decimal number, an optional space, an optional unit in any case: what people type and
// what `formatMsat` prints ("1.5 sat"), so a figure copied from the CLI's output is read back exactly.
const AMOUNT_RE = /^(\d+)(?:\.(\d+))?(?: ?(msat|sat|btc))?$/i;
const UNIT_MSAT: Record<string, bigint> = { msat: 1n, sat: 1000n, btc: 100_000_000_000n };

/**
 * Parse `1500msat`, `10sat`, `1.5sat`, `0.001 sat`, `0.0001btc` (units in any case), or a bare number
 * (read as sat, as lncli does). Rejects negatives, exponents, anything finer than 1 msat (`1.5msat`,
 * `0.0001sat`) and values past 2^63 - 1 msat; never rounds.
 */
export function parseAmount(input: string, what = 'amount'): Msat {
  if (typeof input !== 'string') throw new AmountError(`${what}: expected a string`);
  const text = input.trim();
  const m = AMOUNT_RE.exec(text);
  if (!m) {
    throw new AmountError(`${what}: '${input}' is not an amount (use e.g. 1500msat, 10sat, 1.5sat, 0.001btc, or 10 for sat)`);
  }
  const whole = m[1]!;
  const frac = m[2] ?? '';
  if (whole.length + frac.length > 40) throw new AmountError(`${what}: '${input}' is too large (max ${MAX_MSAT} msat)`);
  const unit = UNIT_MSAT[(m[3] ?? 'sat').toLowerCase()]!;
  const scale = 10n ** BigInt(frac.length);
  const scaled = (BigInt(whole) * scale + BigInt(frac || '0')) * unit;
  if (scaled % scale !== 0n) throw new AmountError(`${what}: '${input}' is finer than 1 msat, the smallest amount`);
  const value = scaled / scale;
  if (value > MAX_MSAT) throw new AmountError(`${what}: '${input}' is too large (max ${MAX_MSAT} msat)`);
  return value;
}

/** Parse an msat amount that came over JSON (decimal string, never a float). */
export function msatFromJson(value: unknown, what = 'amount'): Msat {
  if (typeof value === 'bigint') return checkMsat(value, what);
  if (typeof value !== 'string' || !/^\d{1,20}$/.test(value)) {
    throw new AmountError(`${what}: expected a decimal msat string`);
  }
  return checkMsat(BigInt(value), what);
}

export function checkMsat(value: Msat, what = 'amount'): Msat {
  if (typeof value !== 'bigint') throw new AmountError(`${what}: expected a bigint`);
  if (value < 0n) throw new AmountError(`${what}: negative`);
  if (value > MAX_MSAT) throw new AmountError(`${what}: past ${MAX_MSAT} msat`);
  return value;
}

/** `12345678msat` as `12345.678 sat`; whole sats without the fraction. */
export function formatMsat(value: Msat): string {
  const sat = value / 1000n;
  const rem = value % 1000n;
  if (rem === 0n) return `${sat} sat`;
  return `${sat}.${rem.toString().padStart(3, '0').replace(/0+$/, '')} sat`;
}

/** Both units, for display where exactness matters. */
export function formatMsatFull(value: Msat): string {
  return `${value} msat (${formatMsat(value)})`;
}
