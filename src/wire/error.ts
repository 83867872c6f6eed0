// `error` (type 17) and `warning` (type 1), BOLT 1. Same shape:
//
//   channel_id  32 bytes   all zero = about every channel with this peer (or none in particular)
//   u16 len, len bytes data  free text, often ASCII, possibly empty
//
// An error fails the channel(s) it names; a warning is only logged. What to do is the node's
// business; this module only moves the bytes.

import { assertBytes, ByteWriter, toHex } from '../crypto/bytes.js';
import { readFields, type MessageCodec } from './codec.js';
import { ok } from './result.js';

export const ERROR_TYPE = 17;
export const WARNING_TYPE = 1;
export const CHANNEL_ID_LENGTH = 32;

/** channel_id meaning "all channels" (error) / "not about a channel" (warning). */
export const ALL_CHANNELS: Uint8Array = new Uint8Array(CHANNEL_ID_LENGTH);

export interface ErrorMessage {
  readonly kind: 'error';
  readonly channelId: Uint8Array;
  readonly data: Uint8Array;
}

export interface WarningMessage {
  readonly kind: 'warning';
  readonly channelId: Uint8Array;
  readonly data: Uint8Array;
}

function encodeShape(what: string, msg: { channelId: Uint8Array; data: Uint8Array }): Uint8Array {
  assertBytes(msg.channelId, `${what} channel_id`, CHANNEL_ID_LENGTH);
  assertBytes(msg.data, `${what} data`);
  return new ByteWriter().bytes(msg.channelId).varBytes(msg.data).finish();
}

export const errorCodec: MessageCodec<ErrorMessage> = {
  type: ERROR_TYPE,
  kind: 'error',
  encodePayload: (msg) => encodeShape('error', msg),
  decodePayload: (payload) =>
    readFields(payload, 'error', (r) =>
      ok<ErrorMessage>({ kind: 'error', channelId: r.bytes(CHANNEL_ID_LENGTH, 'channel_id'), data: r.varBytes('data') }),
    ),
};

export const warningCodec: MessageCodec<WarningMessage> = {
  type: WARNING_TYPE,
  kind: 'warning',
  encodePayload: (msg) => encodeShape('warning', msg),
  decodePayload: (payload) =>
    readFields(payload, 'warning', (r) =>
      ok<WarningMessage>({ kind: 'warning', channelId: r.bytes(CHANNEL_ID_LENGTH, 'channel_id'), data: r.varBytes('data') }),
    ),
};

/**
 * Text safe to log for `data`: the text itself when it is printable ASCII (bytes 32..126), else
 * hex — BOLT 1 says not to print other data verbatim (it could carry terminal escapes).
 */
export function describeErrorData(data: Uint8Array): string {
  for (const b of data) if (b < 32 || b > 126) return `0x${toHex(data)}`;
  return new TextDecoder().decode(data); // all ASCII here, so UTF-8 decoding is exact
}

export const ERROR_CODECS = [errorCodec, warningCodec] as const;
