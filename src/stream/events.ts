// Events, effects, context and result of the stream state machine (machine.ts says what each effect asks
// of the shell).
import type { StreamMessage } from '../wire/stream.js';
import type { HashChainSecret } from './hashchain.js';
import type { StreamRecord } from './record.js';
import type { Result } from '../util/result.js';

export type StreamEventKind = 'opened' | 'tick' | 'late' | 'onTime' | 'paused' | 'resumed' | 'stopped' | 'finished';

/** The channel's hash-chain lock as the payee checks reveals against it. */
export interface ChainLock {
  root: Uint8Array;
  unit: bigint;
  maxUnits: number;
  /** The side that locked the budget ('A' or 'B'). */
  from: 'A' | 'B';
}

export type ControlAction = 'pause' | 'resume' | 'stop';

export type StreamEvent =
  /** Payer: the peer accepted the terms. */
  | { type: 'accepted'; now: number }
  /** Payer: the peer refused (or did not answer). */
  | { type: 'rejected'; reason: string; now: number }
  | { type: 'lockCommitted'; now: number }
  | { type: 'lockRefused'; reason: string; now: number }
  /**
   * The scheduler's tick. `reachable`: the channel is open and the peer connected; `spendable`: what
   * the channel can still pay above its reserve; `allowance`: what the spending limits still allow
   * (absent: no limit).
   */
  | { type: 'tick'; now: number; reachable: boolean; spendable: bigint; allowance?: bigint }
  /** `feeMsat`: a routed batch's routing fee, once fulfilled. */
  | { type: 'committed'; ticks: number; now: number; feeMsat?: bigint }
  /** `final`: a routed batch the payee itself refused (else a routed stream retries in its next batch). */
  | { type: 'refused'; ticks: number; reason: string; now: number; final?: boolean }
  /** Payer: the limits refused the hold of the payment to `ticks` (nothing was held, the payment not proposed). */
  | { type: 'holdRefused'; ticks: number; now: number }
  /** Payee: a both-signed state (seq) carries this streamPay; `gap`: states signed while the meter was not stored. */
  | { type: 'paid'; amount: bigint; ticks: number; seq: bigint; gap: boolean; now: number }
  /** Payee: a hash-chain reveal, with the lock of our latest both-signed state (if any) and our side. */
  | { type: 'reveal'; depth: number; value: Uint8Array; lock?: ChainLock; localSide: 'A' | 'B'; now: number }
  /** This node's user. */
  | { type: 'control'; action: ControlAction; now: number }
  /** The peer's streamControl. */
  | { type: 'peerControl'; action: ControlAction; reason: string; now: number }
  /** Payer, hash chain: the payee released our budget's lock in a both-signed state (what it had not claimed came back). */
  | { type: 'budgetReturned'; now: number }
  | { type: 'channelEnded'; now: number }
  | { type: 'peerConnected'; now: number };

export type StreamEffect =
  | { type: 'send'; message: StreamMessage }
  | { type: 'pay'; amount: bigint; ticks: number }
  /**
   * Payer, routed: pay ticks (from, to] as one keysend HTLC to the payee (batch.ts). The record, with this
   * batch held, is stored before the HTLC is offered; answer 'committed' (fulfilled, with its fee) or 'refused'.
   */
  | { type: 'payBatch'; amount: bigint; from: number; ticks: number }
  | { type: 'lock'; root: Uint8Array; unit: bigint; maxUnits: number; lockId: number }
  | { type: 'hold'; amount: bigint }
  | { type: 'release'; amount: bigint; at: number }
  | { type: 'persist'; when: 'now' | 'batched' }
  /** `at`: the stream as the event shows it, when that is not the record the step returns (a last tick, then the end). */
  | { type: 'emit'; event: StreamEventKind; at?: StreamRecord }
  | { type: 'claim' }
  | { type: 'settleChain' }
  | { type: 'drop' };

export interface StreamContext {
  /** Payee: late after a tick interval plus this much without a tick. */
  graceMs: number;
  /** Payee, hash-chain mode: claim revealed ticks every this many. */
  checkpointTicks: number;
  /** Payee: a stream never paid this long after its first tick fell due is dropped. */
  idleExpiryMs: number;
  /** Payer, hash-chain mode: the chain built from the record's seed (the shell caches it). */
  chain?: HashChainSecret;
}

/** What the caller does about a refused event: 'ignore' it (stale, repeated), or 'refuse' a request with a message. */
export type StreamErrorKind = 'ignore' | 'warn' | 'conflict';

export interface StreamError {
  kind: StreamErrorKind;
  /** Stable code for API callers (conflict) and logs. */
  code: string;
  message: string;
}

export type StreamStepResult = Result<{ stream: StreamRecord; effects: StreamEffect[] }, StreamError>;

export const done = (stream: StreamRecord, effects: StreamEffect[] = []): StreamStepResult => ({ ok: true, stream, effects });
export const refuse = (kind: StreamErrorKind, code: string, message: string): StreamStepResult => ({ ok: false, error: { kind, code, message } });

/** A peer away less than this when a stream ended is told again when it reconnects. */
export const REPEAT_END_MS = 3_600_000;
