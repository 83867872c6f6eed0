// The payer's side of the stream machine. Money is absolute totals with one hold: a tick that falls due
// becomes `held` (its spend held against the limits, a streamPay proposed), then committed when the
// state carrying it is signed, or cancelled (the spend given back) when it is refused. While a payment
// is held, ticks that come due wait and go into the next one, so one stream has one payment in flight.
import { fromHex } from '../crypto/bytes.js';
import { assertNever } from '../util/errors.js';
import type { StreamControlAction } from '../wire/stream.js';
import { done, refuse, type StreamContext, type StreamEffect, type StreamEvent, type StreamStepResult } from './events.js';
import { goOffline, goOnline, nextTickAt, pausePayer, recordTicksTo, resumePayer, stopPayer, ticksDue } from './payer.js';
import { isEnded, payerClock, withClock, type PayerRecord } from './record.js';
import { control, endedAs, FINISHED_REASON, repeatRecentStop } from './step-common.js';
import { owedAfter } from './terms.js';
import { batchDue, batchSlot, ROUTE_GIVE_UP_MS } from './batch.js';

/** The payer's clock stopped now (its running time folded in). */
const halted = (r: PayerRecord, now: number): PayerRecord => withClock(r, stopPayer(payerClock(r), now));

/** End the stream: fold its running time, store it, tell the peer (unless it told us) and the node. */
function end(r: PayerRecord, status: 'stopped' | 'finished', reason: string, now: number, before: StreamEffect[] = []): StreamStepResult {
  if (isEnded(r.status)) return done(r, before);
  const clock = payerClock(r);
  const next = endedAs(withClock(r, clock.status === 'finished' ? clock : stopPayer(clock, now)), status, reason, now);
  return done(next, [...before, { type: 'persist', when: 'now' }, control(next, 'stop', reason), { type: 'emit', event: status }]);
}

function activate(r: PayerRecord, now: number): StreamStepResult {
  const { budgetHold: _spent, ...rest } = r; // a budget hold is now a spend: the lock is signed
  const next: PayerRecord = { ...rest, status: 'active', activeMs: 0, resumedAt: now };
  return done(next, [{ type: 'persist', when: 'now' }, { type: 'emit', event: 'opened' }]);
}

/** Give back the budget's spend hold, if the stream still has one. */
function releaseBudget(r: PayerRecord): { r: PayerRecord; effects: StreamEffect[] } {
  if (!r.budgetHold) return { r, effects: [] };
  const { budgetHold, ...rest } = r;
  return { r: rest, effects: [{ type: 'release', amount: budgetHold.amount, at: budgetHold.at }] };
}

