// Channel ops: the changes one `updateState` message (channel.ts) carries, applied in order to
// build state seq+1. On the wire an op is a u8 tag followed by its fields, big-endian:
//
//   tag  op                fields
//   1    pay               u64 amount (msat)
//   2    addHtlc           u32 id, u64 amount, 32 paymentHash, u32 expiryHeight, 1366 onion
//   3    fulfillHtlc       u32 id, 32 preimage
//   4    failHtlc          u32 id, u16 len, len reason (the BOLT 4 error packet, 36..1316 bytes)
//   5    addHashchain      u32 id, 32 root, u64 unit (msat), u32 maxUnits
//   6    claimHashchain    u32 id, u32 depth, 32 preimage
//   7    releaseHashchain  u32 id
//   8    close             (no fields)
//   9    streamPay         16 streamId, u64 amount (msat), u32 ticks
//   10   failMalformedHtlc u32 id, 32 sha256OfOnion, u16 failureCode
//   11   addHashchain      u32 id, 32 root, u64 unit (msat), u32 maxUnits, u32 expiryHeight
//
// Tag 11 is an addHashchain with an expiry (the ledger's chain registry pays such a lock, docs/ledger.md);
// tag 5, the same op without one, is still read and written, so a lock added before expiries existed
// round-trips to the same bytes.
//
// The wire checks shape only: known tag, exact lengths, amounts <= MAX_MSAT, a reason within its
// bounds. Whether an op makes sense (a pay of 0, an unknown HTLC id, a depth past maxUnits, a
// malformed-onion code without the BADONION bit) is for the channel layer to judge.
//
// The onion and the error packet travel with the op but are not part of the channel state (the
// state, and so its signature, covers the locks only, as a BOLT 2 commitment does not include the
// onion): a hop keeps them in its own records.

import { ByteWriter, InputError, type ByteReader } from '../crypto/bytes.js';
import { MAX_MSAT } from '../money.js';
import { assertNever } from './assert-never.js';
import { fail, ok, type WireResult } from './result.js';
import { fixed } from './tlv-tailed.js';
import { ONION_PACKET_SIZE } from '../onion/sphinx.js';
import { FAILURE_PADDED_LENGTH, MAX_FAILURE_MESSAGE } from '../onion/failure.js';

/** Payment hashes, preimages and hash-chain roots are sha256 sized. */
export const OP_HASH_LENGTH = 32;

/** A stream id (stream.ts messages, streamPay op): 16 bytes. */
export const STREAM_ID_LENGTH = 16;

/** An addHtlc's onion: always exactly one BOLT 4 packet (1366 bytes). */
export const HTLC_ONION_LENGTH = ONION_PACKET_SIZE;

/**
 * The shortest failHtlc reason: an HMAC and the two u16 lengths, the least an error packet can be and
 * still be read by the payer (unwrapErrorPacket). Every reason sluice itself builds is 292 bytes or
 * more. An empty reason is refused: every hop that fails an HTLC it could peel has the shared secret
 * to build a real one, and one it could not peel answers failMalformedHtlc instead.
 */
export const MIN_FAIL_REASON_LENGTH = 32 + 2 + 2;

/**
 * The longest failHtlc reason: the largest error packet the payer will try to read (an HMAC, the two
 * lengths, a MAX_FAILURE_MESSAGE failure and a full pad), so a relayed packet is never cut.
 */
export const MAX_FAIL_REASON_LENGTH = 32 + 2 + MAX_FAILURE_MESSAGE + 2 + FAILURE_PADDED_LENGTH;

