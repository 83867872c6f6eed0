// What a peer can make the gossip manager hold or do, with the defaults (listed in docs/security.md),
// and the per-peer message bucket as a pure function of time.

export interface GossipLimits {
  /** Gossip messages accepted per peer: a token bucket of `burst`, refilled at `messagesPerMinute`. */
  readonly burst: number;
  readonly messagesPerMinute: number;
  /** Messages waiting to be checked, from all peers together; more are dropped unread. */
  readonly maxQueued: number;
  /** Channels in the graph (each holds its announcement and two updates, about 1 KB with its indexes). */
  readonly maxChannels: number;
  /** Our own channels waiting for the peer's announcement_signatures. */
  readonly maxPendingAnnouncements: number;
  /** A peer's announcement_signatures kept for channels we have not (yet) chosen to announce. */
  readonly maxStashedSignatures: number;
  /** Messages sent to a peer when it connects (announcements, their updates, node announcements)… */
  readonly maxSyncMessages: number;
  /** …and bytes: with the flush below, well inside the 2 MiB a peer may leave unread before it is cut off. */
  readonly maxSyncBytes: number;
  /** Bytes all connecting peers' syncs together may take per minute (and at once): fresh identities are free. */
  readonly syncBytesPerMinute: number;
  /** A peer that reconnects within this long of its last sync gets only what changed since. */
  readonly fullResyncAfterSeconds: number;
  /** Bytes relayed to each peer per flush; what is left waits for the next one. */
  readonly maxFlushBytes: number;
  /** A gossip message longer than this is neither kept nor relayed (BOLT 7 allows it: "MAY choose NOT to"). */
  readonly maxMessageBytes: number;
  /** Channels re-read from the ledger per tick to find those that closed. */
  readonly closedChecksPerTick: number;
  /**
   * Updates accepted per channel direction: a bucket of `updateBurst`, refilled at `updatesPerMinute`.
   * Only the channel's own node can sign them, so this is what holds a party (or anyone relaying its
   * fresh updates from many identities) to a few store writes and relays; checked before the signature.
   */
  readonly updateBurst: number;
  readonly updatesPerMinute: number;
  /** Gossip dated further ahead than this is refused. */
  readonly maxFutureSeconds: number;
  /** A channel whose older direction has had no update for this long is pruned (BOLT 7: two weeks). */
  readonly staleAfterSeconds: number;
  /** Our own updates are re-signed after this long, so that others never prune our channels as stale. */
  readonly refreshOwnAfterSeconds: number;
  /** Peers whose bucket we remember (connected or not), so reconnecting does not refill it. */
  readonly maxPeerBuckets: number;
  /** Announcements the ledger refused, remembered (by their bytes) so a replay costs no ledger read… */
  readonly maxRefusedRemembered: number;
  /** …for this long. */
  readonly refusedForgetSeconds: number;
}

/**
 * A peer syncing us its whole graph sends one announcement and up to two updates per channel, plus one
 * node announcement per node: the burst lets a 2,000-channel graph arrive at once, the rate lets an
 * honest peer relay a busy network's updates; a flooder is held to 1,200 checks (signature verifies) a
 * minute, with at most one ledger read per announcement that passed its signature checks.
 */
export const DEFAULT_GOSSIP_LIMITS: GossipLimits = {
  burst: 6000,
  messagesPerMinute: 1200,
  maxQueued: 10_000,
  maxChannels: 100_000,
  maxPendingAnnouncements: 1000,
  maxStashedSignatures: 256,
  maxSyncMessages: 6000,
  maxSyncBytes: 1_000_000,
  syncBytesPerMinute: 4_000_000,
  fullResyncAfterSeconds: 24 * 3600,
  maxFlushBytes: 512 * 1024,
  maxMessageBytes: 1024,
  closedChecksPerTick: 50,
  updateBurst: 10,
  updatesPerMinute: 1,
  maxFutureSeconds: 3600,
  staleAfterSeconds: 14 * 24 * 3600,
  refreshOwnAfterSeconds: 7 * 24 * 3600,
  maxPeerBuckets: 4096,
  maxRefusedRemembered: 4096,
  refusedForgetSeconds: 3600,
};

export function gossipLimits(given: Partial<GossipLimits> = {}): GossipLimits {
  return { ...DEFAULT_GOSSIP_LIMITS, ...given };
}

export interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

/** Take one token at `nowMs`; undefined when the bucket is empty (the message is dropped). */
export function takeToken(b: Bucket | undefined, nowMs: number, limits: Pick<GossipLimits, 'burst' | 'messagesPerMinute'>): Bucket | undefined {
  const start = b ?? { tokens: limits.burst, at: nowMs };
  const refill = (Math.max(0, nowMs - start.at) * limits.messagesPerMinute) / 60_000;
  const tokens = Math.min(limits.burst, start.tokens + refill);
  if (tokens < 1) return undefined;
  return { tokens: tokens - 1, at: nowMs };
}

/**
 * Accepted channel_updates per `scid/direction` and node_announcements per `n/node`: a bucket each.
 * `peek` is asked before the signature is checked and `spend` only once the message is accepted, so a
 * forger cannot use up a channel's or a node's allowance. At most two a channel and one a node the
 * graph holds: the manager forgets them with the channel.
 */
export class Allowances {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limits: Pick<GossipLimits, 'updateBurst' | 'updatesPerMinute'>) {}

  peek(key: string, nowMs: number): Bucket | undefined {
    return takeToken(this.buckets.get(key), nowMs, { burst: this.limits.updateBurst, messagesPerMinute: this.limits.updatesPerMinute });
  }

  spend(key: string, after: Bucket): void {
    this.buckets.set(key, after);
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}
