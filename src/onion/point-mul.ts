// Point multiplication for the onion, faster than noble's plain multiply and with the same shape of work
// whatever the scalar. noble multiplies a point by double-and-add over all 256 bits, adding into a decoy
// point on a zero bit so the count does not depend on the scalar: 512 point operations (a doubling costs
// what an addition does in its complete formulas). Fixed 4-bit windows over a table of 1..15 times the
// point make it 15 to build the table, then per window four doublings and one addition (into a decoy for
// a zero digit): 335, the same count and order for every scalar. The shared secret is the same bytes as
// crypto/keys.ts `ecdh` (tested against noble's multiply, and with the BOLT 4 vector).
//
// What this is not: constant time below the algorithm. The node's secret picks which table entry each
// window adds, a memory access a process sharing the CPU could in principle time; noble's own table for
// the generator (every signature's secret nonce) does the same, and in JavaScript its bit-by-bit branch
// into the real or the decoy point is no better (BigInt work is never constant time). As noble's
// trailing zero bits do, leading zero digits add onto the point at infinity, which is quicker: a
// few bits about a key that never changes, the same whatever point an attacker sends.
import * as secp from '@noble/secp256k1';
import { sha256 } from '../crypto/hash.js';

export type Point = InstanceType<typeof secp.Point>;

export const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const WINDOW_BITS = 4;
export const ROWS = 256 / WINDOW_BITS;
export const PER_ROW = (1 << WINDOW_BITS) - 1;

/** Big-endian bytes as a bigint (not reduced). */
export function toScalar(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** scalar·point, for 1 <= scalar < n. */
export function windowMultiply(point: Point, scalar: bigint): Point {
  if (scalar <= 0n || scalar >= CURVE_ORDER) throw new RangeError('scalar out of range');
  // The point as parsed has Z = 1, and a field product with 1n is quicker than with a full element; both
  // a 0 digit (the decoy) and a 1 digit add the first entry, so it is taken as 2P − P, whose Z is like
  // every other entry's: the count of 0 and 1 digits in the node's key does not set the run time.
  const twice = point.double();
  const table: Point[] = [twice.subtract(point), twice];
  for (let d = 2; d < PER_ROW; d++) table.push(table[d - 1]!.add(point));
  let acc = secp.Point.ZERO;
  let decoy = secp.Point.BASE;
  for (let j = ROWS - 1; j >= 0; j--) {
    for (let i = 0; i < WINDOW_BITS; i++) acc = acc.double();
    const digit = Number((scalar >> BigInt(j * WINDOW_BITS)) & 15n);
    if (digit !== 0) acc = acc.add(table[digit - 1]!);
    else decoy = decoy.add(table[0]!);
  }
  return acc;
}

/** sha256(compressed(sk·pk)), the same bytes as crypto/keys.ts `ecdh`; throws (RangeError, or noble's) on a bad key. */
export function windowEcdh(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 32 || publicKey.length !== 33) throw new RangeError('ecdh: a 32-byte secret key and a 33-byte public key');
  return sha256(windowMultiply(secp.Point.fromBytes(publicKey), toScalar(secretKey)).toBytes(true));
}
