// Faster ECDH with the same hop key, again and again: a payer that streams pays one batch a second
// through the same hub to the same payee, and each onion needs one ECDH per hop (BOLT 4's
// ss = sha256(compressed(e·N)) with a fresh ephemeral secret e and the hop's node key N). noble
// multiplies a point it has not seen by double-and-add, 256 doublings and 256 additions (half of them
// into a decoy point, so the count does not depend on the scalar). For a key seen before, a table of
// its multiples makes the product 64 additions:
//
//   row j holds d·16^j·N for d = 1..15, so e·N = Σ_j row_j[digit_j(e)], one addition a row.
//
// Like noble's own table for the generator, every row costs one addition whatever the digit (a zero
// digit adds into a decoy point instead), so the count and order of the work do not depend on the
// secret (which entry a row adds does: the same class as noble, see point-mul.ts). Building a table
// costs 960 additions (about two plain multiplications), so one is built only for a key used a second
// time; the tables kept are bounded (LRU), and so are the keys counted.
import * as secp from '@noble/secp256k1';
import { toHex } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { CURVE_ORDER, PER_ROW, ROWS, toScalar, windowEcdh, type Point } from './point-mul.js';

/** The multiples of one point, row by row (see above). */
export class PointTable {
  private readonly rows: Point[][] = [];

  constructor(point: Point) {
    let base = point;
    for (let j = 0; j < ROWS; j++) {
      const row: Point[] = [base];
      for (let d = 1; d < PER_ROW; d++) row.push(row[d - 1]!.add(base));
      this.rows.push(row);
      base = row[PER_ROW - 1]!.add(base); // 16 · base
    }
  }

  /** scalar·point, for 1 <= scalar < n. */
  multiply(scalar: bigint): Point {
    if (scalar <= 0n || scalar >= CURVE_ORDER) throw new RangeError('scalar out of range');
    let acc = secp.Point.ZERO;
    let decoy = secp.Point.BASE;
    let k = scalar;
    for (let j = 0; j < ROWS; j++) {
      const digit = Number(k & 15n);
      k >>= 4n;
      if (digit !== 0) acc = acc.add(this.rows[j]![digit - 1]!);
      else decoy = decoy.add(this.rows[j]![0]!);
    }
    return acc;
  }
}

export interface KeyTablesLimits {
  /** tables kept (each ~960 points, ~200 KB) */
  maxTables: number;
  /** keys whose uses are counted, to tell a repeated key from a one-off */
  maxCounted: number;
}

export const DEFAULT_KEY_TABLES_LIMITS: KeyTablesLimits = { maxTables: 16, maxCounted: 1024 };

/** ECDH against public keys, with a table for each key met more than once (bounded, least recently used goes). */
export class KeyTables {
  private readonly tables = new Map<string, PointTable>();
  private readonly seen = new Map<string, number>();
  private readonly limits: KeyTablesLimits;

  constructor(limits: Partial<KeyTablesLimits> = {}) {
    this.limits = { ...DEFAULT_KEY_TABLES_LIMITS, ...limits };
  }

  get size(): { tables: number; counted: number } {
    return { tables: this.tables.size, counted: this.seen.size };
  }

  /** sha256(compressed(sk·pk)): the same bytes as crypto/keys.ts `ecdh`. */
  ecdh(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
    // Refused before a key is counted or tabled, as windowEcdh refuses them: a table is built only for
    // the 33-byte compressed form (fromBytes would also take 65 bytes) and multiplies only 32-byte scalars.
    if (secretKey.length !== 32 || publicKey.length !== 33) throw new RangeError('ecdh: a 32-byte secret key and a 33-byte public key');
    const table = this.tableFor(publicKey);
    if (!table) return windowEcdh(secretKey, publicKey);
    return sha256(table.multiply(toScalar(secretKey)).toBytes(true));
  }

  private tableFor(publicKey: Uint8Array): PointTable | undefined {
    const id = toHex(publicKey);
    const t = this.tables.get(id);
    if (t) {
      this.tables.delete(id); // most recently used last
      this.tables.set(id, t);
      return t;
    }
    const uses = (this.seen.get(id) ?? 0) + 1;
    this.seen.delete(id);
    if (uses < 2) {
      this.seen.set(id, uses);
      if (this.seen.size > this.limits.maxCounted) this.seen.delete(this.seen.keys().next().value!);
      return undefined;
    }
    const built = new PointTable(secp.Point.fromBytes(publicKey));
    this.tables.set(id, built);
    if (this.tables.size > this.limits.maxTables) this.tables.delete(this.tables.keys().next().value!);
    return built;
  }
}
