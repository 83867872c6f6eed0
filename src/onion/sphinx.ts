// BOLT 4 onion packets (Sphinx): the payer builds one fixed-size packet for a route, each hop peels
// one layer and learns only its own payload and whether to forward. Layout, 1366 bytes:
//
//   version (1, = 0) || ephemeral public key (33) || hop_payloads (1300) || hmac (32)
//
// Each hop's share of hop_payloads is `bigsize len || payload || hmac for the next hop`; an all-zero
// next hmac marks the final hop. The packet size never changes, so a hop cannot tell its position.
// Peeling never throws on bad bytes: it answers the BOLT 4 failure code the previous hop must
// report (BADONION codes) or, once the layer is authentic, invalid_onion_payload.

import { concatBytes, equalBytes, InputError } from '../crypto/bytes.js';
import { hmacSha256, sha256 } from '../crypto/hash.js';
import { isValidPublicKey } from '../crypto/keys.js';
import { decodeBigSize, encodeBigSize } from '../wire/bigsize.js';
import {
  INVALID_ONION_HMAC,
  INVALID_ONION_KEY,
  INVALID_ONION_PAYLOAD,
  INVALID_ONION_VERSION,
  type BadOnionCode,
} from './failure-codes.js';
import type { KeyTables } from './key-tables.js';
import { blindingFactor, blindPublicKey, keystream, onionEcdh, onionKey, routeSecrets, xorInto } from './primitives.js';
import type { ValueResult } from '../util/result.js';

export const ONION_VERSION = 0;
export const HOP_PAYLOADS_SIZE = 1300;
export const HMAC_SIZE = 32;
export const ONION_PACKET_SIZE = 1 + 33 + HOP_PAYLOADS_SIZE + HMAC_SIZE;

export interface OnionHop {
  /** the hop's node id (33-byte compressed key) */
  readonly publicKey: Uint8Array;
  /** its TLV hop payload, without the bigsize length (payload.ts encodes it) */
  readonly payload: Uint8Array;
}

export interface BuildOnionOptions {
  readonly hops: readonly OnionHop[];
  /** 32 random bytes from the caller: the first ephemeral key (and the padding seed) */
  readonly sessionKey: Uint8Array;
  /** committed to by every hop's HMAC; the payment hash for HTLCs */
  readonly associatedData: Uint8Array;
  /** Tables for hop keys met again (a payer paying through the same hub each batch): faster, the same onion. */
  readonly keyTables?: KeyTables;
}

export interface BuiltOnion {
  readonly packet: Uint8Array;
  /** per hop, in route order: what the payer needs to read an error packet later */
  readonly sharedSecrets: Uint8Array[];
}

/** Bytes a hop's share takes in hop_payloads: length prefix, payload, next hmac. */
function shiftSize(payload: Uint8Array): number {
  return encodeBigSize(BigInt(payload.length)).length + payload.length + HMAC_SIZE;
}

/**
 * Build the onion for `hops` (first hop first). Throws InputError for a caller mistake: no hops, bad
 * keys, or payloads that do not fit in 1300 bytes.
 */
export function buildOnion(opts: BuildOnionOptions): BuiltOnion {
  const { hops, sessionKey, associatedData } = opts;
  if (hops.length === 0) throw new InputError('onion: a route needs at least one hop');
  const shifts = hops.map((h) => shiftSize(h.payload));
  const total = shifts.reduce((a, b) => a + b, 0);
  if (total > HOP_PAYLOADS_SIZE) {
    throw new InputError(`onion: hop payloads need ${total} bytes, at most ${HOP_PAYLOADS_SIZE} fit`);
  }
  const keyTables = opts.keyTables;
  const secrets = routeSecrets(sessionKey, hops.map((h) => h.publicKey), keyTables ? (sk, pk) => keyTables.ecdh(sk, pk) : undefined);
  const rho = secrets.map((s) => onionKey('rho', s.sharedSecret));
  const filler = generateFiller(rho, shifts);

  const mix = keystream(onionKey('pad', sessionKey), HOP_PAYLOADS_SIZE);
  let nextHmac: Uint8Array = new Uint8Array(HMAC_SIZE);
  for (let i = hops.length - 1; i >= 0; i--) {
    const shift = shifts[i]!;
    mix.copyWithin(shift, 0, HOP_PAYLOADS_SIZE - shift);
    mix.set(concatBytes(encodeBigSize(BigInt(hops[i]!.payload.length)), hops[i]!.payload, nextHmac), 0);
    xorInto(mix, keystream(rho[i]!, HOP_PAYLOADS_SIZE));
    if (i === hops.length - 1) mix.set(filler, HOP_PAYLOADS_SIZE - filler.length);
    nextHmac = hmacSha256(onionKey('mu', secrets[i]!.sharedSecret), concatBytes(mix, associatedData));
  }
  const packet = concatBytes(Uint8Array.of(ONION_VERSION), secrets[0]!.ephemeralPublicKey, mix, nextHmac);
  return { packet, sharedSecrets: secrets.map((s) => s.sharedSecret) };
}

/**
 * The bytes every hop but the last appends (zeros, then obfuscated by its rho stream) when it shifts
 * its layer out; the payer must predict them, because the last hop's HMAC covers them.
 */
