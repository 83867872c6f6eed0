// The payment lifecycle as pure steps. The shell drives it:
//
//   createPayment ─► nextStep ─► { attempt: route } ─► (shell builds the onion) addAttempt ─► HTLC offered
//        ▲                                                                                       │
//        └──────────── nextStep ◄── applyOutcome(failed, not final) ◄─────── outcome ◄──────────┘
//
// One attempt is in flight at a time (no multi-part payments), so a payment is failed only when no
// HTLC of it can still succeed. Outcomes may arrive more than once (the switch re-delivers after a
// restart): an outcome for an attempt that is no longer in flight changes nothing.

import { toHex } from '../crypto/bytes.js';
import type { Route } from '../routing/pathfind.js';
import { interpretFailure, preimageMatches } from './interpret.js';
import { planRoute, type RouteContext } from './route-plan.js';
import { DEFAULT_MAX_ATTEMPTS, type Attempt, type AttemptOutcome, type Payment, type PaymentFailure, type ScorerUpdate } from './types.js';

/** What a payment starts from: the record's own fields (types.ts) less what the lifecycle sets. */
export type NewPayment = Pick<Payment, 'paymentHash' | 'payee' | 'amountMsat' | 'maxFeeMsat' | 'finalCltvExpiryDelta'>
  & Partial<Pick<Payment, 'maxAttempts' | 'paymentSecret' | 'keysendPreimage' | 'customRecords' | 'invoice' | 'invoiceExpiresAtMs' | 'hintEdges'>>
  & { readonly timeoutMs: number };

export function createPayment(p: NewPayment, nowMs: number): Payment {
  return {
    paymentId: toHex(p.paymentHash),
    paymentHash: p.paymentHash,
    payee: p.payee,
    amountMsat: p.amountMsat,
    maxFeeMsat: p.maxFeeMsat,
    deadlineMs: nowMs + p.timeoutMs,
    maxAttempts: p.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    finalCltvExpiryDelta: p.finalCltvExpiryDelta,
    ...(p.paymentSecret ? { paymentSecret: p.paymentSecret } : {}),
    ...(p.keysendPreimage ? { keysendPreimage: p.keysendPreimage } : {}),
    ...(p.customRecords?.length ? { customRecords: p.customRecords } : {}),
    ...(p.invoice !== undefined ? { invoice: p.invoice } : {}),
    ...(p.invoiceExpiresAtMs !== undefined ? { invoiceExpiresAtMs: p.invoiceExpiresAtMs } : {}),
    hintEdges: p.hintEdges ?? [],
    excludedEdges: [],
    excludedNodes: [],
    attempts: [],
    status: 'inflight',
    createdMs: nowMs,
  };
}

export type NextStep =
  /** offer an HTLC over this route (then addAttempt) */
  | { readonly kind: 'attempt'; readonly route: Route }
  /** an attempt is in flight: wait for its outcome */
  | { readonly kind: 'wait' }
  /** the payment is over (succeeded or failed) */
  | { readonly kind: 'done' };

function fail(payment: Payment, failure: PaymentFailure, nowMs: number): Payment {
  return { ...payment, status: 'failed', failure, resolvedMs: nowMs };
}

const lastFailure = (p: Payment) => p.attempts.at(-1)?.failure;

function withLast(p: Payment, reason: PaymentFailure['reason'], message: string): PaymentFailure {
  const last = lastFailure(p);
  return { reason, message: last ? `${message}; last failure: ${last.message}` : message, ...(last ? { lastFailure: last } : {}) };
}

/** What to do next for an in-flight payment with no attempt in flight: try a route, or give up and why. */
export function nextStep(payment: Payment, ctx: RouteContext): { payment: Payment; next: NextStep } {
  if (payment.status !== 'inflight') return { payment, next: { kind: 'done' } };
  if (payment.attempts.some((a) => a.status === 'inflight')) return { payment, next: { kind: 'wait' } };
  const now = ctx.nowMs;
  const done = (failure: PaymentFailure) => ({ payment: fail(payment, failure, now), next: { kind: 'done' } as const });
  if (payment.invoiceExpiresAtMs !== undefined && now >= payment.invoiceExpiresAtMs) {
    return done(withLast(payment, 'invoice_expired', 'the invoice has expired'));
  }
  if (now >= payment.deadlineMs) return done(withLast(payment, 'timeout', `no attempt succeeded within the time limit (${payment.attempts.length} tried)`));
  if (payment.attempts.length >= payment.maxAttempts) return done(withLast(payment, 'attempts_exhausted', `${payment.attempts.length} attempts failed`));
  const plan = planRoute(payment, ctx);
  if (!plan.ok) return done(withLast(payment, plan.reason, plan.message));
  return { payment, next: { kind: 'attempt', route: plan.route } };
}

/** Record an attempt the shell is about to offer (stored with the channel state that offers it). */
export function addAttempt(payment: Payment, a: { attemptId: string; route: Route; sessionKey: Uint8Array; sharedSecrets?: readonly Uint8Array[]; nowMs: number }): Payment {
  if (payment.status !== 'inflight') throw new Error(`payment ${payment.paymentId} is ${payment.status}`);
  const attempt: Attempt = {
    attemptId: a.attemptId, route: a.route, sessionKey: a.sessionKey, status: 'inflight', startedMs: a.nowMs,
    ...(a.sharedSecrets ? { sharedSecrets: a.sharedSecrets } : {}),
  };
  return { ...payment, attempts: [...payment.attempts, attempt] };
}

export interface OutcomeResult {
  readonly payment: Payment;
  /** false: nothing changed (an outcome seen before, or for an attempt this payment does not have) */
  readonly changed: boolean;
  readonly scorer?: ScorerUpdate;
}

/** Take in an attempt's outcome. A failure that is not final leaves the payment in flight: call nextStep. */
export function applyOutcome(payment: Payment, attemptId: string, outcome: AttemptOutcome, nowMs: number): OutcomeResult {
  const index = payment.attempts.findIndex((a) => a.attemptId === attemptId);
  const attempt = payment.attempts[index];
  if (!attempt || attempt.status !== 'inflight') return { payment, changed: false };
  const attempts = [...payment.attempts];
  if (outcome.kind === 'fulfilled') {
    // the channel layer checks this too; a wrong preimage settles nothing, so it changes nothing here
    if (!preimageMatches(payment.paymentHash, outcome.preimage)) return { payment, changed: false };
    attempts[index] = { ...attempt, status: 'succeeded', resolvedMs: nowMs };
    return {
      payment: { ...payment, attempts, status: 'succeeded', preimage: outcome.preimage, feeMsat: attempt.route.feeMsat, resolvedMs: nowMs },
      changed: true,
      scorer: { kind: 'success', route: attempt.route },
    };
  }
  const lesson = interpretFailure(attempt, outcome);
  attempts[index] = { ...attempt, status: 'failed', resolvedMs: nowMs, failure: lesson.failure };
  const merged: Payment = {
    ...payment,
    attempts,
    excludedEdges: [...new Set([...payment.excludedEdges, ...lesson.excludeEdges])],
    excludedNodes: [...new Set([...payment.excludedNodes, ...lesson.excludeNodes])],
  };
  const next = lesson.failure.final
    ? fail(merged, { reason: 'rejected_by_payee', message: lesson.failure.message, lastFailure: lesson.failure }, nowMs)
    : merged;
  return { payment: next, changed: true, ...(lesson.scorer ? { scorer: lesson.scorer } : {}) };
}
