// The store port kept in memory, for in-process networks and tests. Records go through the same JSON
// forms as LevelDB's (copied on the way in and out), so a node restarted on the same MemoryNodeStore
// sees exactly what a node restarted on its data dir would, and never an object the old one still holds.
import { toHex } from '../crypto/bytes.js';
import type { Channel } from '../channel/machine.js';
import type { JsonObject } from '../util/json-fields.js';
import { channelFromRecord, channelToRecord } from './channel-record.js';
import { MemoryGraphStore } from './graph-store.js';
import type { RecordWrite, NodeStore, PeerRecord, RecordKind } from './store-port.js';

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export class MemoryNodeStore implements NodeStore {
  private readonly channels = new Map<string, string>();
  private readonly streams = new Map<string, string>();
  private readonly peers = new Map<string, PeerRecord>();
  /** Records of the other kinds ('stream' ones are in `streams`), keyed by kind and key. */
  private readonly records = new Map<RecordKind, Map<string, string>>();

  private family(kind: RecordKind): Map<string, string> {
    if (kind === 'stream') return this.streams;
    let m = this.records.get(kind);
    if (!m) this.records.set(kind, (m = new Map()));
    return m;
  }

  private apply(writes: readonly RecordWrite[]): void {
    for (const w of writes) {
      if ('delete' in w) this.family(w.kind).delete(w.key);
      else this.family(w.kind).set(w.key, JSON.stringify(w.value));
    }
  }

  async writeRecords(writes: readonly RecordWrite[]): Promise<void> {
    this.apply(writes);
  }

  async loadRecords(kind: RecordKind): Promise<{ key: string; value: JsonObject }[]> {
    return [...this.family(kind).entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, v]) => ({ key, value: JSON.parse(v) as JsonObject }));
  }
  private graph = new MemoryGraphStore();

  async open(): Promise<void> {}

  /** The gossip graph's records (graph-store.ts); the same object across restarts on this store. */
  graphStore(): MemoryGraphStore {
    return this.graph;
  }

  async close(): Promise<void> {}

  async saveChannel(ch: Channel, attached: readonly RecordWrite[] = []): Promise<void> {
    this.channels.set(toHex(ch.channelId), JSON.stringify(channelToRecord(ch)));
    this.apply(attached);
  }

  async deleteChannel(channelId: string): Promise<void> {
    this.channels.delete(channelId);
  }

  async loadChannels(): Promise<Channel[]> {
    // LevelDB's order (by key), so a test sees what the real store would give it
    return [...this.channels.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => channelFromRecord(JSON.parse(v)));
  }

  async saveStream(key: string, value: JsonObject): Promise<void> {
    this.streams.set(key, JSON.stringify(value));
  }

  async deleteStream(key: string): Promise<void> {
    this.streams.delete(key);
  }

  async saveStreams(entries: readonly { key: string; value: JsonObject }[]): Promise<void> {
    for (const e of entries) this.streams.set(e.key, JSON.stringify(e.value));
  }

  async loadStreams(): Promise<JsonObject[]> {
    return [...this.streams.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => JSON.parse(v) as JsonObject);
  }

  async savePeer(p: PeerRecord): Promise<void> {
    this.peers.set(p.nodeId, copy(p));
  }

  async loadPeers(): Promise<PeerRecord[]> {
    return [...this.peers.values()].map(copy);
  }

  /** A copy of everything stored now, as a backup taken at this moment would be. */
  clone(): MemoryNodeStore {
    const c = new MemoryNodeStore();
    for (const [k, v] of this.channels) c.channels.set(k, v);
    for (const [k, v] of this.streams) c.streams.set(k, v);
    for (const [k, v] of this.peers) c.peers.set(k, copy(v));
    for (const [kind, m] of this.records) c.records.set(kind, new Map(m));
    c.graph = this.graph.clone();
    return c;
  }

  /** How many channel records are stored (tests check that forgetting frees them). */
  get channelCount(): number {
    return this.channels.size;
  }
}
