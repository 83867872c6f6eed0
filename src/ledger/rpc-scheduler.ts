// Fair turns for the ledger's requests. Each connection's requests wait in its own queue and run one at
// a time, in order; the scheduler gives every connection with work one request per turn and yields to
// the event loop (setImmediate) between turns. So a flood on one connection (or on many) delays another
// connection's request by at most one request per connection, each of bounded cost (the rules bound a
// request's work: docs/ledger.md), and timers (block production) and socket reads run between turns.
//
// A turn is bounded too: with 1,000 connections of worst-case refused reveals, one request of each was
// 10,000,000 hashes (~12 s) per turn, ahead of the node's dispute. So a turn serves at most
// FAVOURED_PER_TURN favoured lanes (connections that proved a funded key) and ANONYMOUS_PER_TURN
// anonymous ones, each class round robin: a node's request waits at most a turn of those, whatever the
// number of anonymous connections, and an anonymous one its place in the round.

/** Favoured (protected) lanes served per turn, round robin. */
export const FAVOURED_PER_TURN = 64;
/** Anonymous lanes served per turn, round robin. */
export const ANONYMOUS_PER_TURN = 16;

export interface SchedulerOptions<C> {
  /** Handle one request; the scheduler does not start the connection's next one until it settles. */
  run(conn: C, raw: string): Promise<void>;
  /** A connection reached its bound of unfinished requests: stop reading from it. */
  pause(conn: C): void;
  /** It fell back under half the bound: read again. */
  resume(conn: C): void;
  /** A connection kept sending past the bound (it ignored the pause): drop it. */
  overflow(conn: C): void;
  /** Unfinished (queued or running) requests a connection may have before it is paused. */
  maxPending: number;
  /**
   * Bytes of requests a connection may have queued. Frames already read when the socket is paused still
   * arrive (up to one socket read, 64 KiB, of them), so the count may pass maxPending; the bytes may not
   * pass this: a connection that does is dropped.
   */
  maxQueuedBytes: number;
  /** Is this a connection that proved a funded key (served in its own class)? Default: none is. */
  favoured?(conn: C): boolean;
}

interface Lane {
  queue: string[];
  bytes: number;
  running: boolean;
  paused: boolean;
}

export class FairScheduler<C> {
  private readonly lanes = new Map<C, Lane>();
  private scheduled = false;
  private readonly cursor = { favoured: 0, anonymous: 0 };

  constructor(private readonly o: SchedulerOptions<C>) {}

  /** Unfinished requests of a connection: queued plus the one running. */
  pending(conn: C): number {
    const l = this.lanes.get(conn);
    return l ? l.queue.length + (l.running ? 1 : 0) : 0;
  }

  enqueue(conn: C, raw: string): void {
    let lane = this.lanes.get(conn);
    if (!lane) {
      lane = { queue: [], bytes: 0, running: false, paused: false };
      this.lanes.set(conn, lane);
    }
    lane.queue.push(raw);
    lane.bytes += raw.length;
    const n = this.pending(conn);
    if (lane.bytes > this.o.maxQueuedBytes) {
      this.drop(conn);
      this.o.overflow(conn);
      return;
    }
    if (n >= this.o.maxPending && !lane.paused) {
      lane.paused = true;
      this.o.pause(conn);
    }
    this.schedule();
  }

  /** Forget a connection (closed): its queued requests are dropped unanswered. */
  drop(conn: C): void {
    this.lanes.delete(conn);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    const ready = { favoured: [] as [C, Lane][], anonymous: [] as [C, Lane][] };
    for (const entry of this.lanes) {
      if (entry[1].running || entry[1].queue.length === 0) continue;
      ready[this.o.favoured?.(entry[0]) ? 'favoured' : 'anonymous'].push(entry);
    }
    const picked = [
      ...this.take(ready.favoured, 'favoured', FAVOURED_PER_TURN),
      ...this.take(ready.anonymous, 'anonymous', ANONYMOUS_PER_TURN),
    ];
    if (picked.length < ready.favoured.length + ready.anonymous.length) this.schedule(); // the rest go next turn
    for (const [conn, lane] of picked) {
      const raw = lane.queue.shift()!;
      lane.bytes -= raw.length;
      lane.running = true;
      this.o.run(conn, raw).catch(() => undefined).finally(() => {
        lane.running = false;
        if (lane.paused && this.pending(conn) <= this.o.maxPending / 2) {
          lane.paused = false;
          this.o.resume(conn);
        }
        if (lane.queue.length > 0) this.schedule();
      });
    }
  }

  /** Up to `n` of `ready`, from this class's cursor on (round robin across turns). */
  private take(ready: [C, Lane][], cls: 'favoured' | 'anonymous', n: number): [C, Lane][] {
    if (ready.length <= n) return ready;
    const start = this.cursor[cls] % ready.length;
    this.cursor[cls] = start + n;
    const out = ready.slice(start, start + n);
    if (out.length < n) out.push(...ready.slice(0, n - out.length));
    return out;
  }
}
