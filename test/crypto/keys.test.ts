import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ecdh, isValidPublicKey, parsePublicKey, publicKeyOf, randomSecretKey, signDigest, signMessage, verifyDigest, verifyMessage,
} from '../../src/crypto/keys.js';
import { fromHex, toHex, ByteReader, ByteWriter, ShortReadError } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function highS(sig: Uint8Array): Uint8Array {
  const s = BigInt('0x' + toHex(sig.subarray(32)));
  const out = sig.slice();
  out.set(fromHex((N - s).toString(16).padStart(64, '0')), 32);
  return out;
}

describe('signatures', () => {
  const sk = randomSecretKey();
  const pk = publicKeyOf(sk);
  const msg = new TextEncoder().encode('state 42');

  it('signs sha256(message) and both verifiers agree on it', () => {
    const sig = signMessage(sk, msg);
    expect(sig.length).toBe(64);
    expect(verifyMessage(sig, msg, pk)).toBe(true);
    expect(verifyDigest(sig, sha256(msg), pk)).toBe(true);
  });

  it('does not hash the digest a second time', () => {
    const digest = sha256(msg);
    const sig = signDigest(sk, digest);
    expect(verifyDigest(sig, digest, pk)).toBe(true);
    expect(verifyDigest(sig, sha256(digest), pk)).toBe(false);
  });

  it('rejects another message, another key, a flipped bit and a high-S twin', () => {
    const sig = signMessage(sk, msg);
    expect(verifyMessage(sig, new TextEncoder().encode('state 43'), pk)).toBe(false);
    expect(verifyMessage(sig, msg, publicKeyOf(randomSecretKey()))).toBe(false);
    const flipped = sig.slice();
    flipped[10]! ^= 1;
    expect(verifyMessage(flipped, msg, pk)).toBe(false);
    expect(verifyMessage(highS(sig), msg, pk)).toBe(false);
    expect(verifyDigest(highS(sig), sha256(msg), pk)).toBe(false);
  });

  it('rejects malformed signatures and keys without throwing', () => {
    const sig = signMessage(sk, msg);
    expect(verifyMessage(sig.subarray(0, 63), msg, pk)).toBe(false);
    expect(verifyMessage(new Uint8Array(64), msg, pk)).toBe(false);
    expect(verifyMessage(sig, msg, new Uint8Array(33))).toBe(false);
    expect(isValidPublicKey(new Uint8Array(33))).toBe(false);
    expect(() => parsePublicKey('zz')).toThrow(/public key/);
    expect(() => parsePublicKey('02' + '00'.repeat(32))).toThrow(/not a valid/);
  });

  it('verifies whatever it signs (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (m) => verifyMessage(signMessage(sk, m), m, pk)),
      { numRuns: 50 },
    );
  });

  it('ECDH is symmetric', () => {
    const sk2 = randomSecretKey();
    expect(toHex(ecdh(sk, publicKeyOf(sk2)))).toBe(toHex(ecdh(sk2, pk)));
  });
});

describe('bytes', () => {
  it('checks hex input', () => {
    expect(toHex(fromHex('00ff'))).toBe('00ff');
    expect(() => fromHex('abc')).toThrow(/odd number of hex digits \(3\)/);
    expect(() => fromHex('nothex')).toThrow(/not hex/);
    expect(() => fromHex('zz')).toThrow(/hex/);
    expect(() => fromHex('00', 'id', 2)).toThrow(/expected 2 bytes/);
  });

  it('writes and reads back big-endian fields, refusing out-of-range values', () => {
    const b = new ByteWriter(1).u8(1).u16(2).u32(3).u64(4n).varBytes(Uint8Array.of(9)).finish();
    const r = new ByteReader(b);
    expect([r.u8(), r.u16(), r.u32(), r.u64(), r.varBytes()]).toEqual([1, 2, 3, 4n, Uint8Array.of(9)]);
    expect(() => r.u8()).toThrow(ShortReadError);
    expect(() => new ByteWriter().u16(70000)).toThrow(/out of range/);
    expect(() => new ByteWriter().u64(-1n)).toThrow(/out of range/);
  });
});
