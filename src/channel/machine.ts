// The channel state machine: step(channel, event, ctx) -> { channel, effects } | error. Pure: no I/O, no
// timers, no clock. The shell (node/channels) runs the effects in order, and it must finish each
// `persist` durably before it runs any effect after it — that is how no signature is ever sent for a
// state that is not stored.
//
// Roles: the side with the lower node id is the leader, the other the follower. Leader's update (one
// round trip, as the frame describes):
//   leader:   builds seq n+1 from its queued ops, persists it as its proposal, signs, sends updateState
//   follower: re-derives n+1 from the ops, checks it, persists it fully signed, signs, sends ackState
//   leader:   checks the ack, persists the fully signed state
// Follower's update (one and a half round trips): the follower sends its ops unsigned; the leader
// derives and signs the state, persists its signature, sends ackState; the follower persists the fully
// signed state and sends its signature in commitState; the leader persists the full state.
// Why: when both propose seq n+1 at once, the leader's proposal wins and the follower re-proposes its
// ops on top. Because the follower never signs before the leader, the losing proposal carries no
// signature, so no second both-signable state at the same seq can exist (with proposer-signs-first on
// both sides, the winner could complete the loser's signed state and close with it).
import { equalBytes } from '../crypto/bytes.js';
import type { Signature } from '../crypto/keys.js';
import { assertNever } from '../wire/assert-never.js';
import { done, err, type Channel, type ChannelEffect, type ChannelEvent, type LedgerTxKind, type StepContext, type StepResult } from './channel-types.js';
import { onLocalOps, propose } from './propose.js';
import { chainHash, encodeState, verifyStateSig, type ChannelState } from './state.js';
import { onAck, onCommit, onReestablish, onUpdate } from './updates.js';

// The record, events and effects live in channel-types.ts, proposing in propose.ts, the update round
// and reestablish in updates.ts; they are exported here too, so the machine stays one import.
export {
  isLeader, localBalance, NO_SIGNATURE, remoteBalance, remoteSide,
  type Channel, type ChannelEffect, type ChannelError, type ChannelEvent, type ChannelStatus, type Countersigned,
  type ErrorAction, type LedgerTxKind, type Proposal, type QueuedOps, type StepContext, type StepResult,
} from './channel-types.js';

export function step(ch: Channel, ev: ChannelEvent, ctx: StepContext): StepResult {
  switch (ev.type) {
    case 'localBatch': return onLocalOps(ch, ev.entries, ctx);
    case 'connected': return onConnected(ch, ctx);
    case 'disconnected': return done({ ...ch, connected: false });
    case 'message': return onMessage(ch, ev.message, ctx);
    case 'closeCooperatively': return onCloseCooperatively(ch, ctx);
    case 'forceClose': return onForceClose(ch);
    case 'openFailed': return onOpenFailed(ch, ev.reason);
    case 'ledgerOpened': return onLedgerOpened(ch, ev.state0, ctx);
    case 'ledgerClosing': return onLedgerClosing(ch, ev.seq, ev.deadlineHeight, ctx);
    case 'ledgerDisputed': return done({ ...ch, closingSeq: ev.seq });
    case 'ledgerClosed': return onLedgerClosed(ch, ev.payoutA, ev.payoutB);
    case 'block': return onBlock(ch, ev.height);
    case 'submitFailed': return onSubmitFailed(ch, ev.tx, ev.reason);
    default: return assertNever(ev);
  }
}

function onConnected(ch: Channel, ctx0: StepContext): StepResult {
  const next = { ...ch, connected: true };
  if (ch.status === 'proposed') {
    // Our open (or the peer's acceptance) may have been lost with the last connection: ask again. The
    // peer answers a repeat of an open it already accepted with the same acceptance.
    const s0 = ch.signed.state;
    return done(next, [{ type: 'send', message: {
      kind: 'openChannel', channelId: ch.channelId, chainHash: chainHash(ctx0.chainId), capacity: ch.capacity,
      push: s0.balanceB, reserve: ch.limits.reserve, sigA: ch.signed.sigA,
    } }]);
  }
  if (ch.status === 'closed' || ch.status === 'failed') return done(next);
  return done(next, [{ type: 'send', message: { kind: 'reestablish', channelId: ch.channelId, signedSeq: ch.signed.state.seq } }]);
}

