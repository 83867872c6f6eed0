// One peer as the peer manager holds it: its session and whether init is done, what keeps it known (a
// redial, a caller waiting, a channel), its backoff, and the limits' running state for its session.
import type { PeerSession } from '../transport/session.js';
import { NO_MESSAGES, NO_PINGS, type PingState, type RateState } from './peer-limits.js';

export const RECONNECT_MIN_MS = 250;
export const RECONNECT_MAX_MS = 30_000;

export interface Peer {
  nodeId: string;
  /** When a warning or error this peer sent was last logged at warn level. */
  lastTextLoggedAt?: number;
  address?: string;
  session?: PeerSession;
  ready: boolean; // init exchanged
  lastHeard: number;
  wanted: boolean; // keep redialing
  backoffMs: number;
  timer?: NodeJS.Timeout;
  readyWaiters: { resolve: () => void; reject: (e: Error) => void }[];
  /** A failed redial was logged as a warning; the next ones are debug until the peer is back. */
  warnedUnreachable?: boolean;
  pings: PingState;
  /** Inbound message rate of its current session. */
  rate: RateState;
  /** Set when its current session was adopted: no channel, not wanted, no dial of ours waiting. */
  stranger: boolean;
}

export function newPeer(nodeId: string, now: number): Peer {
  return { nodeId, ready: false, wanted: false, backoffMs: RECONNECT_MIN_MS, readyWaiters: [], lastHeard: now, pings: NO_PINGS, rate: NO_MESSAGES, stranger: false };
}
