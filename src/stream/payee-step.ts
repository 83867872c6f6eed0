// The payee's side of the stream machine. It counts only money that moved: a streamPay in a both-signed
// state (exactly what the terms owe for the ticks it claims, or, after a gap in what was stored, only
// its amount), or a hash-chain reveal checked against the lock. It owns its chain: how deep the payer
// has revealed (absolute, from the first root), and from that what to claim in the channel or show the
// ledger against whichever lock state is adjudicated (chain.ts).
import { fromHex, toHex } from '../crypto/bytes.js';
import { assertNever } from '../util/errors.js';
import { claimedDepth } from './chain.js';
import { done, refuse, type StreamContext, type StreamEffect, type StreamEvent, type StreamStepResult } from './events.js';
import { verifyReveal } from './hashchain.js';
import { checkLate, meterTickTo } from './payee.js';
import { isEnded, payeeMeter, type PayeeRecord } from './record.js';
import { lateGrace } from './batch.js';
import { control, endedAs, FINISHED_REASON, repeatRecentStop } from './step-common.js';

const neverPaid = (r: PayeeRecord): boolean => r.paid === 0n && !r.chain?.revealedDepth;

/** End the stream: store it, settle a hash chain in the channel (claim, give back the rest), tell the node. */
function end(r: PayeeRecord, status: 'stopped' | 'finished', reason: string, now: number, before: StreamEffect[] = []): StreamStepResult {
  if (isEnded(r.status)) return done(r, before);
  const next: PayeeRecord = { ...endedAs(r, status, reason, now), late: false };
  // Never paid: it is nobody's history, so it is forgotten rather than kept (else a peer that opens and
  // stops streams in a loop fills the store for free). A budget locked for it is given back on the drop.
  if (neverPaid(r)) return done(next, [...before, { type: 'emit', event: status }, { type: 'drop' }]);
  const effects: StreamEffect[] = [...before, { type: 'persist', when: 'now' }];
  if (next.chain) effects.push({ type: 'settleChain' });
  effects.push({ type: 'emit', event: status });
  return done(next, effects);
}

/**
 * After a restart the meter may be behind the channel (progress is stored once a second): a payment may
 * be short only if states were signed between the last one it counted and this one (seq).
 */
export function paymentGap(r: PayeeRecord, seq: bigint): boolean {
  return r.countedSeq === undefined || seq - 1n > BigInt(r.countedSeq);
}

const running = (r: PayeeRecord): boolean => r.status === 'active' || r.status === 'paused';

export function stepPayee(r: PayeeRecord, ev: StreamEvent, ctx: StreamContext): StreamStepResult {
  switch (ev.type) {
    case 'accepted':
    case 'rejected':
    case 'lockCommitted':
    case 'lockRefused':
    case 'committed':
    case 'refused':
    case 'holdRefused':
    case 'budgetReturned':
      return refuse('ignore', 'NOT_PAYER', 'this node is paid by this stream');
    case 'tick':
      return r.status === 'active' ? watch(r, ev.now, ctx) : done(r);
    case 'paid':
      return paid(r, ev);
    case 'reveal':
      return reveal(r, ev, ctx);
    case 'control':
      if (isEnded(r.status)) return refuse('conflict', 'WRONG_STATUS', `stream is ${r.status}`);
      if (ev.action !== 'stop') return refuse('conflict', 'NOT_PAYER', 'only the payer pauses and resumes a stream');
      return end(r, 'stopped', 'stopped by this node', ev.now, [control(r, 'stop', 'stopped by the peer')]);
    case 'peerControl':
      if (isEnded(r.status)) return refuse('ignore', 'WRONG_STATUS', `stream is ${r.status}`);
      switch (ev.action) {
        case 'stop':
          return end(r, 'stopped', ev.reason || 'stopped by the payer', ev.now);
        // A pause or resume repeated on reconnect changes nothing when it is already so.
        case 'pause':
          if (r.status === 'paused') return done(r);
          return done({ ...r, status: 'paused' }, [{ type: 'persist', when: 'now' }, { type: 'emit', event: 'paused' }]);
        case 'resume':
          if (r.status === 'active') return done(r);
          // Paused time is not billed, so lateness counts from the resume.
          return done({ ...r, status: 'active', lastTickAt: ev.now, late: false }, [{ type: 'persist', when: 'now' }, { type: 'emit', event: 'resumed' }]);
        default:
          return assertNever(ev.action, 'control action');
      }
    case 'channelEnded':
      // No settleChain: the channel is closing, and the reveals are shown to the ledger instead.
      if (isEnded(r.status)) return done(r);
      return done({ ...endedAs(r, 'stopped', 'the channel is closing', ev.now), late: false }, [{ type: 'persist', when: 'now' }, { type: 'emit', event: 'stopped' }]);
    case 'peerConnected':
      return repeatRecentStop(r, ev.now);
    default:
      return assertNever(ev, 'stream event');
  }
}

/**
 * When a never-paid stream is dropped: the idle expiry counts from its first tick's due time, not from
 * the open, so a stream whose tick is a minute or longer (interval billing of `/min`) is not dropped
 * before its payer could pay it. Undefined once it has been paid.
 */
