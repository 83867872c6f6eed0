// What a channel is to the state machine: the record, the events it takes, the effects it asks the shell
// to run, and the small readings of a record every handler uses. Pure types and functions.
import { toHex } from '../crypto/bytes.js';
import type { PublicKey, Signature } from '../crypto/keys.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import type { AckStateMessage, ChannelMessage, CommitStateMessage, ReestablishMessage, UpdateStateMessage } from '../wire/channel.js';
import type { ChannelLimits } from './ops.js';
import { balanceOf, otherSide, type ChannelState, type Side, type SignedState } from './state.js';
import type { Result } from '../util/result.js';

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
  /** A only, the shell's: the opener asked that it not be announced (BOLT 7); invoices hint it instead. */
  private?: true;
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

export type StepResult = Result<{ channel: Channel; effects: ChannelEffect[] }, ChannelError>;

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

export const err = (action: ErrorAction, message: string): StepResult => ({ ok: false, error: { action, message } });
export const done = (channel: Channel, effects: ChannelEffect[] = []): StepResult => ({ ok: true, channel, effects });

export function remoteSide(ch: Channel): Side {
  return otherSide(ch.local);
}

export function localBalance(ch: Channel): bigint {
  return balanceOf(ch.signed.state, ch.local);
}

export function remoteBalance(ch: Channel): bigint {
  return balanceOf(ch.signed.state, remoteSide(ch));
}

export function localSig(signed: SignedState, side: Side): Signature {
  return side === 'A' ? signed.sigA : signed.sigB;
}

export function withSigs(state: ChannelState, local: Side, mine: Signature, theirs: Signature): SignedState {
  return local === 'A' ? { state, sigA: mine, sigB: theirs } : { state, sigA: theirs, sigB: mine };
}

/** The leader (lower node id) signs first and wins same-seq races. */
export function isLeader(ch: Channel): boolean {
  return toHex(ch.localNodeId) < toHex(ch.remoteNodeId);
}
