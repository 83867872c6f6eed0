// The update round (updateState, ackState, commitState) and reestablish after a reconnect, as
// docs/protocol.md gives them in tables. Pure: the shell persists before it sends anything after.
import type { AckStateMessage, CommitStateMessage, ReestablishMessage, UpdateStateMessage } from '../wire/channel.js';
import {
  done, err, isLeader, localSig, NO_SIGNATURE, remoteSide, withSigs,
  type Channel, type ChannelEffect, type StepContext, type StepResult,
} from './channel-types.js';
import { applyOps } from './ops.js';
import { closingAgreed, propose } from './propose.js';
import { balanceOf, verifyStateSig } from './state.js';

export function onUpdate(ch: Channel, m: UpdateStateMessage, ctx: StepContext): StepResult {
  const current = ch.signed.state.seq;
  const leader = isLeader(ch);
  if (m.seq <= current) {
    // A retransmission of a state we already hold fully: a follower answers it again (idempotent).
    if (m.seq === current && !leader && ch.latestBy === remoteSide(ch)) {
      return done(ch, [{ type: 'send', message: { kind: 'ackState', channelId: ch.channelId, seq: current, sig: localSig(ch.signed, ch.local) } }]);
    }
    return err('ignore', `update for old seq ${m.seq}`);
  }
  if (m.seq > current + 1n) return err('disconnect', `update seq ${m.seq} skips ahead of our seq ${current}`);
  if (ch.status === 'opening') return err('ignore', 'update before we saw the channel open; the peer resends after our reestablish');
  if (ch.status !== 'open') return err('warn', `cannot accept updates: channel is ${ch.status}`);
  return leader ? onFollowerUpdate(ch, m, ctx) : onLeaderUpdate(ch, m, ctx);
}

/** We lead: the follower's ops arrive unsigned; we sign first and wait for its commitState. */
function onFollowerUpdate(ch: Channel, m: UpdateStateMessage, ctx: StepContext): StepResult {
  if (ch.proposal) return err('ignore', 'simultaneous proposal: ours wins, the peer will re-propose');
  if (ch.countersigned) {
    if (ch.countersigned.state.seq !== m.seq) return err('disconnect', 'a new proposal before committing the last one');
    // Our ack was lost: send the same signature again.
    return done(ch, [{ type: 'send', message: { kind: 'ackState', channelId: ch.channelId, seq: m.seq, sig: ch.countersigned.sig } }]);
  }
  const r = applyOps(ch.signed.state, m.ops, remoteSide(ch), ch.capacity, ch.limits);
  if (!r.ok) return err('fail', `peer's update is invalid: ${r.error.reason}`);
  const sig = ctx.sign(r.state);
  return done({ ...ch, countersigned: { state: r.state, ops: m.ops, sig } }, [
    { type: 'persist' },
    { type: 'send', message: { kind: 'ackState', channelId: ch.channelId, seq: r.state.seq, sig } },
  ]);
}

/** We follow: the leader's update is signed; a pending proposal of ours lost the race. */
function onLeaderUpdate(ch: Channel, m: UpdateStateMessage, ctx: StepContext): StepResult {
  let me = ch;
  if (ch.proposal) {
    // Both proposed seq n+1; the leader's wins. Ours was never signed, so it simply goes back in line.
    me = { ...ch, proposal: undefined, queue: [{ ops: ch.proposal.ops, refs: ch.proposal.refs }, ...ch.queue] };
  }
  const r = applyOps(me.signed.state, m.ops, remoteSide(me), me.capacity, me.limits);
  if (!r.ok) return err('fail', `peer's update is invalid: ${r.error.reason}`);
  if (!verifyStateSig(ctx.chainId, r.state, m.sig, me.remoteNodeId)) return err('fail', "peer's update has a bad signature");
  const mySig = ctx.sign(r.state);
  const received = balanceOf(r.state, me.local) - balanceOf(me.signed.state, me.local);
  const next: Channel = { ...me, signed: withSigs(r.state, me.local, mySig, m.sig), latestBy: remoteSide(me) };
  const effects: ChannelEffect[] = [
    { type: 'persist' },
    { type: 'send', message: { kind: 'ackState', channelId: ch.channelId, seq: r.state.seq, sig: mySig } },
    { type: 'received', ops: m.ops, amount: received, seq: r.state.seq },
  ];
  if (r.state.closing) return closingAgreed(next, effects);
  return propose(next, ctx, effects);
}

