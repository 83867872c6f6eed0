// A payment as its callers see it (src/payments/views.ts), and the payer's own channels as the
// route planner wants them.
import { toHex } from '../crypto/bytes.js';
import type { LocalChannel } from '../payments/route-plan.js';
import type { Attempt, AttemptFailure, Payment } from '../payments/types.js';
import type { AttemptFailureView, PaymentView, RouteHopView } from '../payments/views.js';

export type { AttemptFailureView, AttemptView, PaymentView, RouteHopView } from '../payments/views.js';
import type { LocalChannelView } from './htlc-types.js';

const routeView = (a: Attempt): RouteHopView[] => a.route.hops.map((h) => ({ shortChannelId: h.shortChannelId, nodeId: h.to, amountMsat: h.amountMsat, expiryHeight: h.cltvExpiry }));

function failureView(f: AttemptFailure): AttemptFailureView {
  return {
    codeName: f.codeName, message: f.message,
    ...(f.failingHop !== undefined ? { failingHop: f.failingHop } : {}),
    ...(f.failingNode !== undefined ? { failingNode: f.failingNode } : {}),
    ...(f.code !== undefined ? { code: f.code } : {}),
  };
}

export function paymentView(p: Payment): PaymentView {
  const shown = p.attempts.find((a) => a.status === 'succeeded') ?? p.attempts.at(-1);
  const last = p.failure?.lastFailure;
  return {
    paymentHash: p.paymentId,
    status: p.status,
    destination: p.payee,
    amountMsat: p.amountMsat,
    feeMsat: p.feeMsat ?? 0n,
    route: shown ? routeView(shown) : [],
    attempts: p.attempts.map((a) => ({
      attemptId: a.attemptId, status: a.status, route: routeView(a), amountMsat: a.route.amountMsat, feeMsat: a.route.feeMsat, startedAt: a.startedMs,
      ...(a.resolvedMs !== undefined ? { resolvedAt: a.resolvedMs } : {}),
      ...(a.failure ? { failure: failureView(a.failure) } : {}),
    })),
    ...(p.preimage ? { preimage: toHex(p.preimage) } : {}),
    ...(p.failure ? { failure: { ...(last ? failureView(last) : {}), reason: p.failure.reason, message: p.failure.message } } : {}),
    keysend: p.keysendPreimage !== undefined,
    ...(p.invoice !== undefined ? { invoice: p.invoice } : {}),
    createdAt: p.createdMs,
    ...(p.resolvedMs !== undefined ? { resolvedAt: p.resolvedMs } : {}),
  };
}

/**
 * A local channel's short channel id, as the switch gives it: the ledger's once read, until then the
 * first 8 bytes of the channel id, which the switch also resolves when forwarding (htlc-views.ts).
 */
export function localShortChannelId(v: Pick<LocalChannelView, 'shortChannelId' | 'channelId'>): string {
  return v.shortChannelId ?? v.channelId.slice(0, 16);
}

export function localChannelsForRoutes(views: readonly LocalChannelView[]): LocalChannel[] {
  return views.map((v) => ({
    shortChannelId: localShortChannelId(v), peer: v.peerNodeId, active: v.active, spendableMsat: v.spendableMsat, capacityMsat: v.capacityMsat,
    htlcMinimumMsat: v.policy.htlcMinimumMsat,
  }));
}
