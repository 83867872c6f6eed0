// The stream shell against fakes of what it touches (channels, peers) and a clock the test drives: a hold
// the spending limits refuse stops the step's payment, and the 5 s sweep looks only at running streams.
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/node/clock.js';
import { MemoryNodeStore } from '../../src/node/memory-store.js';
import { StreamManager, type StreamManagerOptions, type StreamPolicy } from '../../src/node/streams.js';
import type { PayeeRecord, PayerRecord } from '../../src/stream/record.js';
import { makeTerms } from '../../src/stream/terms.js';
import * as wake from '../../src/stream/wake.js';
import { silentLogger } from '../../src/util/log.js';

vi.mock('../../src/stream/wake.js', async (importOriginal) => {
  const real = await importOriginal<typeof wake>();
  return { ...real, wakeAt: vi.fn(real.wakeAt) };
});

const T0 = 1_000_000_000;
const P1 = 'ab'.repeat(16);
const terms = makeTerms({ rate: { amount: 100n, perMs: 1000 } });

function manager(policy: StreamPolicy = {}) {
  const clock = new ManualClock(T0);
  const submitOps = vi.fn(() => ({ ref: 'r', settled: new Promise<never>(() => undefined) }));
  const send = vi.fn();
  const channels = { afterPending: (_id: string, fn: () => Promise<void>) => fn(), channels: new Map(), submitOps, payable: () => undefined };
  const o = {
    store: new MemoryNodeStore(), channels, peers: { send, isConnected: () => true }, wallet: {}, log: silentLogger(), policy,
    emit: () => undefined, ledger: { channel: async () => undefined }, height: () => 0, clock,
  } as unknown as StreamManagerOptions;
  return { m: new StreamManager(o), clock, submitOps, send };
}

const payer = (id: string, extra: Partial<PayerRecord> = {}): PayerRecord =>
  ({ id, role: 'payer', peerId: 'b'.repeat(66), channelId: 'c'.repeat(64), terms, status: 'active', startedAt: T0, activeMs: 0, resumedAt: T0, ticksPaid: 0, ...extra });

describe('a hold the spending limits refuse', () => {
  it('runs none of the step\'s later effects (no payment is proposed) and pauses the stream at its limit', async () => {
    const { m, submitOps, send } = manager({ nodeLimits: { total: 100n } });
    m.records.set(payer(P1));
    const held = payer(P1, { held: { ticks: 5, amount: 500n, at: T0 } });
    await m.apply(held, [{ type: 'hold', amount: 500n }, { type: 'pay', amount: 500n, ticks: 5 }], T0);
    expect(submitOps).not.toHaveBeenCalled();
    const after = m.records.get(P1) as PayerRecord;
    expect(after).toMatchObject({ status: 'paused', reason: 'a spending limit is reached', ticksPaid: 0 });
    expect(after.held).toBeUndefined();
    expect(send).toHaveBeenCalledWith('b'.repeat(66), expect.objectContaining({ kind: 'streamControl', action: 'pause' }));
    // nothing was counted, so the whole limit is still there
    expect(m.records.allowance('b'.repeat(66), T0)).toBe(100n);
  });

  it('a hold that fits is counted and its payment proposed', async () => {
    const { m, submitOps } = manager({ nodeLimits: { total: 1000n } });
    m.records.set(payer(P1));
    await m.apply(payer(P1, { held: { ticks: 5, amount: 500n, at: T0 } }), [{ type: 'hold', amount: 500n }, { type: 'pay', amount: 500n, ticks: 5 }], T0);
    expect(submitOps).toHaveBeenCalledTimes(1);
    expect(m.records.allowance('b'.repeat(66), T0)).toBe(500n);
  });
});

describe('the 5 s sweep', () => {
  it('works out the next wake of running streams only, never of ended ones', () => {
    const { m, clock } = manager();
    const ended = (i: number): PayeeRecord => ({
      id: `e${i}`, role: 'payee', peerId: 'a'.repeat(66), channelId: 'c'.repeat(64), terms, status: 'stopped', startedAt: T0, endedAt: T0, ticks: 1, paid: 100n, late: false,
    });
    for (let i = 0; i < 500; i++) m.records.set(ended(i));
    m.records.set(payer('paused', { status: 'paused' }));
    m.start();
    const wakeAt = vi.mocked(wake.wakeAt);
    wakeAt.mockClear();
    clock.advance(100); // the first pass sweeps
    expect(wakeAt.mock.calls.map(([r]) => r.id)).toEqual(['paused']);
    wakeAt.mockClear();
    clock.advance(4_800); // no sweep until 5 s after the last
    expect(wakeAt).not.toHaveBeenCalled();
    clock.advance(200);
    expect(wakeAt.mock.calls.map(([r]) => r.id)).toEqual(['paused']);
    void m.stop();
  });
});
