// The routing requests (invoices, routed payments, routes, policy): their rules, which the SDK runs
// on its own forms and the HTTP/RPC decoders run on JSON bodies (requests.ts's way: one rule set,
// the same error both ways), and the JSON codecs. Every text is bounded before it is looked at.
import { InputError } from '../crypto/bytes.js';
import type { JsonObject } from '../util/json-fields.js';
import type { Codec } from './codec.js';
import { parseNodeId } from './fields.js';
import { amountRule, body, jsonMsat, type Unchecked } from './requests.js';
import { MIN_CLTV_EXPIRY_DELTA } from '../forward/policy.js';
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
/** Largest base fee: BOLT 7's channel_update carries it as a u32 (msat). */
export const MAX_FEE_BASE_MSAT = 0xffffffffn;
/** Largest expiry delta a channel may ask (BOLT 7's max_htlc_cltv is 2016 blocks). */
export const MAX_CLTV_EXPIRY_DELTA = 2016;

// ---- the rules ----

function wholeNumber(v: unknown, key: string, min: number, max: number, unit = ''): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new InputError(`${key}: expected a whole number${unit}`);
  if (v < min) throw new InputError(`${key}: must be at least ${min}${unit}`);
  if (v > max) throw new InputError(`${key}: must be at most ${max}${unit}`);
  return v;
}

export function invoiceRule(v: unknown, key = 'invoice'): string {
  if (typeof v !== 'string' || v.trim().length === 0) throw new InputError(`${key}: expected a BOLT 11 invoice string`);
  if (v.length > MAX_INVOICE_CHARS) throw new InputError(`${key}: longer than ${MAX_INVOICE_CHARS} characters`);
  return v.trim();
}

function descriptionRule(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new InputError('description: expected a string');
  if (v.length > MAX_DESCRIPTION_CHARS) throw new InputError(`description: longer than ${MAX_DESCRIPTION_CHARS} characters`);
  return v;
}

function limitsRule(r: { maxFee?: unknown; timeoutMs?: unknown }, out: { maxFee?: bigint; timeoutMs?: number }): void {
  if (r.maxFee !== undefined) out.maxFee = amountRule(r.maxFee, 'maxFee', false);
  if (r.timeoutMs !== undefined) out.timeoutMs = wholeNumber(r.timeoutMs, 'timeoutMs', 1000, MAX_PAY_TIMEOUT_MS, ' ms');
}

export function checkCreateInvoice(r: Unchecked<CreateInvoiceRequest>): CreateInvoiceRequest {
  const out: CreateInvoiceRequest = { description: descriptionRule(r.description) };
  if (r.amount !== undefined) out.amount = amountRule(r.amount, 'amount', true);
  if (r.expirySeconds !== undefined) out.expirySeconds = wholeNumber(r.expirySeconds, 'expirySeconds', 1, MAX_INVOICE_EXPIRY_SECONDS, ' s');
  return out;
}

export function checkPayInvoice(r: Unchecked<PayInvoiceRequest>): PayInvoiceRequest {
  const out: PayInvoiceRequest = { invoice: invoiceRule(r.invoice) };
  if (r.amount !== undefined) out.amount = amountRule(r.amount, 'amount', true);
  limitsRule(r, out);
  return out;
}

export function checkPayNode(r: Unchecked<PayNodeRequest>): PayNodeRequest {
  const out: PayNodeRequest = { nodeId: parseNodeId(r.nodeId, 'nodeId'), amount: amountRule(r.amount, 'amount', true) };
  limitsRule(r, out);
  return out;
}

export function checkRoute(r: Unchecked<{ nodeId: string; amount: bigint }>): { nodeId: string; amount: bigint } {
  return { nodeId: parseNodeId(r.nodeId, 'nodeId'), amount: amountRule(r.amount, 'amount', true) };
}

