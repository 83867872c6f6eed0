// Decoding results. A decoder reads bytes from a peer, so bad bytes are an expected outcome,
// never an exception: every decoder returns a WireResult and the caller decides what to do.
//
// For a message from a peer, BOLT 1 is blunt: a known message that does not parse (too short,
// bad TLV extension, bad field) means "close the connection". The kinds below say *why*, for
// logs and tests; none of them means "ignore" (an unknown odd message is not an error, see
// message.ts).
import type { ValueResult } from '../util/result.js';

export type WireErrorKind =
  /** fewer bytes than the fields need (including a TLV length past the end) */
  | 'truncated'
  /** a frame over MAX_MESSAGE_SIZE, which no transport can carry */
  | 'too_long'
  /** a bigsize or truncated integer that could have used fewer bytes (two encodings of one value) */
  | 'non_minimal'
  /** TLV types not strictly increasing (out of order or duplicated) */
  | 'tlv_order'
  /** an even TLV type we do not understand: "it's OK to be odd", not even */
  | 'tlv_unknown_even'
  /** a field whose bytes are present but whose value is invalid (wrong length, bad point, …) */
  | 'bad_field';

export interface WireError {
  readonly kind: WireErrorKind;
  readonly message: string;
  /** the message type whose payload failed, when the error comes from decodeMessage */
  readonly messageType?: number;
}

export type WireFailure = { readonly ok: false; readonly error: WireError };
export type WireResult<T> = ValueResult<T, WireError>;

export function ok<T>(value: T): WireResult<T> {
  return { ok: true, value };
}

export function fail(kind: WireErrorKind, message: string): WireFailure {
  return { ok: false, error: { kind, message } };
}
