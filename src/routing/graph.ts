// The payer's view of the network: channels with a capacity and, for each direction, the policy the
// node at its start announced (BOLT 7 channel_update): what it charges and accepts to forward over
// it. Pure and in memory; the shell fills it from gossip, its own channels and invoice route hints.
//
// Bounded: gossip is peer input, so the graph refuses channels past `maxChannels`.

import { InputError } from '../crypto/bytes.js';

export type NodeId = string; // 66 hex characters, a compressed public key

export interface ChannelPolicy {
  readonly feeBaseMsat: bigint;
  /** proportional fee, parts per million of the forwarded amount */
  readonly feePpm: bigint;
  /** blocks the forwarding node wants between its incoming and outgoing expiries */
  readonly cltvExpiryDelta: number;
  readonly htlcMinimumMsat: bigint;
  readonly htlcMaximumMsat: bigint;
  readonly disabled?: boolean;
}

/** One direction of a channel: `from` forwards to `to` under `policy`. */
export interface DirectedEdge {
  readonly shortChannelId: string;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly capacityMsat: bigint;
  readonly policy: ChannelPolicy;
}

export interface GraphChannel {
  readonly shortChannelId: string;
  readonly node1: NodeId;
  readonly node2: NodeId;
  readonly capacityMsat: bigint;
}

interface StoredChannel extends GraphChannel {
  policy1?: ChannelPolicy; // node1 -> node2
  policy2?: ChannelPolicy; // node2 -> node1
}

export const DEFAULT_MAX_CHANNELS = 500_000;

/** BOLT 7 "HTLC Fees": what `policy`'s node charges to forward `amountMsat` (rounded down). */
export function forwardingFee(policy: Pick<ChannelPolicy, 'feeBaseMsat' | 'feePpm'>, amountMsat: bigint): bigint {
  return policy.feeBaseMsat + (amountMsat * policy.feePpm) / 1_000_000n;
}

export class ChannelGraph {
  private readonly channels = new Map<string, StoredChannel>();
  /** by node: the edges that arrive at it (pathfinding walks backwards from the payee) */
  private readonly incomingEdges = new Map<NodeId, DirectedEdge[]>();
  readonly maxChannels: number;

  constructor(opts: { maxChannels?: number } = {}) {
    this.maxChannels = opts.maxChannels ?? DEFAULT_MAX_CHANNELS;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  get nodeCount(): number {
    const nodes = new Set<NodeId>();
    for (const c of this.channels.values()) nodes.add(c.node1).add(c.node2);
    return nodes.size;
  }

  /** Add a channel (its policies come with setPolicy). 'full' at the bound; 'exists' for a known id. */
  addChannel(channel: GraphChannel): 'added' | 'exists' | 'full' {
    if (this.channels.has(channel.shortChannelId)) return 'exists';
    if (this.channels.size >= this.maxChannels) return 'full';
    if (channel.node1 === channel.node2 || channel.capacityMsat <= 0n) throw new InputError(`channel ${channel.shortChannelId}: not a channel between two nodes with capacity`);
    this.channels.set(channel.shortChannelId, { ...channel });
    return 'added';
  }

  /** The policy `from` applies when forwarding over the channel; false for an unknown channel or node. */
  setPolicy(shortChannelId: string, from: NodeId, policy: ChannelPolicy): boolean {
    const c = this.channels.get(shortChannelId);
    if (!c || (from !== c.node1 && from !== c.node2)) return false;
    if (from === c.node1) c.policy1 = policy;
    else c.policy2 = policy;
    const to = from === c.node1 ? c.node2 : c.node1;
    const list = (this.incomingEdges.get(to) ?? []).filter((e) => !(e.shortChannelId === shortChannelId && e.from === from));
    list.push({ shortChannelId, from, to, capacityMsat: c.capacityMsat, policy });
    this.incomingEdges.set(to, list);
    return true;
  }

  removeChannel(shortChannelId: string): void {
    const c = this.channels.get(shortChannelId);
    if (!c) return;
    this.channels.delete(shortChannelId);
    for (const node of [c.node1, c.node2]) {
      const list = this.incomingEdges.get(node)?.filter((e) => e.shortChannelId !== shortChannelId);
      if (list && list.length > 0) this.incomingEdges.set(node, list);
      else this.incomingEdges.delete(node);
    }
  }

  channel(shortChannelId: string): (GraphChannel & { policy1?: ChannelPolicy; policy2?: ChannelPolicy }) | undefined {
    return this.channels.get(shortChannelId);
  }

  /** Edges with a policy that end at `node`. */
  incoming(node: NodeId): readonly DirectedEdge[] {
    return this.incomingEdges.get(node) ?? [];
  }

  /** The directed edge `from` -> other end of `shortChannelId`, if it has a policy. */
  edge(shortChannelId: string, from: NodeId): DirectedEdge | undefined {
    const c = this.channels.get(shortChannelId);
    if (!c) return undefined;
    const to = from === c.node1 ? c.node2 : from === c.node2 ? c.node1 : undefined;
    return to === undefined ? undefined : this.incoming(to).find((e) => e.shortChannelId === shortChannelId && e.from === from);
  }
}
