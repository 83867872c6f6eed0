// The channel state machine: step(channel, event, ctx) -> { channel, effects } | error. Pure: no I/O, no
// timers, no clock. The shell (node/channels) runs the effects in order, and it must finish each
// `persist` durably before it runs any effect after it — that is how no signature is ever sent for a
// state that is not stored.
//
// Update protocol (one round trip, many operations per update):
//   proposer: builds seq n+1 from its queued ops, persists it as its proposal, signs, sends updateState
//   receiver: re-derives n+1 from the ops, checks it, persists it fully signed, sends ackState
//   proposer: checks the ack, persists the fully signed state
// Simultaneous proposals of the same seq: the proposal of the lower node id wins; the other side puts its
// ops back at the head of its queue and proposes them again on top (so nothing is lost or applied twice).
import { equalBytes, toHex } from '../crypto/bytes.js';
import type { PublicKey, Signature } from '../crypto/keys.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import type { AckStateMessage, ChannelMessage, ReestablishMessage, UpdateStateMessage } from '../wire/channel.js';
import { assertNever } from '../wire/assert-never.js';
import { applyOps, extendOps, type ChannelLimits } from './ops.js';
import { balanceOf, otherSide, verifyStateSig, type ChannelState, type Side, type SignedState } from './state.js';

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
  sig: Signature;
}

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
  /** Not persisted: operations the user asked for that are not yet in a proposal. */
  queue: QueuedOps[];
  /** Next lock id to allocate (in this side's space: A even, B odd). */
  nextLockId: number;
  connected: boolean;
  /** Height from which a unilateral close can be settled. */
  settleHeight?: number;
  /** Seq of the state the ledger is adjudicating, if a unilateral close was seen. */
  closingSeq?: bigint;
  disputed?: boolean;
  settleSubmitted?: boolean;
  payout?: { local: bigint; remote: bigint };
  failure?: string;
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
  | { type: 'settled'; refs: string[]; seq: bigint }
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
  | { type: 'localOps'; ops: ChannelOp[]; ref: string }
  | { type: 'connected' }
  | { type: 'disconnected' }
  | { type: 'message'; message: UpdateStateMessage | AckStateMessage | ReestablishMessage | { kind: 'acceptChannel'; channelId: Uint8Array; sigB: Uint8Array } }
  | { type: 'closeCooperatively' }
  | { type: 'forceClose' }
  | { type: 'openFailed'; reason: string }
  | { type: 'ledgerOpened' }
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

/** True if our proposal wins a same-seq race: the lower node id's proposal wins. */
export function localWinsRace(ch: Channel): boolean {
  return toHex(ch.localNodeId) < toHex(ch.remoteNodeId);
}

export function step(ch: Channel, ev: ChannelEvent, ctx: StepContext): StepResult {
  switch (ev.type) {
    case 'localOps': return onLocalOps(ch, ev.ops, ev.ref, ctx);
    case 'connected': return onConnected(ch);
    case 'disconnected': return done({ ...ch, connected: false });
    case 'message': return onMessage(ch, ev.message, ctx);
    case 'closeCooperatively': return onCloseCooperatively(ch, ctx);
    case 'forceClose': return onForceClose(ch);
    case 'openFailed': return onOpenFailed(ch, ev.reason);
    case 'ledgerOpened': return onLedgerOpened(ch, ctx);
    case 'ledgerClosing': return onLedgerClosing(ch, ev.seq, ev.by, ev.deadlineHeight);
    case 'ledgerDisputed': return done({ ...ch, closingSeq: ev.seq });
    case 'ledgerClosed': return onLedgerClosed(ch, ev.payoutA, ev.payoutB);
    case 'block': return onBlock(ch, ev.height);
    case 'submitFailed': return onSubmitFailed(ch, ev.tx, ev.reason);
    default: return assertNever(ev);
  }
}

function onLocalOps(ch: Channel, ops: ChannelOp[], ref: string, ctx: StepContext): StepResult {
  if (ch.status !== 'open') return done(ch, [{ type: 'rejected', refs: [ref], reason: `channel is ${ch.status}, not open` }]);
  if (ops.some((o) => o.op === 'close') || ch.queue.some((q) => q.ops.some((o) => o.op === 'close'))) {
    return done(ch, [{ type: 'rejected', refs: [ref], reason: 'the channel is being closed' }]);
  }
  return propose({ ...ch, queue: [...ch.queue, { ops, refs: [ref] }] }, ctx, []);
}

