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
import { equalBytes, toHex } from '../crypto/bytes.js';
import type { PublicKey, Signature } from '../crypto/keys.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import type { AckStateMessage, ChannelMessage, CommitStateMessage, ReestablishMessage, UpdateStateMessage } from '../wire/channel.js';
import { assertNever } from '../wire/assert-never.js';
import { applyOps, extendOps, type ChannelLimits } from './ops.js';
import { balanceOf, chainHash, encodeState, otherSide, verifyStateSig, type ChannelState, type Side, type SignedState } from './state.js';

export type ChannelStatus = 'proposed' | 'opening' | 'open' | 'closing' | 'forceClosing' | 'closed' | 'failed';

/** Operations waiting to be proposed, with the caller references they settle. */
export interface QueuedOps {
  ops: ChannelOp[];
  refs: string[];
}

export interface Proposal {
  state: ChannelState;
  ops: ChannelOp[];
  refs: string[];
  /** The leader signs its proposals; the follower's stay unsigned until the leader has signed. */
  sig?: Signature;
}

/** Leader only: a follower's state we signed and acked, waiting for the follower's commitState. */
export interface Countersigned {
  state: ChannelState;
  ops: ChannelOp[];
  sig: Signature;
}

/** Sent in place of a signature in a follower's (unsigned) updateState. */
export const NO_SIGNATURE = new Uint8Array(64);

export interface Channel {
  channelId: Uint8Array;
  local: Side;
  localNodeId: PublicKey;
  remoteNodeId: PublicKey;
  capacity: bigint;
  limits: ChannelLimits;
  status: ChannelStatus;
  /** Latest state both sides signed. For 'proposed', state 0 with only our signature (the other is empty). */
  signed: SignedState;
  proposal?: Proposal;
  countersigned?: Countersigned;
  /** Which side proposed the latest both-signed state (decides what to resend after a reconnect). */
  latestBy?: Side;
  /** Not persisted: operations the user asked for that are not yet in a proposal. */
  queue: QueuedOps[];
  connected: boolean;
  /** Height from which a unilateral close can be settled. */
  settleHeight?: number;
  /** Seq of the state the ledger is adjudicating, if a unilateral close was seen. */
  closingSeq?: bigint;
  /** Heights at which we last submitted a dispute / a settle: resubmitted if the ledger still needs it a few blocks later. */
  disputedAt?: number;
  settleAt?: number;
  payout?: { local: bigint; remote: bigint };
  failure?: string;
  /** B only: the ledger height when we accepted the open; an open never funded is forgotten some blocks later. */
  acceptedHeight?: number;
}

export interface StepContext {
  chainId: string;
  /** Signs a state with this node's key (pure: the key lives in the shell). */
  sign(state: ChannelState): Signature;
  /** Current ledger height, as known to the shell. */
  height: number;
}

export type LedgerTxKind = 'open' | 'close' | 'forceClose' | 'dispute' | 'settle';

export type ChannelEffect =
  | { type: 'persist' }
  | { type: 'send'; message: ChannelMessage }
  | { type: 'submit'; tx: LedgerTxKind; state?: SignedState }
  /** These caller references are now in a both-signed state. */
  | { type: 'committed'; refs: string[]; seq: bigint }
  /** These caller references will not be paid (the reason says why). */
  | { type: 'rejected'; refs: string[]; reason: string }
  /** The peer paid us (or otherwise moved value to us) in a both-signed state. */
  | { type: 'received'; ops: ChannelOp[]; amount: bigint; seq: bigint }
  | { type: 'statusChanged'; status: ChannelStatus };

/** What the shell must do about a bad event, from mildest to harshest. */
export type ErrorAction = 'ignore' | 'warn' | 'disconnect' | 'fail';

export interface ChannelError {
  action: ErrorAction;
  message: string;
}

export type StepResult = { ok: true; channel: Channel; effects: ChannelEffect[] } | { ok: false; error: ChannelError };

