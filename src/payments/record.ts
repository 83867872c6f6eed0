// A payment as a JSON record for the node's store, and back. bigints are decimal strings and bytes
// hex, as in the other records; reading checks every field, so a damaged record is an error that
// names it rather than a payment with a NaN in it.

import { fromHex, toHex } from '../crypto/bytes.js';
import type { ChannelPolicy, DirectedEdge } from '../routing/graph.js';
import type { Route, RouteHop } from '../routing/pathfind.js';
import { asObject, str, uintField, type Json, type JsonObject } from '../util/json-fields.js';
import type { Attempt, AttemptFailure, Payment, PaymentFailure } from './types.js';

const big = (v: bigint): string => v.toString();
function readBig(o: Record<string, unknown>, key: string): bigint {
  const v = str(o, key);
  if (!/^-?\d+$/.test(v)) throw new Error(`payment record: ${key} is not a whole number`);
  return BigInt(v);
}
const optional = <T>(o: Record<string, unknown>, key: string, read: (v: unknown) => T): T | undefined => (o[key] === undefined ? undefined : read(o[key]));
const num = (o: Record<string, unknown>, key: string): number => {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`payment record: ${key} is not a number`);
  return v;
};

function routeToJson(r: Route): JsonObject {
  return {
    amountMsat: big(r.amountMsat), feeMsat: big(r.feeMsat), cltvExpiry: r.cltvExpiry,
    hops: r.hops.map((h) => ({ shortChannelId: h.shortChannelId, from: h.from, to: h.to, capacityMsat: big(h.capacityMsat), amountMsat: big(h.amountMsat), cltvExpiry: h.cltvExpiry })),
  };
}

function routeFromJson(v: unknown): Route {
  const o = asObject(v, 'route');
  const hops = o['hops'];
  if (!Array.isArray(hops) || hops.length === 0) throw new Error('payment record: a route has no hops');
  return {
    amountMsat: readBig(o, 'amountMsat'), feeMsat: readBig(o, 'feeMsat'), cltvExpiry: uintField(o, 'cltvExpiry'),
    hops: hops.map((x): RouteHop => {
      const h = asObject(x, 'hop');
      return { shortChannelId: str(h, 'shortChannelId'), from: str(h, 'from'), to: str(h, 'to'), capacityMsat: readBig(h, 'capacityMsat'), amountMsat: readBig(h, 'amountMsat'), cltvExpiry: uintField(h, 'cltvExpiry') };
    }),
  };
}

function edgeToJson(e: DirectedEdge): JsonObject {
  const p = e.policy;
  return {
    shortChannelId: e.shortChannelId, from: e.from, to: e.to, capacityMsat: big(e.capacityMsat),
    policy: { feeBaseMsat: big(p.feeBaseMsat), feePpm: big(p.feePpm), cltvExpiryDelta: p.cltvExpiryDelta, htlcMinimumMsat: big(p.htlcMinimumMsat), htlcMaximumMsat: big(p.htlcMaximumMsat) },
  };
}

function edgeFromJson(v: unknown): DirectedEdge {
  const o = asObject(v, 'edge');
  const p = asObject(o['policy'], 'policy');
  const policy: ChannelPolicy = { feeBaseMsat: readBig(p, 'feeBaseMsat'), feePpm: readBig(p, 'feePpm'), cltvExpiryDelta: uintField(p, 'cltvExpiryDelta'), htlcMinimumMsat: readBig(p, 'htlcMinimumMsat'), htlcMaximumMsat: readBig(p, 'htlcMaximumMsat') };
  return { shortChannelId: str(o, 'shortChannelId'), from: str(o, 'from'), to: str(o, 'to'), capacityMsat: readBig(o, 'capacityMsat'), policy };
}

function attemptFailureToJson(f: AttemptFailure): JsonObject {
  const out: JsonObject = { codeName: f.codeName, message: f.message, final: f.final };
  if (f.failingHop !== undefined) out['failingHop'] = f.failingHop;
  if (f.failingNode !== undefined) out['failingNode'] = f.failingNode;
  if (f.code !== undefined) out['code'] = f.code;
  return out;
}

function attemptFailureFromJson(v: unknown): AttemptFailure {
  const o = asObject(v, 'failure');
  const failingHop = optional(o, 'failingHop', () => num(o, 'failingHop'));
  const failingNode = optional(o, 'failingNode', () => str(o, 'failingNode'));
  const code = optional(o, 'code', () => num(o, 'code'));
  return {
    codeName: str(o, 'codeName'), message: str(o, 'message'), final: o['final'] === true,
    ...(failingHop !== undefined ? { failingHop } : {}), ...(failingNode !== undefined ? { failingNode } : {}), ...(code !== undefined ? { code } : {}),
  };
}

function paymentFailureToJson(f: PaymentFailure): JsonObject {
  return { reason: f.reason, message: f.message, ...(f.lastFailure ? { lastFailure: attemptFailureToJson(f.lastFailure) } : {}) };
}

const FAILURE_REASONS = ['rejected_by_payee', 'no_route', 'fee_limit', 'timeout', 'attempts_exhausted', 'invoice_expired'] as const;

function paymentFailureFromJson(v: unknown): PaymentFailure {
  const o = asObject(v, 'failure');
  const reason = str(o, 'reason') as PaymentFailure['reason'];
  if (!FAILURE_REASONS.includes(reason)) throw new Error(`payment record: unknown failure reason ${reason}`);
  return { reason, message: str(o, 'message'), ...(o['lastFailure'] !== undefined ? { lastFailure: attemptFailureFromJson(o['lastFailure']) } : {}) };
}

