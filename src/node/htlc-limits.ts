// The bounds on what peers can make the HTLC switch hold (docs/security.md, "HTLC switch"), and their
// defaults. Each is given per node (NodeOptions.htlcLimits) and tested with a small value.
import { MAX_LOCKS } from '../channel/state.js';
import { DEFAULT_REPLAY_LOG_ENTRIES } from '../onion/replay.js';

export interface HtlcLimits {
  /** Incoming HTLCs the switch holds records for, over all channels; more are failed (temporary_node_failure). */
  maxPendingHtlcs: number;
  /** Onions remembered against replay until their expiry; at the bound new onions are refused. */
  replayLogEntries: number;
  /**
   * Of those, the most one channel's onions may hold: past it that channel's new HTLCs are refused
   * (temporary_channel_failure), so a peer cycling cheap HTLCs fills its own share, not the node's log.
   */
  replayEntriesPerChannel: number;
  /**
   * HTLCs the switch offers on one channel at once (forwards and local attempts); the channel's own
   * lock limit (ChannelLimits.maxLocks, 30 by default, under the state's MAX_LOCKS of 483) when lower.
   */
  maxHtlcsPerChannel: number;
  /** Our own HTLCs that may wait for a free slot on a full channel, over all channels (htlc-slots.ts); past it one is offered at once, and a full channel refuses it. Our payments, not a peer's: PaymentLimits.maxInFlight bounds them too. */
  maxWaitingForSlot: number;
}

export const DEFAULT_HTLC_LIMITS: HtlcLimits = {
  maxPendingHtlcs: 10_000, replayLogEntries: DEFAULT_REPLAY_LOG_ENTRIES, replayEntriesPerChannel: DEFAULT_REPLAY_LOG_ENTRIES / 10, maxHtlcsPerChannel: MAX_LOCKS, maxWaitingForSlot: 1000,
};