export function stepPayer(r: PayerRecord, ev: StreamEvent, ctx: StreamContext): StreamStepResult {
  switch (ev.type) {
    case 'accepted': {
      if (r.status !== 'opening') return refuse('ignore', 'WRONG_STATUS', `stream is ${r.status}`);
      if (!r.chain) return activate(r, ev.now);
      if (!ctx.chain) return refuse('warn', 'NO_CHAIN', 'the hash chain for this stream is not loaded');
      const { lockId, unit, units } = r.chain;
      return done(r, [{ type: 'lock', root: ctx.chain.root, unit, maxUnits: units, lockId }]);
    }
    case 'lockCommitted':
      if (r.status !== 'opening' || !r.chain) return refuse('ignore', 'WRONG_STATUS', `stream is ${r.status}`);
      return activate(r, ev.now);
    case 'lockRefused': {
      if (r.status !== 'opening') return refuse('ignore', 'WRONG_STATUS', `stream is ${r.status}`);
      const { r: freed, effects } = releaseBudget(r);
      const reason = `could not lock the budget: ${ev.reason}`;
      return done(endedAs(freed, 'stopped', reason, ev.now), [...effects, { type: 'persist', when: 'now' }, control(freed, 'stop', reason)]);
    }
    case 'rejected': {
      if (r.status !== 'opening') return refuse('ignore', 'WRONG_STATUS', `stream is ${r.status}`);
      const { r: freed, effects } = releaseBudget(r);
      return done(endedAs(freed, 'rejected', ev.reason, ev.now), [...effects, { type: 'persist', when: 'now' }]);
    }
    case 'tick':
      return r.status === 'active' ? tick(r, ev, ctx) : done(r);
    case 'committed': {
      if (!r.held || r.held.ticks !== ev.ticks) return refuse('ignore', 'NOT_HELD', `no payment to ${ev.ticks} ticks is in flight`);
      const { held: _h, ...rest } = r;
      const clock = recordTicksTo(payerClock(r), ev.ticks, ev.now);
      const next = withClock(rest, clock);
      if (next.routed) {
        const { failingSince: _f, ...rt } = next.routed;
        next.routed = { ...rt, feesPaid: rt.feesPaid + (ev.feeMsat ?? 0n) };
      }
      const effects: StreamEffect[] = [{ type: 'emit', event: 'tick', at: next }];
      if (clock.status === 'finished' && r.status === 'active') return end(next, 'finished', FINISHED_REASON, ev.now, effects);
      // A routed payer has no channel state to carry its total: the batch's end is stored at once.
      return done(next, [...effects, { type: 'persist', when: next.routed ? 'now' : 'batched' }]);
    }
    case 'refused': {
      if (!r.held || r.held.ticks !== ev.ticks) return refuse('ignore', 'NOT_HELD', `no payment to ${ev.ticks} ticks is in flight`);
      const { held, ...rest } = r;
      const release: StreamEffect = { type: 'release', amount: held.amount, at: held.at };
      if (isEnded(r.status)) return done(rest, [release, { type: 'persist', when: 'now' }]);
      if (rest.routed && !ev.final) return batchFailed(rest, ev.reason, ev.now, release);
      return end(rest, 'stopped', `a tick was refused: ${ev.reason}`, ev.now, [release]);
    }
    case 'holdRefused': {
      if (!r.held || r.held.ticks !== ev.ticks) return refuse('ignore', 'NOT_HELD', `no payment to ${ev.ticks} ticks is held`);
      const { held: _h, ...rest } = r; // nothing was counted, so nothing is given back
      return rest.status === 'active' ? limitReached(rest, ev.now) : done(rest, [{ type: 'persist', when: 'now' }]);
    }
    case 'paid':
    case 'reveal':
      return refuse('ignore', 'NOT_PAYEE', 'this node pays this stream');
    case 'control':
      return userControl(r, ev.action, ev.now);
    case 'peerControl':
      if (ev.action !== 'stop') return refuse('ignore', 'NOT_PAYER', 'only the payer pauses and resumes a stream');
      return end(r, 'stopped', ev.reason || 'stopped by the peer', ev.now);
    case 'budgetReturned':
      return budgetReturned(r, ev.now);
    case 'channelEnded': {
      if (isEnded(r.status)) return done(r);
      const { r: freed, effects } = releaseBudget(r); // a budget that was never locked
      return done(endedAs(halted(freed, ev.now), 'stopped', 'the channel is closing', ev.now), [...effects, { type: 'persist', when: 'now' }, { type: 'emit', event: 'stopped' }]);
    }
    case 'peerConnected':
      // Repeat what the peer may have missed while away; both are harmless to receive twice.
      if (r.status === 'paused') return done(r, [control(r, 'pause', r.reason ?? '')]);
      if (r.status === 'active') return done(r, [control(r, 'resume', '')]); // a resume it may have missed
      return repeatRecentStop(r, ev.now);
    default:
      return assertNever(ev, 'stream event');
  }
}

/**
 * The payee released the budget's lock: the units it can no longer claim came back to us, so their spend
 * goes back to the limits (else a payee that stops every stream at once would use a payer's limit up with
 * money that never left). Every unit past the depth we revealed comes back, since no one can claim it
 * without a preimage we never showed; a payee that released before claiming what it had gets less, and
 * the limits keep that counted (erring toward refusing). A release mid-stream ends the stream: nothing
 * locked backs its reveals any more.
 */
function budgetReturned(r: PayerRecord, now: number): StreamStepResult {
  const c = r.chain;
  if (!c || c.returned || r.status === 'opening') return refuse('ignore', 'NOT_LOCKED', 'no budget of this stream is locked');
  // Still a hold: the lock was signed after this node gave up the open (it restarted while opening), and
  // nothing was revealed, so all of it came back.
  const { budgetHold, ...rest } = r;
  const units = c.units - Math.min(r.ticksPaid, c.units);
  const next: PayerRecord = { ...rest, chain: { ...c, returned: true } };
  // The budget was held when the stream opened (startedAt): the spend is taken back from that hour.
  const back: StreamEffect[] = budgetHold ? [{ type: 'release', amount: budgetHold.amount, at: budgetHold.at }]
    : units > 0 ? [{ type: 'release', amount: c.unit * BigInt(units), at: r.startedAt }] : [];
  if (isEnded(r.status)) return done(next, [...back, { type: 'persist', when: 'now' }]);
  return end(next, 'stopped', 'the payee gave the budget back', now, back);
}

/**
 * The scheduler's tick would change nothing (so the shell may skip it): the peer's reachability is as the
 * clock has it, and no tick is due or a payment is already held.
 */
export function payerTickIdle(r: PayerRecord, now: number, reachable: boolean): boolean {
  if (r.status !== 'active') return true;
  if (reachable === !!r.offline) return false;
  if (!reachable || r.held) return true;
  const next = nextTickAt(payerClock(r));
  return next === undefined || next > now;
}

