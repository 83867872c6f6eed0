// An in-memory network of GossipManagers: each send is framed to bytes and decoded again (as the wire
// would), queued, and delivered in order by pump(); the ledger is a map of channel records the test edits.
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { chainHash } from '../../src/channel/state.js';
import { encodeShortChannelId } from '../../src/ledger/short-channel-id.js';
import type { LedgerChannel } from '../../src/ledger/types.js';
import type { ChannelPolicy } from '../../src/routing/graph.js';
import { GossipManager, type GossipLedger, type GossipOutcome } from '../../src/node/gossip.js';
import type { GossipLimits } from '../../src/node/gossip-limits.js';
import { MemoryGraphStore, type GraphStore } from '../../src/node/graph-store.js';
import type { GossipMessage } from '../../src/wire/gossip.js';
import { decodeGossipMessage, encodeGossipMessage } from '../../src/wire/gossip-frame.js';

export const CHAIN_HASH = chainHash('sluice-test');
export const CAP = 1_000_000_000n;
export const POLICY: ChannelPolicy = { feeBaseMsat: 1000n, feePpm: 100n, cltvExpiryDelta: 12, htlcMinimumMsat: 1000n, htlcMaximumMsat: CAP };

export class FakeLedger implements GossipLedger {
  readonly records = new Map<string, LedgerChannel>();
  reads = 0;
  private txIndex = 0;

  open(a: Uint8Array, b: Uint8Array, height = 5, capacity = CAP): LedgerChannel {
    const channelId = new Uint8Array(32);
    channelId.set(a.subarray(1, 17));
    channelId.set(b.subarray(1, 17), 16);
    const rec: LedgerChannel = {
      channelId, a, b, capacity, locked: capacity, status: 'open', openedHeight: height, reveals: {},
      shortChannelId: encodeShortChannelId({ height, txIndex: this.txIndex++, output: 0 }),
    };
    this.records.set(toHex(channelId), rec);
    return rec;
  }

  close(rec: LedgerChannel): void {
    this.records.set(toHex(rec.channelId), { ...rec, status: 'closed', locked: 0n });
  }

  async channel(id: Uint8Array): Promise<LedgerChannel | undefined> {
    this.reads++;
    return this.records.get(toHex(id));
  }

  async channelByShortId(scid: string): Promise<LedgerChannel | undefined> {
    this.reads++;
    return [...this.records.values()].find((r) => r.shortChannelId === scid);
  }
}

export interface NetNode {
  name: string;
  sk: Uint8Array;
  id: string;
  pk: Uint8Array;
  store: GraphStore;
  gossip: GossipManager;
}

export class GossipNet {
  readonly ledger = new FakeLedger();
  readonly nodes = new Map<string, NetNode>();
  private readonly inflight: { from: string; to: string; bytes: Uint8Array }[] = [];
  readonly links = new Set<string>();
  /** every outcome a receiver gave, for assertions */
  readonly outcomes: { to: string; from: string; kind: string; outcome: GossipOutcome }[] = [];
  nowMs = 1_800_000_000_000;

  constructor(private readonly limits: Partial<GossipLimits> = {}) {}

  async add(name: string, store: GraphStore = new MemoryGraphStore(), sk = randomSecretKey()): Promise<NetNode> {
    const pk = publicKeyOf(sk);
    const id = toHex(pk);
    const gossip = await GossipManager.start({
      nodeSecretKey: sk, chainHash: CHAIN_HASH, ledger: this.ledger, store, limits: this.limits, nowMs: () => this.nowMs,
      send: (peer, msg) => this.transmit(id, peer, msg),
    });
    const n: NetNode = { name, sk, id, pk, store, gossip };
    this.nodes.set(id, n);
    return n;
  }

  private transmit(from: string, to: string, msg: GossipMessage): void {
    if (!this.links.has(`${from}|${to}`)) return; // not connected: dropped, as peers.send would
    this.inflight.push({ from, to, bytes: encodeGossipMessage(msg) });
  }

  connect(x: NetNode, y: NetNode): void {
    this.links.add(`${x.id}|${y.id}`).add(`${y.id}|${x.id}`);
    x.gossip.onPeerConnected(y.id);
    y.gossip.onPeerConnected(x.id);
  }

  disconnect(x: NetNode, y: NetNode): void {
    this.links.delete(`${x.id}|${y.id}`);
    this.links.delete(`${y.id}|${x.id}`);
    x.gossip.onPeerDisconnected(y.id);
    y.gossip.onPeerDisconnected(x.id);
  }

  /** Deliver until nothing is in flight, flushing every node between rounds (its staggered broadcast). */
  async pump(rounds = 20): Promise<void> {
    for (let r = 0; r < rounds; r++) {
      while (this.inflight.length > 0) {
        const m = this.inflight.shift()!;
        const d = decodeGossipMessage(m.bytes);
        if (!d.ok) throw new Error(`undecodable gossip: ${d.error.message}`);
        const node = this.nodes.get(m.to)!;
        const outcome = await node.gossip.handleMessage(m.from, d.value);
        this.outcomes.push({ to: m.to, from: m.from, kind: d.value.kind, outcome });
      }
      for (const n of this.nodes.values()) n.gossip.flush();
      if (this.inflight.length === 0) return;
    }
  }
}
