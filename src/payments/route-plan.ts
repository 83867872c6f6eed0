// The next route for a payment: the graph (gossip's, or an empty one), the payer's own channels as
// they are now (an HTLC over a channel needs the balance, not the capacity), the invoice's route hints,
// and everything earlier attempts of this payment learned to avoid. Pure: the caller passes the height,
// the time and the scorer.

import type { ChannelGraph, ChannelPolicy, DirectedEdge, NodeId } from '../routing/graph.js';
import { findRoute, type Route } from '../routing/pathfind.js';
import type { LiquidityScorer } from '../routing/scorer.js';
import type { Payment } from './types.js';

/** One of the payer's channels, as the payer's channel layer sees it now. */
export interface LocalChannel {
  readonly shortChannelId: string;
  readonly peer: NodeId;
  /** open and the peer connected: an HTLC can be offered now */
  readonly active: boolean;
  /** what an HTLC over it may carry now (our balance above the reserve, less what is locked) */
  readonly spendableMsat: bigint;
  readonly capacityMsat: bigint;
  readonly htlcMinimumMsat?: bigint;
}

export interface RouteContext {
  readonly graph: ChannelGraph;
  readonly scorer?: LiquidityScorer;
  readonly source: NodeId;
  readonly localChannels: readonly LocalChannel[];
  readonly currentHeight: number;
  readonly nowMs: number;
  readonly maxCltvExpiryDelta?: number;
}

export type RoutePlan =
  | { readonly ok: true; readonly route: Route }
  | { readonly ok: false; readonly reason: 'no_route' | 'fee_limit'; readonly message: string };

const edgeKey = (scid: string, from: NodeId) => `${scid}/${from}`;

/** The payer's own channels as edges: no fee, no delta, carrying at most what is spendable now. */
export function localEdges(source: NodeId, channels: readonly LocalChannel[]): DirectedEdge[] {
  return channels
    .filter((c) => c.active && c.spendableMsat > 0n)
    .map((c) => {
      const policy: ChannelPolicy = { feeBaseMsat: 0n, feePpm: 0n, cltvExpiryDelta: 0, htlcMinimumMsat: c.htlcMinimumMsat ?? 0n, htlcMaximumMsat: c.spendableMsat };
      return { shortChannelId: c.shortChannelId, from: source, to: c.peer, capacityMsat: c.capacityMsat, policy };
    });
}

/**
 * A route for `payment` from `ctx.source`, or why there is none. Edges out of the payer that the graph
 * knows (gossip announces our own channels too) are checked against our channels after the search:
 * one we cannot use now is excluded and the search runs again, at most once per such edge.
 */
export function planRoute(payment: Payment, ctx: RouteContext): RoutePlan {
  const { graph, source } = ctx;
  const own = localEdges(source, ctx.localChannels);
  const ownByScid = new Map(ctx.localChannels.map((c) => [c.shortChannelId, c]));
  const extraEdges = [
    ...own.filter((e) => graph.edge(e.shortChannelId, source) === undefined),
    // A hint from ourselves is one of our channels: our own view of it is the better one. A hinted
    // channel gossip knows: the policy its forwarding node announced beats the payee's guess.
    ...payment.hintEdges.filter((e) => e.from !== source && graph.edge(e.shortChannelId, e.from) === undefined),
  ];
  const exclude = new Set(payment.excludedEdges);
  for (const node of payment.excludedNodes) {
    if (node === payment.payee) continue;
    for (const e of [...graph.incoming(node), ...extraEdges.filter((x) => x.to === node)]) exclude.add(edgeKey(e.shortChannelId, e.from));
  }
  for (const c of ctx.localChannels) if (!c.active) exclude.add(edgeKey(c.shortChannelId, source));

  const search = (maxFeeMsat: bigint | undefined) => {
    for (let tries = 0; tries <= ctx.localChannels.length + 16; tries++) {
      const r = findRoute({
        graph, source, target: payment.payee, amountMsat: payment.amountMsat,
        finalCltvExpiry: ctx.currentHeight + payment.finalCltvExpiryDelta, currentHeight: ctx.currentHeight, nowMs: ctx.nowMs,
        extraEdges, excludeEdges: exclude,
        ...(ctx.scorer ? { scorer: ctx.scorer } : {}),
        ...(maxFeeMsat !== undefined ? { maxFeeMsat } : {}),
        ...(ctx.maxCltvExpiryDelta !== undefined ? { maxCltvExpiryDelta: ctx.maxCltvExpiryDelta } : {}),
      });
      if (!r.ok) return undefined;
      const first = r.route.hops[0]!;
      const mine = ownByScid.get(first.shortChannelId);
      if (mine && mine.active && mine.peer === first.to && mine.spendableMsat >= r.route.amountMsat) return r.route;
      exclude.add(edgeKey(first.shortChannelId, source));
    }
    return undefined;
  };

  const route = search(payment.maxFeeMsat);
  if (route) return { ok: true, route };
  const dearer = search(undefined);
  if (dearer) {
    return { ok: false, reason: 'fee_limit', message: `the cheapest route left costs ${dearer.feeMsat} msat in fees; the limit is ${payment.maxFeeMsat} msat` };
  }
  return { ok: false, reason: 'no_route', message: `no route to ${payment.payee.slice(0, 16)} for ${payment.amountMsat} msat${payment.attempts.length ? ` after ${payment.attempts.length} failed attempt(s)` : ''}` };
}
