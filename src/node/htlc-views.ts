// How the switch reads one of the node's channels: its short channel id, what an HTLC offered on it now
// could carry, and the view the forwarding decision and the router take. Pure readings of a Channel.
import { toHex } from '../crypto/bytes.js';
import type { Channel } from '../channel/machine.js';
import { balanceOf, lockAmount, otherSide } from '../channel/state.js';
import type { OutChannelView } from '../forward/decide.js';
import type { ForwardingPolicy, LocalChannelView } from './htlc-types.js';

/**
 * The short channel id the node's onions name a channel by (16 hex characters): the first 8 bytes of
 * the channel id, until gossip gives channels a ledger position (BOLT 7 block/tx/output). Both ends
 * compute the same one, and a payer's route names it so.
 */
export function localShortChannelId(ch: Pick<Channel, 'channelId'>): string {
  return toHex(ch.channelId.subarray(0, 8));
}

/** The latest state this side has signed or proposed: what a new HTLC would be added to. */
function latest(ch: Channel) {
  return ch.proposal?.state ?? ch.signed.state;
}

/** What this side can still lock: balance less the reserve, within its in-flight limit, less what is queued. */
export function spendable(ch: Channel, queuedMsat: bigint): bigint {
  const s = latest(ch);
  const mine = s.locks.filter((l) => l.from === ch.local);
  const inFlight = mine.reduce((sum, l) => sum + lockAmount(l), 0n);
  const byBalance = balanceOf(s, ch.local) - ch.limits.reserve - queuedMsat;
  const byLimit = ch.limits.maxInFlight - inFlight - queuedMsat;
  const v = byBalance < byLimit ? byBalance : byLimit;
  return v > 0n ? v : 0n;
}

export function receivable(ch: Channel): bigint {
  const s = latest(ch);
  const v = balanceOf(s, otherSide(ch.local)) - ch.limits.reserve;
  return v > 0n ? v : 0n;
}

export function htlcCount(ch: Channel, queued: number): number {
  return latest(ch).locks.filter((l) => l.from === ch.local).length + queued;
}

const isActive = (ch: Channel): boolean => ch.status === 'open' && ch.connected;
const isEnding = (ch: Channel): boolean => ch.status === 'closing' || ch.status === 'forceClosing' || ch.status === 'closed' || ch.status === 'failed';

export function outChannelView(ch: Channel, policy: ForwardingPolicy, queued: { count: number; msat: bigint }, maxHtlcs: number): OutChannelView {
  return {
    channelId: ch.channelId,
    active: isActive(ch),
    closing: isEnding(ch),
    spendableMsat: spendable(ch, queued.msat),
    htlcCount: htlcCount(ch, queued.count),
    maxHtlcs: Math.min(ch.limits.maxLocks, maxHtlcs),
    policy,
  };
}

export function localChannelView(ch: Channel, policy: ForwardingPolicy, queued: { count: number; msat: bigint }): LocalChannelView {
  return {
    channelId: toHex(ch.channelId),
    shortChannelId: localShortChannelId(ch),
    peerNodeId: toHex(ch.remoteNodeId),
    active: isActive(ch),
    spendableMsat: spendable(ch, queued.msat),
    receivableMsat: receivable(ch),
    capacityMsat: ch.capacity,
    policy,
  };
}
