// What a stream costs and when it ends. Everything the payer pays and the payee expects is derived
// from one cumulative function, owedAfter(ticks): per-tick amounts are differences of absolute totals,
// so rounding never drifts and a total is never counted twice (ILP STREAM's "absolute totals").
import { InputError } from '../util/errors.js';
import { MAX_MSAT } from '../money.js';
import { checkAmount, checkCount } from './check.js';
import { checkRate, formatRate, type Rate } from './rate.js';

export type StreamMode = 'signed' | 'hashchain';
export type Billing = 'prorata' | 'interval';
export type StreamStatus = 'active' | 'paused' | 'stopped' | 'finished';

export interface StreamTerms {
  rate: Rate;
  billing: Billing;
  /** How often a tick is paid: 1000 for pro-rata rates of 1/s or slower, else rate.perMs. */
  tickMs: number;
  /** Budget: the stream ends once this much is paid. */
  max?: bigint;
  /** The stream ends after this much running time. */
  durationMs?: number;
  mode: StreamMode;
}

/** Bounds the payee's hash-chain lock (the channel accepts at most 1,000,000 units per lock). */
/** Re-exported under the stream core's name: the one limit lives beside hashChain. */
export { MAX_HASH_CHAIN_LENGTH as MAX_CHAIN_UNITS } from '../crypto/hash.js';
import { MAX_HASH_CHAIN_LENGTH as MAX_CHAIN_UNITS } from '../crypto/hash.js';

export interface TermsOptions {
  rate: Rate;
  billing?: Billing;
  max?: bigint;
  durationMs?: number;
  mode?: StreamMode;
}

export function makeTerms(opts: TermsOptions): StreamTerms {
  if (typeof opts !== 'object' || opts === null) throw new InputError('terms: expected an options object');
  const rate = checkRate(opts.rate, 'rate');
  const billing = opts.billing ?? 'prorata';
  const mode = opts.mode ?? 'signed';
  // Pro-rata pays every second even when the price is per minute or hour; faster rates tick at their own interval.
  const tickMs = billing === 'interval' || rate.perMs < 1000 ? rate.perMs : 1000;
  const terms: StreamTerms = { rate, billing, tickMs, mode };
  if (opts.max !== undefined) terms.max = opts.max;
  if (opts.durationMs !== undefined) terms.durationMs = opts.durationMs;
  return checkTerms(terms);
}

/** Check terms built elsewhere (decoded from the wire or the store): the same rules as makeTerms. */
export function checkTerms(terms: StreamTerms, what = 'terms'): StreamTerms {
  if (typeof terms !== 'object' || terms === null) throw new InputError(`${what}: expected stream terms`);
  const { rate, billing, tickMs, max, durationMs, mode } = terms;
  checkRate(rate, 'rate');
  if (billing !== 'prorata' && billing !== 'interval') throw new InputError(`billing: expected 'prorata' or 'interval', got ${String(billing)}`);
  if (mode !== 'signed' && mode !== 'hashchain') throw new InputError(`mode: expected 'signed' or 'hashchain', got ${String(mode)}`);
  const expectedTick = billing === 'interval' || rate.perMs < 1000 ? rate.perMs : 1000;
  if (tickMs !== expectedTick) throw new InputError(`tickMs: expected ${expectedTick} for ${billing} billing of ${formatRate(rate)}, got ${String(tickMs)}`);
  if (max !== undefined) checkAmount(max, 'max', 1n);
  if (durationMs !== undefined) {
    checkCount(durationMs, 'duration', 1);
    if (durationMs < tickMs) throw new InputError(`duration: ${durationMs}ms is shorter than one tick (${tickMs}ms)`);
  }
  if (mode === 'hashchain') hashchainUnits(terms); // throws if the chain can't be built for these terms
  return terms;
}

/** Uncapped total after `ticks` ticks, rounded down: the payee never gets a fraction it was not owed. */
function rawOwed(terms: StreamTerms, ticks: number): bigint {
  return (terms.rate.amount * BigInt(ticks) * BigInt(terms.tickMs)) / BigInt(terms.rate.perMs);
}

/** The exact amount of one tick, when it is whole (hashchain mode needs it to be). */
function wholeUnit(terms: StreamTerms): bigint | undefined {
  const num = terms.rate.amount * BigInt(terms.tickMs);
  const per = BigInt(terms.rate.perMs);
  return num % per === 0n ? num / per : undefined;
}

function toTicks(n: bigint): number {
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/**
 * Ticks until the stream ends: the budget or the duration, whichever comes first; undefined if
 * open-ended. A signed stream may end on a partial tick that pays exactly up to max; a hash-chain
 * stream pays whole units only, so it stops at the last whole unit within max.
 */
export function maxTicks(terms: StreamTerms): number | undefined {
  const candidates: number[] = [];
  if (terms.durationMs !== undefined) candidates.push(Math.floor(terms.durationMs / terms.tickMs));
  if (terms.max !== undefined) {
    const num = terms.max * BigInt(terms.rate.perMs);
    const den = terms.rate.amount * BigInt(terms.tickMs);
    candidates.push(toTicks(terms.mode === 'hashchain' ? num / den : (num + den - 1n) / den));
  }
  return candidates.length === 0 ? undefined : Math.min(...candidates);
}

/** Cumulative amount owed after `ticks` ticks; ticks past the end add nothing, and the total never passes max. */
export function owedAfter(terms: StreamTerms, ticks: number): bigint {
  checkCount(ticks, 'ticks');
  const end = maxTicks(terms);
  const owed = rawOwed(terms, end === undefined ? ticks : Math.min(ticks, end));
  const cap = terms.max ?? MAX_MSAT;
  return owed > cap ? cap : owed;
}

/** Amount of the n-th tick (1-based). */
export function tickAmount(terms: StreamTerms, n: number): bigint {
  checkCount(n, 'tick', 1);
  return owedAfter(terms, n) - owedAfter(terms, n - 1);
}

/**
 * For hashchain mode: how many units the chain must cover, and the msat each is worth. Every tick
 * reveals one preimage, so every tick must be worth the same whole msat amount.
 */
export function hashchainUnits(terms: StreamTerms): { units: number; unit: bigint } {
  const unit = wholeUnit(terms);
  if (unit === undefined) {
    const per = BigInt(terms.rate.perMs);
    const up = (terms.rate.amount * BigInt(terms.tickMs) + per - 1n) / per;
    const down = up - 1n;
    const ticks = terms.tickMs === 1000 ? 's' : `${terms.tickMs}ms`;
    const suggest = down > 0n ? `${down}msat/${ticks} or ${up}msat/${ticks}` : `${up}msat/${ticks}`;
    throw new InputError(
      `rate: ${formatRate(terms.rate)} does not divide into whole-msat ticks of ${terms.tickMs}ms, which hashchain mode needs ` +
        `(every tick pays the same unit); use e.g. ${suggest}, or interval billing`,
    );
  }
  const units = maxTicks(terms);
  if (units === undefined) throw new InputError('terms: hashchain mode needs max or duration, so the chain (and the locked budget) is bounded');
  if (units < 1) throw new InputError(`max: ${String(terms.max)} msat is less than one unit (${unit} msat) of the hash chain`);
  if (units > MAX_CHAIN_UNITS) {
    throw new InputError(`terms: the hash chain would need ${units} units (at most ${MAX_CHAIN_UNITS}); lower max or duration, or bill per longer interval`);
  }
  return { units, unit };
}
