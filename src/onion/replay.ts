// Replay protection (BOLT 4: a hop MUST refuse an onion it has already forwarded or redeemed). A
// replayed onion yields the same shared secret, so the hop remembers sha256(shared secret) until the
// HTLC's expiry height has passed (after which the HTLC would be refused as expired anyway), as LND's
// "decayed log" does. Pure: the shell persists `entries()` in the same batch as the forward it
// accepted, and rebuilds the log from them on start.
//
// Bounded: at `maxEntries` a new onion is refused rather than an old entry evicted, because evicting
// would reopen that onion to replay. Entries leave only through `prune(height)`.

import { toHex } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';

export const DEFAULT_REPLAY_LOG_ENTRIES = 100_000;

export interface ReplayEntry {
  /** hex sha256 of the onion's shared secret (the secret itself is never kept here) */
  readonly hash: string;
  /** forget it once the chain passes this height */
  readonly expiryHeight: number;
}

export type ReplayCheck =
  | { readonly kind: 'fresh'; readonly entry: ReplayEntry }
  | { readonly kind: 'replayed' }
  /** the log is at its bound: refuse the HTLC (temporary_node_failure) until prune frees room */
  | { readonly kind: 'full' };

export function replayHash(sharedSecret: Uint8Array): string {
  return toHex(sha256(sharedSecret));
}

export class ReplayLog {
  private readonly seen = new Map<string, number>();

  readonly maxEntries: number;

  /** `entries`: what the shell persisted, to restore after a restart. */
  constructor(opts: { maxEntries?: number; entries?: Iterable<ReplayEntry> } = {}) {
    this.maxEntries = opts.maxEntries ?? DEFAULT_REPLAY_LOG_ENTRIES;
    for (const e of opts.entries ?? []) this.seen.set(e.hash, e.expiryHeight);
  }

  get size(): number {
    return this.seen.size;
  }

  has(sharedSecret: Uint8Array): boolean {
    return this.seen.has(replayHash(sharedSecret));
  }

  /** Record the onion if it is new; `entry` is what the shell must persist with the accepted HTLC. */
  checkAndRecord(sharedSecret: Uint8Array, expiryHeight: number): ReplayCheck {
    const hash = replayHash(sharedSecret);
    if (this.seen.has(hash)) return { kind: 'replayed' };
    if (this.seen.size >= this.maxEntries) return { kind: 'full' };
    this.seen.set(hash, expiryHeight);
    return { kind: 'fresh', entry: { hash, expiryHeight } };
  }

  /** Forget onions whose HTLCs expired before `height`; returns the hashes dropped (to delete on disk). */
  prune(height: number): string[] {
    const dropped: string[] = [];
    for (const [hash, expiry] of this.seen) {
      if (expiry < height) {
        this.seen.delete(hash);
        dropped.push(hash);
      }
    }
    return dropped;
  }

  entries(): ReplayEntry[] {
    return [...this.seen].map(([hash, expiryHeight]) => ({ hash, expiryHeight }));
  }
}
