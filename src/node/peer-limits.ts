// What a peer can make the node hold or do through the peer manager, with the defaults, and the ping
// rule as a pure function (time comes in as an argument). Listed in docs/security.md.
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PENDING_HANDSHAKES, DEFAULT_MAX_SEND_BUFFER_BYTES,
} from '../transport/limits.js';

export interface PeerLimits {
  /** We answer at most one ping per this long from one peer; faster pings are ignored (BOLT 1 allows it). */
  readonly pongMinIntervalMs: number;
  /** A peer whose pings we ignored this many times in a row is flooding: warned and disconnected. */
  readonly maxIgnoredPings: number;
  /** Connected peers with no channel with us and no dial of ours waiting on them; more are hung up on. */
  readonly maxPeersWithoutChannels: number;
  /** Bytes we hold for one peer that is not reading before we drop it. */
  readonly maxSendBufferBytes: number;
  /** Peer listener: connections at once, unfinished handshakes at once, and the handshake deadline. */
  readonly maxConnections: number;
  readonly maxPendingHandshakes: number;
  readonly handshakeTimeoutMs: number;
  /** Inbound messages per peer after init: a token bucket of this many, refilled at this rate per second. */
  readonly messageBurst: number;
  readonly messagesPerSecond: number;
  /** Of those, `streamControl` (each pause/resume/stop costs us a synced write): a second, tighter bucket. */
  readonly controlBurst: number;
  readonly controlsPerSecond: number;
  /** Messages over the rate are dropped; the first gets a `warning`, and past this many the peer is cut off. */
  readonly maxDroppedMessages: number;
  /** Completed handshakes per peer: a bucket of this many, refilled at this rate per minute; more are refused. */
  readonly handshakeBurst: number;
  readonly handshakesPerMinute: number;
}

export const DEFAULT_PONG_MIN_INTERVAL_MS = 5000;
export const DEFAULT_MAX_IGNORED_PINGS = 32;
export const DEFAULT_MAX_PEERS_WITHOUT_CHANNELS = 128;
/**
 * Honest traffic stays far below these (measured in `npm run bench`, busiest second per peer, see
 * docs/security.md): every stream sends its own ticks, so 5,000 streams at 1 sat/s were 5,002
 * messages/s from one peer, and the 10,000 streams a channel may carry would be about 10,000/s.
 * Stream control is a user's pause/resume/stop, but ending every stream on a channel at once sends one stop
 * each (a bench run of 5,000 streams went past a burst of 4,096), and a channel may carry 10,000.
 */
export const DEFAULT_MESSAGE_BURST = 65_536;
export const DEFAULT_MESSAGES_PER_SECOND = 32_768;
export const DEFAULT_CONTROL_BURST = 16_384;
export const DEFAULT_CONTROLS_PER_SECOND = 1000;
export const DEFAULT_MAX_DROPPED_MESSAGES = 1024;
export const DEFAULT_HANDSHAKE_BURST = 20;
export const DEFAULT_HANDSHAKES_PER_MINUTE = 20;
/** Peers whose handshake history we remember; a fresh key costs one entry for at most a minute. */
export const MAX_HANDSHAKE_HISTORIES = 4096;

/**
 * The defaults. The pong interval never exceeds a quarter of our own ping interval, so two sluice
 * nodes configured to ping fast (tests) still answer each other often enough to stay connected.
 */
export function peerLimits(pingIntervalMs: number, given: Partial<PeerLimits> = {}): PeerLimits {
  return {
    pongMinIntervalMs: Math.min(DEFAULT_PONG_MIN_INTERVAL_MS, Math.floor(pingIntervalMs / 4)),
    maxIgnoredPings: DEFAULT_MAX_IGNORED_PINGS,
    maxPeersWithoutChannels: DEFAULT_MAX_PEERS_WITHOUT_CHANNELS,
    maxSendBufferBytes: DEFAULT_MAX_SEND_BUFFER_BYTES,
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    maxPendingHandshakes: DEFAULT_MAX_PENDING_HANDSHAKES,
    handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
    messageBurst: DEFAULT_MESSAGE_BURST,
    messagesPerSecond: DEFAULT_MESSAGES_PER_SECOND,
    controlBurst: DEFAULT_CONTROL_BURST,
    controlsPerSecond: DEFAULT_CONTROLS_PER_SECOND,
    maxDroppedMessages: DEFAULT_MAX_DROPPED_MESSAGES,
    handshakeBurst: DEFAULT_HANDSHAKE_BURST,
    handshakesPerMinute: DEFAULT_HANDSHAKES_PER_MINUTE,
    ...given,
  };
}

/** Per-peer memory of its pings. */
export interface PingState {
  readonly lastAnswered: number | undefined;
  readonly ignoredInARow: number;
}

export const NO_PINGS: PingState = { lastAnswered: undefined, ignoredInARow: 0 };

