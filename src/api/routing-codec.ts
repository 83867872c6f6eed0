// JSON forms of the routing views (routing-types.ts), in codec.ts's way: msat amounts as decimal
// strings, counts, heights and times as numbers; decoders are strict and name the bad field.
import { InputError } from '../crypto/bytes.js';
import { arrayField, asObject, boolField, msatField, str, uintField, type Json, type JsonObject } from '../util/json-fields.js';
import type { Codec } from './codec.js';
import { has, oneOf } from './codec-fields.js';
import type {
  DecodedInvoiceView,
  ForwardStatus,
  ForwardView,
  GraphChannelView,
  GraphNodeView,
  GraphView,
  InvoiceStatus,
  InvoiceView,
  PaymentAttemptView,
  PolicyView,
  RouteHintHopView,
  RouteHopView,
  RouteView,
  RoutedPaymentStatus,
  RoutedPaymentView,
} from './routing-types.js';

/** Lists a node answers with are bounded by what the node holds; a client refuses a runaway one. */
const MAX_LIST = 1_000_000;
const MAX_ROUTE = 32;

const optMsat = (out: JsonObject, key: string, v: bigint | undefined) => {
  if (v !== undefined) out[key] = v.toString();
};

function list<T>(o: Record<string, unknown>, key: string, max: number, item: (v: unknown, what: string) => T, what: string): T[] {
  return arrayField(o, key, max, `${what}.${key}`).map((v, i) => item(v, `${what}.${key}[${i}]`));
}

const INVOICE_STATUSES: readonly InvoiceStatus[] = ['open', 'paid', 'expired'];
const PAYMENT_STATUSES: readonly RoutedPaymentStatus[] = ['inflight', 'succeeded', 'failed'];

export const invoiceViewCodec: Codec<InvoiceView> = {
  encode(i) {
    const out: JsonObject = { invoice: i.invoice, paymentHash: i.paymentHash };
    optMsat(out, 'amount', i.amount);
    Object.assign(out, { description: i.description, createdAt: i.createdAt, expiresAt: i.expiresAt, status: i.status });
    if (i.paidAt !== undefined) out['paidAt'] = i.paidAt;
    optMsat(out, 'received', i.received);
    return out;
  },
  decode(v, what = 'invoice') {
    const o = asObject(v, what);
    const i: InvoiceView = {
      invoice: str(o, 'invoice'),
      paymentHash: str(o, 'paymentHash'),
      description: str(o, 'description'),
      createdAt: uintField(o, 'createdAt'),
      expiresAt: uintField(o, 'expiresAt'),
      status: oneOf(o, 'status', INVOICE_STATUSES),
    };
    if (has(o, 'amount')) i.amount = msatField(o, 'amount');
    if (has(o, 'paidAt')) i.paidAt = uintField(o, 'paidAt');
    if (has(o, 'received')) i.received = msatField(o, 'received');
    return i;
  },
};

const hintHopCodec: Codec<RouteHintHopView> = {
  encode: (h) => ({ nodeId: h.nodeId, shortChannelId: h.shortChannelId, feeBase: h.feeBase.toString(), feePpm: h.feePpm, cltvExpiryDelta: h.cltvExpiryDelta }),
  decode(v, what = 'hop') {
    const o = asObject(v, what);
    return {
      nodeId: str(o, 'nodeId'),
      shortChannelId: str(o, 'shortChannelId'),
      feeBase: msatField(o, 'feeBase'),
      feePpm: uintField(o, 'feePpm'),
      cltvExpiryDelta: uintField(o, 'cltvExpiryDelta'),
    };
  },
};

export const decodedInvoiceCodec: Codec<DecodedInvoiceView> = {
  encode(d) {
    const out: JsonObject = { network: d.network, payee: d.payee, paymentHash: d.paymentHash };
    optMsat(out, 'amount', d.amount);
    if (d.description !== undefined) out['description'] = d.description;
    if (d.descriptionHash !== undefined) out['descriptionHash'] = d.descriptionHash;
    Object.assign(out, {
      createdAt: d.createdAt,
      expiresAt: d.expiresAt,
      expired: d.expired,
      minFinalCltvExpiryDelta: d.minFinalCltvExpiryDelta,
      features: [...d.features],
      routeHints: d.routeHints.map((r) => r.map((h) => hintHopCodec.encode(h))),
    });
    return out;
  },
  decode(v, what = 'decoded invoice') {
    const o = asObject(v, what);
    const d: DecodedInvoiceView = {
      network: str(o, 'network'),
      payee: str(o, 'payee'),
      paymentHash: str(o, 'paymentHash'),
      createdAt: uintField(o, 'createdAt'),
      expiresAt: uintField(o, 'expiresAt'),
      expired: boolField(o, 'expired'),
      minFinalCltvExpiryDelta: uintField(o, 'minFinalCltvExpiryDelta'),
      features: list(o, 'features', 1024, (f, w) => {
        if (typeof f !== 'number' || !Number.isSafeInteger(f) || f < 0) throw new InputError(`${w}: expected a feature bit number`);
        return f;
      }, what),
      routeHints: list(o, 'routeHints', 64, (r, w) => {
        if (!Array.isArray(r) || r.length > MAX_ROUTE) throw new InputError(`${w}: expected a list of at most ${MAX_ROUTE} hops`);
        return r.map((h, i) => hintHopCodec.decode(h, `${w}[${i}]`));
      }, what),
    };
    if (has(o, 'amount')) d.amount = msatField(o, 'amount');
    if (has(o, 'description')) d.description = str(o, 'description');
    if (has(o, 'descriptionHash')) d.descriptionHash = str(o, 'descriptionHash');
    return d;
  },
};

