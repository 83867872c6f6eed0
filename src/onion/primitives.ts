// The Sphinx building blocks of BOLT 4: per-purpose keys derived from a hop's shared secret, the
// ChaCha20 stream they key, and the curve arithmetic that blinds the ephemeral key at each hop.
//
// A hop and the payer compute the same shared secret from opposite halves of one ECDH
// (ss = sha256(compressed(e·N)) = sha256(compressed(k·E))), so everything else here is a pure
// function of that secret.

import * as secp from '@noble/secp256k1';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { concatBytes, InputError, utf8 } from '../crypto/bytes.js';
import { hmacSha256, sha256 } from '../crypto/hash.js';
import { ecdh, isValidPublicKey, isValidSecretKey, publicKeyOf } from '../crypto/keys.js';
import { CURVE_ORDER, windowMultiply } from './point-mul.js';

export { CURVE_ORDER };

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

function toScalar(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v % CURVE_ORDER;
}

function scalarBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** sha256(epk || ss): the factor that blinds the ephemeral key for the next hop. */
export function blindingFactor(ephemeralPublicKey: Uint8Array, sharedSecret: Uint8Array): Uint8Array {
  return sha256(concatBytes(ephemeralPublicKey, sharedSecret));
}

/**
 * The next hop's ephemeral public key, E' = b·E. Returns undefined when the key or the product is not
 * a usable point (a zero factor has probability 2^-256, but a peer's bytes are never trusted). Half of
 * a forwarding hop's onion time is this product: point-mul.ts's windows.
 */
export function blindPublicKey(ephemeralPublicKey: Uint8Array, factor: Uint8Array): Uint8Array | undefined {
  const b = toScalar(factor);
  // fromBytes refuses bytes that are not a point on the curve; 33 bytes: only the compressed form
  if (b === 0n || ephemeralPublicKey.length !== 33) return undefined;
  try {
    return windowMultiply(secp.Point.fromBytes(ephemeralPublicKey), b).toBytes(true);
  } catch {
    return undefined;
  }
}

/** e' = e·b mod n, the payer's side of blindPublicKey. */
function blindSecretKey(secret: Uint8Array, factor: Uint8Array): Uint8Array {
  return scalarBytes((toScalar(secret) * toScalar(factor)) % CURVE_ORDER);
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
