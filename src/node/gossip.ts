// The gossip shell (BOLT 7): checks what peers announce against the ledger, keeps it in the graph and
// its store, relays it, and announces our own channels. The checks are pure (src/gossip/verify.ts);
// here they meet the ledger, the store, the clock and the peers.
//
// The lead wires it in (see docs/routing.md, "Gossip"): the four gossip message kinds go to
// handleMessage, connects and disconnects to onPeerConnected / onPeerDisconnected, tick() runs every
// minute (the staggered flush BOLT 7 asks for, plus pruning), and announceChannel / announceNode when
// our channels open or our policy, alias or address change.
//
// Work runs one job at a time (gossip-queue.ts): our own first, then the peers' messages in turns, each
// peer's in arrival order, so a channel_update that follows its announcement from the same peer finds the
// channel even though checking the announcement waited on the ledger, and a peer whose announcements
// wait on the ledger holds up only its own. Every peer message first takes a token from that peer's
// bucket; the queue is bounded too.
import { equalBytes, InputError, toHex } from '../crypto/bytes.js';
import { publicKeyOf, type SecretKey } from '../crypto/keys.js';
import {
  announcementForRecord, assembleAnnouncement, policyProblem, signChannelUpdate, signNodeAnnouncement, type NodeAnnouncementFields,
} from '../gossip/messages.js';
import {
  checkAnnouncementAgainstLedger, checkAnnouncementSignatures, checkChannelUpdate, checkNodeAnnouncement, refuse, type GossipRefusal,
} from '../gossip/verify.js';
import type { LedgerChannel } from '../ledger/types.js';
import type { ChannelGraph, ChannelPolicy } from '../routing/graph.js';
import type { AnnouncementSignaturesMessage, ChannelAnnouncementMessage, ChannelUpdateMessage, GossipMessage, NodeAnnouncementMessage } from '../wire/gossip.js';
import { decodeGossipMessage, encodeGossipMessage } from '../wire/gossip-frame.js';
import { assertNever } from '../wire/assert-never.js';
import type { GraphStore } from './graph-store.js';
import { GossipGraph, directionOf, type GraphSnapshot } from './gossip-graph.js';
import { GossipRelay } from './gossip-relay.js';
import { Allowances, gossipLimits, takeToken, type Bucket, type GossipLimits } from './gossip-limits.js';
import { OwnAnnouncements, counterparty } from './gossip-own.js';
import { GossipQueue } from './gossip-queue.js';
import { RefusedAnnouncements } from './gossip-refused.js';
import { GossipPruner } from './gossip-prune.js';

export interface GossipLedger {
  channel(channelId: Uint8Array): Promise<LedgerChannel | undefined>;
  channelByShortId(shortChannelId: string): Promise<LedgerChannel | undefined>;
}

export interface GossipManagerOptions {
  nodeSecretKey: SecretKey;
  /** sha256 of the ledger's chain id (src/channel/state.ts chainHash) */
  chainHash: Uint8Array;
  ledger: GossipLedger;
  store: GraphStore;
  /** Send to a connected peer (peers.send); a message to a peer that is gone may be dropped. */
  send(peer: string, msg: GossipMessage): void;
  /** Whether we have a channel with this peer: its sync on connect is not held to the shared budget. */
  isChannelPeer?(peer: string): boolean;
  /** ms since 1970; Date.now by default (tests drive it) */
  nowMs?: () => number;
  limits?: Partial<GossipLimits>;
}

export type GossipOutcome =
  | { result: 'accepted' }
  | { result: 'ignored'; refusal: GossipRefusal }
  | { result: 'dropped'; reason: 'rate' | 'queue_full' };

export type AnnounceResult = 'announced' | 'pending' | 'not_open' | 'no_short_id' | 'too_many_pending';

const ACCEPTED: GossipOutcome = { result: 'accepted' };
const QUEUE_FULL: GossipOutcome = { result: 'dropped', reason: 'queue_full' };
const ignored = (refusal: GossipRefusal): GossipOutcome => ({ result: 'ignored', refusal });

export class GossipManager {
  readonly limits: GossipLimits;
  private readonly view: GossipGraph;
  private readonly own: OwnAnnouncements;
  private readonly me: string;
  private readonly nowMs: () => number;
  private readonly buckets = new Map<string, Bucket>();
  private readonly allowances: Allowances;
  private readonly relay: GossipRelay;
  private readonly queue: GossipQueue;
  private readonly refused: RefusedAnnouncements;
  private readonly pruner: GossipPruner;
  private ownNode?: NodeAnnouncementMessage;

