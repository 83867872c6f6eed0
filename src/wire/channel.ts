// Channel messages, in BOLT 1's experimental range (types >= 32768). All even: a peer that does not
// speak sluice channels must disconnect rather than silently drop one. Integers are big-endian;
// the field order of each message is repeated on its codec below.
//
//   32768 openChannel    32 channelId, 32 chainHash, u64 capacity, u64 push, u64 reserve, 64 sigA
//   32770 acceptChannel  32 channelId, 64 sigB
//   32772 updateState    32 channelId, u64 seq, u16 count, count ops (see channel-ops.ts), 64 sig
//   32774 ackState       32 channelId, u64 seq, 64 sig
//   32776 reestablish    32 channelId, u64 signedSeq (the latest seq both sides signed)
//
// Every message ends with a TLV stream (the rest of the payload) for fields added later. No
// record type is defined yet, so on decode an unknown odd record is accepted and dropped and an
// unknown even one fails the message ("it's OK to be odd"); we always send an empty stream.
//
// Only the shape is checked here (lengths, op tags, amounts <= MAX_MSAT, op count); signatures,
// sequence numbers and balances are the channel layer's to judge.

import { ByteWriter, InputError, type ByteReader } from '../crypto/bytes.js';
import { MAX_MSAT } from '../money.js';
import { CHANNEL_ID_LENGTH } from './error.js';
import { CHAIN_HASH_LENGTH } from './init.js';
import { EXPERIMENTAL_TYPE_START, MAX_MESSAGE_SIZE, readFields, type MessageCodec } from './codec.js';
import { amount, CHANNEL_OP_SIZES, encodedOpSize, readOp, writeOp, type ChannelOp } from './channel-ops.js';
import { fail, ok, type WireResult } from './result.js';
import { fixed, tlvTailedCodec } from './tlv-tailed.js';

export {
  CHANNEL_OP_SIZES,
  CHANNEL_OP_TAGS,
  encodedOpSize,
  HTLC_ONION_LENGTH,
  MAX_FAIL_REASON_LENGTH,
  MAX_OP_SIZE,
  MIN_FAIL_REASON_LENGTH,
  OP_HASH_LENGTH,
  type ChannelOp,
  type ChannelOpKind,
} from './channel-ops.js';

export const OPEN_CHANNEL_TYPE = EXPERIMENTAL_TYPE_START; // 32768
export const ACCEPT_CHANNEL_TYPE = EXPERIMENTAL_TYPE_START + 2; // 32770
export const UPDATE_STATE_TYPE = EXPERIMENTAL_TYPE_START + 4; // 32772
export const ACK_STATE_TYPE = EXPERIMENTAL_TYPE_START + 6; // 32774
export const REESTABLISH_TYPE = EXPERIMENTAL_TYPE_START + 8; // 32776
export const COMMIT_STATE_TYPE = EXPERIMENTAL_TYPE_START + 10; // 32778

/** Compact secp256k1 signatures (r || s). */
export const SIGNATURE_LENGTH = 64;

export interface OpenChannelMessage {
  kind: 'openChannel';
  channelId: Uint8Array; // 32 bytes
  chainHash: Uint8Array; // 32 bytes
  capacity: bigint;
  push: bigint;
  reserve: bigint;
  sigA: Uint8Array; // 64 bytes
}

export interface AcceptChannelMessage {
  kind: 'acceptChannel';
  channelId: Uint8Array;
  sigB: Uint8Array;
}

export interface UpdateStateMessage {
  kind: 'updateState';
  channelId: Uint8Array;
  seq: bigint;
  ops: ChannelOp[];
  sig: Uint8Array;
}

export interface AckStateMessage {
  kind: 'ackState';
  channelId: Uint8Array;
  seq: bigint;
  sig: Uint8Array;
}

/**
 * The follower's signature on a state it proposed unsigned and the leader already signed (see
 * docs/protocol.md): the third message of a follower's update.
 */
