// The onion's products by @noble/curves (primitives.ts onionEcdh and blindPublicKey, key-tables.ts
// tables) against @noble/secp256k1's multiply, the independent reference crypto/keys.ts `ecdh` uses:
// random scalars over the whole range [1, n − 1] and random points, the edge scalars (small, single
// digits at every window position, runs of zero digits at both ends, n − 1), G and −G, a tabled and an
// untabled key, and the refusals (scalar 0 or ≥ n, keys that are not a 33-byte compressed point) that
// must stay exactly what crypto/keys.ts `ecdh` refuses.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as secp from '@noble/secp256k1';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { ecdh, publicKeyOf } from '../../src/crypto/keys.js';
import { KeyTables } from '../../src/onion/key-tables.js';
import { blindPublicKey, CURVE_ORDER, onionEcdh } from '../../src/onion/primitives.js';

const G = secp.Point.BASE;
const n = CURVE_ORDER;
const scalarArb = fc.bigInt({ min: 1n, max: n - 1n });
const pointArb = scalarArb.map((k) => G.multiply(k).toBytes(true));
const bytes32 = (k: bigint) => fromHex(k.toString(16).padStart(64, '0'));
const reference = (pk: Uint8Array, k: bigint) => toHex(secp.Point.fromBytes(pk).multiply(k).toBytes(true));

/** Small scalars, single digits at every 4- and 5-bit window, runs of zero digits at both ends, the top of the range. */
const EDGE_SCALARS: bigint[] = [
  ...Array.from({ length: 40 }, (_, i) => BigInt(i + 1)),
  ...Array.from({ length: 64 }, (_, j) => 1n << BigInt(4 * j)),
  ...Array.from({ length: 52 }, (_, j) => 31n << BigInt(5 * j)).filter((k) => k < n),
  ...Array.from({ length: 43 }, (_, j) => 63n << BigInt(6 * j)).filter((k) => k < n),
  ...Array.from({ length: 63 }, (_, j) => (1n << BigInt(4 * (j + 1))) - 1n),
  (1n << 255n) + 1n,
  (1n << 252n) | 1n,
  n - 1n, n - 2n, n - 15n, n - 16n, n - 17n, n - 32n, n - 64n, (n - 1n) / 2n, (n + 1n) / 2n,
];

describe('onionEcdh is the ecdh of crypto/keys.ts (noble secp256k1)', () => {
  it('for random points and secret keys over [1, n − 1] (property)', () => {
    fc.assert(fc.property(pointArb, scalarArb, (pk, k) => toHex(onionEcdh(bytes32(k), pk)) === toHex(ecdh(bytes32(k), pk))), { numRuns: 40 });
  });

  it('for the edge scalars, on a random-looking point, on G and on −G', () => {
    const points = [G.multiply(0x1234567890abcdefn), G, G.negate()].map((P) => P.toBytes(true));
    for (const pk of points) {
      for (const k of EDGE_SCALARS) expect(toHex(onionEcdh(bytes32(k), pk)), `${k}`).toBe(toHex(ecdh(bytes32(k), pk)));
    }
  });
});

describe('blindPublicKey is noble secp256k1 multiply', () => {
  it('for the edge factors, and a factor ≥ n reduced mod n', () => {
    const E = G.multiply(0xdecafbadn).toBytes(true);
    for (const b of EDGE_SCALARS) expect(toHex(blindPublicKey(E, bytes32(b))!), `${b}`).toBe(reference(E, b));
    expect(toHex(blindPublicKey(E, bytes32(n + 5n))!)).toBe(reference(E, 5n));
  });
});

describe('a tabled key (KeyTables) is noble secp256k1 multiply', () => {
  const pk = G.multiply(0xfeedfacecafebeefn).toBytes(true);
  const tables = new KeyTables();
  tables.ecdh(bytes32(1n), pk);
  tables.ecdh(bytes32(1n), pk);

  it('for random scalars over [1, n − 1] (property), with the table in use', () => {
    expect(tables.size.tables).toBe(1);
    fc.assert(fc.property(scalarArb, (k) => toHex(tables.ecdh(bytes32(k), pk)) === toHex(ecdh(bytes32(k), pk))), { numRuns: 60 });
  });

  it('for the edge scalars, on that key and on −G', () => {
    for (const k of EDGE_SCALARS) expect(toHex(tables.ecdh(bytes32(k), pk)), `${k}`).toBe(toHex(ecdh(bytes32(k), pk)));
    const minusG = G.negate().toBytes(true);
    const t = new KeyTables();
    for (const k of [1n, 0x10n, 0x100n, 1n << 252n, n - 1n, 0x20n, 1n << 200n]) expect(toHex(t.ecdh(bytes32(k), minusG)), `${k}`).toBe(toHex(ecdh(bytes32(k), minusG)));
    expect(t.size.tables).toBe(1);
  });
});

describe('onionEcdh and KeyTables.ecdh refuse what crypto/keys.ts ecdh refuses', () => {
  const sk = bytes32(0x5eedn);
  const good = publicKeyOf(bytes32(0xabcn));
  const badKeys: [string, Uint8Array][] = [
    ['uncompressed', secp.Point.fromBytes(good).toBytes(false)],
    ['x ≥ p', Uint8Array.of(2, ...new Uint8Array(32).fill(0xff))],
    ['bad prefix', Uint8Array.of(5, ...good.subarray(1))],
    ['infinity', new Uint8Array(33)],
    ['infinity, one byte', new Uint8Array(1)],
    ['short', good.subarray(0, 32)],
  ];
  const badSecrets: [string, Uint8Array][] = [
    ['zero', new Uint8Array(32)],
    ['n', bytes32(n)],
    ['all ones', new Uint8Array(32).fill(0xff)],
    ['33 bytes', Uint8Array.of(0, ...sk)],
    ['31 bytes', sk.subarray(1)],
  ];

  it('bad public keys, on the first use and on every use after (no table is built for them)', () => {
    for (const [what, pk] of badKeys) {
      expect(() => ecdh(sk, pk), what).toThrow();
      expect(() => onionEcdh(sk, pk), what).toThrow();
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
      expect(() => onionEcdh(s, good), what).toThrow(RangeError);
      expect(() => tables.ecdh(s, good), what).toThrow(RangeError);
      expect(() => new KeyTables().ecdh(s, good), what).toThrow(RangeError);
    }
  });

  it('a hop key that is a multiple of a tabled key gets its own secret, not the tabled one', () => {
    const tables = new KeyTables();
    const multiple = secp.Point.fromBytes(good).multiply(16n).toBytes(true);
    for (let i = 0; i < 2; i++) tables.ecdh(sk, good);
    for (let i = 0; i < 3; i++) expect(toHex(tables.ecdh(sk, multiple))).toBe(toHex(ecdh(sk, multiple)));
    expect(toHex(tables.ecdh(sk, good))).toBe(toHex(ecdh(sk, good)));
  });
});
