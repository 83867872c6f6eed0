// Requests of the control API, and the one set of rules every caller's input meets. The rules (the
// `check*` functions) take a request as values, amounts already bigint msat, and return it checked
// and canonical (ids lowercase) or throw an InputError naming the field. The HTTP/RPC server decodes
// JSON bodies into values and runs them; the embedded SDK (src/sdk.ts) turns its own forms ('10sat',
// '30s') into values and runs the same rules, so one bad input gets one message through both. The
// node below trusts what the rules passed; the pure cores still refuse what would break them.
//
// Over JSON, amounts are exact decimal msat strings ("1500000"), not the human forms `parseAmount`
// reads ("10sat"): the API is for programs, the CLI converts what people type. The one human form is
// a stream's `rate` ("10msat/s"), parsed here with the stream's terms. Unknown fields are rejected so
// that a misspelt option (`"forse": true`) is an error rather than silently ignored on a call that
// moves money.
import { InputError } from '../crypto/bytes.js';
import { checkMsat } from '../money.js';
import { makeTerms } from '../stream/terms.js';
import { parseRate } from '../stream/rate.js';
import { MAX_BATCH_MS } from '../stream/batch.js';
import { asObject, boolField, uintField, type Json, type JsonObject } from '../util/json-fields.js';
import type { Codec } from './codec.js';
import { parseChannelId, parseNodeId, parsePeerTarget, parseStreamId } from './fields.js';
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
  /** Not announced to the network (BOLT 7); payers reach it through the route hints of our invoices. */
  private?: boolean;
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
export type StreamAction = 'pause' | 'resume' | 'stop';

/** A request as a caller hands it in, before the rules: any field may hold anything. */
export type Unchecked<T> = { [K in keyof T]?: unknown };

export const STREAM_MODES: readonly NonNullable<OpenStreamRequest['mode']>[] = ['signed', 'hashchain'];
export const STREAM_BILLINGS: readonly NonNullable<OpenStreamRequest['billing']>[] = ['prorata', 'interval'];
/** A stream's duration is capped as `parseDuration` caps it: one year. */
export const MAX_STREAM_DURATION_MS = 365 * 24 * 3_600_000;
const MAX_RATE_CHARS = 64;

// ---- the rules ----

/** An exact msat amount (a bigint from 0 to MAX_MSAT); `positive` refuses 0 too. */
export function amountRule(v: unknown, key: string, positive: boolean): bigint {
  if (typeof v !== 'bigint') throw new InputError(`${key}: expected a whole number of msat`);
  checkMsat(v, key);
  if (positive && v === 0n) throw new InputError(`${key}: must be more than 0 msat`);
  return v;
}

function optionalOneOf<T extends string>(v: unknown, key: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new InputError(`${key}: expected one of ${allowed.join(', ')}`);
  }
  return v as T;
}

/** The rate as a person typed it ("10msat/s", "2 sat/min"), bounded in length and to printable ASCII. */
function rateRule(v: unknown): string {
  const usage = 'rate: expected a rate such as "10msat/s" or "2sat/min"';
  if (typeof v !== 'string') throw new InputError(usage);
  const text = v.trim();
  if (text === '') throw new InputError(usage);
  if (text.length > MAX_RATE_CHARS) throw new InputError(`rate: longer than ${MAX_RATE_CHARS} characters`);
  if (!/^[\x20-\x7e]+$/.test(text)) throw new InputError(`${usage} (printable ASCII only)`);
  return text;
}

export function checkFaucet(r: Unchecked<FaucetRequest>): FaucetRequest {
  return { amount: amountRule(r.amount, 'amount', true) };
}

export function checkConnect(r: Unchecked<ConnectRequest>): ConnectRequest {
  return { target: parsePeerTarget(r.target) };
}

export function checkSend(r: Unchecked<SendRequest>): SendRequest {
  return { to: parseNodeId(r.to, 'to'), amount: amountRule(r.amount, 'amount', true) };
}

export function checkPay(r: Unchecked<PayRequest>): PayRequest {
  return { peerId: parseNodeId(r.peerId, 'peerId'), amount: amountRule(r.amount, 'amount', true) };
}

export function checkOpenChannel(r: Unchecked<OpenRequest>): OpenRequest {
  const peerId = parseNodeId(r.peerId, 'peerId');
  const capacity = amountRule(r.capacity, 'capacity', true);
  const push = r.push === undefined ? 0n : amountRule(r.push, 'push', false);
  if (push > capacity) throw new InputError('push: must not be more than capacity');
  if (r.private !== undefined && typeof r.private !== 'boolean') throw new InputError('private: expected true or false');
  return r.private ? { peerId, capacity, push, private: true } : { peerId, capacity, push };
}

export function checkClose(r: Unchecked<CloseRequest & { channelId: string }>): CloseRequest & { channelId: string } {
  const channelId = parseChannelId(r.channelId, 'channelId');
  return { channelId, force: r.force === undefined ? false : boolField(r, 'force') };
}

export function checkDisconnect(r: Unchecked<{ nodeId: string }>): { nodeId: string } {
  return { nodeId: parseNodeId(r.nodeId, 'nodeId') };
}