export interface CommitStateMessage {
  kind: 'commitState';
  channelId: Uint8Array;
  seq: bigint;
  sig: Uint8Array;
}

export interface ReestablishMessage {
  kind: 'reestablish';
  channelId: Uint8Array;
  signedSeq: bigint;
}

export type ChannelMessage = OpenChannelMessage | AcceptChannelMessage | UpdateStateMessage | AckStateMessage | ReestablishMessage | CommitStateMessage;

// ---- the ops section, and how many ops one update may carry ----

const U16 = 2;
const U64 = 8;

/** Everything in an updateState frame but its ops: type, channelId, seq, op count, sig (empty TLV stream). */
const UPDATE_STATE_FIXED_SIZE = U16 + CHANNEL_ID_LENGTH + U64 + U16 + SIGNATURE_LENGTH;

/**
 * The bytes the ops of one update may take (tags included, the u16 count not): what is left of a
 * MAX_MESSAGE_SIZE frame after every other field, 65535 - 108 = 65427.
 */
export const UPDATE_OPS_BYTE_BUDGET: number = MAX_MESSAGE_SIZE - UPDATE_STATE_FIXED_SIZE;

/**
 * The most ops one update may carry, whatever their size: as many of the largest op without an onion
 * or error packet (addHashchain with its expiry, 53 bytes) as fit one frame ((65535 - 108) / 53 = 1234). It bounds the
 * work one update asks of the receiver; decoding fails a count above it. Ops with an onion or a reason
 * hit the byte budget first (46 addHtlcs of 1415 bytes), so an update must pass both: see opsFitUpdate.
 */
export const MAX_OPS_PER_UPDATE: number = Math.floor((MAX_MESSAGE_SIZE - UPDATE_STATE_FIXED_SIZE) / CHANNEL_OP_SIZES.addHashchain);

/** What an update's ops take so far: their count and their encoded bytes (tags included, not the u16 count). */
export interface OpsSize {
  readonly count: number;
  readonly bytes: number;
}

export const NO_OPS: OpsSize = { count: 0, bytes: 0 };

/**
 * The size of `ops`, or why they can never be sent (a malformed op: a caller bug, reported not thrown,
 * so one bad request cannot stop a channel's other work).
 */
export function measureOps(ops: readonly ChannelOp[]): { ok: true; size: OpsSize } | { ok: false; reason: string } {
  let bytes = 0;
  for (let i = 0; i < ops.length; i++) {
    try {
      bytes += encodedOpSize(ops[i]!);
    } catch (e) {
      if (e instanceof InputError) return { ok: false, reason: `operation ${i}: ${e.message}` };
      throw e;
    }
  }
  return { ok: true, size: { count: ops.length, bytes } };
}

/**
 * The one rule for how much an update carries (the encoder, the decoder's frame limit and the channel
 * layer's batching all follow it): at most MAX_OPS_PER_UPDATE ops in at most UPDATE_OPS_BYTE_BUDGET
 * bytes. Returns null if `size` fits, else why not.
 */
export function opsFitUpdate(size: OpsSize): string | null {
  if (size.count > MAX_OPS_PER_UPDATE) return `${size.count} operations is more than the ${MAX_OPS_PER_UPDATE} one update may carry`;
  if (size.bytes > UPDATE_OPS_BYTE_BUDGET) {
    return `${size.bytes} bytes of operations is more than the ${UPDATE_OPS_BYTE_BUDGET} one update may carry`;
  }
  return null;
}

/** Two sizes together (the ops already taken for an update and the next request's). */
export function addOpsSize(a: OpsSize, b: OpsSize): OpsSize {
  return { count: a.count + b.count, bytes: a.bytes + b.bytes };
}

