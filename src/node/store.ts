// The node's LevelDB store: channels (the signed states that hold money), peers we know addresses for,
// and a little metadata. Anything that moves money is written in one batch with sync: true before the
// node acts on it (sends a signature, submits a transaction).
import { Level } from 'level';
import { toHex } from '../crypto/bytes.js';
import type { Channel } from '../channel/machine.js';
import type { JsonObject } from '../util/json-fields.js';
import { channelFromRecord, channelToRecord } from './channel-record.js';
import { RECORD_KINDS, type RecordWrite, type NodeStore as StorePort, type PeerRecord, type RecordKind } from './store-port.js';
import { LevelGraphStore } from './graph-store.js';

// The port's types, from here too: code written against store.ts keeps compiling.
export type { AttachedWrite, PeerRecord, RecordKind } from './store-port.js';
export type NodeStore = StorePort;

type Sublevel = ReturnType<typeof makeSublevel>;
const makeSublevel = (db: Level<string, JsonObject>, name: string) => db.sublevel<string, JsonObject>(name, { valueEncoding: 'json' });

export class LevelNodeStore implements StorePort {
  private readonly db: Level<string, JsonObject>;
  private readonly channels;
  private readonly peers;
  private readonly streams;
  /** One sublevel per record kind ('stream' is the streams sublevel above). */
  private readonly records: Record<RecordKind, Sublevel>;

  constructor(path: string) {
    this.db = new Level<string, JsonObject>(path, { valueEncoding: 'json' });
    this.channels = this.db.sublevel<string, JsonObject>('channels', { valueEncoding: 'json' });
    this.peers = this.db.sublevel<string, JsonObject>('peers', { valueEncoding: 'json' });
    this.streams = makeSublevel(this.db, 'streams');
    const sub = (name: string) => makeSublevel(this.db, name);
    this.records = { stream: this.streams, htlc: sub('htlcs'), payment: sub('payments'), invoice: sub('invoices'), forward: sub('forwards'), chain: sub('chains') };
    if (Object.keys(this.records).length !== RECORD_KINDS.length) throw new Error('a record kind has no sublevel');
  }

  private recordOps(writes: readonly RecordWrite[]) {
    return writes.map((w) => ('delete' in w
      ? { type: 'del' as const, sublevel: this.records[w.kind], key: w.key }
      : { type: 'put' as const, sublevel: this.records[w.kind], key: w.key, value: w.value }));
  }

  async writeRecords(writes: readonly RecordWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.db.batch(this.recordOps(writes), { sync: true });
  }

  async loadRecords(kind: RecordKind): Promise<{ key: string; value: JsonObject }[]> {
    const out: { key: string; value: JsonObject }[] = [];
    for await (const [key, value] of this.records[kind].iterator()) out.push({ key, value });
    return out;
  }

  async open(): Promise<void> {
    await this.db.open();
  }

  /** The gossip graph's records (graph-store.ts), in their own sublevel 'graph' of this database. */
  graphStore(): LevelGraphStore {
    return new LevelGraphStore(this.db.sublevel<string, JsonObject>('graph', { valueEncoding: 'json' }));
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Durable before it returns: the caller may then send what this state commits to. */
  async saveChannel(ch: Channel, attached: readonly RecordWrite[] = []): Promise<void> {
    const ops = [
      { type: 'put' as const, sublevel: this.channels, key: toHex(ch.channelId), value: channelToRecord(ch) },
      ...this.recordOps(attached),
    ];
    await this.db.batch(ops, { sync: true });
  }

  async deleteChannel(channelId: string): Promise<void> {
    await this.db.batch([{ type: 'del', sublevel: this.channels, key: channelId }], { sync: true });
  }

  async saveStream(key: string, value: JsonObject): Promise<void> {
    await this.db.batch([{ type: 'put', sublevel: this.streams, key, value }], { sync: true });
  }

  async deleteStream(key: string): Promise<void> {
    await this.db.batch([{ type: 'del', sublevel: this.streams, key }], { sync: true });
  }

  /** Many stream records in one synced batch. */
  async saveStreams(entries: readonly { key: string; value: JsonObject }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.batch(entries.map((e) => ({ type: 'put' as const, sublevel: this.streams, key: e.key, value: e.value })), { sync: true });
  }

  async loadStreams(): Promise<JsonObject[]> {
    const out: JsonObject[] = [];
    for await (const v of this.streams.values()) out.push(v);
    return out;
  }

  async loadChannels(): Promise<Channel[]> {
    const out: Channel[] = [];
    for await (const v of this.channels.values()) out.push(channelFromRecord(v));
    return out;
  }

  async savePeer(p: PeerRecord): Promise<void> {
    const value: JsonObject = { nodeId: p.nodeId };
    if (p.address) value['address'] = p.address;
    await this.db.batch([{ type: 'put', sublevel: this.peers, key: p.nodeId, value }], { sync: true });
  }

  async loadPeers(): Promise<PeerRecord[]> {
    const out: PeerRecord[] = [];
    for await (const v of this.peers.values()) {
      const r: PeerRecord = { nodeId: String(v['nodeId']) };
      if (typeof v['address'] === 'string') r.address = v['address'];
      out.push(r);
    }
    return out;
  }
}

