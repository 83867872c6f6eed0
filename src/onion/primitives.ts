// The Sphinx building blocks of BOLT 4: per-purpose keys derived from a hop's shared secret, the
// ChaCha20 stream they key, and the curve arithmetic that blinds the ephemeral key at each hop.
//
// A hop and the payer compute the same shared secret from opposite halves of one ECDH
// (ss = sha256(compressed(e·N)) = sha256(compressed(k·E))), so everything else here is a pure
// function of that secret.
//
// The products with a secret scalar (the hop's node key times the ephemeral key a peer sent, the
// blinding factor times it) are @noble/curves' constant-time `multiply` (fixed 5-bit windows), quicker
// than the double-and-add of @noble/secp256k1 that crypto/keys.ts uses, with the same bytes (tested
// against it). curves masks the scalar with a random multiple of the group order on each call
// (randomness from the OS, inside curves): the product is the same whatever it draws, so these stay
// pure functions of their arguments. A wNAF table (`precompute`) does not pay for a point met once:
// measured at two to three one-off products to build; the payer's repeated hop keys get one
// (key-tables.ts).

import { chacha20 } from '@noble/ciphers/chacha.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { concatBytes, InputError, utf8 } from '../crypto/bytes.js';
import { hmacSha256, sha256 } from '../crypto/hash.js';
import { ecdh, isValidPublicKey, isValidSecretKey, publicKeyOf } from '../crypto/keys.js';

export const CurvePoint = secp256k1.Point;
export type CurvePoint = InstanceType<typeof secp256k1.Point>;
const Fn = CurvePoint.Fn;
export const CURVE_ORDER = Fn.ORDER;

/**
 * The point behind a 33-byte compressed key. curves' fromBytes also takes the 65-byte form, which
 * crypto/keys.ts refuses, so the length is checked here; throws on a key that is not a point.
 */
export function compressedPoint(publicKey: Uint8Array): CurvePoint {
  if (publicKey.length !== 33) throw new RangeError('a 33-byte compressed public key');
  return CurvePoint.fromBytes(publicKey);
}

/** The 32-byte secret key as a scalar; throws RangeError for another length, 0 or ≥ n. */
function secretScalar(secretKey: Uint8Array): bigint {
  if (secretKey.length !== 32) throw new RangeError('a 32-byte secret key');
  const k = bytesToNumberBE(secretKey);
  if (!Fn.isValidNot0(k)) throw new RangeError('secret key out of range');
  return k;
}

/** sha256(compressed(sk·point)): BOLT 4's shared secret, for a point already parsed (key-tables.ts keeps tabled ones). */
export function sharedSecretWith(secretKey: Uint8Array, point: CurvePoint): Uint8Array {
  return sha256(point.multiply(secretScalar(secretKey)).toBytes(true));
}

/**
 * sha256(compressed(sk·pk)), the same bytes as crypto/keys.ts `ecdh` (and refusing what it refuses: a
 * secret key not 32 bytes or out of range, a public key not a 33-byte compressed point), by curves'
 * constant-time multiply: the hop's side of the onion, against a key a peer chose.
 */
export function onionEcdh(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const k = secretScalar(secretKey);
  return sha256(compressedPoint(publicKey).multiply(k).toBytes(true));
}

/** The key types of BOLT 4: rho (payload stream), mu (payload HMAC), um/ammag (error HMAC/stream), pad. */
export type OnionKeyType = 'rho' | 'mu' | 'um' | 'ammag' | 'pad';

/** HMAC256(keytype, secret): the BOLT 4 key derivation (the key type is the HMAC key). */
export function onionKey(type: OnionKeyType, secret: Uint8Array): Uint8Array {
  return hmacSha256(utf8(type), secret);
}

const ZERO_NONCE = new Uint8Array(12);

/** `length` bytes of ChaCha20 keystream under `key` with the all-zero 96-bit nonce. */
export function keystream(key: Uint8Array, length: number): Uint8Array {
  return chacha20(key, ZERO_NONCE, new Uint8Array(length));
}

/** target ^= stream, over target's length (the stream is at least as long). */
export function xorInto(target: Uint8Array, stream: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i]! ^= stream[i]!;
}

/** Big-endian bytes reduced mod n (a blinding factor is a sha256, which may be ≥ n). */
function toScalar(bytes: Uint8Array): bigint {
  return Fn.create(bytesToNumberBE(bytes));
}

/** sha256(epk || ss): the factor that blinds the ephemeral key for the next hop. */
export function blindingFactor(ephemeralPublicKey: Uint8Array, sharedSecret: Uint8Array): Uint8Array {
  return sha256(concatBytes(ephemeralPublicKey, sharedSecret));
}

/**
 * The next hop's ephemeral public key, E' = b·E. Returns undefined when the key or the product is not
 * a usable point (a zero factor has probability 2^-256, but a peer's bytes are never trusted). Half of
 * a forwarding hop's onion time is this product.
 */
export function blindPublicKey(ephemeralPublicKey: Uint8Array, factor: Uint8Array): Uint8Array | undefined {
  const b = toScalar(factor);
  // fromBytes refuses bytes that are not a point on the curve; 33 bytes: only the compressed form
  if (b === 0n || ephemeralPublicKey.length !== 33) return undefined;
  try {
    return CurvePoint.fromBytes(ephemeralPublicKey).multiply(b).toBytes(true);
  } catch {
    return undefined;
  }
}

/** e' = e·b mod n, the payer's side of blindPublicKey. */
function blindSecretKey(secret: Uint8Array, factor: Uint8Array): Uint8Array {
  return Fn.toBytes(Fn.mul(toScalar(secret), toScalar(factor)));
}

export interface HopSecrets {
  /** the ephemeral public key the hop sees in its onion */
  readonly ephemeralPublicKey: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

/**
 * The payer's view of every hop: the ephemeral key each one receives and the secret it shares with it.
 * Throws InputError (a caller bug, not peer input) for a bad session key or hop key.
 */
export function routeSecrets(
  sessionKey: Uint8Array,
  hopPublicKeys: readonly Uint8Array[],
  /** the ECDH to use (key-tables.ts `KeyTables.ecdh` for hop keys met again); the same bytes as crypto/keys.ts `ecdh` */
  ecdhWith: (secretKey: Uint8Array, publicKey: Uint8Array) => Uint8Array = ecdh,
): HopSecrets[] {
  if (!isValidSecretKey(sessionKey)) throw new InputError('onion: session key is not a valid secret key');
  const out: HopSecrets[] = [];
  let ephemeralSecret = sessionKey;
  for (const [i, hopKey] of hopPublicKeys.entries()) {
    if (!isValidPublicKey(hopKey)) throw new InputError(`onion: hop ${i} public key is not a valid point`);
    const ephemeralPublicKey = publicKeyOf(ephemeralSecret);
    const sharedSecret = ecdhWith(ephemeralSecret, hopKey);
    out.push({ ephemeralPublicKey, sharedSecret });
    ephemeralSecret = blindSecretKey(ephemeralSecret, blindingFactor(ephemeralPublicKey, sharedSecret));
  }
  return out;
}