  private constructor(private readonly opts: GossipManagerOptions) {
    this.limits = gossipLimits(opts.limits);
    this.me = toHex(publicKeyOf(opts.nodeSecretKey));
    this.view = new GossipGraph(this.limits.maxChannels, this.me);
    this.relay = new GossipRelay(opts.send, this.limits);
    this.own = new OwnAnnouncements(this.limits.maxPendingAnnouncements, this.limits.maxStashedSignatures);
    this.nowMs = opts.nowMs ?? Date.now;
    this.queue = new GossipQueue(this.limits.maxQueued);
    this.allowances = new Allowances(this.limits);
    this.pruner = new GossipPruner({
      view: this.view, ledger: opts.ledger, limits: this.limits, me: this.me,
      forget: (scid) => this.forget(scid),
      refreshOwn: (scid, d) => this.publishPolicy(scid, this.graph.channel(scid)![d === 0 ? 'policy1' : 'policy2']!),
    });
    this.refused = new RefusedAnnouncements(this.limits.maxRefusedRemembered, this.limits.refusedForgetSeconds);
  }

  /** Load the stored graph. */
  static async start(opts: GossipManagerOptions): Promise<GossipManager> {
    const g = new GossipManager(opts);
    const stored = await opts.store.load();
    g.view.load(stored, g.nowSeconds());
    // ours is kept even while we have no public channel (the view then leaves it out)
    const mine = stored.nodes.find((n) => n.nodeId === g.me);
    const decoded = mine ? decodeGossipMessage(mine.announcement) : undefined;
    if (decoded?.ok && decoded.value.kind === 'nodeAnnouncement') g.ownNode = decoded.value;
    return g;
  }

  /** The routing graph pathfinding reads (findRoute({ graph })). */
  get graph(): ChannelGraph {
    return this.view.graph;
  }

  private nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** A peer's gossip message (the kinds of GossipMessage). Resolves once it is handled; never rejects. */
  handleMessage(peer: string, msg: GossipMessage): Promise<GossipOutcome> {
    const bucket = takeToken(this.buckets.get(peer), this.nowMs(), this.limits);
    if (!bucket) return Promise.resolve({ result: 'dropped', reason: 'rate' });
    this.buckets.delete(peer); // re-inserted last: the map forgets the least recently heard peers first
    this.buckets.set(peer, bucket);
    while (this.buckets.size > this.limits.maxPeerBuckets) this.buckets.delete(this.buckets.keys().next().value!);
    return this.queue.peer(peer, () => this.process(peer, msg), QUEUE_FULL);
  }

