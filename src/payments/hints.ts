// BOLT 11 `r` route hints as graph edges for findRoute's extraEdges. Each hint is a private path to
// the payee, first hop first: hop k is the channel from hop k's node to the next hop's node (the payee
// after the last). A hint says nothing of capacity or HTLC limits, so they are left open: the hop
// that cannot carry the amount says so and the payer learns it.

import { toHex } from '../crypto/bytes.js';
import type { RouteHintHop } from '../invoice/fields.js';
import type { DirectedEdge, NodeId } from '../routing/graph.js';
import { MAX_MSAT } from '../money.js';

/** Capacity assumed for a hinted channel: unknown, so no bound (the scorer learns one on failure). */
export const HINT_CAPACITY_MSAT = MAX_MSAT;

export function hintEdges(payee: NodeId, hints: readonly (readonly RouteHintHop[])[]): DirectedEdge[] {
  const out: DirectedEdge[] = [];
  for (const route of hints) {
    route.forEach((hop, k) => {
      const to = k + 1 < route.length ? toHex(route[k + 1]!.nodeId) : payee;
      const from = toHex(hop.nodeId);
      if (from === to) return;
      out.push({
        shortChannelId: toHex(hop.shortChannelId),
        from,
        to,
        capacityMsat: HINT_CAPACITY_MSAT,
        policy: {
          feeBaseMsat: BigInt(hop.feeBaseMsat),
          feePpm: BigInt(hop.feeProportionalMillionths),
          cltvExpiryDelta: hop.cltvExpiryDelta,
          htlcMinimumMsat: 0n,
          htlcMaximumMsat: HINT_CAPACITY_MSAT,
        },
      });
    });
  }
  return out;
}
