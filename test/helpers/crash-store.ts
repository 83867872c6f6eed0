// A store that "crashes" the node at a chosen write: from that point no write is durable, as if the
// process had died there. `after` crashes once the matching write is stored (it is the last one on
// disk); `at` crashes on the matching write itself (it never reaches the disk). The test then stops
// the node and starts a new one on the same data dir.
import { join } from 'node:path';
import type { Channel } from '../../src/channel/machine.js';
import { LevelNodeStore } from '../../src/node/store.js';
import type { RecordWrite } from '../../src/node/store-port.js';
import { FaultyStore, type StoreWrite } from './store-doubles.js';

export interface CrashPoint {
  after?: (w: StoreWrite) => boolean;
  at?: (w: StoreWrite) => boolean;
}

export class CrashingStore extends FaultyStore {
  private crashed = false;
  private hit?: StoreWrite;
  /** Resolves when the crash point is reached (for `after`, once that write is durable). */
  readonly reached: Promise<StoreWrite>;
  private reach!: (w: StoreWrite) => void;

  constructor(dataDir: string, point: CrashPoint) {
    super(new LevelNodeStore(join(dataDir, 'db')));
    this.reached = new Promise((r) => (this.reach = r));
    this.fail((w) => {
      if (this.crashed) return true;
      if (point.at?.(w)) {
        this.crashed = true;
        this.reach(w);
        return true;
      }
      if (point.after?.(w)) {
        this.crashed = true;
        this.hit = w;
      }
      return false;
    }, { times: Infinity });
  }

  override async saveChannel(ch: Channel, attached: readonly RecordWrite[] = []): Promise<void> {
    const n = this.writes.length + 1;
    await super.saveChannel(ch, attached);
    if (this.hit?.n === n) this.reach(this.hit);
  }

  override async writeRecords(writes: readonly RecordWrite[]): Promise<void> {
    const n = this.writes.length + 1;
    await super.writeRecords(writes);
    if (this.hit?.n === n) this.reach(this.hit);
  }
}

/** The records a write carries of the switch's (`in/...`, `out/...`), with their values. */
export function htlcRecords(w: StoreWrite): { key: string; value?: Record<string, unknown> }[] {
  return (w.records ?? []).filter((r) => r.kind === 'htlc').map((r) => ({ key: r.key, ...('value' in r ? { value: r.value as Record<string, unknown> } : {}) }));
}
