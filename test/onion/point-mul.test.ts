// The onion's own point multiplications (point-mul.ts windows, key-tables.ts tables) against noble's
// `multiply`, the reference they replaced: random scalars over the whole range [1, n − 1] and random
// points, the edge scalars (small, leading or trailing zero digits, n − 1), points that drive the decoy
// accumulator through the point at infinity, and the refusals (scalar 0 or ≥ n, keys that are not a
// 33-byte compressed point) that must stay exactly what crypto/keys.ts `ecdh` refuses.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as secp from '@noble/secp256k1';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { ecdh, publicKeyOf } from '../../src/crypto/keys.js';
import { KeyTables, PointTable } from '../../src/onion/key-tables.js';
import { CURVE_ORDER, windowEcdh, windowMultiply } from '../../src/onion/point-mul.js';

const G = secp.Point.BASE;
const n = CURVE_ORDER;
const scalarArb = fc.bigInt({ min: 1n, max: n - 1n });
const pointArb = scalarArb.map((k) => G.multiply(k));
const bytes32 = (k: bigint) => fromHex(k.toString(16).padStart(64, '0'));

/** Small scalars, single digits at every window, runs of zero digits at both ends, and the top of the range. */
const EDGE_SCALARS: bigint[] = [
  ...Array.from({ length: 40 }, (_, i) => BigInt(i + 1)),
  ...Array.from({ length: 64 }, (_, j) => 1n << BigInt(4 * j)),
  ...Array.from({ length: 64 }, (_, j) => 15n << BigInt(4 * j)).filter((k) => k < n),
  ...Array.from({ length: 63 }, (_, j) => (1n << BigInt(4 * (j + 1))) - 1n),
  (1n << 255n) + 1n,
  (1n << 252n) | 1n,
  n - 1n, n - 2n, n - 15n, n - 16n, n - 17n, (n - 1n) / 2n, (n + 1n) / 2n,
];
const BAD_SCALARS = [0n, -1n, n, n + 1n, 1n << 256n];

describe('windowMultiply is noble multiply', () => {
  it('for random points and scalars over [1, n − 1] (property)', () => {
    fc.assert(fc.property(pointArb, scalarArb, (P, k) => windowMultiply(P, k).equals(P.multiply(k))), { numRuns: 40 });
  });

  it('for the edge scalars, on a random-looking point, on G and on −G', () => {
    const points = [G.multiply(0x1234567890abcdefn), G, G.negate()];
    for (const P of points) for (const k of EDGE_SCALARS) expect(windowMultiply(P, k).equals(P.multiply(k)), `${k}`).toBe(true);
  });

  it('when the decoy passes through the point at infinity (P = −G, a zero digit first)', () => {
    // the decoy starts at G and adds P on a zero digit: G + (−G) = O, then keeps going from O
    const P = G.negate();
    for (const k of [1n, 0x10n, 0x100n, 1n << 200n, (1n << 252n) - 1n]) expect(windowMultiply(P, k).equals(P.multiply(k))).toBe(true);
  });

  it('refuses scalar 0, negatives and scalars ≥ n, as noble does', () => {
    const P = G.multiply(7n);
    for (const k of BAD_SCALARS) {
      expect(() => windowMultiply(P, k), `${k}`).toThrow(RangeError);
      expect(() => P.multiply(k), `${k}`).toThrow();
    }
  });
});

describe('PointTable is noble multiply', () => {
  const P = G.multiply(0xfeedfacecafebeefn);
  const table = new PointTable(P);

  it('for random scalars over [1, n − 1] (property)', () => {
    fc.assert(fc.property(scalarArb, (k) => table.multiply(k).equals(P.multiply(k))), { numRuns: 60 });
  });

  it('for random points (property)', () => {
    fc.assert(fc.property(pointArb, scalarArb, (Q, k) => new PointTable(Q).multiply(k).equals(Q.multiply(k))), { numRuns: 5 });
  });

  it('for the edge scalars, and on −G where the decoy passes through infinity', () => {
    for (const k of EDGE_SCALARS) expect(table.multiply(k).equals(P.multiply(k)), `${k}`).toBe(true);
    const minusG = new PointTable(G.negate());
    for (const k of [0x10n, 0x100n, n - 1n, 1n << 252n]) expect(minusG.multiply(k).equals(G.negate().multiply(k))).toBe(true);
  });

  it('refuses scalar 0, negatives and scalars ≥ n', () => {
    for (const k of BAD_SCALARS) expect(() => table.multiply(k), `${k}`).toThrow(RangeError);
  });
});

describe('windowEcdh and KeyTables.ecdh refuse what crypto/keys.ts ecdh refuses', () => {
  const sk = bytes32(0x5eedn);
  const good = publicKeyOf(bytes32(0xabcn));
  const badKeys: [string, Uint8Array][] = [
    ['uncompressed', secp.Point.fromBytes(good).toBytes(false)],
    ['x ≥ p', Uint8Array.of(2, ...new Uint8Array(32).fill(0xff))],
    ['bad prefix', Uint8Array.of(5, ...good.subarray(1))],
    ['infinity', new Uint8Array(33)],
    ['short', good.subarray(0, 32)],
  ];
  const badSecrets: [string, Uint8Array][] = [
    ['zero', new Uint8Array(32)],
    ['n', bytes32(n)],
    ['all ones', new Uint8Array(32).fill(0xff)],
    ['33 bytes', Uint8Array.of(0, ...sk)],
    ['31 bytes', sk.subarray(1)],
  ];

  it('the same bytes as ecdh for the edge secret keys', () => {
    for (const k of [1n, 2n, 16n, n - 1n, 1n << 252n]) expect(toHex(windowEcdh(bytes32(k), good))).toBe(toHex(ecdh(bytes32(k), good)));
  });

  it('bad public keys, on the first use and on every use after (no table is built for them)', () => {
    for (const [what, pk] of badKeys) {
      expect(() => ecdh(sk, pk), what).toThrow();
      expect(() => windowEcdh(sk, pk), what).toThrow();
      const tables = new KeyTables();
      for (let i = 0; i < 3; i++) expect(() => tables.ecdh(sk, pk), `${what} #${i}`).toThrow();
      expect(tables.size.tables, what).toBe(0);
    }
  });

  it('bad secret keys, with and without a table for the public key', () => {
    const tables = new KeyTables();
    tables.ecdh(sk, good);
    tables.ecdh(sk, good);
    expect(tables.size.tables).toBe(1);
    for (const [what, s] of badSecrets) {
      expect(() => ecdh(s, good), what).toThrow();
      expect(() => windowEcdh(s, good), what).toThrow();
      expect(() => tables.ecdh(s, good), what).toThrow();
      expect(() => new KeyTables().ecdh(s, good), what).toThrow();
    }
  });

  it('a hop key that is a multiple of a tabled key gets its own secret, not the tabled one', () => {
    const tables = new KeyTables();
    const base = secp.Point.fromBytes(good);
    const multiple = base.multiply(16n).toBytes(true);
    for (let i = 0; i < 2; i++) tables.ecdh(sk, good);
    for (let i = 0; i < 3; i++) expect(toHex(tables.ecdh(sk, multiple))).toBe(toHex(ecdh(sk, multiple)));
    expect(toHex(tables.ecdh(sk, good))).toBe(toHex(ecdh(sk, good)));
  });
});
