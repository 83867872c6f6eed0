// Proposing: queued requests become the next state (one update, as many ops as the wire lets one
// updateState carry: opsFitUpdate), and a both-signed closing state goes to the ledger. Pure.
import type { ChannelOp } from '../wire/channel-ops.js';
import { addOpsSize, measureOps, NO_OPS, opsFitUpdate, type OpsSize } from '../wire/channel.js';
import { done, isLeader, NO_SIGNATURE, type Channel, type ChannelEffect, type Proposal, type QueuedOps, type StepContext, type StepResult } from './channel-types.js';
import { extendOps } from './ops.js';

export function onLocalOps(ch: Channel, entries: QueuedOps[], ctx: StepContext): StepResult {
  const refs = entries.flatMap((e) => e.refs);
  if (ch.status !== 'open') return done(ch, [{ type: 'rejected', refs, reason: `channel is ${ch.status}, not open` }]);
  if (entries.some((e) => e.ops.some((o) => o.op === 'close')) || ch.queue.some((q) => q.ops.some((o) => o.op === 'close'))) {
    return done(ch, [{ type: 'rejected', refs, reason: 'the channel is being closed' }]);
  }
  return propose({ ...ch, queue: ch.queue.concat(entries) }, ctx, []);
}

/**
 * Propose the queued ops if nothing is in flight and the peer is there. Ops that cannot apply (say, the
 * balance ran out) are rejected one queue entry at a time; the rest go into one update.
 */
export function propose(ch: Channel, ctx: StepContext, effects: ChannelEffect[]): StepResult {
  if (ch.proposal || ch.countersigned || !ch.connected || ch.queue.length === 0) return done(ch, effects);
  if (ch.status !== 'open') {
    const refs = ch.queue.flatMap((q) => q.refs);
    return done({ ...ch, queue: [] }, [...effects, { type: 'rejected', refs, reason: `channel is ${ch.status}` }]);
  }
  const base = ch.signed.state;
  let state = base;
  const ops: ChannelOp[] = [];
  const refs: string[] = [];
  const out = [...effects];
  let size: OpsSize = NO_OPS;
  let taken = 0;
  for (const entry of ch.queue) {
    // A request that could never be sent (malformed, or too big for any update) is refused now
    // rather than left at the head of the queue, where it would block every request behind it.
    const measured = measureOps(entry.ops);
    const never = measured.ok ? opsFitUpdate(measured.size) : measured.reason;
    if (!measured.ok || never !== null) {
      taken++;
      out.push({ type: 'rejected', refs: entry.refs, reason: `request can never be sent: ${never}` });
      continue;
    }
    const together = addOpsSize(size, measured.size);
    if (opsFitUpdate(together) !== null) break; // the rest go in the next update
    taken++;
    const trial = extendOps(base, state, entry.ops, ch.local, ch.capacity, ch.limits);
    if (!trial.ok) {
      out.push({ type: 'rejected', refs: entry.refs, reason: trial.error.reason });
      continue;
    }
    state = trial.state;
    size = together;
    ops.push(...entry.ops);
    refs.push(...entry.refs);
  }
  const queue = ch.queue.slice(taken);
  if (ops.length === 0) return propose({ ...ch, queue }, ctx, out);
  const proposal: Proposal = { state, ops, refs };
  if (isLeader(ch)) proposal.sig = ctx.sign(state);
  return done({ ...ch, queue, proposal }, [
    ...out,
    { type: 'persist' },
    { type: 'send', message: { kind: 'updateState', channelId: ch.channelId, seq: state.seq, ops, sig: proposal.sig ?? NO_SIGNATURE } },
  ]);
}

/** A both-signed closing state exists: no more updates; put it on the ledger. */
export function closingAgreed(ch: Channel, effects: ChannelEffect[]): StepResult {
  const refs = ch.queue.flatMap((q) => q.refs);
  const next: Channel = { ...ch, status: 'closing', queue: [] };
  const out: ChannelEffect[] = [...effects];
  if (refs.length) out.push({ type: 'rejected', refs, reason: 'the channel closed' });
  // Both sides submit: whichever lands first closes the channel, the other is refused harmlessly.
  out.push({ type: 'statusChanged', status: 'closing' }, { type: 'submit', tx: 'close', state: ch.signed });
  return done(next, out);
}
