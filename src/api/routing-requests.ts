// Request bodies of the routing routes (invoices, routed payments, routes, policy), in requests.ts's
// way: exact decimal msat strings, unknown fields refused, every text bounded before it is looked at.
import { InputError } from '../crypto/bytes.js';
import { msatField, uintField, type JsonObject } from '../util/json-fields.js';
import type { Codec } from './codec.js';
import { parseNodeId } from './fields.js';
import { body, positiveMsat } from './requests.js';
import type { CreateInvoiceRequest, PayInvoiceRequest, PayNodeRequest, PolicyUpdate } from './routing-types.js';

/** BOLT 11 allows 639 bytes of description; what a person writes is far less. */
export const MAX_DESCRIPTION_CHARS = 639;
/** One QR code's worth: an invoice longer than this is refused before it is decoded. */
export const MAX_INVOICE_CHARS = 4296;
/** An invoice's expiry: at most a year (BOLT 11 carries it in seconds). */
export const MAX_INVOICE_EXPIRY_SECONDS = 365 * 24 * 3600;
/** How long a pay call may keep trying routes: at most 10 minutes. */
export const MAX_PAY_TIMEOUT_MS = 600_000;
/** Largest forwarding fee rate, in parts per million (100%). */
export const MAX_FEE_PPM = 1_000_000;
/** Largest expiry delta a channel may ask (BOLT 7's max_htlc_cltv is 2016 blocks). */
export const MAX_CLTV_EXPIRY_DELTA = 2016;

const opt = <T>(o: Record<string, unknown>, key: string, read: () => T): T | undefined => (o[key] === undefined || o[key] === null ? undefined : read());

export function invoiceText(v: unknown, what = 'invoice'): string {
  if (typeof v !== 'string' || v.length === 0) throw new InputError(`${what}: expected a BOLT 11 invoice string`);
  if (v.length > MAX_INVOICE_CHARS) throw new InputError(`${what}: longer than ${MAX_INVOICE_CHARS} characters`);
  return v.trim();
}

function description(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new InputError('description: expected a string');
  if (v.length > MAX_DESCRIPTION_CHARS) throw new InputError(`description: longer than ${MAX_DESCRIPTION_CHARS} characters`);
  return v;
}

export const createInvoiceRequestCodec: Codec<CreateInvoiceRequest> = {
  encode(r) {
    const out: JsonObject = { description: r.description };
    if (r.amount !== undefined) out['amount'] = r.amount.toString();
    if (r.expirySeconds !== undefined) out['expirySeconds'] = r.expirySeconds;
    return out;
  },
  decode(v) {
    const o = body(v, ['amount', 'description', 'expirySeconds']);
    const req: CreateInvoiceRequest = { description: description(o['description']) };
    const amount = opt(o, 'amount', () => positiveMsat(o, 'amount'));
    if (amount !== undefined) req.amount = amount;
    const expiry = opt(o, 'expirySeconds', () => uintField(o, 'expirySeconds', MAX_INVOICE_EXPIRY_SECONDS));
    if (expiry !== undefined) {
      if (expiry === 0) throw new InputError('expirySeconds: must be at least 1');
      req.expirySeconds = expiry;
    }
    return req;
  },
};

function payLimits(o: Record<string, unknown>, req: { maxFee?: bigint; timeoutMs?: number }): void {
  const maxFee = opt(o, 'maxFee', () => msatField(o, 'maxFee'));
  if (maxFee !== undefined) req.maxFee = maxFee;
  const timeoutMs = opt(o, 'timeoutMs', () => uintField(o, 'timeoutMs', MAX_PAY_TIMEOUT_MS));
  if (timeoutMs !== undefined) {
    if (timeoutMs < 1000) throw new InputError('timeoutMs: must be at least 1000 (one second)');
    req.timeoutMs = timeoutMs;
  }
}

const limitsJson = (out: JsonObject, r: { maxFee?: bigint; timeoutMs?: number }) => {
  if (r.maxFee !== undefined) out['maxFee'] = r.maxFee.toString();
  if (r.timeoutMs !== undefined) out['timeoutMs'] = r.timeoutMs;
  return out;
};

