// What goes to which peer: the staggered batch BOLT 7 asks for (accepted gossip is queued, a newer
// message replacing an older one, and flushed to every connected peer but the one it came from), and the
// bounded sync a peer gets when it connects. No checks here: only what gossip.ts accepted is queued.
import type { ChannelUpdateMessage, GossipMessage } from '../wire/gossip.js';
import { encodeGossipMessage } from '../wire/gossip-frame.js';
import type { GossipGraph, KnownChannel } from './gossip-graph.js';
import type { GossipLimits } from './gossip-limits.js';

type Limits = Pick<GossipLimits, 'maxFlushBytes' | 'maxSyncMessages' | 'maxSyncBytes' | 'maxMessageBytes'>;

export class GossipRelay {
  private readonly peers = new Set<string>();
  /** keyed `c/scid`, `u/scid/dir`, `n/node`; the origin is not sent its own message back */
  private readonly outbox = new Map<string, { msg: GossipMessage; origin?: string }>();

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
  }

  drop(key: string): void {
    this.outbox.delete(key);
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
  connected(peer: string, view: GossipGraph): void {
    this.peers.add(peer);
    let messages = this.limits.maxSyncMessages;
    let bytes = this.limits.maxSyncBytes;
    for (const k of view.allChannels()) {
      if (!k.updates[0] && !k.updates[1]) continue;
      if (messages < 3 || bytes < 3 * this.limits.maxMessageBytes) break;
      const sent = this.sendChannel(peer, k);
      messages -= sent.messages;
      bytes -= sent.bytes;
    }
    for (const n of view.allNodes()) {
      if (messages < 1 || bytes < this.limits.maxMessageBytes) break;
      this.send(peer, n.announcement);
      messages--;
      bytes -= encodeGossipMessage(n.announcement).length;
    }
  }

  disconnected(peer: string): void {
    this.peers.delete(peer);
  }
}