function tick(r: PayerRecord, ev: Extract<StreamEvent, { type: 'tick' }>, ctx: StreamContext): StreamStepResult {
  const { now } = ev;
  // Ticks stop while the peer or channel is away; the time offline never accrues.
  if (!ev.reachable) return done(withClock(r, goOffline(payerClock(r), now)));
  const clock = goOnline(payerClock(r), now);
  const online = withClock(r, clock);
  if (online.held) return done(online); // one payment in flight: what comes due meanwhile goes into the next
  const due = ticksDue(clock, now);
  if (due <= 0) return done(online);
  const after = online.ticksPaid + due;
  if (online.chain) {
    // Hash-chain ticks are reveals against the locked budget: paid as soon as they are sent.
    if (!ctx.chain) return refuse('warn', 'NO_CHAIN', 'the hash chain for this stream is not loaded');
    const depth = Math.min(after, online.chain.units);
    const paid = recordTicksTo(clock, depth, now);
    const next = withClock(online, paid);
    const effects: StreamEffect[] = [
      { type: 'send', message: { kind: 'streamTick', streamId: fromHex(r.id), depth, preimage: ctx.chain.preimageAt(depth) } },
      { type: 'emit', event: 'tick', at: next },
    ];
    if (paid.status === 'finished') return end(next, 'finished', FINISHED_REASON, now, effects);
    return done(next, [...effects, { type: 'persist', when: 'batched' }]);
  }
  const paid = online.ticksPaid;
  const cost = (ticks: number) => owedAfter(r.terms, ticks) - owedAfter(r.terms, paid);
  if (ev.spendable < cost(after)) return end(online, 'stopped', 'the channel has no more to pay with', now);
  // Past a spending limit: pay the ticks that still fit, and pause once not even one does.
  const to = ev.allowance === undefined ? after : mostTicksWithin(paid, after, ev.allowance, cost);
  if (to === paid) return limitReached(online, now);
  // Routed: ticks gather into one HTLC per batch interval; the batch is stored (held) before it is offered.
  if (online.routed && !batchDue(online, to, now)) return done(online);
  const amount = cost(to);
  if (online.routed) {
    // A batch worth nothing is not sent (an HTLC must carry money): its ticks go into the next one.
    if (amount === 0n) return done(online);
    const held: PayerRecord = { ...online, held: { ticks: to, amount, at: now }, routed: { ...online.routed, lastBatchAt: batchSlot(online, now) } };
    return done(held, [{ type: 'hold', amount }, { type: 'persist', when: 'now' }, { type: 'payBatch', amount, from: paid, ticks: to }]);
  }
  return done({ ...online, held: { ticks: to, amount, at: now } }, [{ type: 'hold', amount }, { type: 'pay', amount, ticks: to }]);
}

/**
 * Routed: a batch found no route that worked (every attempt failed back, so nothing moved). Its ticks stay
 * due and go into the next batch (a new tick range, so a new payment hash); the stream ends only once no
 * batch has gone through for ROUTE_GIVE_UP_MS. A refusal by the payee itself is final (the 'refused' event's `final`).
 */
function batchFailed(r: PayerRecord, reason: string, now: number, release: StreamEffect): StreamStepResult {
  const since = r.routed!.failingSince ?? now;
  if (now - since >= ROUTE_GIVE_UP_MS) return end(r, 'stopped', `no batch went through for ${ROUTE_GIVE_UP_MS / 1000} s: ${reason}`, now, [release]);
  return done({ ...r, routed: { ...r.routed!, failingSince: since } }, [release, { type: 'persist', when: 'now' }]);
}

/** Not even one more tick fits the spending limits: pause (the user resumes once there is room again). */
function limitReached(r: PayerRecord, now: number): StreamStepResult {
  const reason = 'a spending limit is reached';
  const next: PayerRecord = { ...withClock(r, pausePayer(payerClock(r), now)), status: 'paused', reason };
  return done(next, [{ type: 'persist', when: 'now' }, control(next, 'pause', reason), { type: 'emit', event: 'paused' }]);
}

/** The largest total in [from, to] whose cost fits `budget` (the cost only grows with the total). */
function mostTicksWithin(from: number, to: number, budget: bigint, cost: (ticks: number) => bigint): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (cost(mid) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function userControl(r: PayerRecord, action: StreamControlAction, now: number): StreamStepResult {
  if (isEnded(r.status) || r.status === 'opening') return refuse('conflict', 'WRONG_STATUS', `stream is ${r.status}`);
  const clock = payerClock(r);
  switch (action) {
    case 'pause': {
      const next: PayerRecord = { ...withClock(r, pausePayer(clock, now)), status: 'paused' };
      return done(next, [control(r, 'pause', ''), { type: 'persist', when: 'now' }, { type: 'emit', event: 'paused' }]);
    }
    case 'resume': {
      const { reason: _r, ...rest } = withClock(r, resumePayer(clock, now));
      return done({ ...rest, status: 'active' }, [control(r, 'resume', ''), { type: 'persist', when: 'now' }, { type: 'emit', event: 'resumed' }]);
    }
    case 'stop': {
      return done(endedAs(halted(r, now), 'stopped', 'stopped by this node', now), [control(r, 'stop', 'stopped by the peer'), { type: 'persist', when: 'now' }, { type: 'emit', event: 'stopped' }]);
    }
    default:
      return assertNever(action, 'control action');
  }
}
