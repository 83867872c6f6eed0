// Test doubles for the node's store port: a store that fails or holds a chosen write, chosen by its
// number (1 = the first write through this store) or by a predicate on what is written. It wraps a real
// store (MemoryNodeStore by default), so writes that are let through are really kept.
import { toHex } from '../../src/crypto/bytes.js';
import type { Channel } from '../../src/channel/machine.js';
import { MemoryNodeStore } from '../../src/node/memory-store.js';
import type { RecordWrite, NodeStore, PeerRecord, RecordKind } from '../../src/node/store-port.js';
import type { JsonObject } from '../../src/util/json-fields.js';

export type WriteMethod = 'saveChannel' | 'deleteChannel' | 'saveStream' | 'deleteStream' | 'saveStreams' | 'savePeer' | 'writeRecords';

/** One write as the store saw it. */
export interface StoreWrite {
  n: number;
  method: WriteMethod;
  /** The channel written (saveChannel), a copy taken when it was written. */
  channel?: Channel;
  channelId?: string;
  keys: string[];
  /** The records written with it (saveChannel's attached writes, writeRecords' writes), copied. */
  records?: RecordWrite[];
}

export type WriteMatch = number | ((w: StoreWrite) => boolean);

export interface HeldWrite {
  /** Resolves when a matching write arrives (and is being held). */
  reached: Promise<StoreWrite>;
  release(): void;
  fail(error?: Error): void;
}

interface Rule {
  match: WriteMatch;
  times: number;
  act(w: StoreWrite): Promise<void>;
}

export class DiskFullError extends Error {
  constructor() {
    super('ENOSPC: no space left on device (injected)');
  }
}

export class FaultyStore implements NodeStore {
  readonly writes: StoreWrite[] = [];
  private rules: Rule[] = [];

  constructor(readonly inner: NodeStore = new MemoryNodeStore()) {}

  /** Fail the matching write(s): `times` matches (default 1; Infinity for every one until `clear`). */
  fail(match: WriteMatch, opts: { times?: number; error?: () => Error } = {}): void {
    const error = opts.error ?? (() => new DiskFullError());
    this.rules.push({ match, times: opts.times ?? 1, act: () => Promise.reject(error()) });
  }

  /** Hold the next matching write until the test releases (or fails) it. */
  hold(match: WriteMatch): HeldWrite {
    let reach!: (w: StoreWrite) => void;
    let release!: () => void;
    let fail!: (e: Error) => void;
    const reached = new Promise<StoreWrite>((r) => (reach = r));
    const gate = new Promise<void>((res, rej) => {
      release = res;
      fail = rej;
    });
    this.rules.push({ match, times: 1, act: (w) => (reach(w), gate) });
    return { reached, release: () => release(), fail: (e = new DiskFullError()) => fail(e) };
  }

  clear(): void {
    this.rules = [];
  }

  channelWrites(channelId?: string): StoreWrite[] {
    return this.writes.filter((w) => w.method === 'saveChannel' && (channelId === undefined || w.channelId === channelId));
  }

  private async gate(w: Omit<StoreWrite, 'n'>): Promise<void> {
    const write: StoreWrite = { ...w, n: this.writes.length + 1 };
    this.writes.push(write);
    const rule = this.rules.find((r) => r.times > 0 && (typeof r.match === 'number' ? r.match === write.n : r.match(write)));
    if (!rule) return;
    rule.times--;
    await rule.act(write);
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async saveChannel(ch: Channel, attached: readonly RecordWrite[] = []): Promise<void> {
    const channelId = toHex(ch.channelId);
    await this.gate({ method: 'saveChannel', channel: structuredClone(ch), channelId, keys: [channelId, ...attached.map((a) => a.key)], records: structuredClone([...attached]) });
    await this.inner.saveChannel(ch, attached);
  }

  async deleteChannel(channelId: string): Promise<void> {
    await this.gate({ method: 'deleteChannel', channelId, keys: [channelId] });
    await this.inner.deleteChannel(channelId);
  }

  loadChannels(): Promise<Channel[]> {
    return this.inner.loadChannels();
  }

  async saveStream(key: string, value: JsonObject): Promise<void> {
    await this.gate({ method: 'saveStream', keys: [key] });
    await this.inner.saveStream(key, value);
  }

  async deleteStream(key: string): Promise<void> {
    await this.gate({ method: 'deleteStream', keys: [key] });
    await this.inner.deleteStream(key);
  }

  async saveStreams(entries: readonly { key: string; value: JsonObject }[]): Promise<void> {
    await this.gate({ method: 'saveStreams', keys: entries.map((e) => e.key) });
    await this.inner.saveStreams(entries);
  }

  loadStreams(): Promise<JsonObject[]> {
    return this.inner.loadStreams();
  }

  async writeRecords(writes: readonly RecordWrite[]): Promise<void> {
    await this.gate({ method: 'writeRecords', keys: writes.map((w) => w.key), records: structuredClone([...writes]) });
    await this.inner.writeRecords(writes);
  }

  loadRecords(kind: RecordKind): Promise<{ key: string; value: JsonObject }[]> {
    return this.inner.loadRecords(kind);
  }

  async savePeer(p: PeerRecord): Promise<void> {
    await this.gate({ method: 'savePeer', keys: [p.nodeId] });
    await this.inner.savePeer(p);
  }

  loadPeers(): Promise<PeerRecord[]> {
    return this.inner.loadPeers();
  }
}

/** A write of this channel whose proposal is at `seq` (the write made before sending an update). */
export const proposalWrite = (seq: bigint) => (w: StoreWrite): boolean => w.channel?.proposal?.state.seq === seq;
