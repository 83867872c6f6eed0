// The onion's curve work on @noble/curves: the payer's ECDH tables (src/onion/key-tables.ts) give the
// same shared secrets as the plain ECDH for any key and scalar, the exact BOLT 4 vector onion when every
// hop key has a table, and bounded memory; the hop's ECDH and blinding (primitives.ts) give noble
// secp256k1's product and refuse what is not a point. (The BOLT 4 vector's peel, in sphinx.test.ts, blinds at every hop.)
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as secp from '@noble/secp256k1';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { ecdh, isValidSecretKey, publicKeyOf } from '../../src/crypto/keys.js';
import { decodeBigSize } from '../../src/wire/bigsize.js';
import { KeyTables } from '../../src/onion/key-tables.js';
import { blindPublicKey, CURVE_ORDER, onionEcdh } from '../../src/onion/primitives.js';
import { buildOnion } from '../../src/onion/sphinx.js';

interface OnionVector {
  generate: { session_key: string; associated_data: string; hops: { pubkey: string; payload: string }[] };
  onion: string;
}
const vector = JSON.parse(readFileSync(new URL('../vectors/bolt04-onion-test.json', import.meta.url), 'utf8')) as OnionVector;

const bare = (hex: string) => {
  const framed = fromHex(hex);
  const len = decodeBigSize(framed);
  if (!len.ok) throw new Error('vector payload has no length');
  return framed.subarray(len.value.length);
};

const secretArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter(isValidSecretKey);
const big = (b: Uint8Array) => BigInt(`0x${toHex(b)}`);
const bytes32 = (k: bigint) => fromHex(k.toString(16).padStart(64, '0'));

describe('onionEcdh (a point met once)', () => {
  it('gives the ECDH secret of crypto/keys.ts, for random keys', () => {
    fc.assert(fc.property(secretArb, secretArb, (a, k) => {
      const pk = publicKeyOf(a);
      expect(toHex(onionEcdh(k, pk))).toBe(toHex(ecdh(k, pk)));
    }), { numRuns: 20 });
  });

  it('at the edges of the scalar range; refuses 0, n and keys of the wrong size or off the curve', () => {
    const pk = publicKeyOf(fromHex('66'.repeat(32)));
    for (const k of [1n, 15n, 16n, 1n << 252n, CURVE_ORDER - 1n]) expect(toHex(onionEcdh(bytes32(k), pk)), String(k)).toBe(toHex(ecdh(bytes32(k), pk)));
    expect(() => onionEcdh(bytes32(0n), pk)).toThrow(RangeError);
    expect(() => onionEcdh(bytes32(CURVE_ORDER), pk)).toThrow(RangeError);
    const sk = fromHex('77'.repeat(32));
    expect(() => onionEcdh(sk, secp.Point.fromBytes(pk).toBytes(false))).toThrow();
    expect(() => onionEcdh(sk, Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)))).toThrow();
  });
});

describe('KeyTables', () => {
  it('gives the plain ECDH secret the first time (no table) and every time after (a table)', () => {
    const tables = new KeyTables();
    const pk = publicKeyOf(fromHex('22'.repeat(32)));
    fc.assert(fc.property(secretArb, (sk) => {
      expect(toHex(tables.ecdh(sk, pk))).toBe(toHex(ecdh(sk, pk)));
    }), { numRuns: 10 });
    expect(tables.size.tables).toBe(1);
  });

  it('builds the exact BOLT 4 vector onion with a table for every hop key', () => {
    const hops = vector.generate.hops.map((h) => ({ publicKey: fromHex(h.pubkey), payload: bare(h.payload) }));
    const opts = { hops, sessionKey: fromHex(vector.generate.session_key), associatedData: fromHex(vector.generate.associated_data) };
    const tables = new KeyTables();
    const first = buildOnion({ ...opts, keyTables: tables });
    expect(tables.size.tables).toBe(0);
    const second = buildOnion({ ...opts, keyTables: tables });
    expect(tables.size.tables).toBe(hops.length);
    for (const built of [first, second]) expect(toHex(built.packet)).toBe(vector.onion);
    expect(second.sharedSecrets.map(toHex)).toEqual(buildOnion(opts).sharedSecrets.map(toHex));
  });

  it('keeps at most maxTables tables and counts at most maxCounted keys', () => {
    const tables = new KeyTables({ maxTables: 2, maxCounted: 3 });
    const sk = fromHex('33'.repeat(32));
    const keys = [1, 2, 3, 4, 5].map((i) => publicKeyOf(fromHex(i.toString(16).padStart(2, '0').repeat(32))));
    for (const pk of keys) for (let i = 0; i < 2; i++) expect(toHex(tables.ecdh(sk, pk))).toBe(toHex(ecdh(sk, pk)));
    expect(tables.size.tables).toBe(2);
    for (let i = 0; i < 10; i++) tables.ecdh(sk, publicKeyOf(fromHex((0x40 + i).toString(16).repeat(32))));
    expect(tables.size.counted).toBeLessThanOrEqual(3);
  });
});

describe('blindPublicKey', () => {
  it('is b·E for random E and b', () => {
    fc.assert(fc.property(secretArb, secretArb, (e, b) => {
      const E = publicKeyOf(e);
      expect(toHex(blindPublicKey(E, b)!)).toBe(toHex(secp.Point.fromBytes(E).multiply(big(b)).toBytes(true)));
    }), { numRuns: 20 });
  });

  it('refuses a key that is not a compressed point, and a zero factor', () => {
    const E = publicKeyOf(fromHex('44'.repeat(32)));
    const b = fromHex('55'.repeat(32));
    expect(blindPublicKey(Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)), b)).toBeUndefined(); // x ≥ p
    expect(blindPublicKey(secp.Point.fromBytes(E).toBytes(false), b)).toBeUndefined(); // uncompressed
    expect(blindPublicKey(E.subarray(0, 32), b)).toBeUndefined();
    expect(blindPublicKey(E, new Uint8Array(32))).toBeUndefined();
    const n = fromHex(CURVE_ORDER.toString(16));
    expect(blindPublicKey(E, n)).toBeUndefined(); // n ≡ 0
  });
});
