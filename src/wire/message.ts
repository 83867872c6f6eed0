// Message framing (BOLT 1): a message is a 2-byte big-endian type followed by its payload, at
// most MAX_MESSAGE_SIZE bytes in all (the transport carries it in one frame).
//
// Decoding a frame gives one of three things:
//   - a known message (its codec is in MESSAGE_CODECS);
//   - { kind: 'unknown', type, odd }: the caller ignores it when odd and closes the connection
//     when even ("it's OK to be odd");
//   - a WireError: a known message that does not parse, or a frame that is too short or too
//     long. BOLT 1 says close the connection.
//
// ADDING A MESSAGE FAMILY (e.g. channel messages at type >= EXPERIMENTAL_TYPE_START): write a
// module beside this one that exports `MessageCodec`s as a tuple (see ping.ts), then add that
// tuple to MESSAGE_CODECS below. The `Message` union is derived from the table, so every
// exhaustive switch over `msg.kind` in the repo then points at what still needs handling.

import { InputError } from '../crypto/bytes.js';
import { CHANNEL_CODECS } from './channel.js';
import { MAX_MESSAGE_SIZE, type MessageCodec } from './codec.js';
import { ERROR_CODECS } from './error.js';
import { GOSSIP_CODECS } from './gossip.js';
import { INIT_CODECS } from './init.js';
import { PING_CODECS } from './ping.js';
import { STREAM_CODECS } from './stream.js';
import { fail, ok, type WireResult } from './result.js';

export { EXPERIMENTAL_TYPE_START, MAX_MESSAGE_SIZE } from './codec.js';

/** Every message sluice understands. One entry per message family. */
export const MESSAGE_CODECS = [...INIT_CODECS, ...ERROR_CODECS, ...PING_CODECS, ...CHANNEL_CODECS, ...STREAM_CODECS, ...GOSSIP_CODECS] as const;

type MessageOf<C> = C extends MessageCodec<infer M> ? M : never;

/** A known message, discriminated by `kind`. */
export type Message = MessageOf<(typeof MESSAGE_CODECS)[number]>;
export type MessageKind = Message['kind'];

/** A frame whose type no codec claims. The payload is kept for logs; nothing else reads it. */
export interface UnknownMessage {
  readonly kind: 'unknown';
  readonly type: number;
  /** odd: ignore it; even: close the connection */
  readonly odd: boolean;
  readonly payload: Uint8Array;
}

export type DecodedMessage = Message | UnknownMessage;

type AnyCodec = MessageCodec<{ readonly kind: string }>;

export interface CodecTable<C extends AnyCodec> {
  readonly byType: ReadonlyMap<number, C>;
  readonly byKind: ReadonlyMap<string, C>;
}

/** Index codecs by type and kind; a clash is a programming error caught when the module loads. */
export function buildCodecTable<C extends AnyCodec>(codecs: readonly C[]): CodecTable<C> {
  const byType = new Map<number, C>();
  const byKind = new Map<string, C>();
  for (const codec of codecs) {
    if (!Number.isInteger(codec.type) || codec.type < 0 || codec.type > 0xffff) {
      throw new InputError(`message codec ${codec.kind}: type ${codec.type} is not a u16`);
    }
    if (byType.has(codec.type)) throw new InputError(`message type ${codec.type} registered twice`);
    if (byKind.has(codec.kind) || codec.kind === 'unknown') {
      throw new InputError(`message kind '${codec.kind}' registered twice or reserved`);
    }
    byType.set(codec.type, codec);
    byKind.set(codec.kind, codec);
  }
  return { byType, byKind };
}

// Method parameters are bivariant, so each MessageCodec<X> is usable as MessageCodec<Message>;
// the table guarantees a codec is only ever handed a message of its own kind.
const TABLE: CodecTable<MessageCodec<Message>> = buildCodecTable<MessageCodec<Message>>(MESSAGE_CODECS);

/** The wire type of a known message kind. */
export function messageType(kind: MessageKind): number {
  return TABLE.byKind.get(kind)!.type;
}

/**
 * Frame a known message. Throws InputError when the message object is malformed or the frame
 * would exceed MAX_MESSAGE_SIZE: both are the caller's bug, and sending it would get us
 * disconnected.
 */
export function encodeMessage(msg: Message): Uint8Array {
  const codec = TABLE.byKind.get(msg.kind);
  if (codec === undefined) throw new InputError(`no codec for message kind '${String(msg.kind)}'`);
  const payload = codec.encodePayload(msg);
  if (2 + payload.length > MAX_MESSAGE_SIZE) {
    throw new InputError(`${msg.kind}: ${2 + payload.length} bytes is over the ${MAX_MESSAGE_SIZE}-byte message limit`);
  }
  const out = new Uint8Array(2 + payload.length);
  out[0] = codec.type >>> 8;
  out[1] = codec.type & 0xff;
  out.set(payload, 2);
  return out;
}

/** Decode one frame (type + payload). Never throws. */
export function decodeMessage(bytes: Uint8Array): WireResult<DecodedMessage> {
  if (bytes.length > MAX_MESSAGE_SIZE) {
    return fail('too_long', `message of ${bytes.length} bytes is over the ${MAX_MESSAGE_SIZE}-byte limit`);
  }
  if (bytes.length < 2) return fail('truncated', `message of ${bytes.length} bytes has no 2-byte type`);
  const type = (bytes[0]! << 8) | bytes[1]!;
  const payload = bytes.subarray(2);
  const codec = TABLE.byType.get(type);
  if (codec === undefined) return ok({ kind: 'unknown', type, odd: type % 2 === 1, payload: payload.slice() });
  const decoded = codec.decodePayload(payload);
  if (!decoded.ok) return { ok: false, error: { ...decoded.error, messageType: type } };
  return decoded;
}