export const routeHopCodec: Codec<RouteHopView> = {
  encode: (h) => ({ nodeId: h.nodeId, shortChannelId: h.shortChannelId, amount: h.amount.toString(), fee: h.fee.toString(), expiryHeight: h.expiryHeight }),
  decode(v, what = 'hop') {
    const o = asObject(v, what);
    return {
      nodeId: str(o, 'nodeId'),
      shortChannelId: str(o, 'shortChannelId'),
      amount: msatField(o, 'amount'),
      fee: msatField(o, 'fee'),
      expiryHeight: uintField(o, 'expiryHeight'),
    };
  },
};

export const routeViewCodec: Codec<RouteView> = {
  encode: (r) => ({ amount: r.amount.toString(), fee: r.fee.toString(), hops: r.hops.map((h) => routeHopCodec.encode(h)) }),
  decode(v, what = 'route') {
    const o = asObject(v, what);
    return { amount: msatField(o, 'amount'), fee: msatField(o, 'fee'), hops: list(o, 'hops', MAX_ROUTE, (h, w) => routeHopCodec.decode(h, w), what) };
  },
};

const attemptCodec: Codec<PaymentAttemptView> = {
  encode(a) {
    const out: JsonObject = { route: a.route.map((h) => routeHopCodec.encode(h)), status: a.status };
    if (a.failure) {
      const f: JsonObject = { code: a.failure.code };
      if (a.failure.hop !== undefined) f['hop'] = a.failure.hop;
      if (a.failure.nodeId !== undefined) f['nodeId'] = a.failure.nodeId;
      out['failure'] = f;
    }
    return out;
  },
  decode(v, what = 'attempt') {
    const o = asObject(v, what);
    const a: PaymentAttemptView = {
      route: list(o, 'route', MAX_ROUTE, (h, w) => routeHopCodec.decode(h, w), what),
      status: oneOf(o, 'status', PAYMENT_STATUSES),
    };
    if (has(o, 'failure')) {
      const f = asObject(o['failure'], `${what}.failure`);
      a.failure = { code: str(f, 'code') };
      if (has(f, 'hop')) a.failure.hop = uintField(f, 'hop');
      if (has(f, 'nodeId')) a.failure.nodeId = str(f, 'nodeId');
    }
    return a;
  },
};

export const routedPaymentCodec: Codec<RoutedPaymentView> = {
  encode(p) {
    const out: JsonObject = {
      paymentHash: p.paymentHash,
      kind: p.kind,
      payee: p.payee,
      status: p.status,
      amount: p.amount.toString(),
      fee: p.fee.toString(),
      route: p.route.map((h) => routeHopCodec.encode(h)),
      attempts: p.attempts.map((a) => attemptCodec.encode(a)),
    };
    if (p.preimage !== undefined) out['preimage'] = p.preimage;
    if (p.failure !== undefined) out['failure'] = p.failure;
    out['createdAt'] = p.createdAt;
    return out;
  },
  decode(v, what = 'payment') {
    const o = asObject(v, what);
    const p: RoutedPaymentView = {
      paymentHash: str(o, 'paymentHash'),
      kind: oneOf(o, 'kind', ['invoice', 'keysend'] as const),
      payee: str(o, 'payee'),
      status: oneOf(o, 'status', PAYMENT_STATUSES),
      amount: msatField(o, 'amount'),
      fee: msatField(o, 'fee'),
      route: list(o, 'route', MAX_ROUTE, (h, w) => routeHopCodec.decode(h, w), what),
      attempts: list(o, 'attempts', 1024, (a, w) => attemptCodec.decode(a, w), what),
      createdAt: uintField(o, 'createdAt'),
    };
    if (has(o, 'preimage')) p.preimage = str(o, 'preimage');
    if (has(o, 'failure')) p.failure = str(o, 'failure');
    return p;
  },
};

