// JSON forms of the routed-payment and invoice views (payment-types.ts), for the HTTP API, the event
// feed and the CLI's --json. msat amounts travel as decimal strings, as in codec.ts; decoders are strict
// and name the bad field.
import { InputError } from '../crypto/bytes.js';
import { arrayField, asObject, boolField, msatField, str, uintField, type Json, type JsonObject } from '../util/json-fields.js';
import type { Codec } from './codec.js';
import type { AttemptFailureView, AttemptView, CreatedInvoice, InvoiceView, PaymentFailureReason, PaymentView, RouteHopView, RouteQueryResult } from './payment-types.js';

/** More hops than any onion holds: a decoder's bound on a route's length. */
const MAX_ROUTE_HOPS = 27;
/** A payment's attempts, bounded by the node's maxAttempts (10 by default). */
const MAX_ATTEMPTS = 1000;

const optional = <T>(o: Record<string, unknown>, key: string, read: () => T): T | undefined => (o[key] === undefined || o[key] === null ? undefined : read());

function choice<T extends string>(o: Record<string, unknown>, key: string, allowed: readonly T[], what: string): T {
  const v = o[key];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new InputError(`${what}.${key}: expected one of ${allowed.join(', ')}`);
  return v as T;
}

function signedInt(o: Record<string, unknown>, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new InputError(`${what}.${key}: expected a whole number`);
  return v;
}

export const routeHopViewCodec: Codec<RouteHopView> = {
  encode: (h) => ({ shortChannelId: h.shortChannelId, nodeId: h.nodeId, amountMsat: h.amountMsat.toString(), expiryHeight: h.expiryHeight }),
  decode(v, what = 'hop') {
    const o = asObject(v, what);
    return { shortChannelId: str(o, 'shortChannelId'), nodeId: str(o, 'nodeId'), amountMsat: msatField(o, 'amountMsat'), expiryHeight: uintField(o, 'expiryHeight') };
  },
};

const route = {
  encode: (r: readonly RouteHopView[]): Json => r.map((h) => routeHopViewCodec.encode(h)),
  decode: (o: Record<string, unknown>, what: string): RouteHopView[] => arrayField(o, 'route', MAX_ROUTE_HOPS, `${what}.route`).map((h, i) => routeHopViewCodec.decode(h, `${what}.route[${i}]`)),
};

function failureToJson(f: Partial<AttemptFailureView>): JsonObject {
  const out: JsonObject = {};
  if (f.failingHop !== undefined) out['failingHop'] = f.failingHop;
  if (f.failingNode !== undefined) out['failingNode'] = f.failingNode;
  if (f.code !== undefined) out['code'] = f.code;
  if (f.codeName !== undefined) out['codeName'] = f.codeName;
  if (f.message !== undefined) out['message'] = f.message;
  return out;
}

function failureFromJson(o: Record<string, unknown>, what: string): Partial<AttemptFailureView> {
  const failingHop = optional(o, 'failingHop', () => signedInt(o, 'failingHop', what));
  const failingNode = optional(o, 'failingNode', () => str(o, 'failingNode'));
  const code = optional(o, 'code', () => uintField(o, 'code', 0xffff));
  const codeName = optional(o, 'codeName', () => str(o, 'codeName'));
  return {
    ...(failingHop !== undefined ? { failingHop } : {}), ...(failingNode !== undefined ? { failingNode } : {}),
    ...(code !== undefined ? { code } : {}), ...(codeName !== undefined ? { codeName } : {}),
    ...(o['message'] !== undefined ? { message: str(o, 'message') } : {}),
  };
}

export const attemptViewCodec: Codec<AttemptView> = {
  encode(a) {
    const out: JsonObject = { attemptId: a.attemptId, status: a.status, route: route.encode(a.route), amountMsat: a.amountMsat.toString(), feeMsat: a.feeMsat.toString(), startedAt: a.startedAt };
    if (a.resolvedAt !== undefined) out['resolvedAt'] = a.resolvedAt;
    if (a.failure) out['failure'] = failureToJson(a.failure);
    return out;
  },
  decode(v, what = 'attempt') {
    const o = asObject(v, what);
    const resolvedAt = optional(o, 'resolvedAt', () => uintField(o, 'resolvedAt'));
    const f = o['failure'] === undefined ? undefined : failureFromJson(asObject(o['failure'], `${what}.failure`), `${what}.failure`);
    return {
      attemptId: str(o, 'attemptId'), status: choice(o, 'status', ['inflight', 'succeeded', 'failed'] as const, what), route: route.decode(o, what),
      amountMsat: msatField(o, 'amountMsat'), feeMsat: msatField(o, 'feeMsat'), startedAt: uintField(o, 'startedAt'),
      ...(resolvedAt !== undefined ? { resolvedAt } : {}),
      ...(f ? { failure: { ...f, codeName: f.codeName ?? 'unknown', message: f.message ?? '' } } : {}),
    };
  },
};

const REASONS: readonly PaymentFailureReason[] = ['rejected_by_payee', 'no_route', 'fee_limit', 'timeout', 'attempts_exhausted', 'invoice_expired'];

