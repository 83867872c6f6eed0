// One run of some work at a time per key, with at most one more queued behind it, shared by every
// caller that asks while a run is in flight. For work that reads the latest state when it starts (a
// hop's upstream claim reads the relay's depth then), callers asking meanwhile need one run after the
// current one, not one each: a run per caller, each re-queued behind the next, made n callers cost
// about n²/2 runs in one burst of microtasks (a hub relaying 20,000 ticks while one claim was being
// signed ran out of heap without yielding to the event loop).

export class Coalescer<A> {
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, { arg: A; done: Promise<void> }>();

  /** `merge` folds a later caller's argument into the queued run's (for a flag: either asked). */
  constructor(
    private readonly work: (key: string, arg: A) => Promise<void>,
    private readonly merge: (queued: A, later: A) => A,
  ) {}

  /** Runs now if nothing runs for this key, else once after the current run (however many ask). */
  run(key: string, arg: A): Promise<void> {
    const q = this.queued.get(key);
    if (q) {
      q.arg = this.merge(q.arg, arg);
      return q.done;
    }
    const current = this.running.get(key);
    if (current) {
      const entry = { arg, done: Promise.resolve() };
      const next = (): Promise<void> => {
        this.queued.delete(key);
        return this.run(key, entry.arg);
      };
      // A failed run still lets the queued one go: its callers asked after it started.
      entry.done = current.then(next, next);
      this.queued.set(key, entry);
      return entry.done;
    }
    const p: Promise<void> = this.work(key, arg).finally(() => {
      if (this.running.get(key) === p) this.running.delete(key);
    });
    this.running.set(key, p);
    return p;
  }

  /** Runs in flight or queued (for tests and bounds: at most two per key). */
  size(): number {
    return this.running.size + this.queued.size;
  }
}
