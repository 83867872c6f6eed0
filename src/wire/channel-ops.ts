// Channel ops: the changes one `updateState` message (channel.ts) carries, applied in order to
// build state seq+1. On the wire an op is a u8 tag followed by its fixed-width fields, big-endian:
//
//   tag  op                fields
//   1    pay               u64 amount (msat)
//   2    addHtlc           u32 id, u64 amount, 32 paymentHash, u32 expiryHeight
//   3    fulfillHtlc       u32 id, 32 preimage
//   4    failHtlc          u32 id
//   5    addHashchain      u32 id, 32 root, u64 unit (msat), u32 maxUnits
//   6    claimHashchain    u32 id, u32 depth, 32 preimage
//   7    releaseHashchain  u32 id
//   8    close             (no fields)
//   9    streamPay         16 streamId, u64 amount (msat), u32 ticks
//
// The wire checks shape only: known tag, exact lengths, amounts <= MAX_MSAT. Whether an op makes
// sense (a pay of 0, an unknown HTLC id, a depth past maxUnits) is for the channel layer to judge.

import { ByteWriter, InputError, type ByteReader } from '../crypto/bytes.js';
import { MAX_MSAT } from '../money.js';
import { assertNever } from './assert-never.js';
import { fail, ok, type WireResult } from './result.js';
import { fixed } from './tlv-tailed.js';

/** Payment hashes, preimages and hash-chain roots are sha256 sized. */
export const OP_HASH_LENGTH = 32;

/** A stream id (stream.ts messages, streamPay op): 16 bytes. */
export const STREAM_ID_LENGTH = 16;

export type ChannelOp =
  | { op: 'pay'; amount: bigint } // tag 1: u64 amount (msat)
  | { op: 'addHtlc'; id: number; amount: bigint; paymentHash: Uint8Array; expiryHeight: number } // tag 2: u32 id, u64 amount, 32 hash, u32 expiry
  | { op: 'fulfillHtlc'; id: number; preimage: Uint8Array } // tag 3: u32 id, 32 preimage
  | { op: 'failHtlc'; id: number } // tag 4: u32 id
  | { op: 'addHashchain'; id: number; root: Uint8Array; unit: bigint; maxUnits: number } // tag 5: u32 id, 32 root, u64 unit, u32 maxUnits
  | { op: 'claimHashchain'; id: number; depth: number; preimage: Uint8Array } // tag 6: u32 id, u32 depth, 32 preimage
  | { op: 'releaseHashchain'; id: number } // tag 7: u32 id
  | { op: 'close' } // tag 8: no fields
  | { op: 'streamPay'; streamId: Uint8Array; amount: bigint; ticks: number }; // tag 9: 16 streamId, u64 amount, u32 ticks

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
} as const satisfies Record<ChannelOpKind, number>;

/** An msat amount about to be written as u64: past MAX_MSAT is a caller bug (InputError). */
export function amount(value: bigint, what: string): bigint {
  if (typeof value === 'bigint' && value > MAX_MSAT) throw new InputError(`${what}: ${value} is past ${MAX_MSAT} msat`);
  return value; // ByteWriter.u64 refuses non-bigints and negatives
}

const hash = (value: Uint8Array, what: string) => fixed(value, OP_HASH_LENGTH, what);
const streamIdBytes = (value: Uint8Array, what: string) => fixed(value, STREAM_ID_LENGTH, what);

/** Append one op (tag and fields). Throws InputError on a malformed op (a caller bug). */
export function writeOp(w: ByteWriter, op: ChannelOp, what = 'op'): void {
  w.u8(CHANNEL_OP_TAGS[op.op]); // an op name outside the table is undefined here, which u8 refuses
  switch (op.op) {
    case 'pay':
      w.u64(amount(op.amount, `${what} pay amount`));
      return;
    case 'addHtlc':
      w.u32(op.id)
        .u64(amount(op.amount, `${what} addHtlc amount`))
        .bytes(hash(op.paymentHash, `${what} addHtlc paymentHash`))
        .u32(op.expiryHeight);
      return;
    case 'fulfillHtlc':
      w.u32(op.id).bytes(hash(op.preimage, `${what} fulfillHtlc preimage`));
      return;
    case 'failHtlc':
      w.u32(op.id);
      return;
    case 'addHashchain':
      w.u32(op.id)
        .bytes(hash(op.root, `${what} addHashchain root`))
        .u64(amount(op.unit, `${what} addHashchain unit`))
        .u32(op.maxUnits);
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
      if (value > MAX_MSAT) return tooLarge(`${what} addHtlc amount`, value);
      return ok({ op: 'addHtlc', id, amount: value, paymentHash, expiryHeight });
    }
    case CHANNEL_OP_TAGS.fulfillHtlc: {
      const id = r.u32(`${what} fulfillHtlc id`);
      return ok({ op: 'fulfillHtlc', id, preimage: r.bytes(OP_HASH_LENGTH, `${what} fulfillHtlc preimage`) });
    }
    case CHANNEL_OP_TAGS.failHtlc:
      return ok({ op: 'failHtlc', id: r.u32(`${what} failHtlc id`) });
    case CHANNEL_OP_TAGS.addHashchain: {
      const id = r.u32(`${what} addHashchain id`);
      const root = r.bytes(OP_HASH_LENGTH, `${what} addHashchain root`);
      const unit = r.u64(`${what} addHashchain unit`);
      const maxUnits = r.u32(`${what} addHashchain maxUnits`);
      if (unit > MAX_MSAT) return tooLarge(`${what} addHashchain unit`, unit);
      return ok({ op: 'addHashchain', id, root, unit, maxUnits });
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

// Every op has a fixed width, so encoding one zero-valued sample of each kind measures it
// exactly. The mapped type makes a new op kind a compile error here until it has a sample.
const OP_SAMPLES: { readonly [K in ChannelOpKind]: Extract<ChannelOp, { op: K }> } = {
  pay: { op: 'pay', amount: 0n },
  addHtlc: { op: 'addHtlc', id: 0, amount: 0n, paymentHash: new Uint8Array(OP_HASH_LENGTH), expiryHeight: 0 },
  fulfillHtlc: { op: 'fulfillHtlc', id: 0, preimage: new Uint8Array(OP_HASH_LENGTH) },
  failHtlc: { op: 'failHtlc', id: 0 },
  addHashchain: { op: 'addHashchain', id: 0, root: new Uint8Array(OP_HASH_LENGTH), unit: 0n, maxUnits: 0 },
  claimHashchain: { op: 'claimHashchain', id: 0, depth: 0, preimage: new Uint8Array(OP_HASH_LENGTH) },
  releaseHashchain: { op: 'releaseHashchain', id: 0 },
  close: { op: 'close' },
  streamPay: { op: 'streamPay', streamId: new Uint8Array(STREAM_ID_LENGTH), amount: 0n, ticks: 0 },
};

/** Encoded size of each op kind, tag included (pay 9, addHtlc 49, …, close 1). */
export const CHANNEL_OP_SIZES: { readonly [K in ChannelOpKind]: number } = measureOps();

/** The largest encoded op (tag included): the worst case when sizing an update. */
export const MAX_OP_SIZE: number = Math.max(...Object.values(CHANNEL_OP_SIZES));

function measureOps(): Record<ChannelOpKind, number> {
  const sizes = {} as Record<ChannelOpKind, number>;
  for (const kind of Object.keys(OP_SAMPLES) as ChannelOpKind[]) {
    const w = new ByteWriter(64);
    writeOp(w, OP_SAMPLES[kind]);
    sizes[kind] = w.finish().length;
  }
  return sizes;
}
