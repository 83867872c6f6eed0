// The per-hop payload (BOLT 4 `payload` tlv_stream) and the rules a hop applies to it before any
// forwarding check: a TLV stream with no unknown even type, amount and expiry present, a
// short_channel_id for an intermediate hop and none for the final one, payment_data only at the end.
// Any breach is invalid_onion_payload (PERM|22), with the offending type and its byte offset.

import { ByteReader, ByteWriter, concatBytes } from '../crypto/bytes.js';
import { decodeBigSize, encodeBigSize } from '../wire/bigsize.js';
import { fail, ok, type WireResult } from '../wire/result.js';
import { decodeTlvFields, encodeTlvFields, type TlvField, type TlvRecord, type TlvSchema } from '../wire/tlv.js';
import { decodeTruncated, encodeTruncated } from '../wire/truncated-int.js';
import { INVALID_ONION_PAYLOAD } from './failure-codes.js';
import type { ValueResult } from '../util/result.js';

/** bLIP-3 / LND keysend: the payer puts the preimage in the final hop's payload. */
export const KEYSEND_TLV_TYPE = 5482373484n;

export interface PaymentData {
  readonly paymentSecret: Uint8Array;
  readonly totalMsat: bigint;
}

export interface HopPayloadFields {
  /** type 2, tu64: the amount the next HTLC carries (or the payee receives) */
  amountToForwardMsat: bigint;
  /** type 4, tu32: the expiry height of the next HTLC (or the payee's expected expiry) */
  outgoingCltvValue: bigint;
  /** type 6: 8 bytes, intermediate hops only */
  shortChannelId?: Uint8Array;
  /** type 8: final hop only */
  paymentData?: PaymentData;
  /** type 16: opaque bytes from the invoice, final hop only */
  paymentMetadata?: Uint8Array;
  /** type 5482373484: the preimage of a spontaneous payment */
  keysendPreimage?: Uint8Array;
}

export interface HopPayload extends HopPayloadFields {
  /** unknown odd records (custom records, types >= 65536 by convention), passed to the application */
  readonly customRecords: readonly TlvRecord[];
}

function tu(width: 4 | 8, type: bigint): TlvField<bigint> {
  return { type, encode: (v) => encodeTruncated(v, width), decode: (v) => decodeTruncated(v, width) };
}

function fixedBytes(type: bigint, length: number): TlvField<Uint8Array> {
  return {
    type,
    encode: (v) => v,
    decode: (v) => (v.length === length ? ok(v) : fail('bad_field', `expected ${length} bytes, got ${v.length}`)),
  };
}

const PAYMENT_DATA: TlvField<PaymentData> = {
  type: 8n,
  encode: (v) => concatBytes(v.paymentSecret, encodeTruncated(v.totalMsat, 8)),
  decode: (v) => {
    if (v.length < 32) return fail('bad_field', `payment_data is ${v.length} bytes, needs a 32-byte secret`);
    const total = decodeTruncated(v.subarray(32), 8);
    return total.ok ? ok({ paymentSecret: v.slice(0, 32), totalMsat: total.value }) : total;
  },
};

const SCHEMA: TlvSchema<HopPayloadFields> = {
  amountToForwardMsat: tu(8, 2n),
  outgoingCltvValue: tu(4, 4n),
  shortChannelId: fixedBytes(6n, 8),
  paymentData: PAYMENT_DATA,
  paymentMetadata: { type: 16n, encode: (v) => v, decode: (v) => ok(v) },
  keysendPreimage: fixedBytes(KEYSEND_TLV_TYPE, 32),
};

/** The TLV stream for one hop (custom records must be odd and not reuse a known type). */
export function encodeHopPayload(payload: HopPayloadFields & { customRecords?: readonly TlvRecord[] }): Uint8Array {
  return encodeTlvFields(SCHEMA, payload, payload.customRecords ?? []);
}

