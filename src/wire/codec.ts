// What a message family provides so that message.ts can frame it: its wire type, its `kind`
// tag, and a payload encoder/decoder. A family module exports its codecs as a tuple, and one line
// in message.ts's MESSAGE_CODECS table makes them known (see that file).

import { ByteReader, ShortReadError } from '../crypto/bytes.js';
import { fail, type WireResult } from './result.js';

/** BOLT 1 / BOLT 8: the length of a message (type + payload) must fit a u16. */
export const MAX_MESSAGE_SIZE = 65535;

/** BOLT 1: types 32768..65535 are for custom messages; sluice's channel messages live there. */
export const EXPERIMENTAL_TYPE_START = 32768;

export interface MessageCodec<M extends { readonly kind: string }> {
  /** the u16 wire type; odd means peers that don't know it may ignore it */
  readonly type: number;
  readonly kind: M['kind'];
  /**
   * The payload (everything after the 2-byte type). May throw InputError on a malformed
   * message object (a caller bug); never produces bytes a peer must reject.
   */
  encodePayload(msg: M): Uint8Array;
  /**
   * Read the payload. Never throws. Bytes after the defined fields are allowed (BOLT 1
   * extension rule) and are ignored unless the message defines a TLV extension.
   */
  decodePayload(payload: Uint8Array): WireResult<M>;
}

/**
 * Run a field reader over untrusted bytes, turning a short read into a 'truncated' result, so
 * each codec can read fields in order with ByteReader without try/catch of its own.
 */
export function readFields<T>(payload: Uint8Array, what: string, read: (r: ByteReader) => WireResult<T>): WireResult<T> {
  try {
    return read(new ByteReader(payload));
  } catch (e) {
    if (e instanceof ShortReadError) return fail('truncated', `${what}: ${e.message}`);
    throw e; // a bug in the codec itself, not bad bytes
  }
}