export function checkStreamControl(r: Unchecked<{ streamId: string; action: StreamAction }>): { streamId: string; action: StreamAction } {
  const streamId = parseStreamId(r.streamId, 'streamId');
  const action = optionalOneOf<StreamAction>(r.action, 'action', ['pause', 'resume', 'stop']);
  if (action === undefined) throw new InputError('action: expected one of pause, resume, stop');
  return { streamId, action };
}

/** A stream's request, and its terms as the payer will offer them (the rate parsed, max and duration against one tick). */
export function checkOpenStream(r: Unchecked<OpenStreamRequest>): OpenStreamRequest {
  const req: OpenStreamRequest = { peerId: parseNodeId(r.peerId, 'peerId'), rate: rateRule(r.rate) };
  if (r.max !== undefined) req.max = amountRule(r.max, 'max', true);
  if (r.durationMs !== undefined) {
    const ms = uintField(r, 'durationMs', MAX_STREAM_DURATION_MS);
    if (ms === 0) throw new InputError('durationMs: must be more than 0');
    req.durationMs = ms;
  }
  const mode = optionalOneOf(r.mode, 'mode', STREAM_MODES);
  if (mode !== undefined) req.mode = mode;
  const billing = optionalOneOf(r.billing, 'billing', STREAM_BILLINGS);
  if (billing !== undefined) req.billing = billing;
  if (r.batchMs !== undefined) {
    const ms = uintField(r, 'batchMs', MAX_BATCH_MS);
    if (ms === 0) throw new InputError('batchMs: must be more than 0');
    req.batchMs = ms;
  }
  if (r.maxFeeMsat !== undefined) req.maxFeeMsat = amountRule(r.maxFeeMsat, 'maxFeeMsat', false);
  makeTerms({ rate: parseRate(req.rate), billing: req.billing, max: req.max, durationMs: req.durationMs, mode: req.mode });
  return req;
}

// ---- JSON bodies: values out of JSON, then the rules ----

export function body(v: unknown, allowed: readonly string[]): Record<string, unknown> {
  const o = asObject(v, 'body');
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new InputError(`${k}: unknown field (${allowed.length ? `expected ${allowed.join(', ')}` : 'this call takes no fields'})`);
    }
  }
  return o;
}

/**
 * An amount field's value: a decimal string (a minus sign allowed, so a negative meets the rule's own
 * refusal, as a negative bigint from the SDK does) becomes a bigint; anything else goes to the rule as it is.
 */
export function jsonMsat(o: Record<string, unknown>, key: string): unknown {
  const v = o[key];
  return typeof v === 'string' && /^-?\d{1,40}$/.test(v) ? BigInt(v) : v;
}

export const sendRequestCodec: Codec<SendRequest> = {
  encode: (r) => ({ to: r.to, amount: r.amount.toString() }),
  decode(v) {
    const o = body(v, ['to', 'amount']);
    return checkSend({ to: o['to'], amount: jsonMsat(o, 'amount') });
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

export const faucetRequestCodec: Codec<FaucetRequest> = {
  encode: (r) => ({ amount: r.amount.toString() }),
  decode: (v) => checkFaucet({ amount: jsonMsat(body(v, ['amount']), 'amount') }),
};

export const connectRequestCodec: Codec<ConnectRequest> = {
  encode: (r) => ({ target: r.target }),
  decode: (v) => checkConnect({ target: body(v, ['target'])['target'] }),
};

export const openRequestCodec: Codec<OpenRequest> = {
  encode: (r) => ({ peerId: r.peerId, capacity: r.capacity.toString(), push: r.push.toString(), ...(r.private ? { private: true } : {}) }),
  decode(v) {
    const o = body(v, ['peerId', 'capacity', 'push', 'private']);
    return checkOpenChannel({ peerId: o['peerId'], capacity: jsonMsat(o, 'capacity'), push: jsonMsat(o, 'push'), private: o['private'] ?? undefined });
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
    return checkPay({ peerId: o['peerId'], amount: jsonMsat(o, 'amount') });
  },
};

export const openStreamRequestCodec: Codec<OpenStreamRequest> = {
  encode(r) {
    const out: JsonObject = { peerId: r.peerId, rate: r.rate };
    if (r.max !== undefined) out['max'] = r.max.toString();
    if (r.durationMs !== undefined) out['durationMs'] = r.durationMs;
    if (r.mode !== undefined) out['mode'] = r.mode;
    if (r.billing !== undefined) out['billing'] = r.billing;
    if (r.batchMs !== undefined) out['batchMs'] = r.batchMs;
    if (r.maxFeeMsat !== undefined) out['maxFeeMsat'] = r.maxFeeMsat.toString();
    return out;
  },
  decode(v) {
    const o = body(v, ['peerId', 'rate', 'max', 'durationMs', 'mode', 'billing', 'batchMs', 'maxFeeMsat']);
    return checkOpenStream({ ...o, max: jsonMsat(o, 'max'), maxFeeMsat: jsonMsat(o, 'maxFeeMsat') });
  },
};

/** pause, resume and stop take no options: the body is empty or `{}`. */
export const controlStreamRequestCodec: Codec<Record<string, never>> = emptyRequestCodec;
