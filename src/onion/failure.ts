// BOLT 4 "Returning Errors": the erring hop authenticates a failure message under its `um` key and
// encrypts it under `ammag`; every hop on the way back encrypts it again under its own `ammag`; the
// payer strips one layer per hop, in route order, and the hop whose HMAC matches is the one that
// failed. Packet (before encryption):
//
//   hmac (32) || u16 failure_len || failuremsg || u16 pad_len || pad
//
// with failure_len + pad_len = 256 so that every failure looks the same size (292 bytes).

import { ByteReader, ByteWriter, concatBytes, equalBytes, InputError } from '../crypto/bytes.js';
import { hmacSha256 } from '../crypto/hash.js';
import { failureCodeName } from './failure-codes.js';
import { keystream, onionKey, xorInto } from './primitives.js';

/** failure_len + pad_len, as the spec says an erring node SHOULD make it. */
export const FAILURE_PADDED_LENGTH = 256;
/** A failure message longer than this is not padded, and is refused when built (a channel_update fits). */
export const MAX_FAILURE_MESSAGE = 1024;
/**
 * How many layers the payer strips whatever the route length, so that the time it takes does not
 * reveal where the failure happened (the spec asks for a constant loop; 27 is the longest route
 * multihop.md plans for).
 */
export const ERROR_DECRYPT_ROUNDS = 27;

export interface FailureMessage {
  /** a BOLT 4 failure code (failure-codes.ts) */
  readonly code: number;
  /** the code's data fields and any TLV extension, as bytes */
  readonly data: Uint8Array;
}

export function encodeFailureMessage(m: FailureMessage): Uint8Array {
  return new ByteWriter(2 + m.data.length).u16(m.code).bytes(m.data).finish();
}

/** Build the packet at the failing hop, under the secret it shares with the payer. */
export function createErrorPacket(opts: { sharedSecret: Uint8Array; failure: FailureMessage }): Uint8Array {
  const message = encodeFailureMessage(opts.failure);
  if (message.length > MAX_FAILURE_MESSAGE) throw new InputError(`failure message of ${message.length} bytes is too long`);
  const padLength = Math.max(0, FAILURE_PADDED_LENGTH - message.length);
  const body = new ByteWriter(4 + message.length + padLength).varBytes(message).varBytes(new Uint8Array(padLength)).finish();
  const hmac = hmacSha256(onionKey('um', opts.sharedSecret), body);
  return wrapErrorPacket({ sharedSecret: opts.sharedSecret, packet: concatBytes(hmac, body) });
}

/** Add this hop's layer to a packet coming back from downstream (the same XOR undoes it). */
export function wrapErrorPacket(opts: { sharedSecret: Uint8Array; packet: Uint8Array }): Uint8Array {
  const out = opts.packet.slice();
  xorInto(out, keystream(onionKey('ammag', opts.sharedSecret), out.length));
  return out;
}

export type UnwrapErrorResult =
  | { readonly ok: true; readonly hopIndex: number; readonly failure: FailureMessage; readonly codeName: string }
  /** no hop's HMAC matched (a hop garbled it) or the matching body is malformed: the payer cannot attribute it */
  | { readonly ok: false; readonly reason: 'unattributable' | 'malformed'; readonly message: string; readonly hopIndex?: number };

const DUMMY_SECRET = new Uint8Array(32);

/**
 * At the payer: find which hop (index in the route) built `packet` and read its failure message.
 * `sharedSecrets` are the route's, first hop first (as buildOnion returned them).
 */
export function unwrapErrorPacket(opts: { sharedSecrets: readonly Uint8Array[]; packet: Uint8Array }): UnwrapErrorResult {
  const { sharedSecrets } = opts;
  if (opts.packet.length < 32 + 4 || opts.packet.length > 32 + 4 + MAX_FAILURE_MESSAGE + FAILURE_PADDED_LENGTH) {
    return { ok: false, reason: 'malformed', message: `error packet of ${opts.packet.length} bytes` };
  }
  let packet = opts.packet;
  let found: { hopIndex: number; body: Uint8Array } | undefined;
  for (let round = 0; round < Math.max(ERROR_DECRYPT_ROUNDS, sharedSecrets.length); round++) {
    // Past the route (or after the match) keep working on a dummy key so the loop time is constant.
    const secret = round < sharedSecrets.length && found === undefined ? sharedSecrets[round]! : DUMMY_SECRET;
    packet = wrapErrorPacket({ sharedSecret: secret, packet });
    const body = packet.subarray(32);
    const matches = equalBytes(hmacSha256(onionKey('um', secret), body), packet.subarray(0, 32));
    if (matches && found === undefined && secret !== DUMMY_SECRET) found = { hopIndex: round, body: body.slice() };
  }
  if (found === undefined) return { ok: false, reason: 'unattributable', message: 'no hop on the route authenticated the error' };
  const r = new ByteReader(found.body);
  try {
    const message = r.varBytes('failure message');
    r.varBytes('pad');
    if (message.length < 2) return { ok: false, reason: 'malformed', message: 'failure message has no code', hopIndex: found.hopIndex };
    const code = (message[0]! << 8) | message[1]!;
    return { ok: true, hopIndex: found.hopIndex, failure: { code, data: message.slice(2) }, codeName: failureCodeName(code) };
  } catch {
    return { ok: false, reason: 'malformed', message: `hop ${found.hopIndex} sent a truncated failure body`, hopIndex: found.hopIndex };
  }
}
