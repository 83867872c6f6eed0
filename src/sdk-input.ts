// What the SDK takes, read into what the node takes: amounts as bigint msat or as people write them
// ('10sat'), durations as ms or '30s', rates as '10msat/s' or msat per second, and the stream policy.
// A refusal of the control API's rules becomes the node's own error (kind 'invalid', BAD_REQUEST).
import { InputError } from './crypto/bytes.js';
import { parseAmount, type Msat } from './money.js';
import { NodeError } from './node/errors.js';
import type { StreamPolicy } from './node/streams.js';
import { parseRate } from './stream/rate.js';
import { parseDuration } from './util/duration.js';

export type Amount = bigint | string;
export type Duration = number | string;
/** '10msat/s', '2sat/min', or a bigint of msat per second. */
export type Rate = string | bigint;

export function amount(a: Amount, what: string): Msat {
  return typeof a === 'bigint' ? a : parseAmount(a, what);
}

export function duration(d: Duration, what: string): number {
  return typeof d === 'number' ? d : parseDuration(d, what);
}

/** A call's input in the API's form: strings as people write them are read, anything else is left to the rules. */
export function callAmount(a: unknown, what: string): unknown {
  return typeof a === 'string' ? parseAmount(a, what) : a;
}

export function callRate(r: unknown): unknown {
  return typeof r === 'bigint' ? `${r}msat/s` : r;
}

/** Run the API's rules on a call's input: what they refuse is the caller's error, as over HTTP. */
export function checked<T>(build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof InputError) throw new NodeError('invalid', 'BAD_REQUEST', e.message);
    throw e;
  }
}

/** msat per second, rounded down (how the node compares a stream's price with its minimum). */
function ratePerSec(r: Rate, what: string): bigint {
  if (typeof r === 'bigint') return r;
  const p = parseRate(r, what);
  return (p.amount * 1000n) / BigInt(p.perMs);
}

export interface SpendingLimitsInput {
  perDay?: Amount;
  total?: Amount;
}

/** What StreamPolicy holds, with the same inputs as the rest of the SDK. */
export interface StreamOptions {
  /** Payee: refuse streams paying less than this ('10msat/s', or msat per second). */
  minRatePerSec?: Rate;
  nodeLimits?: SpendingLimitsInput;
  peerLimits?: SpendingLimitsInput;
  /** Payee: a stream is late after a tick interval plus this much without a tick. */
  graceMs?: Duration;
  checkpointTicks?: number;
  /** Payee: how many streams a peer may run on one channel (default 64). */
  maxStreamsPerChannel?: number;
  /** Payee: how long a stream that has never been paid is kept (default 60 s). */
  idleExpiryMs?: Duration;
}

function limits(l: SpendingLimitsInput | undefined, what: string): StreamPolicy['nodeLimits'] {
  if (!l) return undefined;
  return {
    perDay: l.perDay === undefined ? undefined : amount(l.perDay, `${what}.perDay`),
    total: l.total === undefined ? undefined : amount(l.total, `${what}.total`),
  };
}

export function streamPolicy(o: StreamOptions | undefined): StreamPolicy | undefined {
  if (!o) return undefined;
  const p: StreamPolicy = { nodeLimits: limits(o.nodeLimits, 'nodeLimits'), peerLimits: limits(o.peerLimits, 'peerLimits') };
  if (o.minRatePerSec !== undefined) p.minRatePerSec = ratePerSec(o.minRatePerSec, 'minRatePerSec');
  if (o.graceMs !== undefined) p.graceMs = duration(o.graceMs, 'graceMs');
  if (o.checkpointTicks !== undefined) p.checkpointTicks = o.checkpointTicks;
  if (o.maxStreamsPerChannel !== undefined) p.maxStreamsPerChannel = o.maxStreamsPerChannel;
  if (o.idleExpiryMs !== undefined) p.idleExpiryMs = duration(o.idleExpiryMs, 'idleExpiryMs');
  return p;
}

