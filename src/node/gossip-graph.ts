// What the gossip manager knows, in memory: each accepted channel with its announcement and latest
// update per direction (kept to re-send them as received), each node's latest announcement, and the
// src/routing ChannelGraph that pathfinding reads. No I/O: gossip.ts stores and sends.
import { toHex } from '../crypto/bytes.js';
import { ChannelGraph, type ChannelPolicy, type GraphChannel } from '../routing/graph.js';
import { policyFromUpdate } from '../gossip/messages.js';
import type { AcceptedNode } from '../gossip/verify.js';
import { decodeAddresses, hostPortOf } from '../gossip/address.js';
import { decodeAlias } from '../gossip/messages.js';
import { CHANNEL_FLAG_DIRECTION, type ChannelAnnouncementMessage, type ChannelUpdateMessage, type NodeAnnouncementMessage } from '../wire/gossip.js';
import { decodeGossipMessage } from '../wire/gossip-frame.js';
import type { StoredGraph } from './graph-store.js';

export interface KnownChannel {
  readonly announcement: ChannelAnnouncementMessage;
  readonly channel: GraphChannel;
  /** latest update of direction 0 (node1's policy) and 1 (node2's) */
  readonly updates: [ChannelUpdateMessage | undefined, ChannelUpdateMessage | undefined];
  /** seconds; stands in for a missing direction's update when judging staleness */
  readonly acceptedAt: number;
}

export interface KnownNode {
  readonly announcement: NodeAnnouncementMessage;
  readonly info: AcceptedNode;
}

export interface GraphSnapshot {
  nodes: { nodeId: string; alias?: string; addresses: string[] }[];
  channels: (GraphChannel & { policy1?: ChannelPolicy; policy2?: ChannelPolicy })[];
}

/**
 * Our own channels are not counted against the bound on peers' channels (a peer filling the graph must
 * not stop us announcing ours); the routing graph's hard bound leaves this much room for them.
 */
export const MAX_OWN_CHANNELS = 100_000;

export const directionOf = (u: ChannelUpdateMessage): 0 | 1 => ((u.channelFlags & CHANNEL_FLAG_DIRECTION) === 0 ? 0 : 1);

export class GossipGraph {
  readonly graph: ChannelGraph;
  private readonly channels = new Map<string, KnownChannel>();
  private readonly nodes = new Map<string, KnownNode>();
  private readonly channelsOfNode = new Map<string, number>();
  private ownCount = 0;

  /** `me`: our node id (hex), whose channels are counted apart. */
  constructor(maxChannels: number, private readonly me: string) {
    this.graph = new ChannelGraph({ maxChannels: maxChannels + MAX_OWN_CHANNELS });
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /** Channels we are not a party to: what the bound on peers' gossip counts. */
  get othersCount(): number {
    return this.channels.size - this.ownCount;
  }

  isOurs(channel: { node1: string; node2: string }): boolean {
    return channel.node1 === this.me || channel.node2 === this.me;
  }

  channel(scid: string): KnownChannel | undefined {
    return this.channels.get(scid);
  }

  node(nodeId: string): KnownNode | undefined {
    return this.nodes.get(nodeId);
  }

  hasChannels(nodeId: string): boolean {
    return (this.channelsOfNode.get(nodeId) ?? 0) > 0;
  }

  allChannels(): IterableIterator<KnownChannel> {
    return this.channels.values();
  }

  allNodes(): IterableIterator<KnownNode> {
    return this.nodes.values();
  }

  /** 'full' at the graph's bound. */
  addChannel(announcement: ChannelAnnouncementMessage, channel: GraphChannel, nowSeconds: number): 'added' | 'exists' | 'full' {
    const r = this.graph.addChannel(channel);
    if (r !== 'added') return r;
    this.channels.set(channel.shortChannelId, { announcement, channel, updates: [undefined, undefined], acceptedAt: nowSeconds });
    if (this.isOurs(channel)) this.ownCount++;
    for (const n of [channel.node1, channel.node2]) this.channelsOfNode.set(n, (this.channelsOfNode.get(n) ?? 0) + 1);
    return 'added';
  }

  setUpdate(u: ChannelUpdateMessage): boolean {
    const k = this.channels.get(u.shortChannelId);
    if (!k) return false;
    const d = directionOf(u);
    k.updates[d] = u;
    return this.graph.setPolicy(u.shortChannelId, d === 0 ? k.channel.node1 : k.channel.node2, policyFromUpdate(u));
  }

  setNode(announcement: NodeAnnouncementMessage, info: AcceptedNode): void {
    this.nodes.set(info.nodeId, { announcement, info });
  }

  deleteNode(nodeId: string): void {
    this.nodes.delete(nodeId);
  }

  /** Forget a channel; returns the nodes left with no channel (their announcements are dropped too). */
  removeChannel(scid: string): string[] {
    const k = this.channels.get(scid);
    if (!k) return [];
    this.channels.delete(scid);
    this.graph.removeChannel(scid);
    if (this.isOurs(k.channel)) this.ownCount--;
    const orphaned: string[] = [];
    for (const n of [k.channel.node1, k.channel.node2]) {
      const left = (this.channelsOfNode.get(n) ?? 1) - 1;
      if (left > 0) {
        this.channelsOfNode.set(n, left);
      } else {
        this.channelsOfNode.delete(n);
        this.nodes.delete(n);
        orphaned.push(n);
      }
    }
    return orphaned;
  }

  /**
   * Rebuild from the store. The records were checked when they arrived, so signatures are not checked
   * again here; a row that no longer decodes, or an update or node without its channel, is skipped.
   */
  load(stored: StoredGraph, nowSeconds: number): void {
    for (const c of stored.channels) {
      const d = decodeGossipMessage(c.announcement);
      if (!d.ok || d.value.kind !== 'channelAnnouncement' || d.value.shortChannelId !== c.shortChannelId) continue;
      const m = d.value;
      const [node1, node2] = [toHex(m.nodeId1), toHex(m.nodeId2)];
      if (node1 === node2 || c.capacityMsat <= 0n) continue;
      this.addChannel(m, { shortChannelId: m.shortChannelId, node1, node2, capacityMsat: c.capacityMsat }, nowSeconds);
    }
    for (const u of stored.updates) {
      const d = decodeGossipMessage(u.update);
      if (d.ok && d.value.kind === 'channelUpdate' && d.value.shortChannelId === u.shortChannelId) this.setUpdate(d.value);
    }
    for (const n of stored.nodes) {
      const d = decodeGossipMessage(n.announcement);
      if (!d.ok || d.value.kind !== 'nodeAnnouncement' || toHex(d.value.nodeId) !== n.nodeId || !this.hasChannels(n.nodeId)) continue;
      const addrs = decodeAddresses(d.value.addresses);
      this.setNode(d.value, { ok: true, nodeId: n.nodeId, alias: decodeAlias(d.value.alias) ?? '', addresses: addrs.ok ? addrs.addresses : [] });
    }
  }

  snapshot(): GraphSnapshot {
    const channels = [...this.channels.keys()].sort().map((scid) => this.graph.channel(scid)!);
    const nodes = [...this.channelsOfNode.keys()].sort().map((nodeId) => {
      const n = this.nodes.get(nodeId);
      if (!n) return { nodeId, addresses: [] };
      return { nodeId, alias: n.info.alias, addresses: n.info.addresses.map(hostPortOf).filter((a): a is string => a !== undefined) };
    });
    return { nodes, channels };
  }
}