export interface InvalidOnionPayload {
  readonly code: typeof INVALID_ONION_PAYLOAD;
  /** the record at fault; 0 when the stream itself is unreadable */
  readonly tlvType: bigint;
  /** its byte offset in the payload */
  readonly offset: number;
  readonly message: string;
}

export type HopPayloadResult = ValueResult<HopPayload, InvalidOnionPayload>;

/** The failure data of invalid_onion_payload: bigsize type || u16 offset. */
export function invalidOnionPayloadData(e: Pick<InvalidOnionPayload, 'tlvType' | 'offset'>): Uint8Array {
  return concatBytes(encodeBigSize(e.tlvType), new ByteWriter(2).u16(Math.min(e.offset, 0xffff)).finish());
}

/** Read the (bigsize type, u16 offset) data of an invalid_onion_payload failure. */
export function readInvalidOnionPayloadData(data: Uint8Array): WireResult<{ tlvType: bigint; offset: number }> {
  const type = decodeBigSize(data, 0);
  if (!type.ok) return type;
  if (data.length !== type.value.length + 2) return fail('bad_field', 'invalid_onion_payload data is not type || u16 offset');
  return ok({ tlvType: type.value.value, offset: new ByteReader(data.subarray(type.value.length)).u16() });
}

/** Byte offset of each record's start, by type (the stream already decoded, so it is well formed). */
function recordOffsets(records: readonly TlvRecord[]): Map<bigint, number> {
  const offsets = new Map<bigint, number>();
  let at = 0;
  for (const r of records) {
    offsets.set(r.type, at);
    at += encodeBigSize(r.type).length + encodeBigSize(BigInt(r.value.length)).length + r.value.length;
  }
  return offsets;
}

/**
 * Decode and check a hop payload. `isFinal` comes from the peel (an all-zero next HMAC): the rules
 * for the recipient and for a forwarder differ.
 */
export function decodeHopPayload(bytes: Uint8Array, isFinal: boolean): HopPayloadResult {
  const refuse = (tlvType: bigint, offset: number, message: string): HopPayloadResult => ({
    ok: false,
    error: { code: INVALID_ONION_PAYLOAD, tlvType, offset, message },
  });
  const decoded = decodeTlvFields(SCHEMA, bytes);
  if (!decoded.ok) return refuse(0n, 0, decoded.error.message);
  const { fields, unknown } = decoded.value;
  // Re-derive offsets from the known records plus the unknown ones, in type order.
  const all: TlvRecord[] = [];
  for (const key of Object.keys(SCHEMA) as (keyof HopPayloadFields)[]) {
    const value = fields[key];
    if (value !== undefined) all.push({ type: SCHEMA[key].type, value: (SCHEMA[key] as TlvField<unknown>).encode(value) });
  }
  all.push(...unknown);
  all.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  const at = recordOffsets(all);
  const offsetOf = (type: bigint) => at.get(type) ?? 0;

  if (fields.amountToForwardMsat === undefined) return refuse(2n, 0, 'amt_to_forward is missing');
  if (fields.outgoingCltvValue === undefined) return refuse(4n, 0, 'outgoing_cltv_value is missing');
  if (isFinal) {
    if (fields.shortChannelId !== undefined) return refuse(6n, offsetOf(6n), 'the final hop must not get a short_channel_id');
  } else {
    if (fields.shortChannelId === undefined) return refuse(6n, 0, 'short_channel_id is missing');
    if (fields.paymentData !== undefined) return refuse(8n, offsetOf(8n), 'an intermediate hop must not get payment_data');
    if (fields.paymentMetadata !== undefined) return refuse(16n, offsetOf(16n), 'an intermediate hop must not get payment_metadata');
    if (fields.keysendPreimage !== undefined) return refuse(KEYSEND_TLV_TYPE, offsetOf(KEYSEND_TLV_TYPE), 'an intermediate hop must not get a keysend preimage');
  }
  return {
    ok: true,
    value: {
      ...fields,
      amountToForwardMsat: fields.amountToForwardMsat,
      outgoingCltvValue: fields.outgoingCltvValue,
      customRecords: unknown,
    },
  };
}
