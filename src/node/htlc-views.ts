// How the switch reads one of the node's channels: its short channel id, what an HTLC offered on it now
// could carry, and the view the forwarding decision and the router take. Pure readings of a Channel.
import { randomBytes } from 'node:crypto';
import { toHex } from '../crypto/bytes.js';
import type { Channel } from '../channel/machine.js';
import { balanceOf, lockAmount, otherSide } from '../channel/state.js';
import type { OutChannelView } from '../forward/decide.js';
import type { ForwardingPolicy, LocalChannelView } from './htlc-types.js';

/**
 * A node-local short channel id (16 hex characters): the first 8 bytes of the channel id, which both
 * ends derive alike. Used until the switch has read the ledger's id (the open's position, BOLT 7), and
 * still accepted after, so an onion built with either reaches the channel.
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

/**
 * A random lock id in this side's space (A even, B odd, as ops.ts requires) that no state of the channel
 * uses and `taken` does not claim: random as the streams' ids are, so the two never need to agree.
 */
export function freeLockId(ch: Channel, taken: (id: number) => boolean): number {
  const used = new Set([...ch.signed.state.locks, ...(ch.proposal?.state.locks ?? []), ...(ch.countersigned?.state.locks ?? [])].map((l) => l.id));
  const parity = ch.local === 'A' ? 0 : 1;
  for (;;) {
    const n = ((randomBytes(4).readUInt32BE(0) & ~1) | parity) >>> 0;
    if (n !== 0 && !used.has(n) && !taken(n)) return n;
  }
}
