// What tick() forgets: channels gone stale (BOLT 7: no update of the older direction for two weeks),
// and channels the ledger no longer holds open, a bounded number of ledger reads per tick in rotation.
// Our own channels are never stale: their updates are re-signed before others would think so, and
// they leave the graph when the ledger (the watcher) closes them.
import type { LedgerChannel } from '../ledger/types.js';
import type { GossipGraph } from './gossip-graph.js';
import type { GossipLimits } from './gossip-limits.js';
import type { GossipLedger } from './gossip.js';

export interface PruneHost {
  readonly view: GossipGraph;
  readonly ledger: GossipLedger;
  readonly limits: Pick<GossipLimits, 'refreshOwnAfterSeconds' | 'staleAfterSeconds' | 'closedChecksPerTick'>;
  readonly me: string;
  forget(scid: string): Promise<void>;
  /** re-sign our direction of one of our channels with the policy it has */
  refreshOwn(scid: string, direction: 0 | 1): Promise<void>;
}

export class GossipPruner {
  private cursor: string[] = [];

  constructor(private readonly h: PruneHost) {}

  async prune(now: number): Promise<void> {
    const { view, limits, me } = this.h;
    for (const k of [...view.allChannels()]) {
      if (view.isOurs(k.channel)) {
        const d = k.channel.node1 === me ? 0 : 1;
        const u = k.updates[d];
        if (u && now - u.timestamp > limits.refreshOwnAfterSeconds) await this.h.refreshOwn(k.channel.shortChannelId, d);
        continue;
      }
      const oldest = Math.min(...k.updates.map((u) => u?.timestamp ?? k.acceptedAt));
      if (now - oldest > limits.staleAfterSeconds) await this.h.forget(k.channel.shortChannelId);
    }
    if (this.cursor.length === 0) this.cursor = [...view.allChannels()].map((k) => k.channel.shortChannelId);
    for (let i = 0; i < limits.closedChecksPerTick && this.cursor.length > 0; i++) {
      const scid = this.cursor.pop()!;
      if (!view.channel(scid)) continue;
      let rec: LedgerChannel | undefined;
      try {
        rec = await this.h.ledger.channelByShortId(scid);
      } catch {
        this.cursor.push(scid);
        break; // the ledger is away: try again next tick
      }
      if (!rec || rec.status !== 'open') await this.h.forget(scid);
    }
  }
}