export const payInvoiceRequestCodec: Codec<PayInvoiceRequest> = {
  encode(r) {
    const out: JsonObject = { invoice: r.invoice };
    if (r.amount !== undefined) out['amount'] = r.amount.toString();
    return limitsJson(out, r);
  },
  decode(v) {
    const o = body(v, ['invoice', 'amount', 'maxFee', 'timeoutMs']);
    const req: PayInvoiceRequest = { invoice: invoiceText(o['invoice']) };
    const amount = opt(o, 'amount', () => positiveMsat(o, 'amount'));
    if (amount !== undefined) req.amount = amount;
    payLimits(o, req);
    return req;
  },
};

export const payNodeRequestCodec: Codec<PayNodeRequest> = {
  encode: (r) => limitsJson({ nodeId: r.nodeId, amount: r.amount.toString() }, r),
  decode(v) {
    const o = body(v, ['nodeId', 'amount', 'maxFee', 'timeoutMs']);
    const req: PayNodeRequest = { nodeId: parseNodeId(o['nodeId'], 'nodeId'), amount: positiveMsat(o, 'amount') };
    payLimits(o, req);
    return req;
  },
};

export const routeRequestCodec: Codec<{ nodeId: string; amount: bigint }> = {
  encode: (r) => ({ nodeId: r.nodeId, amount: r.amount.toString() }),
  decode(v) {
    const o = body(v, ['nodeId', 'amount']);
    return { nodeId: parseNodeId(o['nodeId'], 'nodeId'), amount: positiveMsat(o, 'amount') };
  },
};

export const decodeInvoiceRequestCodec: Codec<{ invoice: string }> = {
  encode: (r) => ({ invoice: r.invoice }),
  decode(v) {
    const o = body(v, ['invoice']);
    return { invoice: invoiceText(o['invoice']) };
  },
};

export const policyUpdateCodec: Codec<PolicyUpdate> = {
  encode(u) {
    const out: JsonObject = {};
    if (u.feeBase !== undefined) out['feeBase'] = u.feeBase.toString();
    if (u.feePpm !== undefined) out['feePpm'] = u.feePpm;
    if (u.cltvExpiryDelta !== undefined) out['cltvExpiryDelta'] = u.cltvExpiryDelta;
    if (u.htlcMinimum !== undefined) out['htlcMinimum'] = u.htlcMinimum.toString();
    if (u.htlcMaximum !== undefined) out['htlcMaximum'] = u.htlcMaximum.toString();
    return out;
  },
  decode(v) {
    const o = body(v ?? {}, ['feeBase', 'feePpm', 'cltvExpiryDelta', 'htlcMinimum', 'htlcMaximum']);
    const u: PolicyUpdate = {};
    const feeBase = opt(o, 'feeBase', () => msatField(o, 'feeBase'));
    if (feeBase !== undefined) u.feeBase = feeBase;
    const feePpm = opt(o, 'feePpm', () => uintField(o, 'feePpm', MAX_FEE_PPM));
    if (feePpm !== undefined) u.feePpm = feePpm;
    const delta = opt(o, 'cltvExpiryDelta', () => uintField(o, 'cltvExpiryDelta', MAX_CLTV_EXPIRY_DELTA));
    if (delta !== undefined) {
      if (delta === 0) throw new InputError('cltvExpiryDelta: must be at least 1 block');
      u.cltvExpiryDelta = delta;
    }
    const min = opt(o, 'htlcMinimum', () => positiveMsat(o, 'htlcMinimum'));
    if (min !== undefined) u.htlcMinimum = min;
    const max = opt(o, 'htlcMaximum', () => positiveMsat(o, 'htlcMaximum'));
    if (max !== undefined) u.htlcMaximum = max;
    if (u.htlcMinimum !== undefined && u.htlcMaximum !== undefined && u.htlcMaximum < u.htlcMinimum) {
      throw new InputError('htlcMaximum: must not be below htlcMinimum');
    }
    return u;
  },
};
