// Route finding: Dijkstra backwards from the payee, as LND and LDK do, because what a hop must
// receive depends on everything after it (BOLT 7 "HTLC Fees": a node forwarding `a` over its channel
// takes fee_base + a·ppm/10^6 on top; its expiry must exceed the next one by its cltv_expiry_delta).
// Walking from the payee, each node's incoming amount and expiry are exact when it is reached.
//
//   cost(edge) = fee + amount · delta · riskFactor / 10^9 (expiry risk) + scorer penalty (-log P)
//
// The payer's own first channel charges no fee and adds no delta. Every channel on the result
// carries an amount within its htlc_minimum/maximum and capacity; the total fee stays within
// maxFeeMsat and the total expiry delta within maxCltvExpiryDelta.

import { MinHeap } from './heap.js';
import { forwardingFee, type ChannelGraph, type DirectedEdge, type NodeId } from './graph.js';
import type { LiquidityScorer } from './scorer.js';
import type { Result } from '../util/result.js';

export interface RouteHop {
  readonly shortChannelId: string;
  /** the node at the start of this channel (the payer for the first hop) */
  readonly from: NodeId;
  /** the node this hop reaches */
  readonly to: NodeId;
  readonly capacityMsat: bigint;
  /** what the HTLC over this channel carries */
  readonly amountMsat: bigint;
  /** its expiry height */
  readonly cltvExpiry: number;
}

export interface Route {
  readonly hops: readonly RouteHop[];
  /** what the payer sends on its first channel */
  readonly amountMsat: bigint;
  readonly feeMsat: bigint;
  /** the first HTLC's expiry height */
  readonly cltvExpiry: number;
}

export interface FindRouteOptions {
  readonly graph: ChannelGraph;
  readonly scorer?: LiquidityScorer;
  readonly source: NodeId;
  readonly target: NodeId;
  /** what the payee must receive */
  readonly amountMsat: bigint;
  /** the expiry height the payee's HTLC must have (current height + the invoice's c) */
  readonly finalCltvExpiry: number;
  readonly currentHeight: number;
  /** time for the scorer's decay */
  readonly nowMs: number;
  readonly maxFeeMsat?: bigint;
  /** BOLT 4's max_htlc_cltv: how far above the current height the first HTLC may expire */
  readonly maxCltvExpiryDelta?: number;
  /** 27: what fits in a 1300-byte onion with typical payloads */
  readonly maxHops?: number;
  /** parts per billion of amount·blocks charged for locking funds longer (LND's default is 15) */
  readonly riskFactorPpb?: number;
  /** edges to skip (for instance the ones that just failed): `${shortChannelId}/${from}` */
  readonly excludeEdges?: ReadonlySet<string>;
  /** extra edges, e.g. from invoice route hints, added to the graph's for this search only */
  readonly extraEdges?: readonly DirectedEdge[];
}

export type FindRouteResult = Result<{ readonly route: Route }, { readonly reason: 'no_route'; readonly message: string }>;

export const DEFAULT_MAX_HOPS = 27;
export const DEFAULT_MAX_CLTV_EXPIRY_DELTA = 2016;
export const DEFAULT_RISK_FACTOR_PPB = 15;

interface Label {
  cost: number;
  /** the amount arriving at this node over the channel into it (for the source: what it sends) */
  amountMsat: bigint;
  /** the expiry of the HTLC arriving at this node */
  cltvExpiry: number;
  hops: number;
  /** the edge out of this node towards the payee, and the node it leads to */
  next?: DirectedEdge;
}

export function findRoute(opts: FindRouteOptions): FindRouteResult {
  const { graph, scorer, source, target, amountMsat, finalCltvExpiry, nowMs } = opts;
  const maxFee = opts.maxFeeMsat;
  const maxHops = opts.maxHops ?? DEFAULT_MAX_HOPS;
  const maxExpiry = opts.currentHeight + (opts.maxCltvExpiryDelta ?? DEFAULT_MAX_CLTV_EXPIRY_DELTA);
  const risk = opts.riskFactorPpb ?? DEFAULT_RISK_FACTOR_PPB;
  if (amountMsat <= 0n) return { ok: false, error: { reason: 'no_route', message: 'amount must be positive' } };
  if (source === target) return { ok: false, error: { reason: 'no_route', message: 'the payee is the payer' } };

  const extra = new Map<NodeId, DirectedEdge[]>();
  for (const e of opts.extraEdges ?? []) extra.set(e.to, [...(extra.get(e.to) ?? []), e]);

  const labels = new Map<NodeId, Label>([[target, { cost: 0, amountMsat, cltvExpiry: finalCltvExpiry, hops: 0 }]]);
  const settled = new Set<NodeId>();
  const frontier = new MinHeap<NodeId>();
  frontier.push(0, target);

  for (let top = frontier.pop(); top !== undefined; top = frontier.pop()) {
    const v = top.item;
    if (settled.has(v)) continue;
    settled.add(v);
    if (v === source) break;
    const at = labels.get(v)!;
    if (at.hops >= maxHops) continue;
    for (const edge of [...graph.incoming(v), ...(extra.get(v) ?? [])]) {
      const u = edge.from;
      if (settled.has(u) || opts.excludeEdges?.has(`${edge.shortChannelId}/${u}`)) continue;
      const p = edge.policy;
      const carried = at.amountMsat;
      if (p.disabled || carried < p.htlcMinimumMsat || carried > p.htlcMaximumMsat || carried > edge.capacityMsat) continue;
      const isSource = u === source;
      const fee = isSource ? 0n : forwardingFee(p, carried);
      const arriving = carried + fee;
      const cltvExpiry = isSource ? at.cltvExpiry : at.cltvExpiry + p.cltvExpiryDelta;
      if (maxFee !== undefined && arriving - amountMsat > maxFee) continue;
      if (cltvExpiry > maxExpiry) continue;
      const penalty = scorer ? scorer.penaltyMsat({ shortChannelId: edge.shortChannelId, from: u, capacityMsat: edge.capacityMsat, amountMsat: carried }, nowMs) : 0;
      if (penalty === Infinity) continue;
      const riskCost = isSource ? 0 : (Number(carried) * p.cltvExpiryDelta * risk) / 1e9;
      const cost = at.cost + Number(fee) + riskCost + penalty;
      const known = labels.get(u);
      if (known && known.cost <= cost) continue;
      labels.set(u, { cost, amountMsat: arriving, cltvExpiry, hops: at.hops + 1, next: edge });
      frontier.push(cost, u);
    }
  }

  const start = labels.get(source);
  if (!start || !settled.has(source)) return { ok: false, error: { reason: 'no_route', message: 'no route satisfies the channels\' policies and the limits' } };
  const hops: RouteHop[] = [];
  for (let node = source, label = start; label.next !== undefined; ) {
    const edge = label.next;
    const nextLabel = labels.get(edge.to)!;
    hops.push({ shortChannelId: edge.shortChannelId, from: node, to: edge.to, capacityMsat: edge.capacityMsat, amountMsat: nextLabel.amountMsat, cltvExpiry: nextLabel.cltvExpiry });
    node = edge.to;
    label = nextLabel;
  }
  return { ok: true, route: { hops, amountMsat: start.amountMsat, feeMsat: start.amountMsat - amountMsat, cltvExpiry: hops[0]!.cltvExpiry } };
}