/**
 * Propose the queued ops if nothing is in flight and the peer is there. Ops that cannot apply (say, the
 * balance ran out) are rejected one queue entry at a time; the rest go into one update.
 */
function propose(ch: Channel, ctx: StepContext, effects: ChannelEffect[]): StepResult {
  if (ch.proposal || !ch.connected || ch.queue.length === 0) return done(ch, effects);
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
  const sig = ctx.sign(state);
  const proposal: Proposal = { state, ops, refs, sig };
  return done({ ...ch, queue, proposal }, [
    ...out,
    { type: 'persist' },
    { type: 'send', message: { kind: 'updateState', channelId: ch.channelId, seq: state.seq, ops, sig } },
  ]);
}

/** Big enough to batch thousands of payments per round trip, small enough to fit one wire message. */
export const MAX_OPS_PER_PROPOSAL = 1000;

function onConnected(ch: Channel): StepResult {
  const next = { ...ch, connected: true };
  if (ch.status === 'proposed' || ch.status === 'closed' || ch.status === 'failed') return done(next);
  return done(next, [{ type: 'send', message: { kind: 'reestablish', channelId: ch.channelId, signedSeq: ch.signed.state.seq } }]);
}

function onMessage(ch: Channel, m: Extract<ChannelEvent, { type: 'message' }>['message'], ctx: StepContext): StepResult {
  if (!equalBytes(m.channelId, ch.channelId)) return err('ignore', 'message for another channel');
  switch (m.kind) {
    case 'acceptChannel': return onAccept(ch, m.sigB, ctx);
    case 'updateState': return onUpdate(ch, m, ctx);
    case 'ackState': return onAck(ch, m, ctx);
    case 'reestablish': return onReestablish(ch, m, ctx);
    default: return assertNever(m);
  }
}

function onAccept(ch: Channel, sigB: Signature, ctx: StepContext): StepResult {
  if (ch.status !== 'proposed' || ch.local !== 'A') return err('warn', 'unexpected acceptChannel');
  if (!verifyStateSig(ctx.chainId, ch.signed.state, sigB, ch.remoteNodeId)) return err('fail', 'acceptChannel: bad signature on state 0');
  const next: Channel = { ...ch, status: 'opening', signed: { ...ch.signed, sigB } };
  return done(next, [{ type: 'persist' }, { type: 'statusChanged', status: 'opening' }, { type: 'submit', tx: 'open', state: next.signed }]);
}

function onUpdate(ch: Channel, m: UpdateStateMessage, ctx: StepContext): StepResult {
  const current = ch.signed.state.seq;
  if (m.seq <= current) {
    // A retransmission of a state we already hold: answer it again with our signature (idempotent).
    if (m.seq === current && ch.status !== 'proposed') {
      return done(ch, [{ type: 'send', message: { kind: 'ackState', channelId: ch.channelId, seq: current, sig: localSig(ch.signed, ch.local) } }]);
    }
    return err('ignore', `update for old seq ${m.seq}`);
  }
  if (m.seq > current + 1n) return err('disconnect', `update seq ${m.seq} skips ahead of our seq ${current}`);
  if (ch.status !== 'open') return err('warn', `cannot accept updates: channel is ${ch.status}`);

  let me = ch;
  if (ch.proposal) {
    // Both proposed seq n+1. The lower node id's proposal wins.
    if (localWinsRace(ch)) return err('ignore', 'simultaneous proposal: ours wins, the peer will re-propose');
    me = { ...ch, proposal: undefined, queue: [{ ops: ch.proposal.ops, refs: ch.proposal.refs }, ...ch.queue] };
  }
  const r = applyOps(me.signed.state, m.ops, remoteSide(me), me.capacity, me.limits);
  if (!r.ok) return err('fail', `peer's update is invalid: ${r.reason}`);
  if (!verifyStateSig(ctx.chainId, r.state, m.sig, me.remoteNodeId)) return err('fail', "peer's update has a bad signature");
  const mySig = ctx.sign(r.state);
  const signed = withSigs(r.state, me.local, mySig, m.sig);
  const received = balanceOf(r.state, me.local) - balanceOf(me.signed.state, me.local);
  const next: Channel = { ...me, signed };
  const effects: ChannelEffect[] = [{ type: 'persist' }, { type: 'send', message: { kind: 'ackState', channelId: ch.channelId, seq: r.state.seq, sig: mySig } }];
  effects.push({ type: 'received', ops: m.ops, amount: received, seq: r.state.seq });
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
  const next: Channel = { ...ch, signed: withSigs(p.state, ch.local, p.sig, m.sig), proposal: undefined };
  const effects: ChannelEffect[] = [{ type: 'persist' }, { type: 'settled', refs: p.refs, seq: p.state.seq }];
  if (p.state.closing) return closingAgreed(next, effects);
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
    // Our last ack never reached them: send it again.
    effects.push({ type: 'send', message: { kind: 'ackState', channelId: ch.channelId, seq: ours, sig: localSig(ch.signed, ch.local) } });
  } else if (theirs === ours + 1n) {
    // They acked our proposal but the ack was lost; they will resend it.
    return done(ch);
  } else if (theirs !== ours) {
    return err('fail', `peer is at seq ${theirs}, we are at ${ours}: states lost, closing with our latest`);
  }
  if (ch.proposal && ch.status === 'open') {
    const p = ch.proposal;
    effects.push({ type: 'send', message: { kind: 'updateState', channelId: ch.channelId, seq: p.state.seq, ops: p.ops, sig: p.sig } });
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
  if (ch.signed.state.locks.length > 0 || ch.proposal?.state.locks.length) return err('warn', 'cannot close cooperatively while locks are open');
  return propose({ ...ch, queue: [...ch.queue, { ops: [{ op: 'close' }], refs: [] }] }, ctx, []);
}

