// Framing for the gossip family until it joins message.ts's MESSAGE_CODECS (see GOSSIP_CODECS): the
// same 2-byte type + payload and the same size limit as encodeMessage / decodeMessage. Kept apart from
// gossip.ts so that message.ts can import gossip.ts later without an import cycle.
import { InputError } from '../crypto/bytes.js';
import { MAX_MESSAGE_SIZE, type MessageCodec } from './codec.js';
import { GOSSIP_CODECS, type GossipMessage } from './gossip.js';
import { buildCodecTable } from './message.js';
import { fail, type WireResult } from './result.js';

const TABLE = buildCodecTable<MessageCodec<GossipMessage>>(GOSSIP_CODECS);

/** Frame a gossip message. Throws InputError for a malformed object or a frame over 65535 bytes. */
export function encodeGossipMessage(m: GossipMessage): Uint8Array {
  const codec = TABLE.byKind.get(m.kind);
  if (!codec) throw new InputError(`no gossip codec for '${String(m.kind)}'`);
  const payload = codec.encodePayload(m);
  if (2 + payload.length > MAX_MESSAGE_SIZE) throw new InputError(`${m.kind}: ${2 + payload.length} bytes is over the ${MAX_MESSAGE_SIZE}-byte message limit`);
  const out = new Uint8Array(2 + payload.length);
  out[0] = codec.type >>> 8;
  out[1] = codec.type & 0xff;
  out.set(payload, 2);
  return out;
}

/** Decode one framed gossip message. Never throws. */
export function decodeGossipMessage(bytes: Uint8Array): WireResult<GossipMessage> {
  if (bytes.length > MAX_MESSAGE_SIZE) return fail('too_long', `message of ${bytes.length} bytes is over the ${MAX_MESSAGE_SIZE}-byte limit`);
  if (bytes.length < 2) return fail('truncated', `message of ${bytes.length} bytes has no 2-byte type`);
  const type = (bytes[0]! << 8) | bytes[1]!;
  const codec = TABLE.byType.get(type);
  if (!codec) return fail('bad_field', `type ${type} is not a gossip message`);
  return codec.decodePayload(bytes.subarray(2));
}
