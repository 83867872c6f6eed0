// The recoverable signature BOLT 11 puts at the end of an invoice: 64-byte compact (r || s) plus a
// recovery id, so a reader can learn the payee's node id from the invoice alone. The digest is
// signed as-is (it is already sha256 of the invoice), the same convention as src/crypto/keys.ts;
// importing keys.ts also installs the hashes noble needs for synchronous signing.

import * as secp from '@noble/secp256k1';
import { assertBytes, concatBytes, InputError } from '../crypto/bytes.js';
import { isValidSecretKey, verifyDigest } from '../crypto/keys.js';

export interface RecoverableSignature {
  /** r || s, low S when we made it */
  readonly signature: Uint8Array;
  /** 0..3 */
  readonly recoveryId: number;
}

/** Sign a 32-byte digest, low-S, with the id that lets a reader recover our key. */
export function signRecoverable(secretKey: Uint8Array, digest: Uint8Array): RecoverableSignature {
  assertBytes(digest, 'digest', 32);
  if (!isValidSecretKey(secretKey)) throw new InputError('invoice: node secret key is not valid');
  // noble's 'recovered' format is recovery id || r || s
  const sig = secp.sign(digest, secretKey, { prehash: false, lowS: true, format: 'recovered' });
  return { signature: sig.slice(1), recoveryId: sig[0]! };
}

const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function lowS(signature: Uint8Array): Uint8Array {
  let s = 0n;
  for (const b of signature.subarray(32)) s = (s << 8n) | BigInt(b);
  if (s <= CURVE_ORDER >> 1n) return signature;
  const out = signature.slice();
  let v = CURVE_ORDER - s;
  for (let i = 63; i >= 32; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * The public key that signed `digest`, or undefined when none can (bad r, bad id). Without an `n`
 * field BOLT 11 readers accept a high-S signature too: (r, s) and (r, n-s) are the same signature up
 * to malleability, and the spec's "Public-key recovery with high-S signature" example expects the
 * payee from the low-S form with the id as transmitted, so S is normalized before recovery.
 */
export function recoverSigner(sig: RecoverableSignature, digest: Uint8Array): Uint8Array | undefined {
  if (sig.signature.length !== 64 || digest.length !== 32 || ![0, 1, 2, 3].includes(sig.recoveryId)) return undefined;
  try {
    return secp.recoverPublicKey(concatBytes(Uint8Array.of(sig.recoveryId), lowS(sig.signature)), digest, { prehash: false });
  } catch {
    return undefined;
  }
}

/** Check against a key the invoice names (its `n` field): here only canonical low-S is valid. */
export function verifyBy(sig: RecoverableSignature, digest: Uint8Array, publicKey: Uint8Array): boolean {
  return verifyDigest(sig.signature, digest, publicKey);
}
