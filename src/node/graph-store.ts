// The gossip graph's durable records: every channel_announcement, channel_update and node_announcement
// we accepted, as the bytes we received (their signatures cover them, so they are re-sent as they are),
// with the channel's capacity as the ledger gave it. On start GossipManager loads them into its
// ChannelGraph without asking the ledger again; the periodic ledger check prunes what closed meanwhile.
//
// Gossip moves no money and any peer can send it again, so writes are not synced (a crash may lose the
// last few; they are learned again). The keys:
//   c/<scid>          { msg, capacity }   channel_announcement
//   u/<scid>/<0|1>    { msg }             channel_update of one direction
//   n/<node id>       { msg }             node_announcement
import { fromHex, toHex } from '../crypto/bytes.js';
import type { JsonObject } from '../util/json-fields.js';

export interface StoredGraph {
  channels: { shortChannelId: string; announcement: Uint8Array; capacityMsat: bigint }[];
  updates: { shortChannelId: string; direction: 0 | 1; update: Uint8Array }[];
  nodes: { nodeId: string; announcement: Uint8Array }[];
}

export interface GraphStore {
  saveChannel(shortChannelId: string, announcement: Uint8Array, capacityMsat: bigint): Promise<void>;
  saveUpdate(shortChannelId: string, direction: 0 | 1, update: Uint8Array): Promise<void>;
  saveNode(nodeId: string, announcement: Uint8Array): Promise<void>;
  /** The announcement and both updates. */
  deleteChannel(shortChannelId: string): Promise<void>;
  deleteNode(nodeId: string): Promise<void>;
  load(): Promise<StoredGraph>;
}

type Op = { type: 'put'; key: string; value: JsonObject } | { type: 'del'; key: string };

/** What LevelGraphStore needs of a `level` sublevel with JSON values. */
export interface JsonSublevel {
  batch(ops: Op[]): Promise<void>;
  iterator(): AsyncIterable<[string, JsonObject]>;
}

const chanKey = (scid: string) => `c/${scid}`;
const updKey = (scid: string, d: 0 | 1) => `u/${scid}/${d}`;
const nodeKey = (id: string) => `n/${id}`;

/** Rows that do not parse are skipped (a record from a newer version, a damaged file): gossip is re-learned. */
function collect(entries: Iterable<[string, JsonObject]>): StoredGraph {
  const out: StoredGraph = { channels: [], updates: [], nodes: [] };
  for (const [key, v] of entries) {
    try {
      const msg = fromHex(String(v['msg']), 'msg');
      const parts = key.split('/');
      if (parts[0] === 'c' && parts.length === 2 && /^\d+$/.test(String(v['capacity']))) {
        out.channels.push({ shortChannelId: parts[1]!, announcement: msg, capacityMsat: BigInt(String(v['capacity'])) });
      } else if (parts[0] === 'u' && parts.length === 3 && (parts[2] === '0' || parts[2] === '1')) {
        out.updates.push({ shortChannelId: parts[1]!, direction: parts[2] === '0' ? 0 : 1, update: msg });
      } else if (parts[0] === 'n' && parts.length === 2) {
        out.nodes.push({ nodeId: parts[1]!, announcement: msg });
      }
    } catch {
      // skipped, as above
    }
  }
  return out;
}

export class LevelGraphStore implements GraphStore {
  constructor(private readonly db: JsonSublevel) {}

  saveChannel(scid: string, announcement: Uint8Array, capacityMsat: bigint): Promise<void> {
    return this.db.batch([{ type: 'put', key: chanKey(scid), value: { msg: toHex(announcement), capacity: capacityMsat.toString() } }]);
  }

  saveUpdate(scid: string, direction: 0 | 1, update: Uint8Array): Promise<void> {
    return this.db.batch([{ type: 'put', key: updKey(scid, direction), value: { msg: toHex(update) } }]);
  }

  saveNode(nodeId: string, announcement: Uint8Array): Promise<void> {
    return this.db.batch([{ type: 'put', key: nodeKey(nodeId), value: { msg: toHex(announcement) } }]);
  }

  deleteChannel(scid: string): Promise<void> {
    return this.db.batch([{ type: 'del', key: chanKey(scid) }, { type: 'del', key: updKey(scid, 0) }, { type: 'del', key: updKey(scid, 1) }]);
  }

  deleteNode(nodeId: string): Promise<void> {
    return this.db.batch([{ type: 'del', key: nodeKey(nodeId) }]);
  }

  async load(): Promise<StoredGraph> {
    const rows: [string, JsonObject][] = [];
    for await (const row of this.db.iterator()) rows.push(row);
    return collect(rows);
  }
}

/** The same records in a map, for in-process networks and tests; survives a node restart on the same object. */
export class MemoryGraphStore implements GraphStore {
  private readonly rows = new Map<string, string>();

  private put(key: string, value: JsonObject): Promise<void> {
    this.rows.set(key, JSON.stringify(value));
    return Promise.resolve();
  }

  saveChannel(scid: string, announcement: Uint8Array, capacityMsat: bigint): Promise<void> {
    return this.put(chanKey(scid), { msg: toHex(announcement), capacity: capacityMsat.toString() });
  }

  saveUpdate(scid: string, direction: 0 | 1, update: Uint8Array): Promise<void> {
    return this.put(updKey(scid, direction), { msg: toHex(update) });
  }

  saveNode(nodeId: string, announcement: Uint8Array): Promise<void> {
    return this.put(nodeKey(nodeId), { msg: toHex(announcement) });
  }

  deleteChannel(scid: string): Promise<void> {
    for (const k of [chanKey(scid), updKey(scid, 0), updKey(scid, 1)]) this.rows.delete(k);
    return Promise.resolve();
  }

  deleteNode(nodeId: string): Promise<void> {
    this.rows.delete(nodeKey(nodeId));
    return Promise.resolve();
  }

  load(): Promise<StoredGraph> {
    const sorted = [...this.rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    return Promise.resolve(collect(sorted.map(([k, v]) => [k, JSON.parse(v) as JsonObject])));
  }

  clone(): MemoryGraphStore {
    const c = new MemoryGraphStore();
    for (const [k, v] of this.rows) c.rows.set(k, v);
    return c;
  }

  get size(): number {
    return this.rows.size;
  }
}
