// Streams across hops, signed mode (multihop.md §7.6, S1): the ticks due since the last batch are paid
// as one keysend HTLC routed to the payee. Pure: the batch record carried in the payee's onion payload,
// the batch's preimage (derived, so a restart finds the same payment hash for the same tick range), when
// the next batch is due, and the payee's check of a batch HTLC before it settles it.
import { ByteReader, ByteWriter, concatBytes, fromHex, toHex } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { maxTicks, owedAfter } from './terms.js';
import type { PayeeRecord, PayerRecord } from './record.js';

/**
 * The odd custom TLV record (bLIP-2 range, >= 65536) in the final hop's payload that names the stream
 * and the tick range a batch pays: 16 streamId ‖ u32 fromTick ‖ u32 toTick. 0x534C5543 is "SLUC".
 */
export const STREAM_BATCH_TLV_TYPE = 0x534c5543n; // 1397511491
export const STREAM_BATCH_RECORD_LENGTH = 24;

/** Batches: every second by default, at most once a minute apart. */
export const DEFAULT_BATCH_MS = 1000;
export const MAX_BATCH_MS = 60_000;
/**
 * The payee: routed streams running at once, from all peers together. The per-peer bound
 * (maxStreamsPerChannel) alone bounded nothing: a stream across hops needs no channel, only a BOLT 8
 * identity, and a stranger with fresh keys each time could leave 64 never-paid streams per identity (each
 * a stored record, held until it expires as never paid: up to 49 days with a 2^32 ms tick).
 */
export const MAX_ROUTED_PAYEE_STREAMS = 1024;
/**
 * A routed stream ticks at least once a batch interval's bound (a minute), so one that is never paid is
 * dropped within two minutes of its open (its first tick plus the payee's idle expiry) and cannot hold
 * one of the MAX_ROUTED_PAYEE_STREAMS places for weeks: with a 2^32 ms tick, 49 days.
 */
export const MAX_ROUTED_TICK_MS = MAX_BATCH_MS;
/**
 * When all MAX_ROUTED_PAYEE_STREAMS places are taken, the stream that gives its place to a new one: never
 * paid (nothing of it is anyone's money or history), from the peer that has the most such streams, its
 * oldest. A stranger filling the places with streams it never pays then loses its own first, and an honest
 * payer's new stream (one, paid within a batch interval) is taken. None never paid: the open is refused.
 */
export function routedToMakeRoom(live: readonly PayeeRecord[]): PayeeRecord | undefined {
  const idle = live.filter((r) => r.routed && r.paid === 0n && r.ticks === 0);
  const perPeer = new Map<string, number>();
  for (const r of idle) perPeer.set(r.peerId, (perPeer.get(r.peerId) ?? 0) + 1);
  let best: PayeeRecord | undefined;
  for (const r of idle) {
    if (!best) { best = r; continue; }
    const a = perPeer.get(r.peerId)!;
    const b = perPeer.get(best.peerId)!;
    if (a > b || (a === b && r.startedAt < best.startedAt)) best = r;
  }
  return best;
}

/** A routed stream whose batches all failed (no route worked) for this long stops. */
export const ROUTE_GIVE_UP_MS = 30_000;

export interface BatchRecord {
  streamId: string; // hex, 16 bytes
  /** the ticks the payer had paid before this batch */
  from: number;
  /** the payer's total after it: the batch pays owed(to) − owed(from) */
  to: number;
}

export function encodeBatchRecord(b: BatchRecord): Uint8Array {
  return new ByteWriter().bytes(fromHex(b.streamId, 'stream id', 16)).u32(b.from).u32(b.to).finish();
}

export function decodeBatchRecord(v: Uint8Array): BatchRecord | undefined {
  if (v.length !== STREAM_BATCH_RECORD_LENGTH) return undefined;
  const r = new ByteReader(v);
  const streamId = toHex(r.bytes(16, 'streamId'));
  const from = r.u32('from');
  const to = r.u32('to');
  return to > from ? { streamId, from, to } : undefined;
}

/**
 * The preimage of the batch paying ticks (from, to]: sha256(secret ‖ record). Each range has its own
 * hash, and the payer recomputes the same one after a restart from the range it stored before the
 * HTLC was offered, so the payments layer (one payment per hash) refuses to offer it a second time.
 */
export function batchPreimage(secretHex: string, b: BatchRecord): Uint8Array {
  return sha256(concatBytes(fromHex(secretHex, 'stream secret', 32), encodeBatchRecord(b)));
}