function attemptToJson(a: Attempt): JsonObject {
  const out: JsonObject = { attemptId: a.attemptId, route: routeToJson(a.route), sessionKey: toHex(a.sessionKey), status: a.status, startedMs: a.startedMs };
  if (a.resolvedMs !== undefined) out['resolvedMs'] = a.resolvedMs;
  if (a.failure) out['failure'] = attemptFailureToJson(a.failure);
  return out;
}

const STATUSES = ['inflight', 'succeeded', 'failed'] as const;
function status(o: Record<string, unknown>): (typeof STATUSES)[number] {
  const s = str(o, 'status');
  if (!(STATUSES as readonly string[]).includes(s)) throw new Error(`payment record: unknown status ${s}`);
  return s as (typeof STATUSES)[number];
}

function attemptFromJson(v: unknown): Attempt {
  const o = asObject(v, 'attempt');
  const resolvedMs = optional(o, 'resolvedMs', () => num(o, 'resolvedMs'));
  return {
    attemptId: str(o, 'attemptId'), route: routeFromJson(o['route']), sessionKey: fromHex(str(o, 'sessionKey'), 'sessionKey', 32),
    status: status(o), startedMs: num(o, 'startedMs'),
    ...(resolvedMs !== undefined ? { resolvedMs } : {}),
    ...(o['failure'] !== undefined ? { failure: attemptFailureFromJson(o['failure']) } : {}),
  };
}

/** The record written to the store. Shared secrets are not kept: the session key derives them again. */
export function paymentToJson(p: Payment): JsonObject {
  const out: { [k: string]: Json } = {
    paymentId: p.paymentId, paymentHash: toHex(p.paymentHash), payee: p.payee, amountMsat: big(p.amountMsat), maxFeeMsat: big(p.maxFeeMsat),
    deadlineMs: p.deadlineMs, maxAttempts: p.maxAttempts, finalCltvExpiryDelta: p.finalCltvExpiryDelta,
    hintEdges: p.hintEdges.map(edgeToJson), excludedEdges: [...p.excludedEdges], excludedNodes: [...p.excludedNodes],
    attempts: p.attempts.map(attemptToJson), status: p.status, createdMs: p.createdMs,
  };
  if (p.paymentSecret) out['paymentSecret'] = toHex(p.paymentSecret);
  if (p.keysendPreimage) out['keysendPreimage'] = toHex(p.keysendPreimage);
  if (p.customRecords?.length) out['customRecords'] = p.customRecords.map((r) => ({ type: r.type.toString(), value: toHex(r.value) }));
  if (p.invoice !== undefined) out['invoice'] = p.invoice;
  if (p.invoiceExpiresAtMs !== undefined) out['invoiceExpiresAtMs'] = p.invoiceExpiresAtMs;
  if (p.resolvedMs !== undefined) out['resolvedMs'] = p.resolvedMs;
  if (p.preimage) out['preimage'] = toHex(p.preimage);
  if (p.feeMsat !== undefined) out['feeMsat'] = big(p.feeMsat);
  if (p.failure) out['failure'] = paymentFailureToJson(p.failure);
  return out;
}

const strings = (v: unknown, what: string): string[] => {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`payment record: ${what} is not a list of strings`);
  return v as string[];
};

export function paymentFromJson(v: unknown): Payment {
  const o = asObject(v, 'payment');
  const list = (key: string) => {
    const x = o[key];
    if (!Array.isArray(x)) throw new Error(`payment record: ${key} is not a list`);
    return x as unknown[];
  };
  const hex = (key: string, length: number) => optional(o, key, () => fromHex(str(o, key), key, length));
  const paymentSecret = hex('paymentSecret', 32);
  const keysendPreimage = hex('keysendPreimage', 32);
  const preimage = hex('preimage', 32);
  const customRecords = optional(o, 'customRecords', () => list('customRecords').map((x) => {
    const r = asObject(x, 'custom record');
    return { type: BigInt(str(r, 'type')), value: fromHex(str(r, 'value'), 'custom record value') };
  }));
  const invoice = optional(o, 'invoice', () => str(o, 'invoice'));
  const invoiceExpiresAtMs = optional(o, 'invoiceExpiresAtMs', () => num(o, 'invoiceExpiresAtMs'));
  const resolvedMs = optional(o, 'resolvedMs', () => num(o, 'resolvedMs'));
  const feeMsat = optional(o, 'feeMsat', () => readBig(o, 'feeMsat'));
  return {
    paymentId: str(o, 'paymentId'), paymentHash: fromHex(str(o, 'paymentHash'), 'paymentHash', 32), payee: str(o, 'payee'),
    amountMsat: readBig(o, 'amountMsat'), maxFeeMsat: readBig(o, 'maxFeeMsat'), deadlineMs: num(o, 'deadlineMs'),
    maxAttempts: uintField(o, 'maxAttempts'), finalCltvExpiryDelta: uintField(o, 'finalCltvExpiryDelta'),
    hintEdges: list('hintEdges').map(edgeFromJson), excludedEdges: strings(o['excludedEdges'], 'excludedEdges'), excludedNodes: strings(o['excludedNodes'], 'excludedNodes'),
    attempts: list('attempts').map(attemptFromJson), status: status(o), createdMs: num(o, 'createdMs'),
    ...(paymentSecret ? { paymentSecret } : {}), ...(keysendPreimage ? { keysendPreimage } : {}), ...(preimage ? { preimage } : {}),
    ...(customRecords?.length ? { customRecords } : {}),
    ...(invoice !== undefined ? { invoice } : {}), ...(invoiceExpiresAtMs !== undefined ? { invoiceExpiresAtMs } : {}),
    ...(resolvedMs !== undefined ? { resolvedMs } : {}), ...(feeMsat !== undefined ? { feeMsat } : {}),
    ...(o['failure'] !== undefined ? { failure: paymentFailureFromJson(o['failure']) } : {}),
  };
}
