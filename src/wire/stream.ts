// Stream messages, in BOLT 1's experimental range right after the channel family (which ends at
// 32778). All even, like the channel messages: a peer that does not speak sluice streams must
// disconnect rather than silently drop one. Integers are big-endian; the field order of each
// message is repeated on its codec below.
//
//   32780 streamOpen     32 channelId, 16 streamId, u8 mode, u64 rateAmount (msat), u32 ratePerMs,
//                        u32 tickMs, u64 max (0 = none), u64 durationMs (0 = none), u32 hashchainLockId;
//                        TLV 0x534C5543: u32 batchMs, a stream across hops (channelId all zero, docs/streams.md)
//   32782 streamAccept   16 streamId
//   32784 streamReject   16 streamId, u16 len, len bytes reason (UTF-8, at most 500 bytes)
//   32786 streamTick     16 streamId, u32 depth, 32 preimage (a hash-chain tick: sha256^depth(preimage) == root)
//   32788 streamControl  16 streamId, u8 action, u16 len, len bytes reason (UTF-8, at most 500 bytes)
//   32790 streamChain    16 streamId, 32 channelId, u32 lockId, u8 n, n × (33 nodeId, u64 unit): "I locked
//                        lockId on our channel for this hash-chain stream across hops; extend it along
//                        these hops" (n = 0: you are the payee, the lock backs the stream). streamOpen's
//                        TLV 0x534C5545: 32 root, a hash-chain stream across hops (channelId all zero)
//
//   mode:   1 signed, 2 hashchain          action: 1 pause, 2 resume, 3 stop
//
// Every message ends with a TLV stream (the rest of the payload), with the channel messages' rule:
// an unknown odd record is accepted and dropped and an unknown even one fails the message. The one
// record defined is streamOpen's batchMs (0x534C5543); otherwise we send an empty stream.
//
// Only the shape is checked here (lengths, mode and action bytes, rateAmount <= MAX_MSAT, reasons
// that are UTF-8 and short enough). Whether a stream makes sense (a known streamId, a zero rate, a
// hashchainLockId that names a lock, a tick's depth or preimage) is the stream layer's to judge.

import { ByteWriter, InputError, type ByteReader } from '../crypto/bytes.js';
import { MAX_MSAT } from '../money.js';
import { amount, OP_HASH_LENGTH, STREAM_ID_LENGTH } from './channel-ops.js';
import { EXPERIMENTAL_TYPE_START, type MessageCodec } from './codec.js';
import { CHANNEL_ID_LENGTH } from './error.js';
import { fail, ok, type WireResult } from './result.js';
import { fixed, tlvTailedCodec } from './tlv-tailed.js';
import { decodeTlvStream, encodeTlvStream } from './tlv.js';

export { STREAM_ID_LENGTH } from './channel-ops.js';

export const STREAM_OPEN_TYPE = EXPERIMENTAL_TYPE_START + 12; // 32780
export const STREAM_ACCEPT_TYPE = EXPERIMENTAL_TYPE_START + 14; // 32782
export const STREAM_REJECT_TYPE = EXPERIMENTAL_TYPE_START + 16; // 32784
export const STREAM_TICK_TYPE = EXPERIMENTAL_TYPE_START + 18; // 32786
export const STREAM_CONTROL_TYPE = EXPERIMENTAL_TYPE_START + 20; // 32788
export const STREAM_CHAIN_TYPE = EXPERIMENTAL_TYPE_START + 22; // 32790

/**
 * streamOpen's TLV record 0x534C5543 ("SLUC", odd, so a peer that does not know it drops it): the batch
 * interval of a stream across hops (u32 ms).
 */
export const STREAM_OPEN_BATCH_TLV = 0x534c5543n;
/** streamOpen's TLV record 0x534C5545 (odd): the chain root of a hash-chain stream across hops (32 bytes). */
export const STREAM_OPEN_CHAIN_TLV = 0x534c5545n;
const OPEN_TLV_TYPES: ReadonlySet<bigint> = new Set([STREAM_OPEN_BATCH_TLV, STREAM_OPEN_CHAIN_TLV]);
/** The most hops a streamChain names (the route after the hop it is sent to). */
export const MAX_STREAM_CHAIN_HOPS = 20;
const NODE_ID_LENGTH = 33;

/** The longest reason (streamReject, streamControl), in UTF-8 bytes. */
export const MAX_STREAM_REASON_LENGTH = 500;

