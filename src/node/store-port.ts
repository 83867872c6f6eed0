// The node's store port: what the shell needs from durable storage. The LevelDB adapter (store.ts) is
// the real one; memory-store.ts keeps records in a map for in-process networks, and the tests' doubles
// (test/helpers/store-doubles.ts) wrap either to fail or hold a chosen write. Every write resolves only
// once it is durable: the caller may then act on it (send a signature, submit a transaction).
import type { Channel } from '../channel/machine.js';
import type { JsonObject } from '../util/json-fields.js';

export interface PeerRecord {
  nodeId: string;
  address?: string;
}

/** A record written in the same atomic batch as a channel state (e.g. the stream ticks it pays). */
export interface AttachedWrite {
  kind: 'stream';
  key: string;
  value: JsonObject;
}

export interface NodeStore {
  open(): Promise<void>;
  close(): Promise<void>;
  /** The channel and the records attached to it, in one atomic, synced batch. */
  saveChannel(ch: Channel, attached?: readonly AttachedWrite[]): Promise<void>;
  /** Forget a channel that never locked money (an unfunded open past its deadline). */
  deleteChannel(channelId: string): Promise<void>;
  loadChannels(): Promise<Channel[]>;
  saveStream(key: string, value: JsonObject): Promise<void>;
  deleteStream(key: string): Promise<void>;
  /** Many stream records in one synced batch. */
  saveStreams(entries: readonly { key: string; value: JsonObject }[]): Promise<void>;
  loadStreams(): Promise<JsonObject[]>;
  savePeer(p: PeerRecord): Promise<void>;
  loadPeers(): Promise<PeerRecord[]>;
}

/** A write the store could not make durable. Nothing that depended on it was sent. */
export class StoreWriteError extends Error {
  constructor(what: string, override readonly cause: unknown, consequence?: string) {
    super(`could not store ${what}: ${cause instanceof Error ? cause.message : String(cause)}${consequence ? `; ${consequence}` : ''}`);
    this.name = 'StoreWriteError';
  }
}
