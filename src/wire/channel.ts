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
import { amount, MAX_OP_SIZE, readOp, writeOp, type ChannelOp } from './channel-ops.js';
import { fail, ok, type WireResult } from './result.js';
import { fixed, tlvTailedCodec } from './tlv-tailed.js';

export {
  CHANNEL_OP_SIZES,
  CHANNEL_OP_TAGS,
  MAX_OP_SIZE,
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
 * The most ops one update may carry: as many of the largest op as fit one MAX_MESSAGE_SIZE frame
 * ((65535 - 108) / 49 = 1335). It is a count limit whatever the ops: encoding refuses more, and
 * decoding fails a count above it, so the channel layer can batch by count alone.
 */
export const MAX_OPS_PER_UPDATE: number = Math.floor((MAX_MESSAGE_SIZE - UPDATE_STATE_FIXED_SIZE) / MAX_OP_SIZE);

function writeOps(w: ByteWriter, ops: readonly ChannelOp[]): void {
  if (!Array.isArray(ops)) throw new InputError('ops: expected an array');
  if (ops.length > MAX_OPS_PER_UPDATE) {
    throw new InputError(`ops: ${ops.length} ops is more than the ${MAX_OPS_PER_UPDATE} one update may carry`);
  }
  w.u16(ops.length);
  ops.forEach((op, i) => writeOp(w, op, `ops[${i}]`));
}

function readOps(r: ByteReader): WireResult<ChannelOp[]> {
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
  const w = new ByteWriter(U16 + ops.length * MAX_OP_SIZE);
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
