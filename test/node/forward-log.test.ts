// The forwarding history: kept across a restart of the store, newest last, and bounded (a peer that
// sends many HTLCs makes the log roll, never grow past its bound, on disk too).
import { describe, expect, it } from 'vitest';
import { ForwardLog } from '../../src/node/forward-log.js';
import { MemoryNodeStore } from '../../src/node/memory-store.js';
import { silentLogger } from '../../src/util/log.js';
import type { ForwardView } from '../../src/api/routing-types.js';
import { until } from '../helpers/until.js';

const view = (n: number): ForwardView => ({
  incomingChannelId: 'aa'.repeat(32), outgoingChannelId: 'bb'.repeat(32), paymentHash: n.toString(16).padStart(64, '0'),
  amountIn: 1_001_000n + BigInt(n), amountOut: 1_000_000n, fee: 1_000n + BigInt(n), status: 'settled', createdAt: 1_700_000_000_000 + n, resolvedAt: 1_700_000_000_000 + n,
});

describe('forward log', () => {
  it('keeps the newest maxEntries, in order, in memory and in the store', async () => {
    const store = new MemoryNodeStore();
    const seen: ForwardView[] = [];
    const log = new ForwardLog({ store, log: silentLogger(), maxEntries: 5, onAdded: (f) => seen.push(f) });
    await log.load();
    for (let i = 0; i < 12; i++) log.add(view(i));
    expect(log.list().map((f) => f.fee)).toEqual([1_007n, 1_008n, 1_009n, 1_010n, 1_011n]);
    expect(seen).toHaveLength(12);
    await until(async () => (await store.loadRecords('forward')).length === 5, 5_000, 'the store to hold five');
    const again = new ForwardLog({ store, log: silentLogger(), maxEntries: 5 });
    await again.load();
    expect(again.list()).toEqual(log.list());
    again.add(view(12));
    expect(again.list().map((f) => f.fee)).toEqual([1_008n, 1_009n, 1_010n, 1_011n, 1_012n]);
  });

  it('a damaged entry is skipped, the rest load', async () => {
    const store = new MemoryNodeStore();
    await store.writeRecords([{ kind: 'forward', key: '000000000000', value: { amountIn: 'lots' } }]);
    const log = new ForwardLog({ store, log: silentLogger() });
    await log.load();
    log.add(view(1));
    expect(log.list()).toHaveLength(1);
  });
});