function onMessage(ch: Channel, m: Extract<ChannelEvent, { type: 'message' }>['message'], ctx: StepContext): StepResult {
  if (!equalBytes(m.channelId, ch.channelId)) return err('ignore', 'message for another channel');
  switch (m.kind) {
    case 'acceptChannel': return onAccept(ch, m.sigB, ctx);
    case 'updateState': return onUpdate(ch, m, ctx);
    case 'ackState': return onAck(ch, m, ctx);
    case 'commitState': return onCommit(ch, m, ctx);
    case 'reestablish': return onReestablish(ch, m, ctx);
    default: return assertNever(m);
  }
}

function onAccept(ch: Channel, sigB: Signature, ctx: StepContext): StepResult {
  if (ch.local !== 'A') return err('warn', 'unexpected acceptChannel');
  if (ch.status !== 'proposed') return err('ignore', 'acceptChannel repeated'); // we asked again after a reconnect
  if (!verifyStateSig(ctx.chainId, ch.signed.state, sigB, ch.remoteNodeId)) return err('fail', 'acceptChannel: bad signature on state 0');
  const next: Channel = { ...ch, status: 'opening', signed: { ...ch.signed, sigB } };
  return done(next, [{ type: 'persist' }, { type: 'statusChanged', status: 'opening' }, { type: 'submit', tx: 'open', state: next.signed }]);
}

function onCloseCooperatively(ch: Channel, ctx: StepContext): StepResult {
  if (ch.status !== 'open') return err('warn', `channel is ${ch.status}`);
  if (ch.signed.state.locks.length > 0 || ch.proposal?.state.locks.length || ch.countersigned?.state.locks.length) {
    return err('warn', 'cannot close cooperatively while locks are open');
  }
  return propose({ ...ch, queue: [...ch.queue, { ops: [{ op: 'close' }], refs: [] }] }, ctx, []);
}

function onForceClose(ch: Channel): StepResult {
  if (ch.status === 'closed' || ch.status === 'forceClosing') return err('warn', `channel is already ${ch.status}`);
  if (ch.status === 'proposed') return err('warn', 'the channel was never opened');
  // A proposal in flight may still be completed by the peer (and reach the ledger in a dispute): its
  // requests stay open until the ledger closes the channel; only never-proposed ones are refused now.
  const refs = ch.queue.flatMap((q) => q.refs);
  const next: Channel = { ...ch, status: 'forceClosing', queue: [] };
  const effects: ChannelEffect[] = [{ type: 'persist' }, { type: 'statusChanged', status: 'forceClosing' }];
  if (refs.length) effects.push({ type: 'rejected', refs, reason: 'the channel is being force-closed' });
  effects.push({ type: 'submit', tx: 'forceClose', state: ch.signed });
  return done(next, effects);
}

function onOpenFailed(ch: Channel, reason: string): StepResult {
  if (ch.status !== 'proposed' && ch.status !== 'opening') return err('ignore', 'channel is past opening');
  return done({ ...ch, status: 'failed', failure: reason }, [{ type: 'persist' }, { type: 'statusChanged', status: 'failed' }]);
}

function onLedgerOpened(ch: Channel, state0: ChannelState | undefined, ctx: StepContext): StepResult {
  if (ch.status !== 'opening') return done(ch);
  // The open counts only if it locks exactly the state 0 we signed: an open carrying another one (say,
  // a different push, from a state 0 we signed for this id and later forgot) would make our record show
  // money the ledger will not pay us. We sign nothing more on it; what the ledger holds stays claimable.
  const ours = ch.signed.state;
  if (!state0 || !equalBytes(encodeState(state0), encodeState(ours))) {
    const theirs = state0 ? `A ${state0.balanceA} / B ${state0.balanceB} msat` : 'none';
    const failure = `the ledger's open carries another state 0 (${theirs}) than the one we signed (A ${ours.balanceA} / B ${ours.balanceB} msat)`;
    return done({ ...ch, status: 'failed', failure }, [{ type: 'persist' }, { type: 'statusChanged', status: 'failed' }]);
  }
  const effects: ChannelEffect[] = [{ type: 'persist' }, { type: 'statusChanged', status: 'open' }];
  // The peer may have seen the open first and proposed already; our reestablish makes it resend.
  if (ch.connected) effects.push({ type: 'send', message: { kind: 'reestablish', channelId: ch.channelId, signedSeq: ch.signed.state.seq } });
  return propose({ ...ch, status: 'open' }, ctx, effects);
}

