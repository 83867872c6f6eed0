// Announcing our own channels: both parties must sign one channel_announcement, so each sends the other
// its signature in announcement_signatures (BOLT 7 type 259) and whoever holds both assembles it.
//
//   1. The lead calls announceChannel once the channel is open on the ledger (the ledger's blocks are
//      final: no reorganization can move the open, so one block stands for BOLT 7's six confirmations).
//      We build the announcement from the ledger record alone, so both parties build the same bytes,
//      sign it, and send our announcement_signatures to the peer (again whenever it reconnects).
//   2. The peer's announcement_signatures is checked against that announcement and its key; then the
//      announcement is complete: stored, added to the graph and queued for every peer, with our
//      channel_update. We answer the peer's signatures with ours if we have not sent them on this
//      connection, so it completes too.
//   3. A peer may sign before we decide: its signatures wait in a bounded stash until we do. And if the
//      peer completes first, its full channel_announcement reaches us as gossip, which completes ours.
// The pending and stashed entries are bounded (gossip-limits.ts) and are not stored: after a restart the
// lead calls announceChannel again and the signatures are made again (deterministic, the same bytes).
import { equalBytes, fromHex, toHex } from '../crypto/bytes.js';
import { verifyMessage } from '../crypto/keys.js';
import { announcementSignaturesFor, gossipDigestInput, type UnsignedChannelAnnouncement } from '../gossip/messages.js';
import type { LedgerChannel } from '../ledger/types.js';
import type { ChannelPolicy } from '../routing/graph.js';
import { channelAnnouncementSignedPart, type AnnouncementSignaturesMessage } from '../wire/gossip.js';

export interface PendingAnnouncement {
  readonly channelId: Uint8Array;
  readonly peer: string;
  readonly record: LedgerChannel;
  readonly unsigned: UnsignedChannelAnnouncement;
  readonly ours: AnnouncementSignaturesMessage;
  policy: ChannelPolicy;
  theirs?: { node: Uint8Array; bitcoin: Uint8Array };
}

export class OwnAnnouncements {
  readonly pending = new Map<string, PendingAnnouncement>();
  private readonly stash = new Map<string, { peer: string; msg: AnnouncementSignaturesMessage }>();
  /** the stash's keys by peer, oldest first */
  private readonly byPeer = new Map<string, string[]>();
  /** `${peer}/${scid}`: our signatures went to that peer on its current connection */
  private readonly sent = new Set<string>();

  constructor(private readonly maxPending: number, private readonly maxStashed: number) {}

  /** Start announcing; false when the pending bound is reached. Takes the peer's stashed signatures if valid. */
  begin(p: Omit<PendingAnnouncement, 'ours' | 'theirs'>, secretKey: Uint8Array): PendingAnnouncement | undefined {
    const scid = p.unsigned.shortChannelId;
    const existing = this.pending.get(scid);
    if (existing) {
      existing.policy = p.policy;
      return existing;
    }
    if (this.pending.size >= this.maxPending) return undefined;
    const entry: PendingAnnouncement = { ...p, ours: announcementSignaturesFor(p.channelId, p.unsigned, secretKey) };
    this.pending.set(scid, entry);
    const stashed = this.stash.get(`${p.peer}/${scid}`);
    if (stashed) {
      this.forgetStashed(`${p.peer}/${scid}`);
      if (this.valid(entry, stashed.msg)) entry.theirs = { node: stashed.msg.nodeSignature, bitcoin: stashed.msg.bitcoinSignature };
    }
    return entry;
  }

  /** The peer's signatures over the announcement we would build, by its key. */
  valid(p: PendingAnnouncement, m: AnnouncementSignaturesMessage): boolean {
    if (!equalBytes(m.channelId, p.channelId) || m.shortChannelId !== p.unsigned.shortChannelId) return false;
    const digest = gossipDigestInput(channelAnnouncementSignedPart(p.unsigned));
    const key = fromHex(p.peer, 'peer', 33);
    if (!verifyMessage(m.nodeSignature, digest, key)) return false;
    return equalBytes(m.bitcoinSignature, m.nodeSignature) || verifyMessage(m.bitcoinSignature, digest, key);
  }

  /**
   * Keep a peer's signatures for a channel we have not chosen to announce. Keyed by peer too, so another
   * peer cannot replace them with its own for the same short id. Anyone can send them and nothing in them
   * can be checked before we announce, so one peer must not push out another's: at the bound the peer
   * holding the most loses its oldest if it holds more than one beyond the sender; otherwise the sender
   * loses its own oldest, or is refused when it holds none. Entries go when their peer disconnects (it sends them
   * again on reconnect), so only connected peers hold any.
   */
  keep(peer: string, m: AnnouncementSignaturesMessage): void {
    const key = `${peer}/${m.shortChannelId}`;
    const mine = this.byPeer.get(peer) ?? [];
    if (this.stash.has(key)) {
      this.forgetStashed(key);
    } else if (this.stash.size >= this.maxStashed) {
      let longest: string[] | undefined;
      for (const keys of this.byPeer.values()) if (!longest || keys.length > longest.length) longest = keys;
      const victim = longest && longest.length > mine.length + 1 ? longest[0] : mine[0];
      if (victim === undefined) return;
      this.forgetStashed(victim);
    }
    this.stash.set(key, { peer, msg: m });
    const keys = this.byPeer.get(peer);
    if (keys) keys.push(key);
    else this.byPeer.set(peer, [key]);
  }

  private forgetStashed(key: string): void {
    const e = this.stash.get(key);
    if (!e) return;
    this.stash.delete(key);
    const keys = this.byPeer.get(e.peer)!;
    keys.splice(keys.indexOf(key), 1);
    if (keys.length === 0) this.byPeer.delete(e.peer);
  }

  get stashedCount(): number {
    return this.stash.size;
  }

  markSent(peer: string, scid: string): void {
    this.sent.add(`${peer}/${scid}`);
  }

  wasSent(peer: string, scid: string): boolean {
    return this.sent.has(`${peer}/${scid}`);
  }

  peerGone(peer: string): void {
    for (const k of [...this.sent]) if (k.startsWith(`${peer}/`)) this.sent.delete(k);
    for (const k of [...(this.byPeer.get(peer) ?? [])]) this.forgetStashed(k);
  }

  pendingWith(peer: string): PendingAnnouncement[] {
    return [...this.pending.values()].filter((p) => p.peer === peer);
  }

  done(scid: string): void {
    this.pending.delete(scid);
    for (const k of [...this.stash.keys()]) if (k.endsWith(`/${scid}`)) this.forgetStashed(k);
    for (const k of [...this.sent]) if (k.endsWith(`/${scid}`)) this.sent.delete(k);
  }
}

/** Which party of the record is not us (hex), or undefined when we are not a party. */
export function counterparty(record: LedgerChannel, me: string): string | undefined {
  const a = toHex(record.a);
  const b = toHex(record.b);
  return a === me ? b : b === me ? a : undefined;
}
