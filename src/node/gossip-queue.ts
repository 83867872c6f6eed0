// The gossip manager's work, one job at a time, in a fair order. Checking a peer's channel_announcement
// waits on the ledger, so a peer that sends many of them (signed by two keys of its own, for short ids
// no channel has) holds the queue for as long as those reads take. With one first-come queue it held
// everything behind it: our own announcements and closes, and every other peer's gossip (and it could
// fill the shared bound alone, so theirs was dropped). So:
//   - our own work (announce, close, tick) runs before any peer message that has not started;
//   - each peer's messages wait in their own lane, in arrival order (an update that follows its
//     announcement from the same peer still finds the channel), and the lanes take turns;
//   - at the shared bound, the peer with the most waiting loses its newest message, not the newcomer.
// Jobs never overlap, so the manager's state needs no locks.

interface Job {
  run(): Promise<void>;
  drop(): void;
}

export class GossipQueue {
  private readonly ownJobs: Job[] = [];
  /** per peer, oldest first; a lane with work is re-inserted last after each turn */
  private readonly lanes = new Map<string, Job[]>();
  private waiting = 0;
  private runningPeerJob = false;
  private running = false;

  constructor(private readonly maxQueued: number) {}

  /** Peer messages waiting or being checked. */
  get size(): number {
    return this.waiting + (this.runningPeerJob ? 1 : 0);
  }

  /** Our own work: before every peer message not yet started. Its result or failure is passed through. */
  own<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.ownJobs.push({ run: () => Promise.resolve().then(fn).then(resolve, reject), drop: () => reject(new Error('dropped')) });
      this.pump();
    });
  }

  /** A peer's message, after that peer's earlier ones; `dropped` if the bound leaves it no room. */
  peer<T>(peer: string, fn: () => Promise<T>, dropped: T): Promise<T> {
    return new Promise<T>((resolve) => {
      const job: Job = { run: () => Promise.resolve().then(fn).then(resolve, () => resolve(dropped)), drop: () => resolve(dropped) };
      if (this.size >= this.maxQueued && !this.makeRoomFor(peer)) {
        job.drop();
        return;
      }
      const lane = this.lanes.get(peer);
      if (lane) lane.push(job);
      else this.lanes.set(peer, [job]);
      this.waiting++;
      this.pump();
    });
  }

  /** At the bound: drop the newest message of the longest lane, unless that lane is `peer`'s (or as short). */
  private makeRoomFor(peer: string): boolean {
    let longest: Job[] | undefined;
    for (const lane of this.lanes.values()) if (!longest || lane.length > longest.length) longest = lane;
    const mine = this.lanes.get(peer)?.length ?? 0;
    if (!longest || longest.length <= mine + 1) return false;
    longest.pop()!.drop();
    this.waiting--;
    return true;
  }

  private next(): { job: Job; peer: boolean } | undefined {
    const own = this.ownJobs.shift();
    if (own) return { job: own, peer: false };
    for (const [peer, lane] of this.lanes) {
      this.lanes.delete(peer);
      const job = lane.shift()!;
      if (lane.length > 0) this.lanes.set(peer, lane);
      this.waiting--;
      return { job, peer: true };
    }
    return undefined;
  }

  private pump(): void {
    if (this.running) return;
    const n = this.next();
    if (!n) return;
    this.running = true;
    this.runningPeerJob = n.peer;
    void n.job.run().finally(() => {
      this.running = false;
      this.runningPeerJob = false;
      this.pump();
    });
  }
}
