// Which channel's HTLC each replay-log entry came from, and how many each channel's onions hold. The
// log is bounded node-wide; without shares one peer cycling free HTLCs (each failed back, costing it
// nothing) would fill it and every channel's onions would be refused. With them, a channel past its
// share has only its own HTLCs refused (htlc-persist.ts). Entries stored before shares were kept
// belong to no channel.
export class ReplayShares {
  private readonly owner = new Map<string, string>();
  private readonly count = new Map<string, number>();

  /** Entries the onions of this channel's HTLCs hold now. */
  of(channelId: string): number {
    return this.count.get(channelId) ?? 0;
  }

  /** An entry recorded for an HTLC of `channelId`. */
  owned(hash: string, channelId: string): void {
    if (this.owner.has(hash)) return;
    this.owner.set(hash, channelId);
    this.count.set(channelId, this.of(channelId) + 1);
  }

  /** Entries pruned from the log: their channels' shares shrink. */
  dropped(hashes: readonly string[]): void {
    for (const hash of hashes) {
      const ch = this.owner.get(hash);
      if (ch === undefined) continue;
      this.owner.delete(hash);
      const n = this.of(ch) - 1;
      if (n > 0) this.count.set(ch, n);
      else this.count.delete(ch);
    }
  }
}
