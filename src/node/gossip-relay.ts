// What goes to which peer: the staggered batch BOLT 7 asks for (accepted gossip is queued, a newer
// message replacing an older one, and flushed to every connected peer but the one it came from), and the
// bounded sync a peer gets when it connects. No checks here: only what gossip.ts accepted is queued.
//
// The sync is the one thing a stranger gets for nearly nothing: a handshake and an init buy up to
// maxSyncBytes. So a peer that had a sync recently gets only what changed since (reconnecting in a loop
// buys little), and all syncs together draw on one budget of bytes a minute (fresh identities are free
// to make, so a per-peer bound alone would not hold).
import type { ChannelUpdateMessage, GossipMessage } from '../wire/gossip.js';
import { encodeGossipMessage } from '../wire/gossip-frame.js';
import type { GossipGraph, KnownChannel } from './gossip-graph.js';
import type { GossipLimits } from './gossip-limits.js';

type Limits = Pick<GossipLimits, 'maxFlushBytes' | 'maxSyncMessages' | 'maxSyncBytes' | 'maxMessageBytes' | 'syncBytesPerMinute' | 'maxPeerBuckets' | 'fullResyncAfterSeconds'>;

export class GossipRelay {
  private readonly peers = new Set<string>();
  /** keyed `c/scid`, `u/scid/dir`, `n/node`; the origin is not sent its own message back */
  private readonly outbox = new Map<string, { msg: GossipMessage; origin?: string }>();
  /** when each peer last had a sync (our change count, and seconds), least recent first; bounded like the peers' buckets */
  private readonly syncedAt = new Map<string, { seq: number; at: number }>();
  /** what changed when, by our own count: a channel (by short id) or a node (`n/id`) -> the count at its last change */
  private readonly changed = new Map<string, number>();
  private seq = 0;
  /** bytes all syncs may still send, refilled at syncBytesPerMinute */
  private budget: { bytes: number; at: number } | undefined;

  constructor(private readonly send: (peer: string, msg: GossipMessage) => void, private readonly limits: Limits) {}

  isConnected(peer: string): boolean {
    return this.peers.has(peer);
  }

  get waiting(): number {
    return this.outbox.size;
  }

  queue(key: string, msg: GossipMessage, origin?: string): void {
    this.outbox.delete(key); // re-inserted last, so an update never goes out before its channel
    this.outbox.set(key, origin === undefined ? { msg } : { msg, origin });
    this.changed.set(entityOf(key), ++this.seq);
  }

  drop(key: string): void {
    this.outbox.delete(key);
    if (!key.startsWith('u/')) this.changed.delete(entityOf(key));
  }

  /** Oldest first, up to maxFlushBytes (the same batch for every peer); the rest waits for the next flush. */
  flush(): void {
    const batch: { msg: GossipMessage; origin?: string }[] = [];
    let bytes = 0;
    for (const [key, e] of this.outbox) {
      const size = encodeGossipMessage(e.msg).length;
      if (batch.length > 0 && bytes + size > this.limits.maxFlushBytes) break;
      bytes += size;
      batch.push(e);
      this.outbox.delete(key);
    }
    for (const peer of this.peers) {
      for (const e of batch) if (e.origin !== peer) this.send(peer, e.msg);
    }
  }

  /** The channel's announcement and updates to one peer; the messages and bytes sent. */
  sendChannel(peer: string, k: KnownChannel): { messages: number; bytes: number } {
    const msgs = [k.announcement, ...k.updates.filter((u): u is ChannelUpdateMessage => u !== undefined)];
    let bytes = 0;
    for (const m of msgs) {
      this.send(peer, m);
      bytes += encodeGossipMessage(m).length;
    }
    return { messages: msgs.length, bytes };
  }

  /**
   * A peer connected: it gets what we know, bounded in messages and bytes. BOLT 7: an announcement goes
   * only with an update, before it and before its nodes' announcements. Every stored message is at most
   * maxMessageBytes, so room for three of them is room for a channel.
   */
  /** `channelPeer`: a peer we have a channel with; its sync does not draw on the shared budget (there are few). */
  connected(peer: string, view: GossipGraph, nowSeconds: number, channelPeer = false): { messages: number; bytes: number } {
    this.peers.add(peer);
    const last = this.syncedAt.get(peer);
    this.syncedAt.delete(peer);
    const seqNow = this.seq;
    // a peer synced lately gets what changed since (by our count, not by the messages' own dates); after
    // fullResyncAfterSeconds, everything again
    const since = last !== undefined && nowSeconds - last.at < this.limits.fullResyncAfterSeconds ? last.seq : undefined;
    const missed = (entity: string) => since === undefined || (this.changed.get(entity) ?? 0) > since;
    const budget = channelPeer ? this.limits.maxSyncBytes : this.refill(nowSeconds);
    let messages = this.limits.maxSyncMessages;
    let bytes = Math.min(this.limits.maxSyncBytes, budget);
    let cut = false;
    for (const k of view.allChannels()) {
      if (!k.updates[0] && !k.updates[1]) continue;
      if (!missed(k.channel.shortChannelId)) continue;
      if (messages < 3 || bytes < 3 * this.limits.maxMessageBytes) {
        cut = true;
        break;
      }
      const sent = this.sendChannel(peer, k);
      messages -= sent.messages;
      bytes -= sent.bytes;
    }
    for (const n of view.allNodes()) {
      if (!missed(`n/${n.info.nodeId}`)) continue;
      if (messages < 1 || bytes < this.limits.maxMessageBytes) {
        cut = true;
        break;
      }
      this.send(peer, n.announcement);
      messages--;
      bytes -= encodeGossipMessage(n.announcement).length;
    }
    const spent = Math.min(this.limits.maxSyncBytes, budget) - bytes;
    if (!channelPeer) this.budget = { bytes: budget - spent, at: nowSeconds };
    // only a whole sync counts: one cut short (by the bounds or the budget) is given in full next time
    if (!cut) {
      this.syncedAt.set(peer, { seq: seqNow, at: nowSeconds });
      while (this.syncedAt.size > this.limits.maxPeerBuckets) this.syncedAt.delete(this.syncedAt.keys().next().value!);
    }
    return { messages: this.limits.maxSyncMessages - messages, bytes: spent };
  }

  /** The sync budget now: burst and rate are both syncBytesPerMinute. */
  private refill(nowSeconds: number): number {
    const rate = this.limits.syncBytesPerMinute;
    if (!this.budget) return rate;
    return Math.min(rate, this.budget.bytes + (Math.max(0, nowSeconds - this.budget.at) * rate) / 60);
  }

  disconnected(peer: string): void {
    this.peers.delete(peer);
  }
}

/** The channel (short id) or node (`n/id`) a relay key is about. */
function entityOf(key: string): string {
  return key.startsWith('n/') ? key : key.split('/')[1]!;
}
