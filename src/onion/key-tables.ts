// Faster ECDH with the same hop key, again and again: a payer that streams pays one batch a second
// through the same hub to the same payee, and each onion needs one ECDH per hop (BOLT 4's
// ss = sha256(compressed(e·N)) with a fresh ephemeral secret e and the hop's node key N). For a key
// seen before, @noble/curves keeps a signed-window (wNAF) table of its multiples (`precompute`), and its
// constant-time multiply is then one table addition per window and no doublings.
//
// A table costs several plain products to build (measured: W = 6, 11–14 ms, against 1.7 ms for one
// product), so one is asked for only on a key's second use; the tables kept are bounded (LRU), and so
// are the keys counted. curves keeps a table in a WeakMap keyed by the Point object, so the table lives
// exactly as long as this cache holds that Point.
import { toHex } from '../crypto/bytes.js';
import { compressedPoint, type CurvePoint, onionEcdh, sharedSecretWith } from './primitives.js';

/**
 * The window width of a table: 6 is curves' own for the generator. Measured per product after the
 * table: W = 4, 345 µs; 6, 243 µs; 8, 194 µs, but 31 ms to build and four times the memory.
 */
export const TABLE_WINDOW = 6;

export interface KeyTablesLimits {
  /** tables kept (each ~2,080 points at W = 6, measured ~310 KB of heap) */
  maxTables: number;
  /** keys whose uses are counted, to tell a repeated key from a one-off */
  maxCounted: number;
}

export const DEFAULT_KEY_TABLES_LIMITS: KeyTablesLimits = { maxTables: 16, maxCounted: 1024 };

/** ECDH against public keys, with a table for each key met more than once (bounded, least recently used goes). */
export class KeyTables {
  private readonly tables = new Map<string, CurvePoint>();
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
    // Refused before a key is counted or tabled, as onionEcdh refuses them: a table is built only for
    // the 33-byte compressed form (fromBytes would also take 65 bytes) and multiplies only 32-byte scalars.
    if (secretKey.length !== 32 || publicKey.length !== 33) throw new RangeError('ecdh: a 32-byte secret key and a 33-byte public key');
    const point = this.tabledPoint(publicKey);
    if (!point) return onionEcdh(secretKey, publicKey);
    return sharedSecretWith(secretKey, point);
  }

  private tabledPoint(publicKey: Uint8Array): CurvePoint | undefined {
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
    // fromBytes throws for a key that is not a point, before anything is kept; the table itself is
    // built on the first multiply (curves' precompute is lazy).
    const point = compressedPoint(publicKey).precompute(TABLE_WINDOW);
    this.tables.set(id, point);
    if (this.tables.size > this.limits.maxTables) this.tables.delete(this.tables.keys().next().value!);
    return point;
  }
}
