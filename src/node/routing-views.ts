// The node's routing records as the control API shows them (src/api/routing-types.ts): the payer's
// payments, the payee's invoices, a queried route, the gossip graph and a channel's forwarding policy.
// Pure conversions; amounts stay exact bigint msat.
import { formatShortChannelId } from '../api/invoice-view.js';
import type { InvoiceView as PayeeInvoiceView, PaymentView, RouteHopView as PayerHopView, RouteQueryResult } from '../payments/views.js';
import type { GraphView, InvoiceView, PolicyView, RouteHopView, RouteView, RoutedPaymentView } from '../api/routing-types.js';
import type { ChannelPolicy } from '../routing/graph.js';
import type { ForwardingPolicy } from '../forward/policy.js';
import type { GraphSnapshot } from './gossip-graph.js';

/** Each hop with what its node keeps: the amount into it less the amount it sends on (0 at the payee). */
export function routeHops(hops: readonly PayerHopView[]): RouteHopView[] {
  return hops.map((h, i) => ({
    nodeId: h.nodeId,
    shortChannelId: formatShortChannelId(h.shortChannelId),
    amount: h.amountMsat,
    fee: i + 1 < hops.length ? h.amountMsat - hops[i + 1]!.amountMsat : 0n,
    expiryHeight: h.expiryHeight,
  }));
}

export function routedPaymentView(p: PaymentView): RoutedPaymentView {
  const v: RoutedPaymentView = {
    paymentHash: p.paymentHash,
    kind: p.keysend ? 'keysend' : 'invoice',
    payee: p.destination,
    status: p.status,
    amount: p.amountMsat,
    fee: p.status === 'succeeded' ? p.feeMsat : (p.attempts.at(-1)?.feeMsat ?? p.feeMsat),
    route: routeHops(p.route),
    attempts: p.attempts.map((a) => {
      const view: RoutedPaymentView['attempts'][number] = { route: routeHops(a.route), status: a.status };
      if (a.failure) {
        view.failure = { code: a.failure.codeName };
        if (a.failure.failingHop !== undefined && a.failure.failingHop >= 0) view.failure.hop = a.failure.failingHop;
        if (a.failure.failingNode !== undefined) view.failure.nodeId = a.failure.failingNode;
      }
      return view;
    }),
    createdAt: p.createdAt,
  };
  if (p.preimage !== undefined) v.preimage = p.preimage;
  if (p.failure) v.failure = p.failure.message;
  return v;
}

/** An invoice we issued (keysend receipts have no invoice string and are not listed as invoices). */
export function invoiceApiView(i: PayeeInvoiceView): InvoiceView | undefined {
  if (i.invoice === undefined) return undefined;
  const v: InvoiceView = { invoice: i.invoice, paymentHash: i.paymentHash, description: i.description, createdAt: i.createdAt, expiresAt: i.expiresAt, status: i.status };
  if (i.amountMsat !== undefined) v.amount = i.amountMsat;
  if (i.paidAt !== undefined) v.paidAt = i.paidAt;
  if (i.receivedMsat !== undefined) v.received = i.receivedMsat;
  return v;
}

export function routeView(r: RouteQueryResult): RouteView {
  return { amount: r.amountMsat, fee: r.feeMsat, hops: routeHops(r.route) };
}

export function policyView(p: ForwardingPolicy | ChannelPolicy): PolicyView {
  const v: PolicyView = { feeBase: p.feeBaseMsat, feePpm: Number(p.feePpm), cltvExpiryDelta: p.cltvExpiryDelta, htlcMinimum: p.htlcMinimumMsat };
  if (p.htlcMaximumMsat !== undefined) v.htlcMaximum = p.htlcMaximumMsat;
  if ('disabled' in p && p.disabled !== undefined) v.disabled = p.disabled;
  return v;
}

export function graphView(g: GraphSnapshot): GraphView {
  const channelsOf = new Map<string, number>();
  for (const c of g.channels) for (const n of [c.node1, c.node2]) channelsOf.set(n, (channelsOf.get(n) ?? 0) + 1);
  return {
    nodes: g.nodes.map((n) => ({ nodeId: n.nodeId, ...(n.alias ? { alias: n.alias } : {}), ...(n.addresses[0] ? { address: n.addresses[0] } : {}), channels: channelsOf.get(n.nodeId) ?? 0 })),
    channels: g.channels.map((c) => ({
      shortChannelId: formatShortChannelId(c.shortChannelId),
      node1: c.node1,
      node2: c.node2,
      capacity: c.capacityMsat,
      ...(c.policy1 ? { policy1: policyView(c.policy1) } : {}),
      ...(c.policy2 ? { policy2: policyView(c.policy2) } : {}),
    })),
  };
}
