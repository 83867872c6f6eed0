// The spending-limit ledger is stored coalesced (one write in flight, one more if it changed meanwhile),
// and only while a limit is set. These check what a restart sees and how many writes a burst costs.
import { describe, expect, it } from 'vitest';
import { MemoryNodeStore } from '../../src/node/memory-store.js';
import { StreamRecords } from '../../src/node/streams-records.js';
import type { NodeStore } from '../../src/node/store.js';
import { silentLogger } from '../../src/util/log.js';

const PEER = '02' + '11'.repeat(32);
const channels = { afterPending: async (_id: string, fn: () => Promise<void>) => fn(), channels: new Map() };

function counting(store: NodeStore): { store: NodeStore; writes: () => number } {
  let n = 0;
  const saveStream = store.saveStream.bind(store);
  store.saveStream = async (key, value) => {
    n++;
    await saveStream(key, value);
  };
  return { store, writes: () => n };
}

describe('the stored spending ledger', () => {
  it('a restart sees every hold and release of a burst, written with far fewer writes than holds', async () => {
    const mem = new MemoryNodeStore();
    const { store, writes } = counting(mem);
    const limits = { total: 1_000_000n };
    const a = new StreamRecords({ store, channels: channels as never, log: silentLogger(), nodeLimits: limits });
    const now = Date.now();
    for (let i = 0; i < 1000; i++) expect(a.reserve(PEER, 500n, now)).toBe(true);
    a.release(PEER, 100_000n, now);
    await a.spendStored();
    expect(writes()).toBeLessThan(10);

    const b = new StreamRecords({ store: mem, channels: channels as never, log: silentLogger(), nodeLimits: limits });
    await b.load(now);
    // 1000 × 500 held, 100,000 given back: 600,000 of the 1,000,000 left
    expect(b.allowance(PEER, now)).toBe(600_000n);
  });

  it('writes nothing when no limit is set', async () => {
    const { store, writes } = counting(new MemoryNodeStore());
    const a = new StreamRecords({ store, channels: channels as never, log: silentLogger() });
    for (let i = 0; i < 100; i++) a.reserve(PEER, 500n, Date.now());
    await a.spendStored();
    expect(writes()).toBe(0);
  });
});
