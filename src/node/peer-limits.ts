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
}

export const DEFAULT_PONG_MIN_INTERVAL_MS = 5000;
export const DEFAULT_MAX_IGNORED_PINGS = 32;
export const DEFAULT_MAX_PEERS_WITHOUT_CHANNELS = 128;

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