  /** Our own work: after the job now running, before any peer message waiting. */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.own(fn);
  }

  private async process(peer: string, msg: GossipMessage): Promise<GossipOutcome> {
    try {
      if (encodeGossipMessage(msg).length > this.limits.maxMessageBytes) {
        return ignored(refuse('too_large', 'ignore', `gossip over ${this.limits.maxMessageBytes} bytes is not kept or relayed`));
      }
      switch (msg.kind) {
        case 'channelAnnouncement': return await this.onChannelAnnouncement(peer, msg);
        case 'channelUpdate': return await this.onChannelUpdate(peer, msg);
        case 'nodeAnnouncement': return await this.onNodeAnnouncement(peer, msg);
        case 'announcementSignatures': return await this.onAnnouncementSignatures(peer, msg);
        default: return assertNever(msg, 'gossip message');
      }
    } catch (e) {
      // the store (a full disk): the message is dropped, and any peer may send it again
      return ignored(refuse('store_failed', 'ignore', `could not store gossip: ${(e as Error).message}`));
    }
  }

  private async onChannelAnnouncement(peer: string | undefined, m: ChannelAnnouncementMessage): Promise<GossipOutcome> {
    if (this.view.channel(m.shortChannelId)) return ignored(refuse('duplicate', 'ignore', 'channel already known'));
    const key = RefusedAnnouncements.keyOf(encodeGossipMessage(m));
    if (this.refused.has(key, this.nowSeconds())) return ignored(refuse('refused_before', 'ignore', 'this announcement was refused already'));
    const bad = checkAnnouncementSignatures(m, this.opts.chainHash);
    if (bad) {
      this.refused.add(key, this.nowSeconds());
      return ignored(bad);
    }
    let record: LedgerChannel | undefined;
    try {
      record = await this.opts.ledger.channelByShortId(m.shortChannelId);
    } catch (e) {
      return ignored(refuse('ledger_unavailable', 'ignore', `cannot check the channel on the ledger: ${(e as Error).message}`));
    }
    const checked = checkAnnouncementAgainstLedger(m, record);
    if (!checked.ok) {
      // the ledger's blocks are final: a channel it does not hold open now is not one these bytes will name
      this.refused.add(key, this.nowSeconds());
      return ignored(checked);
    }
    if (this.view.channel(m.shortChannelId)) return ignored(refuse('duplicate', 'ignore', 'channel already known'));
    // the bound is on others' channels: one of ours (completed by the peer first) always goes in
    if (!this.view.isOurs(checked.channel) && this.view.othersCount >= this.limits.maxChannels) {
      return ignored(refuse('graph_full', 'ignore', `the graph holds its limit of ${this.limits.maxChannels} channels`));
    }
    // stored, then visible: a failed write leaves no trace, and the next copy of it is taken
    await this.opts.store.saveChannel(m.shortChannelId, encodeGossipMessage(m), checked.channel.capacityMsat);
    this.view.addChannel(m, checked.channel, this.nowSeconds());
    this.relay.queue(`c/${m.shortChannelId}`, m, peer);
    // Our own channel, completed by the peer first: what is left of ours is our update.
    const mine = this.own.pending.get(m.shortChannelId);
    if (mine) await this.finishOwn(mine.policy, m.shortChannelId);
    return ACCEPTED;
  }

  private async onChannelUpdate(peer: string, m: ChannelUpdateMessage): Promise<GossipOutcome> {
    const known = this.view.channel(m.shortChannelId);
    const rateKey = `${m.shortChannelId}/${directionOf(m)}`;
    const taken = known ? this.allowances.peek(rateKey, this.nowMs()) : undefined;
    if (known && !taken) return ignored(refuse('update_rate', 'ignore', `more than ${this.limits.updatesPerMinute} update(s) a minute for one channel direction`));
    const r = checkChannelUpdate(m, {
      chainHash: this.opts.chainHash, channel: known?.channel, nowSeconds: this.nowSeconds(), maxFutureSeconds: this.limits.maxFutureSeconds,
      ...(known?.updates[directionOf(m)] ? { previous: known.updates[directionOf(m)]! } : {}),
    });
    if (!r.ok) return ignored(r);
    await this.opts.store.saveUpdate(m.shortChannelId, r.direction, encodeGossipMessage(m));
    this.view.setUpdate(m);
    this.allowances.spend(rateKey, taken!);
    if (!r.dontForward) this.relay.queue(`u/${m.shortChannelId}/${r.direction}`, m, peer);
    return ACCEPTED;
  }

  private async onNodeAnnouncement(peer: string, m: NodeAnnouncementMessage): Promise<GossipOutcome> {
    const id = toHex(m.nodeId);
    const prev = this.view.node(id)?.announcement;
    const r = checkNodeAnnouncement(m, {
      known: this.view.hasChannels(id), nowSeconds: this.nowSeconds(), maxFutureSeconds: this.limits.maxFutureSeconds, ...(prev ? { previous: prev } : {}),
    });
    if (!r.ok) return ignored(r);
    const taken = this.allowances.peek(`n/${id}`, this.nowMs());
    if (!taken) return ignored(refuse('update_rate', 'ignore', `more than ${this.limits.updatesPerMinute} node_announcement(s) a minute for one node`));
    await this.opts.store.saveNode(id, encodeGossipMessage(m));
    this.allowances.spend(`n/${id}`, taken);
    this.view.setNode(m, r);
    this.relay.queue(`n/${id}`, m, peer);
    return ACCEPTED;
  }

  private async onAnnouncementSignatures(peer: string, m: AnnouncementSignaturesMessage): Promise<GossipOutcome> {
    const p = this.own.pending.get(m.shortChannelId);
    if (!p) {
      const done = this.view.channel(m.shortChannelId);
      if (done && (done.channel.node1 === peer || done.channel.node2 === peer) && (done.channel.node1 === this.me || done.channel.node2 === this.me)) {
        // Announced already (the peer missed it, say across a restart): send it the announcement itself,
        // once per connection (repeating the small message must not buy the three large ones again)
        if (!this.own.wasSent(peer, m.shortChannelId)) {
          this.relay.sendChannel(peer, done);
          this.own.markSent(peer, m.shortChannelId);
        }
        return ACCEPTED;
      }
      this.own.keep(peer, m); // checked if and when we announce this channel
      return ACCEPTED;
    }
    if (p.peer !== peer || !equalBytes(m.channelId, p.channelId)) return ignored(refuse('not_our_channel', 'warn', 'announcement_signatures for a channel we do not have with you'));
    if (!this.own.valid(p, m)) return ignored(refuse('bad_signature', 'warn', 'announcement_signatures do not verify for the announcement the ledger record gives'));
    p.theirs = { node: m.nodeSignature, bitcoin: m.bitcoinSignature };
    if (!this.own.wasSent(peer, m.shortChannelId)) this.sendOurSignatures(p.peer, m.shortChannelId);
    await this.complete(m.shortChannelId);
    return ACCEPTED;
  }

  /**
   * Announce one of our channels, or publish a new policy for one already announced. Call it when the
   * channel is open on the ledger (the record has its short channel id from the block that holds the
   * open), again after a restart, and whenever its policy changes (`policy.disabled` to disable it).
   */
  announceChannel(opts: { channelId: Uint8Array; policy: ChannelPolicy }): Promise<AnnounceResult> {
    return this.serially(async () => {
      const record = await this.opts.ledger.channel(opts.channelId);
      if (!record || record.status !== 'open') return 'not_open';
      const peer = counterparty(record, this.me);
      if (peer === undefined) throw new InputError('announceChannel: this node is not a party to that channel');
      // checked here, so that a policy that cannot be written fails this call, not a later peer message
      const bad = policyProblem(opts.policy, record.capacity);
      if (bad) throw new InputError(`announceChannel: ${bad}`);
      const unsigned = announcementForRecord(record, this.opts.chainHash);
      if (!unsigned) return 'no_short_id';
      const scid = unsigned.shortChannelId;
      if (this.view.channel(scid)) {
        await this.publishPolicy(scid, opts.policy);
        return 'announced';
      }
      const p = this.own.begin({ channelId: opts.channelId, peer, record, unsigned, policy: opts.policy }, this.opts.nodeSecretKey);
      if (!p) return 'too_many_pending';
      if (this.relay.isConnected(peer)) this.sendOurSignatures(peer, scid);
      if (p.theirs) {
        await this.complete(scid);
        return 'announced';
      }
      return 'pending';
    });
  }

  private sendOurSignatures(peer: string, scid: string): void {
    const p = this.own.pending.get(scid);
    if (!p) return;
    this.opts.send(peer, p.ours);
    this.own.markSent(peer, scid);
  }

  /** Both signatures are in: assemble, check like anyone's, keep, queue, and add our update. */
  private async complete(scid: string): Promise<void> {
    const p = this.own.pending.get(scid)!;
    const ours = { node: p.ours.nodeSignature, bitcoin: p.ours.bitcoinSignature };
    const weAreFirst = toHex(p.unsigned.nodeId1) === this.me;
    const m = assembleAnnouncement(p.unsigned, weAreFirst ? ours : p.theirs!, weAreFirst ? p.theirs! : ours);
    const checked = checkAnnouncementSignatures(m, this.opts.chainHash) ?? checkAnnouncementAgainstLedger(m, p.record);
    if (checked && !checked.ok) {
      this.own.done(scid);
      return;
    }
    if (!this.view.channel(scid)) {
      await this.opts.store.saveChannel(scid, encodeGossipMessage(m), p.record.capacity);
      this.view.addChannel(m, checked!.channel, this.nowSeconds());
      this.relay.queue(`c/${scid}`, m);
    }
    await this.finishOwn(p.policy, scid);
  }

  private async finishOwn(policy: ChannelPolicy, scid: string): Promise<void> {
    this.own.done(scid);
    await this.publishPolicy(scid, policy);
    if (!this.ownNode) return;
    const r = checkNodeAnnouncement(this.ownNode, { known: true, nowSeconds: this.nowSeconds(), maxFutureSeconds: this.limits.maxFutureSeconds });
    if (r.ok) this.view.setNode(this.ownNode, r);
    this.relay.queue(`n/${this.me}`, this.ownNode);
  }

  /** Sign our channel_update for our direction of an announced channel, newer than the last one. */
  private async publishPolicy(scid: string, policy: ChannelPolicy): Promise<void> {
    const k = this.view.channel(scid)!;
    const direction = k.channel.node1 === this.me ? 0 : 1;
    const prev = k.updates[direction];
    const u = signChannelUpdate({
      chainHash: this.opts.chainHash, shortChannelId: scid, timestamp: Math.max(this.nowSeconds(), (prev?.timestamp ?? 0) + 1), direction,
      policy: { ...policy, htlcMaximumMsat: policy.htlcMaximumMsat < k.channel.capacityMsat ? policy.htlcMaximumMsat : k.channel.capacityMsat },
    }, this.opts.nodeSecretKey);
    await this.opts.store.saveUpdate(scid, direction, encodeGossipMessage(u));
    this.view.setUpdate(u);
    this.relay.queue(`u/${scid}/${direction}`, u);
  }

  /** Our node_announcement (alias, the WebSocket address peers dial). Call it at start and on a change. */
  announceNode(fields: Omit<NodeAnnouncementFields, 'timestamp'>): Promise<void> {
    return this.serially(async () => {
      const prev = this.ownNode?.timestamp ?? 0;
      const m = signNodeAnnouncement({ ...fields, timestamp: Math.max(this.nowSeconds(), prev + 1) }, this.opts.nodeSecretKey);
      this.ownNode = m;
      await this.opts.store.saveNode(this.me, encodeGossipMessage(m));
      // BOLT 7: others ignore a node_announcement from a node without a public channel; it goes out with our first one
      if (this.view.hasChannels(this.me)) {
        const r = checkNodeAnnouncement(m, { known: true, nowSeconds: this.nowSeconds() });
        if (r.ok) this.view.setNode(m, r);
        this.relay.queue(`n/${this.me}`, m);
      }
    });
  }

  /** A peer completed init: give it what we know (bounded), and our pending signatures for channels with it. */
  onPeerConnected(peer: string): void {
    this.relay.connected(peer, this.view, this.nowSeconds(), this.opts.isChannelPeer?.(peer) ?? false);
    for (const p of this.own.pendingWith(peer)) this.sendOurSignatures(peer, p.unsigned.shortChannelId);
  }

  /** Send the staggered batch (tick() does it; tests call it directly). */
  flush(): void {
    this.relay.flush();
  }

  onPeerDisconnected(peer: string): void {
    this.relay.disconnected(peer);
    this.own.peerGone(peer);
  }

  /** A channel the ledger closed (the watcher saw it): forget it now rather than at the next check. */
  onChannelClosed(shortChannelId: string): Promise<void> {
    return this.serially(() => this.forget(shortChannelId));
  }

  private async forget(scid: string): Promise<void> {
    if (!this.view.channel(scid)) return;
    const orphaned = this.view.removeChannel(scid);
    for (const d of [0, 1]) this.allowances.forget(`${scid}/${d}`);
    this.own.done(scid);
    for (const k of [`c/${scid}`, `u/${scid}/0`, `u/${scid}/1`]) this.relay.drop(k);
    await this.opts.store.deleteChannel(scid);
    for (const n of orphaned) {
      this.relay.drop(`n/${n}`);
      this.allowances.forget(`n/${n}`);
      if (n !== this.me) await this.opts.store.deleteNode(n);
    }
  }

  /**
   * Run every minute or so: prune channels the ledger no longer holds open (a bounded number of ledger
   * reads per tick, rotating through the graph) and stale ones, re-sign our own updates before others
   * would think them stale, then flush the batch.
   */
  tick(): Promise<void> {
    // never rejects: a store failure ends this tick's pruning early, the flush still runs, the next tick retries
    return this.serially(() => this.pruner.prune(this.nowSeconds()).catch(() => undefined).then(() => this.flush()));
  }



  /** What `sluice graph` lists: every node with a known channel (alias and addresses if announced) and every channel. */
  snapshot(): GraphSnapshot {
    return this.view.snapshot();
  }

  /** How much a peer has made us hold (tests and metrics). */
  get counts(): { channels: number; pending: number; stashed: number; queued: number; outbox: number } {
    return { channels: this.view.channelCount, pending: this.own.pending.size, stashed: this.own.stashedCount, queued: this.queue.size, outbox: this.relay.waiting };
  }
}