export type ChannelOp =
  | { op: 'pay'; amount: bigint } // tag 1: u64 amount (msat)
  | { op: 'addHtlc'; id: number; amount: bigint; paymentHash: Uint8Array; expiryHeight: number; onion: Uint8Array } // tag 2: u32 id, u64 amount, 32 hash, u32 expiry, 1366 onion
  | { op: 'fulfillHtlc'; id: number; preimage: Uint8Array } // tag 3: u32 id, 32 preimage
  | { op: 'failHtlc'; id: number; reason: Uint8Array } // tag 4: u32 id, u16 len, reason
  | { op: 'addHashchain'; id: number; root: Uint8Array; unit: bigint; maxUnits: number; expiryHeight?: number } // tag 5: u32 id, 32 root, u64 unit, u32 maxUnits; with expiryHeight tag 11: + u32 expiryHeight
  | { op: 'claimHashchain'; id: number; depth: number; preimage: Uint8Array } // tag 6: u32 id, u32 depth, 32 preimage
  | { op: 'releaseHashchain'; id: number } // tag 7: u32 id
  | { op: 'close' } // tag 8: no fields
  | { op: 'streamPay'; streamId: Uint8Array; amount: bigint; ticks: number } // tag 9: 16 streamId, u64 amount, u32 ticks
  | { op: 'failMalformedHtlc'; id: number; sha256OfOnion: Uint8Array; failureCode: number }; // tag 10: u32 id, 32 hash, u16 code

export type ChannelOpKind = ChannelOp['op'];

/** The u8 tag of each op on the wire. */
export const CHANNEL_OP_TAGS = {
  pay: 1,
  addHtlc: 2,
  fulfillHtlc: 3,
  failHtlc: 4,
  addHashchain: 5,
  claimHashchain: 6,
  releaseHashchain: 7,
  close: 8,
  streamPay: 9,
  failMalformedHtlc: 10,
} as const satisfies Record<ChannelOpKind, number>;

/** The tag of an addHashchain that carries an expiryHeight (tag 5 is one without). */
export const ADD_HASHCHAIN_EXPIRING_TAG = 11;

/** An msat amount about to be written as u64: past MAX_MSAT is a caller bug (InputError). */
export function amount(value: bigint, what: string): bigint {
  if (typeof value === 'bigint' && value > MAX_MSAT) throw new InputError(`${what}: ${value} is past ${MAX_MSAT} msat`);
  return value; // ByteWriter.u64 refuses non-bigints and negatives
}

const hash = (value: Uint8Array, what: string) => fixed(value, OP_HASH_LENGTH, what);
const streamIdBytes = (value: Uint8Array, what: string) => fixed(value, STREAM_ID_LENGTH, what);

function reasonBytes(value: Uint8Array, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InputError(`${what}: expected bytes`);
  if (value.length < MIN_FAIL_REASON_LENGTH || value.length > MAX_FAIL_REASON_LENGTH) {
    throw new InputError(`${what}: ${value.length} bytes is outside ${MIN_FAIL_REASON_LENGTH}..${MAX_FAIL_REASON_LENGTH}`);
  }
  return value;
}

/** Append one op (tag and fields). Throws InputError on a malformed op (a caller bug). */
export function writeOp(w: ByteWriter, op: ChannelOp, what = 'op'): void {
  // an op name outside the table is undefined here, which u8 refuses
  w.u8(op.op === 'addHashchain' && op.expiryHeight !== undefined ? ADD_HASHCHAIN_EXPIRING_TAG : CHANNEL_OP_TAGS[op.op]);
  switch (op.op) {
    case 'pay':
      w.u64(amount(op.amount, `${what} pay amount`));
      return;
    case 'addHtlc':
      w.u32(op.id)
        .u64(amount(op.amount, `${what} addHtlc amount`))
        .bytes(hash(op.paymentHash, `${what} addHtlc paymentHash`))
        .u32(op.expiryHeight)
        .bytes(fixed(op.onion, HTLC_ONION_LENGTH, `${what} addHtlc onion`));
      return;
    case 'fulfillHtlc':
      w.u32(op.id).bytes(hash(op.preimage, `${what} fulfillHtlc preimage`));
      return;
    case 'failHtlc':
      w.u32(op.id).varBytes(reasonBytes(op.reason, `${what} failHtlc reason`));
      return;
    case 'failMalformedHtlc':
      w.u32(op.id).bytes(hash(op.sha256OfOnion, `${what} failMalformedHtlc sha256OfOnion`)).u16(op.failureCode);
      return;
    case 'addHashchain':
      w.u32(op.id)
        .bytes(hash(op.root, `${what} addHashchain root`))
        .u64(amount(op.unit, `${what} addHashchain unit`))
        .u32(op.maxUnits);
      if (op.expiryHeight !== undefined) w.u32(op.expiryHeight);
      return;
    case 'claimHashchain':
      w.u32(op.id).u32(op.depth).bytes(hash(op.preimage, `${what} claimHashchain preimage`));
      return;
    case 'releaseHashchain':
      w.u32(op.id);
      return;
    case 'close':
      return;
    case 'streamPay':
      w.bytes(streamIdBytes(op.streamId, `${what} streamPay streamId`))
        .u64(amount(op.amount, `${what} streamPay amount`))
        .u32(op.ticks);
      return;
    default:
      return assertNever(op, 'channel op');
  }
}