export type PingVerdict =
  /** Answer it (if the ping asks for a pong at all); the peer counts as alive. */
  | 'answer'
  /** Too soon after the last one: no pong, and it does not count as liveness. */
  | 'ignore'
  /** Too many ignored in a row: a flood. */
  | 'disconnect';

/** What to do with a ping that arrives at `now`. */
export function judgePing(state: PingState, now: number, limits: Pick<PeerLimits, 'pongMinIntervalMs' | 'maxIgnoredPings'>): { verdict: PingVerdict; state: PingState } {
  if (state.lastAnswered === undefined || now - state.lastAnswered >= limits.pongMinIntervalMs) {
    return { verdict: 'answer', state: { lastAnswered: now, ignoredInARow: 0 } };
  }
  const ignoredInARow = state.ignoredInARow + 1;
  return { verdict: ignoredInARow > limits.maxIgnoredPings ? 'disconnect' : 'ignore', state: { ...state, ignoredInARow } };
}

/** A token bucket: `tokens` as of `at` (ms). Starts full. */
export interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

export interface BucketShape {
  readonly burst: number;
  readonly perMs: number;
}

/** Refill to `now`, then take one token if there is one; `waitMs` is how long until one would be there. */
export function takeToken(bucket: Bucket | undefined, now: number, shape: BucketShape): { ok: boolean; bucket: Bucket; waitMs: number } {
  const elapsed = bucket ? Math.max(0, now - bucket.at) : 0;
  const tokens = bucket ? Math.min(shape.burst, bucket.tokens + elapsed * shape.perMs) : shape.burst;
  if (tokens >= 1) return { ok: true, bucket: { tokens: tokens - 1, at: now }, waitMs: 0 };
  return { ok: false, bucket: { tokens, at: now }, waitMs: shape.perMs > 0 ? Math.ceil((1 - tokens) / shape.perMs) : Infinity };
}

/** Per-session memory of a peer's inbound message rate. */
export interface RateState {
  readonly bucket: Bucket | undefined;
  readonly control: Bucket | undefined;
  readonly dropped: number;
}

export const NO_MESSAGES: RateState = { bucket: undefined, control: undefined, dropped: 0 };

export type RateVerdict =
  /** Within the rate: handle it. */
  | 'pass'
  /** The first over the rate: drop it and warn the peer. */
  | 'warn'
  /** Over the rate, already warned: drop it. */
  | 'drop'
  /** Dropped more than maxDroppedMessages: a flood. */
  | 'disconnect';

export type RateLimits = Pick<PeerLimits, 'messageBurst' | 'messagesPerSecond' | 'controlBurst' | 'controlsPerSecond' | 'maxDroppedMessages'>;

/** What to do with an inbound message (after init) that arrives at `now`; `control` for a streamControl. */
export function judgeMessage(state: RateState, now: number, limits: RateLimits, control = false): { verdict: RateVerdict; state: RateState } {
  const any = takeToken(state.bucket, now, { burst: limits.messageBurst, perMs: limits.messagesPerSecond / 1000 });
  const ctl = control ? takeToken(state.control, now, { burst: limits.controlBurst, perMs: limits.controlsPerSecond / 1000 }) : undefined;
  const next = { bucket: any.bucket, control: ctl?.bucket ?? state.control };
  if (any.ok && (ctl?.ok ?? true)) return { verdict: 'pass', state: { ...next, dropped: state.dropped } };
  const dropped = state.dropped + 1;
  const verdict = dropped > limits.maxDroppedMessages ? 'disconnect' : dropped === 1 ? 'warn' : 'drop';
  return { verdict, state: { ...next, dropped } };
}

/** The BOLT 1 type of an encoded message (its first two bytes), without decoding the rest. */
export function messageType(bytes: Uint8Array): number | undefined {
  return bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : undefined;
}

/**
 * Completed handshakes per peer, remembered across its sessions (and after its entry is forgotten) so a
 * peer that reconnects over and over, each time making us replay what a reconnect replays, is bounded.
 */
export class HandshakeLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limits: Pick<PeerLimits, 'handshakeBurst' | 'handshakesPerMinute'>, private readonly maxPeers = MAX_HANDSHAKE_HISTORIES) {}

  /** Count a handshake by `peer` at `now`: 0 if allowed, else how many ms until one would be. */
  admit(peer: string, now: number): number {
    const shape = { burst: this.limits.handshakeBurst, perMs: this.limits.handshakesPerMinute / 60_000 };
    const taken = takeToken(this.buckets.get(peer), now, shape);
    this.buckets.delete(peer); // re-inserted last: the map's order is oldest use first
    this.buckets.set(peer, taken.bucket);
    // Bounded: past maxPeers the least recently seen peer is forgotten (it starts again with a full bucket).
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxPeers) break;
      this.buckets.delete(key);
    }
    return taken.ok ? 0 : taken.waitMs;
  }

  get size(): number {
    return this.buckets.size;
  }
}
