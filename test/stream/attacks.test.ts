// The stream machine attacked (and misled) at its lowest level: each case here failed before its fix.
import { describe, expect, it } from 'vitest';
import { HashChainSecret } from '../../src/stream/hashchain.js';
import { step, type ChainLock, type StreamContext } from '../../src/stream/machine.js';
import type { PayeeRecord, PayerRecord } from '../../src/stream/record.js';
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

describe('a hash-chain budget the payee gives back', () => {
  const chained = makeTerms({ rate: { amount: 10n, perMs: 100 }, max: 100n, mode: 'hashchain' }); // 10 units of 10 msat
  const payer = (status: PayerRecord['status'], ticksPaid: number, extra: Partial<PayerRecord> = {}): PayerRecord => ({
    id: '11'.repeat(16), role: 'payer', peerId: 'bob', channelId: '22'.repeat(32), terms: chained, status, startedAt: T0, activeMs: 0, ticksPaid,
    chain: { seed: '07'.repeat(32), units: 10, unit: 10n, lockId: 2 }, ...extra,
  });
  const back = { type: 'budgetReturned', now: T0 + 5000 } as const;
  const released = (r: ReturnType<typeof step>) => (r.ok ? r.effects.flatMap((e) => (e.type === 'release' ? [e] : [])) : []);

  it('gives the limits back every unit past the depth revealed, from the hour it was held, once', () => {
    const r = step(payer('stopped', 3, { endedAt: T0 + 400 }), back, ctx);
    expect(released(r)).toEqual([{ type: 'release', amount: 70n, at: T0 }]);
    const again = step((r as { stream: PayerRecord }).stream, back, ctx);
    expect(again.ok).toBe(false); // a second release of the same lock gives nothing back twice
  });

  it('mid-stream it ends the stream: nothing locked backs the reveals any more', () => {
    const r = step(payer('active', 4, { resumedAt: T0 }), back, ctx);
    expect(r.ok && r.stream.status).toBe('stopped');
    expect(released(r)).toEqual([{ type: 'release', amount: 60n, at: T0 }]);
  });

  it('gives the hold back for an open this node gave up when it restarted, whose lock was signed later', () => {
    const r = step(payer('rejected', 0, { budgetHold: { amount: 100n, at: T0 - 5 }, endedAt: T0 }), back, ctx);
    expect(released(r)).toEqual([{ type: 'release', amount: 100n, at: T0 - 5 }]);
    expect(r.ok && r.stream.role === 'payer' && r.stream.budgetHold).toBeUndefined();
  });

  it('gives nothing back while the budget is still only held (the lock is not signed yet)', () => {
    expect(step(payer('opening', 0, { budgetHold: { amount: 100n, at: T0 } }), back, ctx).ok).toBe(false);
    expect(released(step(payer('finished', 10), back, ctx))).toEqual([]); // all revealed: all spent
  });
});

describe('a hash-chain payer that makes the payee hash a million times per message', () => {
  // 100,000 ticks of 100 ms: a reveal at the far end would cost the payee 100,000 hashes to check.
  const long = makeTerms({ rate: { amount: 10n, perMs: 100 }, max: 1_000_000n, mode: 'hashchain' });
  const secret = HashChainSecret.create(new Uint8Array(32).fill(9), 100_000);
  const lock: ChainLock = { root: secret.root, unit: 10n, maxUnits: 100_000, from: 'A' };
  const payee: PayeeRecord = {
    id: '11'.repeat(16), role: 'payee', peerId: 'alice', channelId: '22'.repeat(32), terms: long, status: 'active', startedAt: T0, ticks: 0, paid: 0n, late: false,
    chain: { lockId: 2, units: 100_000, unit: 10n, revealedDepth: 0 },
  };
  const reveal = (depth: number, value: Uint8Array, now: number) => step(payee, { type: 'reveal', depth, value, lock, localSide: 'B', now }, ctx);

  it('refuses, before hashing, a reveal deeper than the time since the open could have paid', () => {
    const r = reveal(100_000, new Uint8Array(32), T0 + 5000); // 5 s in: at most 50 ticks (and a second of slack)
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('too-early');
    // an honest reveal at that time is taken
    const honest = reveal(50, secret.preimageAt(50), T0 + 5000);
    expect(honest.ok && honest.stream.role === 'payee' && honest.stream.paid).toBe(500n);
  });

  it('stops the stream at the first wrong preimage: an honest payer never sends one, so no one can repeat it', () => {
    const r = reveal(40, new Uint8Array(32).fill(1), T0 + 5000);
    expect(r.ok && r.stream.status).toBe('stopped');
    expect(r.ok && r.effects.some((e) => e.type === 'send' && e.message.kind === 'streamControl')).toBe(true);
  });
});
