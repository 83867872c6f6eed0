// A price as people write it: `10msat/s`, `2sat/min`, `1/h` (bare number = sat), `500msat/250ms`.
// Kept as an exact pair (amount per interval) so that no per-ms fraction is ever rounded.
import { InputError } from '../util/errors.js';
import { parseAmount } from '../money.js';
import { parseDuration } from '../util/duration.js';
import { checkAmount } from './check.js';

/** `amount` msat per `perMs` milliseconds. */
export interface Rate {
  amount: bigint;
  perMs: number;
}

/** The wire carries the interval as a u32 (streamOpen ratePerMs). */
export const MAX_RATE_PER_MS = 0xffff_ffff;

const BARE_UNITS: Record<string, number> = { s: 1000, sec: 1000, min: 60_000, h: 3_600_000 };
const DURATION_UNITS: Record<string, bigint> = { ms: 1n, s: 1000n, sec: 1000n, m: 60_000n, min: 60_000n, h: 3_600_000n };

const HINT = 'use e.g. 10msat/s, 2sat/min, 1/h or 500msat/250ms';

export function parseRate(text: string, what = 'rate'): Rate {
  if (typeof text !== 'string') throw new InputError(`${what}: expected a string (${HINT})`);
  const parts = text.trim().split('/');
  if (parts.length !== 2) throw new InputError(`${what}: '${text}' is not a rate (${HINT})`);
  const amountText = parts[0]!.trim().replace(/^(\d+)\s+(msat|sat)$/, '$1$2'); // `10 msat` as formatRate prints it
  const unitText = parts[1]!.trim();
  if (amountText === '') throw new InputError(`${what}: '${text}' has no amount (${HINT})`);
  if (unitText === '') throw new InputError(`${what}: '${text}' has no time unit after '/' (${HINT})`);
  let amount: bigint;
  try {
    amount = parseAmount(amountText, `${what} amount`);
  } catch {
    throw new InputError(`${what}: '${amountText}' is not a whole msat or sat amount (${HINT})`);
  }
  if (amount <= 0n) throw new InputError(`${what}: the amount must be positive, got '${amountText}'`);
  const perMs = BARE_UNITS[unitText] ?? parseInterval(unitText, what);
  return checkRate({ amount, perMs }, what);
}

/**
 * A duration as the interval. parseDuration rounds to whole ms; a price must not be silently
 * rounded, so an interval that is not a whole number of ms (`0.5ms`, `0.0001s`) is refused.
 */
function parseInterval(unitText: string, what: string): number {
  const m = /^(\d+)(?:\.(\d+))?([a-z]+)$/.exec(unitText);
  const factor = m ? DURATION_UNITS[m[3]!] : undefined;
  if (!m || factor === undefined) {
    throw new InputError(`${what}: '${unitText}' is not a time unit (use s, sec, min, h, or a duration like 100ms or 5s)`);
  }
  const frac = m[2] ?? '';
  const scaled = BigInt(m[1]! + frac) * factor;
  if (scaled % 10n ** BigInt(frac.length) !== 0n) throw new InputError(`${what}: interval '${unitText}' is not a whole number of ms`);
  return parseDuration(unitText, `${what} interval`);
}

/** Check a Rate built elsewhere (decoded from the wire or JSON). */
export function checkRate(r: Rate, what = 'rate'): Rate {
  if (typeof r !== 'object' || r === null) throw new InputError(`${what}: expected { amount, perMs }`);
  checkAmount(r.amount, `${what} amount`, 1n);
  if (typeof r.perMs !== 'number' || !Number.isSafeInteger(r.perMs) || r.perMs < 1 || r.perMs > MAX_RATE_PER_MS) {
    throw new InputError(`${what}: interval must be a whole number of ms in 1..${MAX_RATE_PER_MS}, got ${String(r.perMs)}`);
  }
  return r;
}

/** `10 msat/s`, `2 sat/min`, `500 msat/250ms`; parseRate reads it back. */
export function formatRate(r: Rate): string {
  checkRate(r);
  const amount = r.amount % 1000n === 0n ? `${r.amount / 1000n} sat` : `${r.amount} msat`;
  return `${amount}/${formatInterval(r.perMs)}`;
}

function formatInterval(ms: number): string {
  if (ms === 1000) return 's';
  if (ms === 60_000) return 'min';
  if (ms === 3_600_000) return 'h';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}min`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
