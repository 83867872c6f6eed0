// The streams' due-queue: a binary min-heap of (time, stream id). Each stream has at most one live entry
// (the latest time set for it); older entries are skipped when they surface. One pass of the loop costs
// O(k log n) for the k streams due, not O(n) for all of them.
export class DueQueue {
  private readonly heap: { at: number; id: string }[] = [];
  private readonly due = new Map<string, number>();

  get size(): number {
    return this.due.size;
  }

  /** When `id` next needs a tick; undefined takes it out. */
  set(id: string, at: number | undefined): void {
    if (at === undefined) {
      this.due.delete(id);
      return;
    }
    if (this.due.get(id) === at) return;
    this.due.set(id, at);
    this.push({ at, id });
  }

  /** The ids due at `now`, each once, earliest first; they leave the queue. */
  take(now: number): string[] {
    const out: string[] = [];
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const top = this.pop();
      if (this.due.get(top.id) !== top.at) continue; // replaced by a later set
      this.due.delete(top.id);
      out.push(top.id);
    }
    // Stale entries would otherwise pile up under streams that are rescheduled often.
    if (this.heap.length > 4 * this.due.size + 1024) this.rebuild();
    return out;
  }

  private rebuild(): void {
    this.heap.length = 0;
    for (const [id, at] of this.due) this.push({ at, id });
  }

  private push(e: { at: number; id: string }): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private pop(): { at: number; id: string } {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