function writeOps(w: ByteWriter, ops: readonly ChannelOp[]): void {
  if (!Array.isArray(ops)) throw new InputError('ops: expected an array');
  if (ops.length > MAX_OPS_PER_UPDATE) {
    throw new InputError(`ops: ${ops.length} ops is more than the ${MAX_OPS_PER_UPDATE} one update may carry`);
  }
  const section = new ByteWriter(Math.min(ops.length * 64, UPDATE_OPS_BYTE_BUDGET) + 64);
  ops.forEach((op, i) => writeOp(section, op, `ops[${i}]`));
  const body = section.finish();
  const tooBig = opsFitUpdate({ count: ops.length, bytes: body.length });
  if (tooBig) throw new InputError(`ops: ${tooBig}`);
  w.u16(ops.length).bytes(body);
}

function readOps(r: ByteReader): WireResult<ChannelOp[]> {
  // No byte check is needed here: the frame itself is at most MAX_MESSAGE_SIZE, which is the budget.
  const count = r.u16('op count');
  if (count > MAX_OPS_PER_UPDATE) return fail('bad_field', `op count ${count} is more than ${MAX_OPS_PER_UPDATE}`);
  const ops: ChannelOp[] = [];
  for (let i = 0; i < count; i++) {
    const op = readOp(r, `ops[${i}]`);
    if (!op.ok) return op;
    ops.push(op.value);
  }
  return ok(ops);
}

/** The ops section alone: u16 count, then each op. Throws InputError on malformed ops or too many. */
export function encodeOps(ops: readonly ChannelOp[]): Uint8Array {
  const w = new ByteWriter(U16 + Math.min(ops.length * 64, UPDATE_OPS_BYTE_BUDGET));
  writeOps(w, ops);
  return w.finish();
}

/** Read an ops section that is all of `bytes` (nothing may follow it). Never throws. */
export function decodeOps(bytes: Uint8Array): WireResult<ChannelOp[]> {
  return readFields(bytes, 'ops', (r) => {
    const ops = readOps(r);
    if (ops.ok && r.remaining !== 0) return fail('bad_field', `ops: ${r.remaining} bytes after the last op`);
    return ops;
  });
}

// ---- field helpers shared by the codecs ----


/** The first amount past MAX_MSAT, as a failure. */
function checkAmounts(what: string, amounts: Record<string, bigint>): WireResult<void> {
  for (const [name, value] of Object.entries(amounts)) {
    if (value > MAX_MSAT) return fail('bad_field', `${what} ${name}: ${value} msat is past ${MAX_MSAT}`);
  }
  return ok(undefined);
}


// ---- the codecs ----

/** 32768 openChannel: 32 channelId, 32 chainHash, u64 capacity, u64 push, u64 reserve, 64 sigA, tlvs */
export const openChannelCodec: MessageCodec<OpenChannelMessage> = tlvTailedCodec<OpenChannelMessage>({
  type: OPEN_CHANNEL_TYPE,
  kind: 'openChannel',
  write(w, m) {
    w.bytes(fixed(m.channelId, CHANNEL_ID_LENGTH, 'openChannel channelId'))
      .bytes(fixed(m.chainHash, CHAIN_HASH_LENGTH, 'openChannel chainHash'))
      .u64(amount(m.capacity, 'openChannel capacity'))
      .u64(amount(m.push, 'openChannel push'))
      .u64(amount(m.reserve, 'openChannel reserve'))
      .bytes(fixed(m.sigA, SIGNATURE_LENGTH, 'openChannel sigA'));
  },
  read(r) {
    const channelId = r.bytes(CHANNEL_ID_LENGTH, 'channelId');
    const chainHash = r.bytes(CHAIN_HASH_LENGTH, 'chainHash');
    const capacity = r.u64('capacity');
    const push = r.u64('push');
    const reserve = r.u64('reserve');
    const sigA = r.bytes(SIGNATURE_LENGTH, 'sigA');
    const amounts = checkAmounts('openChannel', { capacity, push, reserve });
    if (!amounts.ok) return amounts;
    return ok({ kind: 'openChannel', channelId, chainHash, capacity, push, reserve, sigA });
  },
});

