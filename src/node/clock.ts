// The clock and scheduler port: what the shell reads the time from and how it runs something every so
// often. The system clock is the real one; a test drives a ManualClock instead of waiting on the wall.
export interface Clock {
  now(): number;
  /** Run `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, fn) {
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
  },
  sleep: (ms) => new Promise((r) => setTimeout(r, ms).unref?.()),
};

/** A clock that moves only when told: `advance` runs every timer that falls due, in time order. */
export class ManualClock implements Clock {
  private timers: { id: number; at: number; ms: number; fn: () => void }[] = [];
  private sleepers: { at: number; resolve: () => void }[] = [];
  private nextId = 1;

  constructor(private t = 0) {}

  now(): number {
    return this.t;
  }

  every(ms: number, fn: () => void): () => void {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + ms, ms, fn });
    return () => {
      this.timers = this.timers.filter((x) => x.id !== id);
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.sleepers.push({ at: this.t + ms, resolve }));
  }

  /** Move time forward by `ms`, firing what falls due on the way (each timer at most once per period). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers.map((x) => x.at), ...this.sleepers.map((x) => x.at)].filter((at) => at <= end).sort((a, b) => a - b)[0];
      if (next === undefined) break;
      this.t = next;
      for (const s of this.sleepers.filter((x) => x.at <= next)) s.resolve();
      this.sleepers = this.sleepers.filter((x) => x.at > next);
      for (const x of this.timers.filter((y) => y.at <= next)) {
        x.at += x.ms;
        x.fn();
      }
    }
    this.t = end;
  }
}