export function idleExpiryAt(r: PayeeRecord, ctx: Pick<StreamContext, 'idleExpiryMs'>): number | undefined {
  if (!neverPaid(r)) return undefined;
  return r.startedAt + r.terms.tickMs + ctx.idleExpiryMs;
}

function watch(r: PayeeRecord, now: number, ctx: StreamContext): StreamStepResult {
  const expiry = idleExpiryAt(r, ctx);
  if (expiry !== undefined && now > expiry) {
    // Never paid: it holds nothing of value, so it goes entirely (a peer cannot fill the store with them).
    return done(r, [control(r, 'stop', 'never paid'), { type: 'drop' }]);
  }
  const c = checkLate(payeeMeter(r), now, lateGrace(r, ctx.graceMs));
  if (c.meter.late === r.late) return done(r);
  return done({ ...r, late: c.meter.late }, [{ type: 'emit', event: c.becameLate ? 'late' : 'onTime' }]);
}

function paid(r: PayeeRecord, ev: Extract<StreamEvent, { type: 'paid' }>): StreamStepResult {
  if (r.chain) return refuse('warn', 'WRONG_MODE', 'a signed payment for a hash-chain stream');
  if (!running(r)) return refuse('warn', 'NOT_RUNNING', `stream is ${r.status}`);
  const res = meterTickTo(payeeMeter(r), ev.amount, ev.ticks, ev.now, { gap: ev.gap });
  if ('error' in res) {
    const { reason, message } = res.error;
    if (reason === 'underpaid') {
      const why = `underpaid: ${message}`;
      return end(r, 'stopped', why, ev.now, [control(r, 'stop', why)]);
    }
    return refuse(reason === 'stale' ? 'ignore' : 'warn', reason, message);
  }
  const m = res.meter;
  // A payment while paused is counted but does not resume the stream: it may have been in flight when the
  // payer paused (a follower's update completes after its pause). The payer repeats its resume on reconnect.
  const next: PayeeRecord = { ...r, ticks: m.ticks, paid: m.paid, lastTickAt: ev.now, countedSeq: ev.seq.toString() };
  const effects: StreamEffect[] = [{ type: 'emit', event: 'tick', at: next }];
  if (m.status === 'finished') return end(next, 'finished', FINISHED_REASON, ev.now, effects);
  return done(next, [...effects, { type: 'persist', when: 'batched' }]);
}

function reveal(r: PayeeRecord, ev: Extract<StreamEvent, { type: 'reveal' }>, ctx: StreamContext): StreamStepResult {
  const chain = r.chain;
  if (!chain) return refuse('warn', 'WRONG_MODE', 'a reveal for a signed stream');
  if (!running(r)) return refuse('ignore', 'NOT_RUNNING', `stream is ${r.status}`);
  const lock = ev.lock;
  if (!lock) return refuse('ignore', 'NOT_LOCKED', 'the budget is not locked in a signed state yet');
  if (lock.unit !== chain.unit || lock.from === ev.localSide) return refuse('warn', 'BAD_LOCK', 'the locked hash chain does not match the agreed terms');
  // Checking a reveal costs one hash per tick it covers (up to a million, ~1.5 s of CPU): an honest payer
  // never reveals deeper than the time since we accepted could have paid (its clock starts after that),
  // so a deeper one is refused before any hashing, and one second of ticks is the slack.
  const earned = Math.floor(Math.max(0, ev.now - r.startedAt) / r.terms.tickMs) + Math.ceil(1000 / r.terms.tickMs) + 1;
  if (ev.depth > earned) return refuse('warn', 'too-early', `a reveal at depth ${ev.depth}, more than the ${earned} ticks the time since the open allows`);
  const claimed = claimedDepth(chain, lock);
  const prev = Math.max(chain.revealedDepth, claimed);
  const v = verifyReveal({
    root: lock.root, maxUnits: lock.maxUnits, prevDepth: prev - claimed,
    prevValue: prev > claimed && chain.revealedValue ? fromHex(chain.revealedValue) : undefined,
    depth: ev.depth - claimed, value: ev.value, maxStep: lock.maxUnits,
  });
  if (!v.ok && v.error === 'wrong-preimage') {
    // An honest payer never sends one (its chain comes from its seed): stop, so the work cannot be asked again.
    const why = `a wrong hash-chain tick at depth ${ev.depth}`;
    return end(r, 'stopped', why, ev.now, [control(r, 'stop', why)]);
  }
  if (!v.ok) return refuse(v.error === 'not-deeper' ? 'ignore' : 'warn', v.error, 'bad hash-chain tick');
  const next: PayeeRecord = {
    ...r, ticks: ev.depth, paid: chain.unit * BigInt(ev.depth), lastTickAt: ev.now,
    chain: { ...chain, revealedDepth: ev.depth, revealedValue: toHex(ev.value) },
  };
  const effects: StreamEffect[] = [{ type: 'emit', event: 'tick', at: next }, { type: 'persist', when: 'batched' }];
  if (ev.depth >= chain.units) return end(next, 'finished', FINISHED_REASON, ev.now, effects);
  if (ev.depth - claimed >= ctx.checkpointTicks) effects.push({ type: 'claim' });
  return done(next, effects);
}