export function checkPolicyUpdate(r: Unchecked<PolicyUpdate>): PolicyUpdate {
  const u: PolicyUpdate = {};
  if (r.feeBase !== undefined) {
    u.feeBase = amountRule(r.feeBase, 'feeBase', false);
    // a fee the network cannot be told would be charged on HTLCs routed by the old one
    if (u.feeBase > MAX_FEE_BASE_MSAT) throw new InputError(`feeBase: must be at most ${MAX_FEE_BASE_MSAT} msat (a channel_update carries it in 32 bits)`);
  }
  if (r.feePpm !== undefined) u.feePpm = wholeNumber(r.feePpm, 'feePpm', 0, MAX_FEE_PPM);
  if (r.cltvExpiryDelta !== undefined) u.cltvExpiryDelta = wholeNumber(r.cltvExpiryDelta, 'cltvExpiryDelta', MIN_CLTV_EXPIRY_DELTA, MAX_CLTV_EXPIRY_DELTA, ' blocks');
  if (r.htlcMinimum !== undefined) u.htlcMinimum = amountRule(r.htlcMinimum, 'htlcMinimum', true);
  if (r.htlcMaximum !== undefined) u.htlcMaximum = amountRule(r.htlcMaximum, 'htlcMaximum', true);
  if (u.htlcMinimum !== undefined && u.htlcMaximum !== undefined && u.htlcMaximum < u.htlcMinimum) {
    throw new InputError('htlcMaximum: must not be below htlcMinimum');
  }
  return u;
}

// ---- JSON bodies: values out of JSON, then the rules ----

/** A JSON null reads as absent (the optional fields a client left out). */
const field = (o: Record<string, unknown>, key: string) => (o[key] === null ? undefined : o[key]);

const limitsJson = (out: JsonObject, r: { maxFee?: bigint; timeoutMs?: number }) => {
  if (r.maxFee !== undefined) out['maxFee'] = r.maxFee.toString();
  if (r.timeoutMs !== undefined) out['timeoutMs'] = r.timeoutMs;
  return out;
};

export const createInvoiceRequestCodec: Codec<CreateInvoiceRequest> = {
  encode(r) {
    const out: JsonObject = { description: r.description };
    if (r.amount !== undefined) out['amount'] = r.amount.toString();
    if (r.expirySeconds !== undefined) out['expirySeconds'] = r.expirySeconds;
    return out;
  },
  decode(v) {
    const o = body(v, ['amount', 'description', 'expirySeconds']);
    return checkCreateInvoice({ amount: jsonMsat(o, 'amount') ?? undefined, description: field(o, 'description'), expirySeconds: field(o, 'expirySeconds') });
  },
};

export const payInvoiceRequestCodec: Codec<PayInvoiceRequest> = {
  encode(r) {
    const out: JsonObject = { invoice: r.invoice };
    if (r.amount !== undefined) out['amount'] = r.amount.toString();
    return limitsJson(out, r);
  },
  decode(v) {
    const o = body(v, ['invoice', 'amount', 'maxFee', 'timeoutMs']);
    return checkPayInvoice({ invoice: o['invoice'], amount: jsonMsat(o, 'amount') ?? undefined, maxFee: jsonMsat(o, 'maxFee') ?? undefined, timeoutMs: field(o, 'timeoutMs') });
  },
};

export const payNodeRequestCodec: Codec<PayNodeRequest> = {
  encode: (r) => limitsJson({ nodeId: r.nodeId, amount: r.amount.toString() }, r),
  decode(v) {
    const o = body(v, ['nodeId', 'amount', 'maxFee', 'timeoutMs']);
    return checkPayNode({ nodeId: o['nodeId'], amount: jsonMsat(o, 'amount'), maxFee: jsonMsat(o, 'maxFee') ?? undefined, timeoutMs: field(o, 'timeoutMs') });
  },
};

export const routeRequestCodec: Codec<{ nodeId: string; amount: bigint }> = {
  encode: (r) => ({ nodeId: r.nodeId, amount: r.amount.toString() }),
  decode(v) {
    const o = body(v, ['nodeId', 'amount']);
    return checkRoute({ nodeId: o['nodeId'], amount: jsonMsat(o, 'amount') });
  },
};

export const decodeInvoiceRequestCodec: Codec<{ invoice: string }> = {
  encode: (r) => ({ invoice: r.invoice }),
  decode(v) {
    const o = body(v, ['invoice']);
    return { invoice: invoiceRule(o['invoice']) };
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
    return checkPolicyUpdate({
      feeBase: jsonMsat(o, 'feeBase') ?? undefined,
      feePpm: field(o, 'feePpm'),
      cltvExpiryDelta: field(o, 'cltvExpiryDelta'),
      htlcMinimum: jsonMsat(o, 'htlcMinimum') ?? undefined,
      htlcMaximum: jsonMsat(o, 'htlcMaximum') ?? undefined,
    });
  },
};
