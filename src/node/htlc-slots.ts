// Our own HTLCs that wait for a free slot on their channel. A channel carries at most maxLocks HTLCs a
// side (30 by default); offered past that, the channel refused the HTLC and the payment failed with "no
// route" at once, although a slot comes free within one HTLC's round trip. A stream that pays a batch a
// second through one hub met this at ~50 streams: each refused batch put its ticks a whole interval late.
// So a local send that finds its channel full waits here, in order, and is offered as soon as a stored
// state of the channel leaves a slot; at the same deadline as an offer queued for a peer that is away
// (its expiry less the next hop's margin), it is refused as before. Nothing is stored for a send that
// waits: its attempt is stored only with the proposal that offers it, so a crash forgets the wait, and
// the payment goes on from its record (payments.ts start). Forwards do not wait: the forwarding
// decision already counts the outgoing channel's slots and fails back (temporary_channel_failure).
import type { Channel } from '../channel/machine.js';
import type { PersistPlan } from './channel-manager-types.js';
import { htlcCount } from './htlc-views.js';

interface Waiter {
  /** the height at which it is refused, still waiting */
  deadline: number;
  /** offer it now (synchronously: the offer is counted as queued on the channel before the next is let go) */
  offer(): void;
  refuse(reason: string): void;
}

export interface SlotWaitersOptions {
  channel(id: string): Channel | undefined;
  /** offers handed to the channel and not yet in a stored proposal */
  queuedCount(id: string): number;
  /** sends waiting over all channels; past it a send is offered at once (and refused by a full channel) */
  maxWaiting: number;
}

export class SlotWaiters {
  private readonly byChannel = new Map<string, Waiter[]>();
  private waiting = 0;

  constructor(private readonly o: SlotWaitersOptions) {}

  get size(): number {
    return this.waiting;
  }

  private free(ch: Channel, id: string): number {
    return ch.limits.maxLocks - htlcCount(ch, this.o.queuedCount(id));
  }

  /**
   * Offer now if the channel has a slot and no earlier send waits for one; else wait in line. False when
   * the send was not taken to wait (offer it now).
   */
  wait(id: string, w: Waiter): boolean {
    const ch = this.o.channel(id);
    const line = this.byChannel.get(id);
    if (!ch || ch.status !== 'open' || this.waiting >= this.o.maxWaiting) return false;
    if (!line?.length && this.free(ch, id) > 0) return false;
    if (line) line.push(w);
    else this.byChannel.set(id, [w]);
    this.waiting++;
    return true;
  }

  /** After a stored state of the channel: let go as many as it has slots for (or refuse all if it is no longer open). */
  wake(id: string): void {
    const line = this.byChannel.get(id);
    if (!line) return;
    const ch = this.o.channel(id);
    if (!ch || ch.status !== 'open') {
      this.byChannel.delete(id);
      this.waiting -= line.length;
      for (const w of line) w.refuse(`the channel is ${ch?.status ?? 'gone'}`);
      return;
    }
    while (line.length > 0 && this.free(ch, id) > 0) {
      const w = line.shift()!;
      this.waiting--;
      w.offer();
    }
    if (line.length === 0) this.byChannel.delete(id);
  }

  /** A new block: sends that waited up to their deadline are refused, and every line is woken (in case a slot came free without a write). */
  onBlock(height: number): void {
    this.expire(height);
    for (const id of [...this.byChannel.keys()]) this.wake(id);
  }

  private expire(height: number): void {
    for (const [id, line] of this.byChannel) {
      const late = line.filter((w) => height >= w.deadline);
      if (late.length === 0) continue;
      const kept = line.filter((w) => height < w.deadline);
      if (kept.length) this.byChannel.set(id, kept);
      else this.byChannel.delete(id);
      this.waiting -= late.length;
      for (const w of late) w.refuse(`no HTLC slot came free on the channel (${this.o.channel(id)?.limits.maxLocks ?? '?'} in use) before its deadline`);
    }
  }

  /** The persist hook's plan for a channel write, with a wake of that channel's line once it is stored. */
  withWake(id: string, plan: PersistPlan | undefined): PersistPlan | undefined {
    if (!this.byChannel.has(id)) return plan;
    return {
      writes: plan?.writes ?? [],
      after: () => {
        plan?.after();
        this.wake(id);
      },
    };
  }
}