export const policyViewCodec: Codec<PolicyView> = {
  encode(p) {
    const out: JsonObject = { feeBase: p.feeBase.toString(), feePpm: p.feePpm, cltvExpiryDelta: p.cltvExpiryDelta, htlcMinimum: p.htlcMinimum.toString() };
    optMsat(out, 'htlcMaximum', p.htlcMaximum);
    if (p.disabled !== undefined) out['disabled'] = p.disabled;
    return out;
  },
  decode(v, what = 'policy') {
    const o = asObject(v, what);
    const p: PolicyView = {
      feeBase: msatField(o, 'feeBase'),
      feePpm: uintField(o, 'feePpm'),
      cltvExpiryDelta: uintField(o, 'cltvExpiryDelta'),
      htlcMinimum: msatField(o, 'htlcMinimum'),
    };
    if (has(o, 'htlcMaximum')) p.htlcMaximum = msatField(o, 'htlcMaximum');
    if (has(o, 'disabled')) p.disabled = boolField(o, 'disabled');
    return p;
  },
};

const graphChannelCodec: Codec<GraphChannelView> = {
  encode(c) {
    const out: JsonObject = { shortChannelId: c.shortChannelId, node1: c.node1, node2: c.node2, capacity: c.capacity.toString() };
    if (c.policy1) out['policy1'] = policyViewCodec.encode(c.policy1);
    if (c.policy2) out['policy2'] = policyViewCodec.encode(c.policy2);
    return out;
  },
  decode(v, what = 'channel') {
    const o = asObject(v, what);
    const c: GraphChannelView = { shortChannelId: str(o, 'shortChannelId'), node1: str(o, 'node1'), node2: str(o, 'node2'), capacity: msatField(o, 'capacity') };
    if (has(o, 'policy1')) c.policy1 = policyViewCodec.decode(o['policy1'], `${what}.policy1`);
    if (has(o, 'policy2')) c.policy2 = policyViewCodec.decode(o['policy2'], `${what}.policy2`);
    return c;
  },
};

const graphNodeCodec: Codec<GraphNodeView> = {
  encode(n) {
    const out: JsonObject = { nodeId: n.nodeId };
    if (n.alias !== undefined) out['alias'] = n.alias;
    if (n.address !== undefined) out['address'] = n.address;
    out['channels'] = n.channels;
    return out;
  },
  decode(v, what = 'node') {
    const o = asObject(v, what);
    const n: GraphNodeView = { nodeId: str(o, 'nodeId'), channels: uintField(o, 'channels') };
    if (has(o, 'alias')) n.alias = str(o, 'alias');
    if (has(o, 'address')) n.address = str(o, 'address');
    return n;
  },
};

export const graphViewCodec: Codec<GraphView> = {
  encode: (g): Json => ({ nodes: g.nodes.map((n) => graphNodeCodec.encode(n)), channels: g.channels.map((c) => graphChannelCodec.encode(c)) }),
  decode(v, what = 'graph') {
    const o = asObject(v, what);
    return {
      nodes: list(o, 'nodes', MAX_LIST, (n, w) => graphNodeCodec.decode(n, w), what),
      channels: list(o, 'channels', MAX_LIST, (c, w) => graphChannelCodec.decode(c, w), what),
    };
  },
};

const FORWARD_STATUSES: readonly ForwardStatus[] = ['inflight', 'settled', 'failed'];

export const forwardViewCodec: Codec<ForwardView> = {
  encode(f) {
    const out: JsonObject = { incomingChannelId: f.incomingChannelId };
    if (f.outgoingChannelId !== undefined) out['outgoingChannelId'] = f.outgoingChannelId;
    Object.assign(out, { paymentHash: f.paymentHash, amountIn: f.amountIn.toString() });
    optMsat(out, 'amountOut', f.amountOut);
    Object.assign(out, { fee: f.fee.toString(), status: f.status });
    if (f.failure !== undefined) out['failure'] = f.failure;
    out['createdAt'] = f.createdAt;
    if (f.resolvedAt !== undefined) out['resolvedAt'] = f.resolvedAt;
    return out;
  },
  decode(v, what = 'forward') {
    const o = asObject(v, what);
    const f: ForwardView = {
      incomingChannelId: str(o, 'incomingChannelId'),
      paymentHash: str(o, 'paymentHash'),
      amountIn: msatField(o, 'amountIn'),
      fee: msatField(o, 'fee'),
      status: oneOf(o, 'status', FORWARD_STATUSES),
      createdAt: uintField(o, 'createdAt'),
    };
    if (has(o, 'outgoingChannelId')) f.outgoingChannelId = str(o, 'outgoingChannelId');
    if (has(o, 'amountOut')) f.amountOut = msatField(o, 'amountOut');
    if (has(o, 'failure')) f.failure = str(o, 'failure');
    if (has(o, 'resolvedAt')) f.resolvedAt = uintField(o, 'resolvedAt');
    return f;
  },
};
