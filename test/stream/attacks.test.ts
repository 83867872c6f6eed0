// The stream machine attacked (and misled) at its lowest level: each case here failed before its fix.
import { describe, expect, it } from 'vitest';
import { step, type StreamContext } from '../../src/stream/machine.js';
import type { PayeeRecord } from '../../src/stream/record.js';
import { makeTerms } from '../../src/stream/terms.js';
import { payeeWakeAt } from '../../src/stream/wake.js';

const T0 = 1_000_000;
const ctx: StreamContext = { graceMs: 2000, checkpointTicks: 60, idleExpiryMs: 60_000 };

describe('idle expiry against a stream whose first tick comes after a minute', () => {
  // 2sat/min billed per interval: the honest payer's first payment falls due 60 s after the open.
  const perMinute = makeTerms({ rate: { amount: 2000n, perMs: 60_000 }, billing: 'interval', max: 20_000n });
  const fresh: PayeeRecord = { id: '11'.repeat(16), role: 'payee', peerId: 'alice', channelId: '22'.repeat(32), terms: perMinute, status: 'active', startedAt: T0, ticks: 0, paid: 0n, late: false };

  it('is not dropped as never paid before its first tick could have been paid', () => {
    const r = step(fresh, { type: 'tick', now: T0 + 60_001, reachable: true, spendable: 0n }, ctx);
    expect(r.ok && r.effects.map((e) => e.type)).not.toContain('drop');
    // the payment that arrives a little after the minute is metered
    const paid = step(fresh, { type: 'paid', amount: 2000n, ticks: 1, seq: 3n, gap: false, now: T0 + 60_150 }, ctx);
    expect(paid.ok && paid.stream.role === 'payee' && paid.stream.paid).toBe(2000n);
  });

  it('is dropped once it is idle for the expiry past its first tick, and the due-queue wakes it then', () => {
    const at = payeeWakeAt(fresh, ctx, T0);
    expect(at).toBe(T0 + 60_000 + 2000 + 1); // late first
    const dropAt = payeeWakeAt({ ...fresh, late: true }, ctx, T0 + 70_000);
    expect(dropAt).toBe(T0 + 60_000 + 60_000 + 1);
    const r = step({ ...fresh, late: true }, { type: 'tick', now: dropAt!, reachable: true, spendable: 0n }, ctx);
    expect(r.ok && r.effects.map((e) => e.type)).toContain('drop');
  });
});