export type StreamModeByte = 'signed' | 'hashchain'; // u8 1 | 2
export type StreamControlAction = 'pause' | 'resume' | 'stop'; // u8 1 | 2 | 3

/** The u8 of each stream mode on the wire. */
export const STREAM_MODE_BYTES = {
  signed: 1,
  hashchain: 2,
} as const satisfies Record<StreamModeByte, number>;

/** The u8 of each streamControl action on the wire. */
export const STREAM_ACTION_BYTES = {
  pause: 1,
  resume: 2,
  stop: 3,
} as const satisfies Record<StreamControlAction, number>;

export interface StreamOpenMessage {
  kind: 'streamOpen';
  channelId: Uint8Array; // 32 bytes
  streamId: Uint8Array; // 16 bytes
  mode: StreamModeByte;
  rateAmount: bigint; // msat
  ratePerMs: number; // u32
  tickMs: number; // u32
  max: bigint; // u64, 0 = none
  durationMs: bigint; // u64, 0 = none
  hashchainLockId: number; // u32, 0 unless hashchain
  /** TLV 0x534C5543 (u32): a stream across hops, paid by one routed HTLC every this many ms; channelId is then all zero */
  batchMs?: number;
  /** TLV 0x534C5545 (32 bytes): a hash-chain stream across hops under this root; channelId is then all zero */
  chainRoot?: Uint8Array;
}

export interface StreamAcceptMessage {
  kind: 'streamAccept';
  streamId: Uint8Array;
}

export interface StreamRejectMessage {
  kind: 'streamReject';
  streamId: Uint8Array;
  reason: string; // u16 len + UTF-8, at most 500 bytes
}

/** A hash-chain tick: reveals x with sha256^depth(x) == root. */
export interface StreamTickMessage {
  kind: 'streamTick';
  streamId: Uint8Array;
  depth: number; // u32
  preimage: Uint8Array; // 32 bytes
}

export interface StreamControlMessage {
  kind: 'streamControl';
  streamId: Uint8Array;
  action: StreamControlAction;
  reason: string; // u16 len + UTF-8, at most 500 bytes
}

/** A hop's request to extend a hash-chain lock it made to us (or, with no hops, the lock that backs our stream). */
export interface StreamChainMessage {
  kind: 'streamChain';
  streamId: Uint8Array;
  channelId: Uint8Array; // 32 bytes: the channel between sender and receiver that holds the lock
  lockId: number; // u32
  hops: { nodeId: Uint8Array; unit: bigint }[]; // u8 count, each 33 nodeId + u64 unit
}

export type StreamMessage = StreamOpenMessage | StreamAcceptMessage | StreamRejectMessage | StreamTickMessage | StreamControlMessage | StreamChainMessage;

// ---- field helpers ----


/** The key of `table` whose value is `byte`, if any. */
function byValue<K extends string>(table: Readonly<Record<K, number>>, byte: number): K | undefined {
  for (const key of Object.keys(table) as K[]) if (table[key] === byte) return key;
  return undefined;
}

/** A string has no lone surrogates, so its UTF-8 encoding decodes back to the same string. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Append a reason as u16 length + UTF-8. Throws InputError on a non-string, a lone surrogate or > 500 bytes. */
function writeReason(w: ByteWriter, reason: string, what: string): void {
  if (typeof reason !== 'string') throw new InputError(`${what}: expected a string`);
  if (LONE_SURROGATE.test(reason)) throw new InputError(`${what}: not well-formed UTF-16 (a lone surrogate)`);
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length > MAX_STREAM_REASON_LENGTH) {
    throw new InputError(`${what}: ${bytes.length} bytes is over the ${MAX_STREAM_REASON_LENGTH}-byte limit`);
  }
  w.varBytes(bytes);
}

// fatal: bad UTF-8 is an error, not U+FFFD; ignoreBOM: a leading U+FEFF is kept, so bytes round-trip.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Read a u16-length UTF-8 reason. A short read throws ShortReadError (see readFields). */
function readReason(r: ByteReader, what: string): WireResult<string> {
  const length = r.u16(`${what} length`);
  if (length > MAX_STREAM_REASON_LENGTH) {
    return fail('bad_field', `${what}: ${length} bytes is over the ${MAX_STREAM_REASON_LENGTH}-byte limit`);
  }
  const bytes = r.bytes(length, what);
  try {
    return ok(UTF8.decode(bytes));
  } catch {
    return fail('bad_field', `${what}: not valid UTF-8`);
  }
}


// ---- the codecs ----