function tooLarge(what: string, value: bigint): WireResult<never> {
  return fail('bad_field', `${what}: ${value} msat is past ${MAX_MSAT}`);
}

/**
 * Read one op. A short read throws ShortReadError out of the ByteReader: call this inside
 * readFields (codec.ts), which turns it into a 'truncated' result.
 */
export function readOp(r: ByteReader, what = 'op'): WireResult<ChannelOp> {
  const tag = r.u8(`${what} tag`);
  switch (tag) {
    case CHANNEL_OP_TAGS.pay: {
      const value = r.u64(`${what} pay amount`);
      return value > MAX_MSAT ? tooLarge(`${what} pay amount`, value) : ok({ op: 'pay', amount: value });
    }
    case CHANNEL_OP_TAGS.addHtlc: {
      const id = r.u32(`${what} addHtlc id`);
      const value = r.u64(`${what} addHtlc amount`);
      const paymentHash = r.bytes(OP_HASH_LENGTH, `${what} addHtlc paymentHash`);
      const expiryHeight = r.u32(`${what} addHtlc expiryHeight`);
      const onion = r.bytes(HTLC_ONION_LENGTH, `${what} addHtlc onion`);
      if (value > MAX_MSAT) return tooLarge(`${what} addHtlc amount`, value);
      return ok({ op: 'addHtlc', id, amount: value, paymentHash, expiryHeight, onion });
    }
    case CHANNEL_OP_TAGS.fulfillHtlc: {
      const id = r.u32(`${what} fulfillHtlc id`);
      return ok({ op: 'fulfillHtlc', id, preimage: r.bytes(OP_HASH_LENGTH, `${what} fulfillHtlc preimage`) });
    }
    case CHANNEL_OP_TAGS.failHtlc: {
      const id = r.u32(`${what} failHtlc id`);
      const reason = r.varBytes(`${what} failHtlc reason`);
      if (reason.length < MIN_FAIL_REASON_LENGTH || reason.length > MAX_FAIL_REASON_LENGTH) {
        return fail('bad_field', `${what} failHtlc reason: ${reason.length} bytes is outside ${MIN_FAIL_REASON_LENGTH}..${MAX_FAIL_REASON_LENGTH}`);
      }
      return ok({ op: 'failHtlc', id, reason });
    }
    case CHANNEL_OP_TAGS.failMalformedHtlc: {
      const id = r.u32(`${what} failMalformedHtlc id`);
      const sha256OfOnion = r.bytes(OP_HASH_LENGTH, `${what} failMalformedHtlc sha256OfOnion`);
      return ok({ op: 'failMalformedHtlc', id, sha256OfOnion, failureCode: r.u16(`${what} failMalformedHtlc failureCode`) });
    }
    case CHANNEL_OP_TAGS.addHashchain:
    case ADD_HASHCHAIN_EXPIRING_TAG: {
      const id = r.u32(`${what} addHashchain id`);
      const root = r.bytes(OP_HASH_LENGTH, `${what} addHashchain root`);
      const unit = r.u64(`${what} addHashchain unit`);
      const maxUnits = r.u32(`${what} addHashchain maxUnits`);
      const expiryHeight = tag === ADD_HASHCHAIN_EXPIRING_TAG ? r.u32(`${what} addHashchain expiryHeight`) : undefined;
      if (unit > MAX_MSAT) return tooLarge(`${what} addHashchain unit`, unit);
      return ok(expiryHeight === undefined ? { op: 'addHashchain', id, root, unit, maxUnits } : { op: 'addHashchain', id, root, unit, maxUnits, expiryHeight });
    }
    case CHANNEL_OP_TAGS.claimHashchain: {
      const id = r.u32(`${what} claimHashchain id`);
      const depth = r.u32(`${what} claimHashchain depth`);
      return ok({ op: 'claimHashchain', id, depth, preimage: r.bytes(OP_HASH_LENGTH, `${what} claimHashchain preimage`) });
    }
    case CHANNEL_OP_TAGS.releaseHashchain:
      return ok({ op: 'releaseHashchain', id: r.u32(`${what} releaseHashchain id`) });
    case CHANNEL_OP_TAGS.close:
      return ok({ op: 'close' });
    case CHANNEL_OP_TAGS.streamPay: {
      const streamId = r.bytes(STREAM_ID_LENGTH, `${what} streamPay streamId`);
      const value = r.u64(`${what} streamPay amount`);
      const ticks = r.u32(`${what} streamPay ticks`);
      if (value > MAX_MSAT) return tooLarge(`${what} streamPay amount`, value);
      return ok({ op: 'streamPay', streamId, amount: value, ticks });
    }
    default:
      return fail('bad_field', `${what}: unknown op tag ${tag}`);
  }
}

