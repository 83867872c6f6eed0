// The node's LevelDB store: channels (the signed states that hold money), peers we know addresses for,
// and a little metadata. Anything that moves money is written in one batch with sync: true before the
// node acts on it (sends a signature, submits a transaction).
import { Level } from 'level';
import { toHex } from '../crypto/bytes.js';
import type { Channel } from '../channel/machine.js';
import type { JsonObject } from '../util/json-fields.js';
import { channelFromRecord, channelToRecord } from './channel-record.js';

export interface PeerRecord {
  nodeId: string;
  address?: string;
}

export class NodeStore {
  private readonly db: Level<string, JsonObject>;
  private readonly channels;
  private readonly peers;

  constructor(path: string) {
    this.db = new Level<string, JsonObject>(path, { valueEncoding: 'json' });
    this.channels = this.db.sublevel<string, JsonObject>('channels', { valueEncoding: 'json' });
    this.peers = this.db.sublevel<string, JsonObject>('peers', { valueEncoding: 'json' });
  }

  async open(): Promise<void> {
    await this.db.open();
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Durable before it returns: the caller may then send what this state commits to. */
  async saveChannel(ch: Channel): Promise<void> {
    await this.db.batch([{ type: 'put', sublevel: this.channels, key: toHex(ch.channelId), value: channelToRecord(ch) }], { sync: true });
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
