// secp256k1 keys and signatures.
//
// Signing convention (the one thing every signer and verifier must agree on): a signature
// commits to the 32-byte digest sha256(message), and that digest is signed as-is — noble is told
// `prehash: false` so it does not hash it a second time. Signatures are 64-byte compact (r || s)
// with low S (BIP 62/146); a high-S signature is rejected as malleable.
//
// Verification of messages goes through OpenSSL (node:crypto), which measured about 4x faster than
// pure-JS verify here; it is handed the message and hashes it with sha256 itself, so it checks the
// exact digest. OpenSSL accepts high-S signatures, so the low-S and range checks are done first.
import * as secp from '@noble/secp256k1';
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { assertBytes, InputError, fromHex, toHex } from './bytes.js';
import { sha256 } from './hash.js';

// noble v3 needs these for synchronous signing (RFC 6979 nonces).
secp.hashes.sha256 = nobleSha256;
secp.hashes.hmacSha256 = (key: Uint8Array, msg: Uint8Array) => hmac(nobleSha256, key, msg);

const CURVE_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = CURVE_N >> 1n;

export type SecretKey = Uint8Array; // 32 bytes
export type PublicKey = Uint8Array; // 33 bytes, compressed
export type Signature = Uint8Array; // 64 bytes, compact r || s, low S

export function randomSecretKey(): SecretKey {
  return secp.utils.randomSecretKey();
}

export function isValidSecretKey(sk: Uint8Array): boolean {
  return sk instanceof Uint8Array && sk.length === 32 && secp.utils.isValidSecretKey(sk);
}

export function publicKeyOf(sk: SecretKey): PublicKey {
  assertBytes(sk, 'secret key', 32);
  return secp.getPublicKey(sk, true);
}

/** True for a 33-byte compressed encoding of a point on the curve. */
export function isValidPublicKey(pk: Uint8Array): boolean {
  if (!(pk instanceof Uint8Array) || pk.length !== 33) return false;
  try {
    secp.Point.fromBytes(pk);
    return true;
  } catch {
    return false;
  }
}

/** Parse a node id / account id given as 66 hex characters (compressed public key). */
export function parsePublicKey(hex: string, what = 'public key'): PublicKey {
  const pk = fromHex(hex, what, 33);
  if (!isValidPublicKey(pk)) throw new InputError(`${what}: not a valid secp256k1 point`);
  return pk;
}

/** Sign a 32-byte digest that the caller has already hashed (no further hashing here). */
export function signDigest(sk: SecretKey, digest: Uint8Array): Signature {
  assertBytes(digest, 'digest', 32);
  assertBytes(sk, 'secret key', 32);
  return secp.sign(digest, sk, { prehash: false, lowS: true });
}

/** Verify a signature over a 32-byte, already-hashed digest (pure JS; use verifyMessage when you hold the message). */
export function verifyDigest(sig: Uint8Array, digest: Uint8Array, pk: PublicKey): boolean {
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return false;
  if (!(digest instanceof Uint8Array) || digest.length !== 32) return false;
  if (!isCanonicalSignature(sig)) return false;
  try {
    return secp.verify(sig, digest, pk, { prehash: false, lowS: true });
  } catch {
    return false;
  }
}

/** Sign sha256(message). */
export function signMessage(sk: SecretKey, message: Uint8Array): Signature {
  return signDigest(sk, sha256(message));
}

/** Verify a signature over sha256(message), with OpenSSL doing the curve arithmetic. */
export function verifyMessage(sig: Uint8Array, message: Uint8Array, pk: PublicKey): boolean {
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return false;
  if (!isCanonicalSignature(sig)) return false;
  const key = opensslKey(pk);
  if (!key) return false;
  try {
    return nodeVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

/** 0 < r < n and 0 < s <= n/2. */
function isCanonicalSignature(sig: Uint8Array): boolean {
  const r = bytesToBigint(sig.subarray(0, 32));
  const s = bytesToBigint(sig.subarray(32, 64));
  return r > 0n && r < CURVE_N && s > 0n && s <= HALF_N;
}

function bytesToBigint(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + toHex(b));
}

// Parsing a public key into an OpenSSL key object costs about as much as a verify, and a node
// verifies the same few peers' keys over and over, so parsed keys are kept (bounded).
const KEY_CACHE_MAX = 4096;
const keyCache = new Map<string, KeyObject | null>();

function opensslKey(pk: PublicKey): KeyObject | null {
  if (!(pk instanceof Uint8Array) || pk.length !== 33) return null;
  const id = toHex(pk);
  const hit = keyCache.get(id);
  if (hit !== undefined) return hit;
  let key: KeyObject | null = null;
  try {
    const point = secp.Point.fromBytes(pk).toBytes(false);
    key = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'secp256k1',
        x: Buffer.from(point.subarray(1, 33)).toString('base64url'),
        y: Buffer.from(point.subarray(33, 65)).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch {
    key = null;
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(id, key);
  return key;
}

/** BOLT 8 ECDH: sha256 of the compressed shared point. */
export function ecdh(sk: SecretKey, pk: PublicKey): Uint8Array {
  assertBytes(sk, 'secret key', 32);
  assertBytes(pk, 'public key', 33);
  return sha256(secp.getSharedSecret(sk, pk, true));
}