/**
 * 32780 streamOpen: 32 channelId, 16 streamId, u8 mode, u64 rateAmount, u32 ratePerMs, u32 tickMs,
 * u64 max, u64 durationMs, u32 hashchainLockId, tlvs
 */
export const streamOpenCodec: MessageCodec<StreamOpenMessage> = tlvTailedCodec<StreamOpenMessage>({
  type: STREAM_OPEN_TYPE,
  kind: 'streamOpen',
  write(w, m) {
    w.bytes(fixed(m.channelId, CHANNEL_ID_LENGTH, 'streamOpen channelId'))
      .bytes(fixed(m.streamId, STREAM_ID_LENGTH, 'streamOpen streamId'))
      .u8(STREAM_MODE_BYTES[m.mode]) // a mode outside the table is undefined here, which u8 refuses
      .u64(amount(m.rateAmount, 'streamOpen rateAmount'))
      .u32(m.ratePerMs)
      .u32(m.tickMs)
      .u64(m.max)
      .u64(m.durationMs)
      .u32(m.hashchainLockId);
    const tlvs = [];
    if (m.batchMs !== undefined) tlvs.push({ type: STREAM_OPEN_BATCH_TLV, value: new ByteWriter(4).u32(m.batchMs).finish() });
    if (m.chainRoot !== undefined) tlvs.push({ type: STREAM_OPEN_CHAIN_TLV, value: fixed(m.chainRoot, OP_HASH_LENGTH, 'streamOpen chainRoot') });
    if (tlvs.length > 0) w.bytes(encodeTlvStream(tlvs));
  },
  read(r) {
    const channelId = r.bytes(CHANNEL_ID_LENGTH, 'channelId');
    const streamId = r.bytes(STREAM_ID_LENGTH, 'streamId');
    const modeByte = r.u8('mode');
    const rateAmount = r.u64('rateAmount');
    const ratePerMs = r.u32('ratePerMs');
    const tickMs = r.u32('tickMs');
    const max = r.u64('max');
    const durationMs = r.u64('durationMs');
    const hashchainLockId = r.u32('hashchainLockId');
    const mode = byValue(STREAM_MODE_BYTES, modeByte);
    if (mode === undefined) return fail('bad_field', `unknown mode ${modeByte}`);
    if (rateAmount > MAX_MSAT) return fail('bad_field', `rateAmount: ${rateAmount} msat is past ${MAX_MSAT}`);
    // The TLV stream is read here (the tail's own check then sees it consumed): its one known record.
    const tlvs = decodeTlvStream(r.rest(), { knownTypes: OPEN_TLV_TYPES });
    if (!tlvs.ok) return fail(tlvs.error.kind, `tlvs: ${tlvs.error.message}`);
    const batch = tlvs.value.find((t) => t.type === STREAM_OPEN_BATCH_TLV);
    if (batch && batch.value.length !== 4) return fail('bad_field', 'batchMs: expected 4 bytes');
    const m: StreamOpenMessage = { kind: 'streamOpen', channelId, streamId, mode, rateAmount, ratePerMs, tickMs, max, durationMs, hashchainLockId };
    if (batch) m.batchMs = new DataView(batch.value.buffer, batch.value.byteOffset, 4).getUint32(0);
    const root = tlvs.value.find((t) => t.type === STREAM_OPEN_CHAIN_TLV);
    if (root && root.value.length !== OP_HASH_LENGTH) return fail('bad_field', 'chainRoot: expected 32 bytes');
    if (root) m.chainRoot = root.value.slice();
    return ok(m);
  },
});

/** 32782 streamAccept: 16 streamId, tlvs */
export const streamAcceptCodec: MessageCodec<StreamAcceptMessage> = tlvTailedCodec<StreamAcceptMessage>({
  type: STREAM_ACCEPT_TYPE,
  kind: 'streamAccept',
  write(w, m) {
    w.bytes(fixed(m.streamId, STREAM_ID_LENGTH, 'streamAccept streamId'));
  },
  read(r) {
    return ok({ kind: 'streamAccept', streamId: r.bytes(STREAM_ID_LENGTH, 'streamId') });
  },
});

