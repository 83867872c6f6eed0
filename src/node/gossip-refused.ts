// Announcements the ledger refused, remembered for a while so that sending the same one again costs a
// hash instead of two signature checks and a ledger read. Keyed by the message's bytes, never by its
// short id alone: short ids are predictable (height, index), so remembering "no channel at this id"
// would let anyone refuse tomorrow's honest announcement in advance. Bounded; the oldest go first.
import { toHex } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';

export class RefusedAnnouncements {
  /** hash of the message bytes -> when refused (seconds) */
  private readonly seen = new Map<string, number>();

  constructor(private readonly max: number, private readonly ttlSeconds: number) {}

  static keyOf(bytes: Uint8Array): string {
    return toHex(sha256(bytes));
  }

  has(key: string, nowSeconds: number): boolean {
    const at = this.seen.get(key);
    if (at === undefined) return false;
    if (nowSeconds - at < this.ttlSeconds) return true;
    this.seen.delete(key);
    return false;
  }

  add(key: string, nowSeconds: number): void {
    if (this.max <= 0) return;
    this.seen.delete(key);
    while (this.seen.size >= this.max) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, nowSeconds);
  }

  get size(): number {
    return this.seen.size;
  }
}