/** A submission the ledger has not acted on after this many blocks is sent again. */
export const RESUBMIT_AFTER_BLOCKS = 3;

function onLedgerClosing(ch: Channel, seq: bigint, deadlineHeight: number, ctx: StepContext): StepResult {
  // A read of the ledger that started before it closed the channel may answer after we saw the close:
  // a channel past closing (or never opened) does not go back to waiting for a settle.
  if (ch.status === 'closed' || ch.status === 'failed' || ch.status === 'proposed') return done(ch);
  const changed = ch.status !== 'forceClosing' || ch.closingSeq !== seq || ch.settleHeight !== deadlineHeight;
  const next: Channel = { ...ch, status: 'forceClosing', closingSeq: seq, settleHeight: deadlineHeight, queue: [] };
  const effects: ChannelEffect[] = [];
  if (ch.status !== 'forceClosing') effects.push({ type: 'statusChanged', status: 'forceClosing' });
  // Queued requests never reached a state; a proposal in flight may still be completed by the peer and
  // reach the ledger in a dispute, so its requests stay open until the ledger closes the channel.
  const refs = ch.queue.flatMap((q) => q.refs);
  if (refs.length) effects.push({ type: 'rejected', refs, reason: 'the channel is being closed on the ledger' });
  // The watcher's job: a state older than ours under adjudication (whoever closed with it) is answered
  // with our newer one, and answered again if the ledger has not taken it a few blocks later.
  const retry = ch.disputedAt === undefined || ctx.height >= ch.disputedAt + RESUBMIT_AFTER_BLOCKS;
  if (seq < ch.signed.state.seq && retry) {
    next.disputedAt = ctx.height;
    effects.push({ type: 'submit', tx: 'dispute', state: ch.signed });
  } else if (!changed) {
    return done(ch);
  }
  return done(next, [{ type: 'persist' }, ...effects]);
}

function onLedgerClosed(ch: Channel, payoutA: bigint, payoutB: bigint): StepResult {
  const payout = ch.local === 'A' ? { local: payoutA, remote: payoutB } : { local: payoutB, remote: payoutA };
  const refs = [...(ch.proposal?.refs ?? []), ...ch.queue.flatMap((q) => q.refs)];
  const effects: ChannelEffect[] = [{ type: 'persist' }, { type: 'statusChanged', status: 'closed' }];
  if (refs.length) effects.push({ type: 'rejected', refs, reason: 'the channel closed before this was confirmed in a signed state; the settlement on the ledger is what counts' });
  return done({ ...ch, status: 'closed', payout, queue: [], proposal: undefined }, effects);
}

function onBlock(ch: Channel, height: number): StepResult {
  if (ch.status !== 'forceClosing' || ch.settleHeight === undefined || height < ch.settleHeight) return done(ch);
  // Settle once the window is over; again if the channel is still not closed a few blocks later (a lost
  // or dropped transaction, a restart): the ledger refuses a second settle harmlessly.
  if (ch.settleAt !== undefined && height < ch.settleAt + RESUBMIT_AFTER_BLOCKS) return done(ch);
  return done({ ...ch, settleAt: height }, [{ type: 'persist' }, { type: 'submit', tx: 'settle' }]);
}

function onSubmitFailed(ch: Channel, tx: LedgerTxKind, reason: string): StepResult {
  switch (tx) {
    case 'open': return onOpenFailed(ch, reason);
    case 'settle': return done({ ...ch, settleAt: undefined }, [{ type: 'persist' }]); // retried at the next block
    case 'dispute': return done({ ...ch, disputedAt: undefined }, [{ type: 'persist' }]); // retried at the next reconcile
    case 'close':
    case 'forceClose':
      return done(ch); // the other side's close, or ours, already landed; the ledger event will say which
    default: return assertNever(tx);
  }
}