export type ChannelEvent =
  /** Many requests at once (the shell gathers what arrived while the channel was busy). */
  | { type: 'localBatch'; entries: QueuedOps[] }
  | { type: 'connected' }
  | { type: 'disconnected' }
  | { type: 'message'; message: UpdateStateMessage | AckStateMessage | CommitStateMessage | ReestablishMessage | { kind: 'acceptChannel'; channelId: Uint8Array; sigB: Uint8Array } }
  | { type: 'closeCooperatively' }
  | { type: 'forceClose' }
  | { type: 'openFailed'; reason: string }
  /** The ledger holds an open for this channel by our two parties and capacity, carrying this state 0. */
  | { type: 'ledgerOpened'; state0: ChannelState | undefined }
  | { type: 'ledgerClosing'; seq: bigint; by: Side; deadlineHeight: number }
  | { type: 'ledgerDisputed'; seq: bigint }
  | { type: 'ledgerClosed'; payoutA: bigint; payoutB: bigint }
  | { type: 'block'; height: number }
  /** The ledger refused a transaction the channel asked for. */
  | { type: 'submitFailed'; tx: LedgerTxKind; reason: string };

const err = (action: ErrorAction, message: string): StepResult => ({ ok: false, error: { action, message } });
const done = (channel: Channel, effects: ChannelEffect[] = []): StepResult => ({ ok: true, channel, effects });

export function remoteSide(ch: Channel): Side {
  return otherSide(ch.local);
}

export function localBalance(ch: Channel): bigint {
  return balanceOf(ch.signed.state, ch.local);
}

export function remoteBalance(ch: Channel): bigint {
  return balanceOf(ch.signed.state, remoteSide(ch));
}

function localSig(signed: SignedState, side: Side): Signature {
  return side === 'A' ? signed.sigA : signed.sigB;
}

function withSigs(state: ChannelState, local: Side, mine: Signature, theirs: Signature): SignedState {
  return local === 'A' ? { state, sigA: mine, sigB: theirs } : { state, sigA: theirs, sigB: mine };
}

/** The leader (lower node id) signs first and wins same-seq races. */
export function isLeader(ch: Channel): boolean {
  return toHex(ch.localNodeId) < toHex(ch.remoteNodeId);
}

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

function onLocalOps(ch: Channel, entries: QueuedOps[], ctx: StepContext): StepResult {
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
function propose(ch: Channel, ctx: StepContext, effects: ChannelEffect[]): StepResult {
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
  let taken = 0;
  for (const entry of ch.queue) {
    if (entry.ops.length > MAX_OPS_PER_PROPOSAL) {
      taken++;
      out.push({ type: 'rejected', refs: entry.refs, reason: `more than ${MAX_OPS_PER_PROPOSAL} operations in one request` });
      continue;
    }
    if (ops.length + entry.ops.length > MAX_OPS_PER_PROPOSAL) break;
    taken++;
    const trial = extendOps(base, state, entry.ops, ch.local, ch.capacity, ch.limits);
    if (!trial.ok) {
      out.push({ type: 'rejected', refs: entry.refs, reason: trial.reason });
      continue;
    }
    state = trial.state;
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

/** Big enough to batch thousands of payments per round trip, small enough to fit one wire message. */
export const MAX_OPS_PER_PROPOSAL = 1000;

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

function onUpdate(ch: Channel, m: UpdateStateMessage, ctx: StepContext): StepResult {
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
  if (!r.ok) return err('fail', `peer's update is invalid: ${r.reason}`);
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
  if (!r.ok) return err('fail', `peer's update is invalid: ${r.reason}`);
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

function onAck(ch: Channel, m: AckStateMessage, ctx: StepContext): StepResult {
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
function onCommit(ch: Channel, m: CommitStateMessage, ctx: StepContext): StepResult {
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

/** A both-signed closing state exists: no more updates; put it on the ledger. */
function closingAgreed(ch: Channel, effects: ChannelEffect[]): StepResult {
  const refs = ch.queue.flatMap((q) => q.refs);
  const next: Channel = { ...ch, status: 'closing', queue: [] };
  const out: ChannelEffect[] = [...effects];
  if (refs.length) out.push({ type: 'rejected', refs, reason: 'the channel closed' });
  // Both sides submit: whichever lands first closes the channel, the other is refused harmlessly.
  out.push({ type: 'statusChanged', status: 'closing' }, { type: 'submit', tx: 'close', state: ch.signed });
  return done(next, out);
}

function onReestablish(ch: Channel, m: ReestablishMessage, ctx: StepContext): StepResult {
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
