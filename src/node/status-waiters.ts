// Callers waiting for a channel to reach a status (an open to be in a block, a close to be paid out):
// told when the channel gets there, or refused after their time limit.
import type { Channel, ChannelStatus } from '../channel/machine.js';
import { NodeError } from './errors.js';

interface Waiter {
  id: string;
  want: ChannelStatus[];
  resolve(c: Channel): void;
}

export class StatusWaiters {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly current: (id: string) => Channel | undefined) {}

  wait(id: string, want: ChannelStatus[], timeoutMs: number): Promise<Channel> {
    const now = this.current(id);
    if (now && want.includes(now.status)) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const w: Waiter = { id, want, resolve: (c) => { clearTimeout(t); resolve(c); } };
      const t = setTimeout(() => {
        this.waiters.delete(w);
        reject(new NodeError('unavailable', 'TIMEOUT', `channel ${id} did not become ${want.join(' or ')} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /** A channel's status changed: answer whoever waited for it. */
  changed(id: string, ch: Channel): void {
    for (const w of [...this.waiters]) {
      if (w.id === id && w.want.includes(ch.status)) {
        this.waiters.delete(w);
        w.resolve(ch);
      }
    }
  }
}