/** 32784 streamReject: 16 streamId, u16 len, len bytes reason (UTF-8, <= 500), tlvs */
export const streamRejectCodec: MessageCodec<StreamRejectMessage> = tlvTailedCodec<StreamRejectMessage>({
  type: STREAM_REJECT_TYPE,
  kind: 'streamReject',
  write(w, m) {
    w.bytes(fixed(m.streamId, STREAM_ID_LENGTH, 'streamReject streamId'));
    writeReason(w, m.reason, 'streamReject reason');
  },
  read(r) {
    const streamId = r.bytes(STREAM_ID_LENGTH, 'streamId');
    const reason = readReason(r, 'reason');
    if (!reason.ok) return reason;
    return ok({ kind: 'streamReject', streamId, reason: reason.value });
  },
});

/** 32786 streamTick: 16 streamId, u32 depth, 32 preimage, tlvs */
export const streamTickCodec: MessageCodec<StreamTickMessage> = tlvTailedCodec<StreamTickMessage>({
  type: STREAM_TICK_TYPE,
  kind: 'streamTick',
  write(w, m) {
    w.bytes(fixed(m.streamId, STREAM_ID_LENGTH, 'streamTick streamId'))
      .u32(m.depth)
      .bytes(fixed(m.preimage, OP_HASH_LENGTH, 'streamTick preimage'));
  },
  read(r) {
    const streamId = r.bytes(STREAM_ID_LENGTH, 'streamId');
    const depth = r.u32('depth');
    return ok({ kind: 'streamTick', streamId, depth, preimage: r.bytes(OP_HASH_LENGTH, 'preimage') });
  },
});

/** 32788 streamControl: 16 streamId, u8 action, u16 len, len bytes reason (UTF-8, <= 500), tlvs */
export const streamControlCodec: MessageCodec<StreamControlMessage> = tlvTailedCodec<StreamControlMessage>({
  type: STREAM_CONTROL_TYPE,
  kind: 'streamControl',
  write(w, m) {
    w.bytes(fixed(m.streamId, STREAM_ID_LENGTH, 'streamControl streamId')).u8(STREAM_ACTION_BYTES[m.action]); // unknown action: undefined, refused by u8
    writeReason(w, m.reason, 'streamControl reason');
  },
  read(r) {
    const streamId = r.bytes(STREAM_ID_LENGTH, 'streamId');
    const actionByte = r.u8('action');
    const action = byValue(STREAM_ACTION_BYTES, actionByte);
    if (action === undefined) return fail('bad_field', `unknown action ${actionByte}`);
    const reason = readReason(r, 'reason');
    if (!reason.ok) return reason;
    return ok({ kind: 'streamControl', streamId, action, reason: reason.value });
  },
});

/** 32790 streamChain: 16 streamId, 32 channelId, u32 lockId, u8 n, n × (33 nodeId, u64 unit), tlvs */
export const streamChainCodec: MessageCodec<StreamChainMessage> = tlvTailedCodec<StreamChainMessage>({
  type: STREAM_CHAIN_TYPE,
  kind: 'streamChain',
  write(w, m) {
    if (m.hops.length > MAX_STREAM_CHAIN_HOPS) throw new InputError(`streamChain: at most ${MAX_STREAM_CHAIN_HOPS} hops`);
    w.bytes(fixed(m.streamId, STREAM_ID_LENGTH, 'streamChain streamId'))
      .bytes(fixed(m.channelId, CHANNEL_ID_LENGTH, 'streamChain channelId'))
      .u32(m.lockId)
      .u8(m.hops.length);
    for (const h of m.hops) w.bytes(fixed(h.nodeId, NODE_ID_LENGTH, 'streamChain nodeId')).u64(amount(h.unit, 'streamChain unit'));
  },
  read(r) {
    const streamId = r.bytes(STREAM_ID_LENGTH, 'streamId');
    const channelId = r.bytes(CHANNEL_ID_LENGTH, 'channelId');
    const lockId = r.u32('lockId');
    const n = r.u8('hops');
    if (n > MAX_STREAM_CHAIN_HOPS) return fail('bad_field', `hops: at most ${MAX_STREAM_CHAIN_HOPS}, got ${n}`);
    const hops: StreamChainMessage['hops'] = [];
    for (let i = 0; i < n; i++) {
      const nodeId = r.bytes(NODE_ID_LENGTH, 'nodeId');
      const unit = r.u64('unit');
      if (unit > MAX_MSAT) return fail('bad_field', `unit: ${unit} msat is past ${MAX_MSAT}`);
      hops.push({ nodeId, unit });
    }
    return ok({ kind: 'streamChain', streamId, channelId, lockId, hops });
  },
});

export const STREAM_CODECS = [streamOpenCodec, streamAcceptCodec, streamRejectCodec, streamTickCodec, streamControlCodec, streamChainCodec] as const;
