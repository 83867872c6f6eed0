// The symmetric building blocks BOLT 8 names: HKDF with two 32-byte outputs, and
// ChaCha20-Poly1305 with its 96-bit nonce built from a 64-bit counter. Pure: no I/O, no clock.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../crypto/bytes.js';

export const PROTOCOL_NAME = 'Noise_XK_secp256k1_ChaChaPoly_SHA256';
export const PROLOGUE = 'lightning';
/** The only handshake version BOLT 8 defines; any other leading byte aborts the handshake. */
export const HANDSHAKE_VERSION = 0;

export const MAC_LENGTH = 16;
/** A plaintext message body is at most what its 2-byte length prefix can say. */
export const MAX_MESSAGE_LENGTH = 65535;
/** Encrypted length prefix: 2 bytes of length plus their MAC. */
export const LENGTH_HEADER_LENGTH = 2 + MAC_LENGTH;
/** The largest legal encrypted message on the wire: 18 + 65535 + 16. */
export const MAX_ENCRYPTED_MESSAGE_LENGTH = LENGTH_HEADER_LENGTH + MAX_MESSAGE_LENGTH + MAC_LENGTH;

/** BOLT 8 rotates a direction's key after this many nonces (500 messages). */
export const KEY_ROTATION_INTERVAL = 1000;

const EMPTY = new Uint8Array(0);

export function hash(...parts: Uint8Array[]): Uint8Array {
  return sha256(concatBytes(...parts));
}

/**
 * BOLT 8's HKDF(salt, ikm): extract with the chaining key as salt, expand with empty info
 * to 64 bytes, and split into two 32-byte keys.
 */
export function hkdfSplit(salt: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const okm = hkdf(sha256, ikm, salt, EMPTY, 64);
  return [okm.slice(0, 32), okm.slice(32, 64)];
}

/** 32 zero bits, then the counter as a little-endian 64-bit integer (the Noise ChaChaPoly nonce). */
export function nonceBytes(counter: number): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, BigInt(counter), true);
  return nonce;
}

export function encryptWithAd(key: Uint8Array, counter: number, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return chacha20poly1305(key, nonceBytes(counter), ad).encrypt(plaintext);
}

/** Returns null when the MAC does not verify: a forged or corrupted ciphertext is data, not an exception. */
export function decryptWithAd(
  key: Uint8Array,
  counter: number,
  ad: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array | null {
  if (ciphertext.length < MAC_LENGTH) return null;
  try {
    return chacha20poly1305(key, nonceBytes(counter), ad).decrypt(ciphertext);
  } catch {
    return null;
  }
}
