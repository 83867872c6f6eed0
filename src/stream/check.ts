// Argument checks shared by the stream modules. Each names the argument it rejects, so a caller bug
// (a NaN time, a fractional tick count) fails loudly at the entry point instead of skewing the totals.
import { InputError } from '../util/errors.js';
import { MAX_MSAT } from '../money.js';

/** A time in ms, as the shell's clock gives it. */
export function checkTime(value: number, what = 'now'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InputError(`${what}: expected a finite, non-negative time in ms, got ${String(value)}`);
  }
  return value;
}

/** A whole count (ticks, units) that fits a safe integer. */
export function checkCount(value: number, what: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InputError(`${what}: expected a whole number >= ${min}, got ${String(value)}`);
  }
  return value;
}

export function checkId(value: string, what = 'id'): string {
  if (typeof value !== 'string' || value.length === 0) throw new InputError(`${what}: expected a non-empty string`);
  return value;
}

/** An msat amount in 0..MAX_MSAT (min 1 when it must be positive). */
export function checkAmount(value: bigint, what: string, min = 0n): bigint {
  if (typeof value !== 'bigint') throw new InputError(`${what}: expected a bigint msat amount`);
  if (value < min) throw new InputError(`${what}: must be at least ${min} msat, got ${value}`);
  if (value > MAX_MSAT) throw new InputError(`${what}: past ${MAX_MSAT} msat`);
  return value;
}

/** Sums saturate at MAX_MSAT rather than grow past what the wire and the store can hold. */
export function satAdd(a: bigint, b: bigint): bigint {
  const s = a + b;
  return s > MAX_MSAT ? MAX_MSAT : s;
}