export const paymentViewCodec: Codec<PaymentView> = {
  encode(p) {
    const out: JsonObject = {
      paymentHash: p.paymentHash, status: p.status, destination: p.destination, amountMsat: p.amountMsat.toString(), feeMsat: p.feeMsat.toString(),
      route: route.encode(p.route), attempts: p.attempts.map((a) => attemptViewCodec.encode(a)), keysend: p.keysend, createdAt: p.createdAt,
    };
    if (p.preimage !== undefined) out['preimage'] = p.preimage;
    if (p.failure) out['failure'] = { ...failureToJson(p.failure), reason: p.failure.reason, message: p.failure.message };
    if (p.invoice !== undefined) out['invoice'] = p.invoice;
    if (p.resolvedAt !== undefined) out['resolvedAt'] = p.resolvedAt;
    return out;
  },
  decode(v, what = 'payment') {
    const o = asObject(v, what);
    const resolvedAt = optional(o, 'resolvedAt', () => uintField(o, 'resolvedAt'));
    let failure: PaymentView['failure'];
    if (o['failure'] !== undefined) {
      const f = asObject(o['failure'], `${what}.failure`);
      failure = { ...failureFromJson(f, `${what}.failure`), reason: choice(f, 'reason', REASONS, `${what}.failure`), message: str(f, 'message') };
    }
    return {
      paymentHash: str(o, 'paymentHash'), status: choice(o, 'status', ['inflight', 'succeeded', 'failed'] as const, what), destination: str(o, 'destination'),
      amountMsat: msatField(o, 'amountMsat'), feeMsat: msatField(o, 'feeMsat'), route: route.decode(o, what),
      attempts: arrayField(o, 'attempts', MAX_ATTEMPTS, `${what}.attempts`).map((a, i) => attemptViewCodec.decode(a, `${what}.attempts[${i}]`)),
      keysend: boolField(o, 'keysend'), createdAt: uintField(o, 'createdAt'),
      ...(o['preimage'] !== undefined ? { preimage: str(o, 'preimage') } : {}),
      ...(failure ? { failure } : {}),
      ...(o['invoice'] !== undefined ? { invoice: str(o, 'invoice') } : {}),
      ...(resolvedAt !== undefined ? { resolvedAt } : {}),
    };
  },
};

export const routeQueryCodec: Codec<RouteQueryResult> = {
  encode: (r) => ({ destination: r.destination, amountMsat: r.amountMsat.toString(), feeMsat: r.feeMsat.toString(), totalMsat: r.totalMsat.toString(), expiryHeight: r.expiryHeight, route: route.encode(r.route) }),
  decode(v, what = 'route') {
    const o = asObject(v, what);
    return { destination: str(o, 'destination'), amountMsat: msatField(o, 'amountMsat'), feeMsat: msatField(o, 'feeMsat'), totalMsat: msatField(o, 'totalMsat'), expiryHeight: uintField(o, 'expiryHeight'), route: route.decode(o, what) };
  },
};

export const invoiceViewCodec: Codec<InvoiceView> = {
  encode(i) {
    const out: JsonObject = { paymentHash: i.paymentHash, description: i.description, status: i.status, createdAt: i.createdAt, expiresAt: i.expiresAt, keysend: i.keysend };
    if (i.invoice !== undefined) out['invoice'] = i.invoice;
    if (i.amountMsat !== undefined) out['amountMsat'] = i.amountMsat.toString();
    if (i.paidAt !== undefined) out['paidAt'] = i.paidAt;
    if (i.receivedMsat !== undefined) out['receivedMsat'] = i.receivedMsat.toString();
    return out;
  },
  decode(v, what = 'invoice') {
    const o = asObject(v, what);
    const amountMsat = optional(o, 'amountMsat', () => msatField(o, 'amountMsat'));
    const receivedMsat = optional(o, 'receivedMsat', () => msatField(o, 'receivedMsat'));
    const paidAt = optional(o, 'paidAt', () => uintField(o, 'paidAt'));
    return {
      paymentHash: str(o, 'paymentHash'), description: str(o, 'description'), status: choice(o, 'status', ['open', 'paid', 'expired'] as const, what),
      createdAt: uintField(o, 'createdAt'), expiresAt: uintField(o, 'expiresAt'), keysend: boolField(o, 'keysend'),
      ...(o['invoice'] !== undefined ? { invoice: str(o, 'invoice') } : {}),
      ...(amountMsat !== undefined ? { amountMsat } : {}), ...(receivedMsat !== undefined ? { receivedMsat } : {}), ...(paidAt !== undefined ? { paidAt } : {}),
    };
  },
};

export const createdInvoiceCodec: Codec<CreatedInvoice> = {
  encode: (c) => ({ invoice: c.invoice, paymentHash: c.paymentHash, paymentSecret: c.paymentSecret, expiresAt: c.expiresAt, ...(c.amountMsat !== undefined ? { amountMsat: c.amountMsat.toString() } : {}) }),
  decode(v, what = 'invoice') {
    const o = asObject(v, what);
    const amountMsat = optional(o, 'amountMsat', () => msatField(o, 'amountMsat'));
    return { invoice: str(o, 'invoice'), paymentHash: str(o, 'paymentHash'), paymentSecret: str(o, 'paymentSecret'), expiresAt: uintField(o, 'expiresAt'), ...(amountMsat !== undefined ? { amountMsat } : {}) };
  },
};