export function onAck(ch: Channel, m: AckStateMessage, ctx: StepContext): StepResult {
  const p = ch.proposal;
  if (!p || m.seq !== p.state.seq) {
    if (m.seq <= ch.signed.state.seq) return err('ignore', `ack for old seq ${m.seq}`);
    return err('disconnect', `ack for seq ${m.seq} that we did not propose`);
  }
  if (!verifyStateSig(ctx.chainId, p.state, m.sig, ch.remoteNodeId)) return err('fail', "peer's ack has a bad signature");
  // The leader signed when proposing; the follower signs now, after the leader, and commits.
  const mySig = p.sig ?? ctx.sign(p.state);
  const next: Channel = { ...ch, signed: withSigs(p.state, ch.local, mySig, m.sig), proposal: undefined, latestBy: ch.local };
  const effects: ChannelEffect[] = [{ type: 'persist' }];
  if (!p.sig) effects.push({ type: 'send', message: { kind: 'commitState', channelId: ch.channelId, seq: p.state.seq, sig: mySig } });
  effects.push({ type: 'committed', refs: p.refs, seq: p.state.seq });
  if (p.state.closing) return closingAgreed(next, effects);
  return propose(next, ctx, effects);
}

/** We lead: the follower's signature completes the state we countersigned. */
export function onCommit(ch: Channel, m: CommitStateMessage, ctx: StepContext): StepResult {
  const c = ch.countersigned;
  if (!c || m.seq !== c.state.seq) {
    if (m.seq <= ch.signed.state.seq) return err('ignore', `commit for old seq ${m.seq}`);
    return err('disconnect', `commit for seq ${m.seq} that we did not sign`);
  }
  if (!verifyStateSig(ctx.chainId, c.state, m.sig, ch.remoteNodeId)) return err('fail', "peer's commit has a bad signature");
  const received = balanceOf(c.state, ch.local) - balanceOf(ch.signed.state, ch.local);
  const next: Channel = { ...ch, signed: withSigs(c.state, ch.local, c.sig, m.sig), countersigned: undefined, latestBy: remoteSide(ch) };
  const effects: ChannelEffect[] = [{ type: 'persist' }, { type: 'received', ops: c.ops, amount: received, seq: c.state.seq }];
  if (c.state.closing) return closingAgreed(next, effects);
  return propose(next, ctx, effects);
}

export function onReestablish(ch: Channel, m: ReestablishMessage, ctx: StepContext): StepResult {
  const ours = ch.signed.state.seq;
  const theirs = m.signedSeq;
  const effects: ChannelEffect[] = [];
  if (theirs === ours - 1n) {
    // Our last signature for our latest state never reached them: an ack if they proposed it (or we
    // lead), a commit if we follow and proposed it.
    const sig = localSig(ch.signed, ch.local);
    const kind = !isLeader(ch) && ch.latestBy === ch.local ? 'commitState' : 'ackState';
    effects.push({ type: 'send', message: { kind, channelId: ch.channelId, seq: ours, sig } });
  } else if (theirs === ours + 1n) {
    // They hold the full next state (our proposal or our countersigned one); they resend the missing signature.
    return done(ch);
  } else if (theirs > ours) {
    // We lost states (a restored backup?). Closing with what we have would be a stale close and forfeit
    // our balance; the peer, which is ahead, must close with the latest.
    return err('disconnect', `peer is at seq ${theirs}, we are at ${ours}: our states are behind; the peer must close the channel`);
  } else if (theirs !== ours) {
    return err('fail', `peer is at seq ${theirs}, we are at ${ours}: the peer lost states`);
  }
  if (ch.proposal && ch.status === 'open') {
    const p = ch.proposal;
    effects.push({ type: 'send', message: { kind: 'updateState', channelId: ch.channelId, seq: p.state.seq, ops: p.ops, sig: p.sig ?? NO_SIGNATURE } });
    return done(ch, effects);
  }
  if (ch.status === 'closing' && theirs === ours) {
    // A closing state both hold: make sure it reaches the ledger.
    effects.push({ type: 'submit', tx: 'close', state: ch.signed });
  }
  return propose(ch, ctx, effects);
}