function onForceClose(ch: Channel): StepResult {
  if (ch.status === 'closed' || ch.status === 'forceClosing') return err('warn', `channel is already ${ch.status}`);
  if (ch.status === 'proposed') return err('warn', 'the channel was never opened');
  const refs = [...(ch.proposal?.refs ?? []), ...ch.queue.flatMap((q) => q.refs)];
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

function onLedgerOpened(ch: Channel, ctx: StepContext): StepResult {
  if (ch.status !== 'opening') return done(ch);
  return propose({ ...ch, status: 'open' }, ctx, [{ type: 'persist' }, { type: 'statusChanged', status: 'open' }]);
}

function onLedgerClosing(ch: Channel, seq: bigint, by: Side, deadlineHeight: number): StepResult {
  const next: Channel = { ...ch, status: 'forceClosing', closingSeq: seq, settleHeight: deadlineHeight, queue: [] };
  const effects: ChannelEffect[] = [{ type: 'persist' }];
  if (ch.status !== 'forceClosing') effects.push({ type: 'statusChanged', status: 'forceClosing' });
  const refs = [...(ch.proposal?.refs ?? []), ...ch.queue.flatMap((q) => q.refs)];
  if (refs.length) effects.push({ type: 'rejected', refs, reason: 'the channel is being closed on the ledger' });
  // The watcher's job: a stale state from the other side is answered with our newer one.
  if (by !== ch.local && seq < ch.signed.state.seq && !ch.disputed) {
    next.disputed = true;
    effects.push({ type: 'submit', tx: 'dispute', state: ch.signed });
  }
  return done(next, effects);
}

function onLedgerClosed(ch: Channel, payoutA: bigint, payoutB: bigint): StepResult {
  const payout = ch.local === 'A' ? { local: payoutA, remote: payoutB } : { local: payoutB, remote: payoutA };
  const refs = [...(ch.proposal?.refs ?? []), ...ch.queue.flatMap((q) => q.refs)];
  const effects: ChannelEffect[] = [{ type: 'persist' }, { type: 'statusChanged', status: 'closed' }];
  if (refs.length) effects.push({ type: 'rejected', refs, reason: 'the channel closed' });
  return done({ ...ch, status: 'closed', payout, queue: [], proposal: undefined }, effects);
}

function onBlock(ch: Channel, height: number): StepResult {
  if (ch.status === 'forceClosing' && ch.settleHeight !== undefined && height >= ch.settleHeight && !ch.settleSubmitted) {
    return done({ ...ch, settleSubmitted: true }, [{ type: 'persist' }, { type: 'submit', tx: 'settle' }]);
  }
  return done(ch);
}

function onSubmitFailed(ch: Channel, tx: LedgerTxKind, reason: string): StepResult {
  switch (tx) {
    case 'open': return onOpenFailed(ch, reason);
    case 'settle': return done({ ...ch, settleSubmitted: false }, [{ type: 'persist' }]); // retried at the next block
    case 'dispute': return done({ ...ch, disputed: false }, [{ type: 'persist' }]);
    case 'close':
    case 'forceClose':
      return done(ch); // the other side's close, or ours, already landed; the ledger event will say which
    default: return assertNever(tx);
  }
}
