// The data each BOLT 4 failure code carries, as one layout table: building a failure and reading one
// walk the same list of fields, so the two cannot disagree. Bytes after the listed fields are the
// message's TLV extension and are ignored when reading.

import { ByteReader, ByteWriter, InputError, ShortReadError } from '../crypto/bytes.js';
import { assertNever } from '../wire/assert-never.js';
import { fail, ok, type WireResult } from '../wire/result.js';
import {
  AMOUNT_BELOW_MINIMUM, CHANNEL_DISABLED, EXPIRY_TOO_SOON, FEE_INSUFFICIENT, FINAL_INCORRECT_CLTV_EXPIRY,
  FINAL_INCORRECT_HTLC_AMOUNT, INCORRECT_CLTV_EXPIRY, INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, INVALID_ONION_BLINDING,
  INVALID_ONION_HMAC, INVALID_ONION_KEY, INVALID_ONION_PAYLOAD, INVALID_ONION_VERSION, TEMPORARY_CHANNEL_FAILURE,
} from './failure-codes.js';
import type { FailureMessage } from './failure.js';
import { invalidOnionPayloadData, readInvalidOnionPayloadData } from './payload.js';

export interface FailureDetails {
  sha256OfOnion?: Uint8Array;
  htlcMsat?: bigint;
  cltvExpiry?: number;
  height?: number;
  disabledFlags?: number;
  /** the enclosed channel_update message (with its 0x0102 type), possibly empty */
  channelUpdate?: Uint8Array;
  tlvType?: bigint;
  offset?: number;
}

type Field = 'sha256OfOnion' | 'htlcMsat' | 'cltvExpiry' | 'height' | 'disabledFlags' | 'channelUpdate';

const LAYOUT: ReadonlyMap<number, readonly Field[]> = new Map<number, readonly Field[]>([
  [INVALID_ONION_VERSION, ['sha256OfOnion']],
  [INVALID_ONION_HMAC, ['sha256OfOnion']],
  [INVALID_ONION_KEY, ['sha256OfOnion']],
  [INVALID_ONION_BLINDING, ['sha256OfOnion']],
  [TEMPORARY_CHANNEL_FAILURE, ['channelUpdate']],
  [AMOUNT_BELOW_MINIMUM, ['htlcMsat', 'channelUpdate']],
  [FEE_INSUFFICIENT, ['htlcMsat', 'channelUpdate']],
  [INCORRECT_CLTV_EXPIRY, ['cltvExpiry', 'channelUpdate']],
  [EXPIRY_TOO_SOON, ['channelUpdate']],
  [INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, ['htlcMsat', 'height']],
  [FINAL_INCORRECT_CLTV_EXPIRY, ['cltvExpiry']],
  [FINAL_INCORRECT_HTLC_AMOUNT, ['htlcMsat']],
  [CHANNEL_DISABLED, ['disabledFlags', 'channelUpdate']],
]);

function need<T>(value: T | undefined, code: number, field: string): T {
  if (value === undefined) throw new InputError(`failure 0x${code.toString(16)} needs ${field}`);
  return value;
}

/** A failure message with its code's data. Throws InputError when a field the code needs is missing. */
export function buildFailure(code: number, details: FailureDetails = {}): FailureMessage {
  if (code === INVALID_ONION_PAYLOAD) {
    return { code, data: invalidOnionPayloadData({ tlvType: details.tlvType ?? 0n, offset: details.offset ?? 0 }) };
  }
  const w = new ByteWriter(64);
  for (const field of LAYOUT.get(code) ?? []) {
    switch (field) {
      case 'sha256OfOnion': {
        const h = need(details.sha256OfOnion, code, field);
        if (h.length !== 32) throw new InputError('sha256_of_onion must be 32 bytes');
        w.bytes(h);
        break;
      }
      case 'htlcMsat': w.u64(need(details.htlcMsat, code, field)); break;
      case 'cltvExpiry': w.u32(need(details.cltvExpiry, code, field)); break;
      case 'height': w.u32(need(details.height, code, field)); break;
      case 'disabledFlags': w.u16(details.disabledFlags ?? 0); break;
      case 'channelUpdate': w.varBytes(details.channelUpdate ?? new Uint8Array(0)); break;
      default: assertNever(field, 'failure field');
    }
  }
  return { code, data: w.finish() };
}

/** Read the data of a failure the payer unwrapped; a code it does not know has no details. */
export function readFailure(message: FailureMessage): WireResult<FailureDetails> {
  if (message.code === INVALID_ONION_PAYLOAD) {
    const d = readInvalidOnionPayloadData(message.data);
    return d.ok ? ok({ tlvType: d.value.tlvType, offset: d.value.offset }) : d;
  }
  const r = new ByteReader(message.data);
  const out: FailureDetails = {};
  try {
    for (const field of LAYOUT.get(message.code) ?? []) {
      switch (field) {
        case 'sha256OfOnion': out.sha256OfOnion = r.bytes(32, field); break;
        case 'htlcMsat': out.htlcMsat = r.u64(field); break;
        case 'cltvExpiry': out.cltvExpiry = r.u32(field); break;
        case 'height': out.height = r.u32(field); break;
        case 'disabledFlags': out.disabledFlags = r.u16(field); break;
        case 'channelUpdate': out.channelUpdate = r.varBytes(field); break;
        default: assertNever(field, 'failure field');
      }
    }
  } catch (e) {
    if (e instanceof ShortReadError) return fail('truncated', `failure 0x${message.code.toString(16)}: ${e.message}`);
    throw e;
  }
  return ok(out);
}
