// The node's store port: what the shell needs from durable storage. The LevelDB adapter (store.ts) is
// the real one; memory-store.ts keeps records in a map for in-process networks, and the tests' doubles
// (test/helpers/store-doubles.ts) wrap either to fail or hold a chosen write. Every write resolves only
// once it is durable: the caller may then act on it (send a signature, submit a transaction).
import type { GraphStore } from './graph-store.js';
import type { Channel } from '../channel/machine.js';
import type { JsonObject } from '../util/json-fields.js';

export interface PeerRecord {
  nodeId: string;
  address?: string;
}

/**
 * The record families kept beside the channels, each in its own sublevel: streams (stream records and
 * paid ticks), htlcs (the HTLC switch: incoming and outgoing HTLC records, the replay log, channel
 * policies), payments and invoices (the payer's and payee's records), chain (a hop's hash-chain relays).
 */
export const RECORD_KINDS = ['stream', 'htlc', 'payment', 'invoice', 'forward', 'chain'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** A record written in the same atomic batch as a channel state (the stream ticks it pays, the forward it offers, the invoice it settles). */
export interface AttachedWrite {
  kind: RecordKind;
  key: string;
  value: JsonObject;
}

/** A record deleted in such a batch: the one the state made moot (a forward both sides have settled). */
export interface RecordDelete {
  kind: RecordKind;
  key: string;
  delete: true;
}

export type RecordWrite = AttachedWrite | RecordDelete;

export interface NodeStore {
  open(): Promise<void>;
  close(): Promise<void>;
  /** Where gossip keeps the graph (graph-store.ts); a store without one gives gossip a memory-only graph. */
  graphStore?(): GraphStore;
  /** The channel and the records attached to it, in one atomic, synced batch. */
  saveChannel(ch: Channel, attached?: readonly RecordWrite[]): Promise<void>;
  /** Forget a channel that never locked money (an unfunded open past its deadline). */
  deleteChannel(channelId: string): Promise<void>;
  loadChannels(): Promise<Channel[]>;
  saveStream(key: string, value: JsonObject): Promise<void>;
  deleteStream(key: string): Promise<void>;
  /** Many stream records in one synced batch. */
  saveStreams(entries: readonly { key: string; value: JsonObject }[]): Promise<void>;
  loadStreams(): Promise<JsonObject[]>;
  /** Records of any kind, put or deleted, in one atomic, synced batch (no channel state with them). */
  writeRecords(writes: readonly RecordWrite[]): Promise<void>;
  /** Every record of one kind, in key order. */
  loadRecords(kind: RecordKind): Promise<{ key: string; value: JsonObject }[]>;
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
