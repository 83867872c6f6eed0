// Gossip in the node: the GossipManager (gossip.ts) hooked to the peers, the node's channels and a
// timer. Peers' gossip messages go to it; a peer that connects gets what we know; a channel of ours
// that is open on the ledger is announced with its forwarding policy (unless it is private), and a
// closed one is forgotten. The timer sends the staggered relay batch (BOLT 7: once a minute) and prunes.
import { toHex } from '../crypto/bytes.js';
import { addressFromHostPort } from '../gossip/address.js';
import { policyProblem } from '../gossip/messages.js';
import type { ChannelPolicy } from '../routing/graph.js';
import type { Logger } from '../util/log.js';
import type { GossipMessage } from '../wire/gossip.js';
import { GossipManager, type GossipLedger } from './gossip.js';
import type { GraphStore } from './graph-store.js';
import type { GraphSnapshot } from './gossip-graph.js';
import type { GossipLimits } from './gossip-limits.js';
import type { ForwardingPolicy } from './htlc-types.js';

/** How often the relay batch goes out, by default (BOLT 7's staggered broadcast). */
export const DEFAULT_GOSSIP_FLUSH_MS = 60_000;

export interface NodeGossipOptions {
  secretKey: Uint8Array;
  chainHash: Uint8Array;
  ledger: GossipLedger;
  store: GraphStore;
  log: Logger;
  send(peer: string, m: GossipMessage): void;
  /** Whether we have a channel with the peer (its sync is not held to the budget strangers share). */
  isChannelPeer?(peer: string): boolean;
  /** Tell a peer it sent gossip we refused (a BOLT 1 warning). */
  warn(peer: string, text: string): void;
  flushMs?: number;
  limits?: Partial<GossipLimits>;
}

/** A peer is sent at most one warning about its refused gossip per this long (each refusal is one message of its own). */
export const GOSSIP_WARNING_INTERVAL_MS = 60_000;
const MAX_WARNED_PEERS = 4096;

export class NodeGossip {
  private timer?: NodeJS.Timeout;
  /** when each peer was last warned, least recent first */
  private readonly warnedAt = new Map<string, number>();

  private constructor(
    readonly manager: GossipManager,
    private readonly o: NodeGossipOptions,
  ) {}

  static async start(o: NodeGossipOptions): Promise<NodeGossip> {
    const manager = await GossipManager.start({
      nodeSecretKey: o.secretKey, chainHash: o.chainHash, ledger: o.ledger, store: o.store,
      send: (peer, m) => o.send(peer, m),
      ...(o.isChannelPeer ? { isChannelPeer: o.isChannelPeer } : {}),
      ...(o.limits ? { limits: o.limits } : {}),
    });
    const g = new NodeGossip(manager, o);
    g.timer = setInterval(() => void manager.tick(), o.flushMs ?? DEFAULT_GOSSIP_FLUSH_MS);
    g.timer.unref();
    return g;
  }

  get graph() {
    return this.manager.graph;
  }

  snapshot(): GraphSnapshot {
    return this.manager.snapshot();
  }

  onMessage(peer: string, m: GossipMessage): void {
    void this.manager.handleMessage(peer, m).then((r) => {
      if (r.result !== 'ignored' || r.refusal.action !== 'warn') return;
      const now = Date.now();
      const last = this.warnedAt.get(peer);
      if (last !== undefined && now - last < GOSSIP_WARNING_INTERVAL_MS) return; // a flood of forgeries gets one answer a minute
      this.warnedAt.delete(peer);
      this.warnedAt.set(peer, now);
      if (this.warnedAt.size > MAX_WARNED_PEERS) this.warnedAt.delete(this.warnedAt.keys().next().value!);
      this.o.warn(peer, `gossip refused: ${r.refusal.message}`);
    });
  }

  onPeerConnected(peer: string): void {
    this.manager.onPeerConnected(peer);
  }

  onPeerDisconnected(peer: string): void {
    this.manager.onPeerDisconnected(peer);
  }

  /** Our alias and the address peers dial (when the node listens), signed at start and on a change. */
  async announceNode(alias: string, hostPort: string | undefined): Promise<void> {
    try {
      await this.manager.announceNode({ alias, addresses: hostPort ? [addressFromHostPort(hostPort)] : [] });
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, 'could not sign our node announcement');
    }
  }

  /**
   * Announce one of our open channels (or publish its new policy). Failing to announce never stops
   * the channel: it still pays and forwards; it is tried again at the next start or policy change.
   */
  async announceChannel(channelId: Uint8Array, policy: ForwardingPolicy, capacityMsat: bigint): Promise<void> {
    const p = announceablePolicy(policy, capacityMsat);
    try {
      const r = await this.manager.announceChannel({ channelId, policy: p });
      if (r !== 'announced' && r !== 'pending') this.o.log.info({ channelId: toHex(channelId).slice(0, 16), result: r }, 'channel not announced');
    } catch (e) {
      this.o.log.warn({ channelId: toHex(channelId).slice(0, 16), err: (e as Error).message }, 'could not announce the channel; it is tried again at the next start');
    }
  }

  onChannelClosed(shortChannelId: string): void {
    void this.manager.onChannelClosed(shortChannelId);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

const U32 = 0xffffffffn;
const minBig = (x: bigint, y: bigint) => (x < y ? x : y);

/**
 * What we tell the network of a forwarding policy. One that a channel_update cannot carry (a fee past
 * u32, a minimum above the capacity: the switch allows them) is announced as disabled, with its fields
 * cut to fit: otherwise the announcement would fail and the network would keep routing by our old
 * policy, and payers' HTLCs would fail at us.
 */
export function announceablePolicy(policy: ForwardingPolicy, capacityMsat: bigint): ChannelPolicy {
  const p: ChannelPolicy = {
    feeBaseMsat: policy.feeBaseMsat, feePpm: policy.feePpm, cltvExpiryDelta: policy.cltvExpiryDelta,
    htlcMinimumMsat: policy.htlcMinimumMsat, htlcMaximumMsat: policy.htlcMaximumMsat ?? capacityMsat,
  };
  if (!policyProblem(p, capacityMsat)) return p;
  const htlcMinimumMsat = minBig(p.htlcMinimumMsat < 0n ? 0n : p.htlcMinimumMsat, capacityMsat);
  const max = minBig(p.htlcMaximumMsat, capacityMsat);
  return {
    feeBaseMsat: minBig(p.feeBaseMsat, U32), feePpm: minBig(p.feePpm, U32), cltvExpiryDelta: Math.min(p.cltvExpiryDelta, 0xffff),
    htlcMinimumMsat, htlcMaximumMsat: max < htlcMinimumMsat ? htlcMinimumMsat : max, disabled: true,
  };
}