function generateFiller(rho: readonly Uint8Array[], shifts: readonly number[]): Uint8Array {
  let filler: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < shifts.length - 1; i++) {
    const start = HOP_PAYLOADS_SIZE - filler.length;
    const grown = concatBytes(filler, new Uint8Array(shifts[i]!));
    const stream = keystream(rho[i]!, HOP_PAYLOADS_SIZE + shifts[i]!);
    xorInto(grown, stream.subarray(start));
    filler = grown;
  }
  return filler;
}

export type PeelError =
  /** the layer cannot be read or authenticated: the previous hop sends update_fail_malformed_htlc */
  | { readonly kind: 'bad_onion'; readonly code: BadOnionCode; readonly sha256OfOnion: Uint8Array; readonly message: string }
  /** authentic, but the payload framing is unusable: fail with an error onion under `sharedSecret` */
  | { readonly kind: 'bad_payload'; readonly code: typeof INVALID_ONION_PAYLOAD; readonly sharedSecret: Uint8Array; readonly message: string };

export interface PeeledOnion {
  /** this hop's TLV payload (decode it with payload.ts) */
  readonly payload: Uint8Array;
  /** kept until the HTLC resolves: it wraps any error that comes back through this hop */
  readonly sharedSecret: Uint8Array;
  /** the packet for the next hop, or 'final' when this hop is the recipient */
  readonly next: Uint8Array | 'final';
}

export type PeelResult = ValueResult<PeeledOnion, PeelError>;

export interface PeelOnionOptions {
  readonly packet: Uint8Array;
  /** this node's secret key */
  readonly nodeSecretKey: Uint8Array;
  readonly associatedData: Uint8Array;
}

function badOnion(code: BadOnionCode, packet: Uint8Array, message: string): PeelResult {
  return { ok: false, error: { kind: 'bad_onion', code, sha256OfOnion: sha256(packet), message } };
}

function badPayload(sharedSecret: Uint8Array, message: string): PeelResult {
  return { ok: false, error: { kind: 'bad_payload', code: INVALID_ONION_PAYLOAD, sharedSecret, message } };
}

/** Peel this node's layer off `packet`, in the spec's order: version, key, HMAC, then payload framing. */
export function peelOnion(opts: PeelOnionOptions): PeelResult {
  const { packet, nodeSecretKey, associatedData } = opts;
  // The onion is a fixed-size field, so a wrong size is a packet that cannot be authenticated.
  if (packet.length !== ONION_PACKET_SIZE) {
    return badOnion(INVALID_ONION_HMAC, packet, `onion is ${packet.length} bytes, expected ${ONION_PACKET_SIZE}`);
  }
  if (packet[0] !== ONION_VERSION) return badOnion(INVALID_ONION_VERSION, packet, `onion version ${packet[0]}`);
  const ephemeralKey = packet.subarray(1, 34);
  if (!isValidPublicKey(ephemeralKey)) return badOnion(INVALID_ONION_KEY, packet, 'onion ephemeral key is not a point');
  const hopPayloads = packet.subarray(34, 34 + HOP_PAYLOADS_SIZE);
  const hmac = packet.subarray(34 + HOP_PAYLOADS_SIZE);

  const sharedSecret = onionEcdh(nodeSecretKey, ephemeralKey);
  const expected = hmacSha256(onionKey('mu', sharedSecret), concatBytes(hopPayloads, associatedData));
  if (!equalBytes(expected, hmac)) return badOnion(INVALID_ONION_HMAC, packet, 'onion hmac does not match');

  const plain = concatBytes(hopPayloads, new Uint8Array(HOP_PAYLOADS_SIZE));
  xorInto(plain, keystream(onionKey('rho', sharedSecret), 2 * HOP_PAYLOADS_SIZE));
  const length = decodeBigSize(plain, 0);
  if (!length.ok) return badPayload(sharedSecret, `hop payload length: ${length.error.message}`);
  // A zero length was the legacy 65-byte format, which is no longer supported; no TLV fits in one byte.
  if (length.value.value < 2n) return badPayload(sharedSecret, `hop payload length ${length.value.value} is not a tlv payload`);
  const fits = length.value.value <= BigInt(HOP_PAYLOADS_SIZE - HMAC_SIZE - length.value.length);
  if (!fits) return badPayload(sharedSecret, `hop payload length ${length.value.value} does not fit in the onion`);
  const payloadStart = length.value.length;
  const payloadEnd = payloadStart + Number(length.value.value);
  const shift = payloadEnd + HMAC_SIZE;
  const payload = plain.slice(payloadStart, payloadEnd);
  const nextHmac = plain.slice(payloadEnd, payloadEnd + HMAC_SIZE);
  if (nextHmac.every((b) => b === 0)) return { ok: true, value: { payload, sharedSecret, next: 'final' } };

  const nextKey = blindPublicKey(ephemeralKey, blindingFactor(ephemeralKey, sharedSecret));
  // Unreachable for an honest payer (probability 2^-256); refused rather than forwarded broken.
  if (nextKey === undefined) return badPayload(sharedSecret, 'the blinded next ephemeral key is not a point');
  const next = concatBytes(Uint8Array.of(ONION_VERSION), nextKey, plain.subarray(shift, shift + HOP_PAYLOADS_SIZE), nextHmac);
  return { ok: true, value: { payload, sharedSecret, next } };
}
