// When a stream next needs the scheduler's tick, so the shell can keep one due-queue instead of visiting
// every stream on every pass. Undefined: no tick will change anything until some other event comes (a
// payment is committed or refused, a payment or reveal arrives, the peer reconnects or disconnects).
// A tick at or after the time given here is never needed earlier: step() changes nothing before it.
import type { StreamContext } from './events.js';
import { nextTickAt } from './payer.js';
import { idleExpiryAt } from './payee-step.js';
import { lateGrace, nextBatchAt } from './batch.js';
import { payerClock, type PayeeRecord, type PayerRecord, type StreamRecord } from './record.js';

export function payerWakeAt(r: PayerRecord): number | undefined {
  // Offline: woken when the peer is back. Held: woken by the payment's outcome.
  if (r.status !== 'active' || r.offline || r.held) return undefined;
  return nextBatchAt(r, nextTickAt(payerClock(r)));
}

export function payeeWakeAt(r: PayeeRecord, ctx: Pick<StreamContext, 'graceMs' | 'idleExpiryMs'>, now: number): number | undefined {
  if (r.status !== 'active') return undefined;
  let at: number | undefined;
  const earliest = (t: number) => (at = at === undefined || t < at ? t : at);
  const expiry = idleExpiryAt(r, ctx);
  if (expiry !== undefined) earliest(expiry + 1);
  // Late once no tick came for tickMs + grace (checkLate's rule, strictly more than that many ms).
  const since = Math.max(r.lastTickAt ?? r.startedAt, r.resumedAt ?? r.startedAt);
  const lateAt = since + r.terms.tickMs + lateGrace(r, ctx.graceMs) + 1;
  if (!r.late) earliest(lateAt);
  else if (now < lateAt) earliest(now); // a tick came: on time again at the next pass
  return at;
}

export function wakeAt(r: StreamRecord, ctx: Pick<StreamContext, 'graceMs' | 'idleExpiryMs'>, now: number): number | undefined {
  return r.role === 'payer' ? payerWakeAt(r) : payeeWakeAt(r, ctx, now);
}