/** 32770 acceptChannel: 32 channelId, 64 sigB, tlvs */
export const acceptChannelCodec: MessageCodec<AcceptChannelMessage> = tlvTailedCodec<AcceptChannelMessage>({
  type: ACCEPT_CHANNEL_TYPE,
  kind: 'acceptChannel',
  write(w, m) {
    w.bytes(fixed(m.channelId, CHANNEL_ID_LENGTH, 'acceptChannel channelId')).bytes(fixed(m.sigB, SIGNATURE_LENGTH, 'acceptChannel sigB'));
  },
  read(r) {
    const channelId = r.bytes(CHANNEL_ID_LENGTH, 'channelId');
    return ok({ kind: 'acceptChannel', channelId, sigB: r.bytes(SIGNATURE_LENGTH, 'sigB') });
  },
});

/** 32772 updateState: 32 channelId, u64 seq, u16 count, count ops (u8 tag + fields), 64 sig, tlvs */
export const updateStateCodec: MessageCodec<UpdateStateMessage> = tlvTailedCodec<UpdateStateMessage>({
  type: UPDATE_STATE_TYPE,
  kind: 'updateState',
  write(w, m) {
    w.bytes(fixed(m.channelId, CHANNEL_ID_LENGTH, 'updateState channelId')).u64(m.seq);
    writeOps(w, m.ops);
    w.bytes(fixed(m.sig, SIGNATURE_LENGTH, 'updateState sig'));
  },
  read(r) {
    const channelId = r.bytes(CHANNEL_ID_LENGTH, 'channelId');
    const seq = r.u64('seq');
    const ops = readOps(r);
    if (!ops.ok) return ops;
    return ok({ kind: 'updateState', channelId, seq, ops: ops.value, sig: r.bytes(SIGNATURE_LENGTH, 'sig') });
  },
});

/** ackState and commitState share one shape: 32 channelId, u64 seq, 64 sig, tlvs. */
function seqSigCodec<M extends AckStateMessage | CommitStateMessage>(type: number, kind: M['kind']): MessageCodec<M> {
  return tlvTailedCodec<M>({
    type,
    kind,
    write(w, m) {
      w.bytes(fixed(m.channelId, CHANNEL_ID_LENGTH, `${kind} channelId`))
        .u64(m.seq)
        .bytes(fixed(m.sig, SIGNATURE_LENGTH, `${kind} sig`));
    },
    read(r) {
      const channelId = r.bytes(CHANNEL_ID_LENGTH, 'channelId');
      const seq = r.u64('seq');
      return ok({ kind, channelId, seq, sig: r.bytes(SIGNATURE_LENGTH, 'sig') } as M);
    },
  });
}

/** 32774 ackState: 32 channelId, u64 seq, 64 sig, tlvs */
export const ackStateCodec: MessageCodec<AckStateMessage> = seqSigCodec<AckStateMessage>(ACK_STATE_TYPE, 'ackState');

/** 32776 reestablish: 32 channelId, u64 signedSeq, tlvs */
export const reestablishCodec: MessageCodec<ReestablishMessage> = tlvTailedCodec<ReestablishMessage>({
  type: REESTABLISH_TYPE,
  kind: 'reestablish',
  write(w, m) {
    w.bytes(fixed(m.channelId, CHANNEL_ID_LENGTH, 'reestablish channelId')).u64(m.signedSeq);
  },
  read(r) {
    const channelId = r.bytes(CHANNEL_ID_LENGTH, 'channelId');
    return ok({ kind: 'reestablish', channelId, signedSeq: r.u64('signedSeq') });
  },
});

/** 32778 commitState: 32 channelId, u64 seq, 64 sig, tlvs */
export const commitStateCodec: MessageCodec<CommitStateMessage> = seqSigCodec<CommitStateMessage>(COMMIT_STATE_TYPE, 'commitState');

export const CHANNEL_CODECS = [openChannelCodec, acceptChannelCodec, updateStateCodec, ackStateCodec, reestablishCodec, commitStateCodec] as const;
