// Request bodies of the control API. Amounts are exact decimal msat strings ("1500000"), not the
// human forms `parseAmount` reads ("10sat"): the API is for programs, the CLI converts what people
// type. The one human form is a stream's `rate` ("10msat/s"): pricing rules are the node's, so it is
// passed on as typed (bounded here in length and to printable ASCII). Unknown fields are rejected so
// that a misspelt option (`"forse": true`) is an error rather than silently ignored on a call that
// moves money.
import { InputError } from '../crypto/bytes.js';
import { asObject, boolField, msatField, uintField, type Json, type JsonObject } from '../util/json-fields.js';
import type { Codec } from './codec.js';
import { parseNodeId, parsePeerTarget } from './fields.js';
import type { OpenStreamRequest } from './types.js';

export interface FaucetRequest {
  amount: bigint;
}
export interface ConnectRequest {
  target: string;
}
export interface OpenRequest {
  peerId: string;
  capacity: bigint;
  push: bigint;
}
export interface CloseRequest {
  force: boolean;
}
export interface PayRequest {
  peerId: string;
  amount: bigint;
}

export interface SendRequest {
  to: string;
  amount: bigint;
}

export const sendRequestCodec: Codec<SendRequest> = {
  encode: (r) => ({ to: r.to, amount: r.amount.toString() }),
  decode(v) {
    const o = body(v, ['to', 'amount']);
    return { to: parseNodeId(o['to'], 'to'), amount: positiveMsat(o, 'amount') };
  },
};

/** Routes that act on the path alone (disconnect, stop) take an empty body or `{}`. */
export const emptyRequestCodec: Codec<Record<string, never>> = {
  encode: (): Json => ({}),
  decode(v) {
    body(v, []);
    return {};
  },
};

export type StreamAction = 'pause' | 'resume' | 'stop';
export const STREAM_MODES: readonly NonNullable<OpenStreamRequest['mode']>[] = ['signed', 'hashchain'];
export const STREAM_BILLINGS: readonly NonNullable<OpenStreamRequest['billing']>[] = ['prorata', 'interval'];
/** A stream's duration is capped as `parseDuration` caps it: one year. */
export const MAX_STREAM_DURATION_MS = 365 * 24 * 3_600_000;
const MAX_RATE_CHARS = 64;

export function body(v: unknown, allowed: readonly string[]): Record<string, unknown> {
  const o = asObject(v, 'body');
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new InputError(`${k}: unknown field (${allowed.length ? `expected ${allowed.join(', ')}` : 'this call takes no fields'})`);
    }
  }
  return o;
}

export function positiveMsat(o: Record<string, unknown>, key: string): bigint {
  const v = msatField(o, key);
  if (v === 0n) throw new InputError(`${key}: must be more than 0 msat`);
  return v;
}

export const faucetRequestCodec: Codec<FaucetRequest> = {
  encode: (r) => ({ amount: r.amount.toString() }),
  decode: (v) => ({ amount: positiveMsat(body(v, ['amount']), 'amount') }),
};

export const connectRequestCodec: Codec<ConnectRequest> = {
  encode: (r) => ({ target: r.target }),
  decode: (v) => ({ target: parsePeerTarget(body(v, ['target'])['target']) }),
};

export const openRequestCodec: Codec<OpenRequest> = {
  encode: (r) => ({ peerId: r.peerId, capacity: r.capacity.toString(), push: r.push.toString() }),
  decode(v) {
    const o = body(v, ['peerId', 'capacity', 'push']);
    const peerId = parseNodeId(o['peerId'], 'peerId');
    const capacity = positiveMsat(o, 'capacity');
    const push = o['push'] === undefined ? 0n : msatField(o, 'push');
    if (push > capacity) throw new InputError('push: must not be more than capacity');
    return { peerId, capacity, push };
  },
};

export const closeRequestCodec: Codec<CloseRequest> = {
  encode: (r): Json => ({ force: r.force }),
  decode(v) {
    const o = body(v, ['force']);
    return { force: o['force'] === undefined ? false : boolField(o, 'force') };
  },
};

export const payRequestCodec: Codec<PayRequest> = {
  encode: (r) => ({ peerId: r.peerId, amount: r.amount.toString() }),
  decode(v) {
    const o = body(v, ['peerId', 'amount']);
    return { peerId: parseNodeId(o['peerId'], 'peerId'), amount: positiveMsat(o, 'amount') };
  },
};

function optionalOneOf<T extends string>(o: Record<string, unknown>, key: string, allowed: readonly T[]): T | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new InputError(`${key}: expected one of ${allowed.join(', ')}`);
  }
  return v as T;
}

/** The rate as a person typed it ("10msat/s", "2 sat/min"): the node parses it; here only its shape is bounded. */
function rateField(o: Record<string, unknown>): string {
  const v = o['rate'];
  const usage = 'rate: expected a rate such as "10msat/s" or "2sat/min"';
  if (typeof v !== 'string') throw new InputError(usage);
  const text = v.trim();
  if (text === '') throw new InputError(usage);
  if (text.length > MAX_RATE_CHARS) throw new InputError(`rate: longer than ${MAX_RATE_CHARS} characters`);
  if (!/^[\x20-\x7e]+$/.test(text)) throw new InputError(`${usage} (printable ASCII only)`);
  return text;
}

export const openStreamRequestCodec: Codec<OpenStreamRequest> = {
  encode(r) {
    const out: JsonObject = { peerId: r.peerId, rate: r.rate };
    if (r.max !== undefined) out['max'] = r.max.toString();
    if (r.durationMs !== undefined) out['durationMs'] = r.durationMs;
    if (r.mode !== undefined) out['mode'] = r.mode;
    if (r.billing !== undefined) out['billing'] = r.billing;
    return out;
  },
  decode(v) {
    const o = body(v, ['peerId', 'rate', 'max', 'durationMs', 'mode', 'billing']);
    const req: OpenStreamRequest = { peerId: parseNodeId(o['peerId'], 'peerId'), rate: rateField(o) };
    if (o['max'] !== undefined) req.max = positiveMsat(o, 'max');
    if (o['durationMs'] !== undefined) {
      const ms = uintField(o, 'durationMs', MAX_STREAM_DURATION_MS);
      if (ms === 0) throw new InputError('durationMs: must be more than 0');
      req.durationMs = ms;
    }
    const mode = optionalOneOf(o, 'mode', STREAM_MODES);
    if (mode !== undefined) req.mode = mode;
    const billing = optionalOneOf(o, 'billing', STREAM_BILLINGS);
    if (billing !== undefined) req.billing = billing;
    return req;
  },
};

/** pause, resume and stop take no options: the body is empty or `{}`. */
export const controlStreamRequestCodec: Codec<Record<string, never>> = emptyRequestCodec;