// Each op kind's largest encoding, measured by encoding its largest sample (the only variable field,
// a failHtlc reason, at its maximum). The mapped type makes a new op kind a compile error here until it
// has a sample.
const OP_SAMPLES: { readonly [K in ChannelOpKind]: Extract<ChannelOp, { op: K }> } = {
  pay: { op: 'pay', amount: 0n },
  addHtlc: { op: 'addHtlc', id: 0, amount: 0n, paymentHash: new Uint8Array(OP_HASH_LENGTH), expiryHeight: 0, onion: new Uint8Array(HTLC_ONION_LENGTH) },
  fulfillHtlc: { op: 'fulfillHtlc', id: 0, preimage: new Uint8Array(OP_HASH_LENGTH) },
  failHtlc: { op: 'failHtlc', id: 0, reason: new Uint8Array(MAX_FAIL_REASON_LENGTH) },
  addHashchain: { op: 'addHashchain', id: 0, root: new Uint8Array(OP_HASH_LENGTH), unit: 0n, maxUnits: 0, expiryHeight: 0 },
  claimHashchain: { op: 'claimHashchain', id: 0, depth: 0, preimage: new Uint8Array(OP_HASH_LENGTH) },
  releaseHashchain: { op: 'releaseHashchain', id: 0 },
  close: { op: 'close' },
  streamPay: { op: 'streamPay', streamId: new Uint8Array(STREAM_ID_LENGTH), amount: 0n, ticks: 0 },
  failMalformedHtlc: { op: 'failMalformedHtlc', id: 0, sha256OfOnion: new Uint8Array(OP_HASH_LENGTH), failureCode: 0 },
};

/** The largest encoded size of each op kind, tag included (pay 9, addHtlc 1415, failHtlc 1323, close 1, …). */
export const CHANNEL_OP_SIZES: { readonly [K in ChannelOpKind]: number } = measureOps();

/** The largest encoded op (tag included): an addHtlc with its onion. */
export const MAX_OP_SIZE: number = Math.max(...Object.values(CHANNEL_OP_SIZES));

/**
 * The exact encoded size of one op, tag included. Throws InputError on a malformed op (a caller bug),
 * exactly as writeOp would.
 */
export function encodedOpSize(op: ChannelOp): number {
  const w = new ByteWriter(op.op === 'addHtlc' || op.op === 'failHtlc' ? MAX_OP_SIZE : 64);
  writeOp(w, op);
  return w.finish().length;
}

function measureOps(): Record<ChannelOpKind, number> {
  const sizes = {} as Record<ChannelOpKind, number>;
  for (const kind of Object.keys(OP_SAMPLES) as ChannelOpKind[]) {
    const w = new ByteWriter(2048);
    writeOp(w, OP_SAMPLES[kind]);
    sizes[kind] = w.finish().length;
  }
  return sizes;
}