/** What the payer's routed part keeps (plain data, stored with the record). */
export interface RoutedPayer {
  /** How often a batch is paid (ms, 1..60 000). */
  batchMs: number;
  /** The most one batch may pay in routing fees. */
  maxFeeMsat: bigint;
  /** 32 bytes, hex: batch preimages derive from it. Never shown. */
  secret: string;
  /** The hops' node ids of the route quoted at the open (the payee last). */
  route: string[];
  /** The route's fee for one batch, quoted at the open. */
  quotedFeeMsat: bigint;
  /** Fees of the batches that succeeded. */
  feesPaid: bigint;
  /** The start of the batch interval of the last batch offered (ms, on the grid from startedAt); the next is due batchMs later. */
  lastBatchAt?: number;
  /** Since when every batch failed (no route worked); cleared by one that goes through. */
  failingSince?: number;
}

/** What the payee keeps of a routed stream. */
export interface RoutedPayee {
  batchMs: number;
  /** The HTLC that paid the last batch metered (channel/htlcId), so the switch asking again settles again. */
  lastHtlc?: string;
  lastFrom?: number;
}

/**
 * A batch is due once batchMs passed since the last one, or when it would end the stream (its last
 * ticks are not held back for the interval).
 */
export function batchDue(r: PayerRecord, to: number, now: number): boolean {
  const rt = r.routed;
  if (!rt) return true;
  const end = maxTicks(r.terms);
  if (end !== undefined && to >= end) return true;
  return now - (rt.lastBatchAt ?? r.startedAt) >= rt.batchMs;
}

/**
 * The batch interval a batch made at `now` belongs to (stored as lastBatchAt): the start of that interval
 * on the stream's batch grid, not `now` itself. A batch is made a little after it is due (the loop, the
 * load), and counting the next interval from `now` would let that lateness add up until one interval holds
 * two ticks and a batch is skipped; counted from the grid, each interval holds its own ticks.
 */
export function batchSlot(r: PayerRecord, now: number): number {
  const rt = r.routed;
  if (!rt) return now;
  const base = rt.lastBatchAt ?? r.startedAt;
  if (now <= base) return base;
  return base + Math.floor((now - base) / rt.batchMs) * rt.batchMs;
}

/** When the next batch can be due (the scheduler's wake), given when the next tick falls due. */
export function nextBatchAt(r: PayerRecord, nextTick: number | undefined): number | undefined {
  if (nextTick === undefined || !r.routed) return nextTick;
  return Math.max(nextTick, (r.routed.lastBatchAt ?? r.startedAt) + r.routed.batchMs);
}

export type BatchCheck =
  /** settle it: the meter counts `to` ticks for `amount` */
  | { kind: 'meter'; to: number; amount: bigint }
  /** the same HTLC asked again (its settle was not yet stored): settle again, count nothing */
  | { kind: 'again' }
  | { kind: 'fail'; reason: string };

/**
 * The payee's check of a batch HTLC, before it settles: a stream it accepted, still running, whose next
 * batch this is (from = what it metered, so no range is paid twice), for exactly what the terms owe.
 */
export function checkBatch(r: PayeeRecord | undefined, b: BatchRecord, amountMsat: bigint, htlcKey: string): BatchCheck {
  if (!r || !r.routed || r.role !== 'payee') return { kind: 'fail', reason: 'no routed stream by that id' };
  if (r.routed.lastHtlc === htlcKey && r.routed.lastFrom === b.from && r.ticks === b.to) return { kind: 'again' };
  if (r.status !== 'active' && r.status !== 'paused') return { kind: 'fail', reason: `stream is ${r.status}` };
  if (b.from !== r.ticks) return { kind: 'fail', reason: `batch from tick ${b.from}, the meter is at ${r.ticks}` };
  const end = maxTicks(r.terms);
  if (end !== undefined && b.to > end) return { kind: 'fail', reason: `${b.to} ticks would pass the stream's ${end}` };
  const owed = owedAfter(r.terms, b.to) - owedAfter(r.terms, b.from);
  if (amountMsat !== owed) return { kind: 'fail', reason: `ticks ${b.from}..${b.to} cost ${owed} msat, the HTLC pays ${amountMsat}` };
  return { kind: 'meter', to: b.to, amount: owed };
}

/** A routed stream is paid once a batch: late only a batch interval (not a tick) plus the grace after its last payment. */
export function lateGrace(r: PayeeRecord, graceMs: number): number {
  return r.routed ? graceMs + Math.max(0, r.routed.batchMs - r.terms.tickMs) : graceMs;
}
