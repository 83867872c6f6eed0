// Random terms and random event sequences: the payer never pays past its terms or for time it did not
// run online, its totals stay absolute (paid == owedAfter(ticksPaid)), and a meter fed the same
// payments accepts every one and ends on the same total — nothing is lost or counted twice.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeTerms, maxTicks, owedAfter, type StreamTerms } from '../../src/stream/terms.js';
import { goOffline, goOnline, pausePayer, recordTicks, resumePayer, startPayer, stopPayer, ticksDue } from '../../src/stream/payer.js';
import { meterTick, meterTickTo, pauseMeter, resumeMeter, startMeter, stopMeter } from '../../src/stream/payee.js';

const termsArb = fc
  .record({
    amount: fc.bigInt({ min: 1n, max: 5000n }),
    perMs: fc.constantFrom(1, 7, 100, 250, 999, 1000, 1500, 60_000, 3_600_000),
    billing: fc.constantFrom('prorata' as const, 'interval' as const),
    max: fc.option(fc.bigInt({ min: 1n, max: 200_000n }), { nil: undefined }),
    durationMs: fc.option(fc.integer({ min: 3_600_000, max: 10_000_000 }), { nil: undefined }),
  })
  .map(({ amount, perMs, billing, max, durationMs }): StreamTerms => makeTerms({ rate: { amount, perMs }, billing, max, durationMs }));

const eventArb = fc.oneof(
  fc.constantFrom('pause' as const, 'resume' as const, 'offline' as const, 'online' as const, 'pay' as const, 'stop' as const),
  fc.integer({ min: 0, max: 120_000 }).map((ms) => ({ advance: ms })),
);

describe('payer and meter under random schedules', () => {
  it('pay exactly the terms for the time used, and agree to the msat', () => {
    fc.assert(
      fc.property(termsArb, fc.array(eventArb, { maxLength: 60 }), (terms, events) => {
        let now = 10_000;
        let s = startPayer('s', terms, now);
        let m = startMeter('s', terms, now);
        // The model: running-and-online time, tracked independently of the payer's own bookkeeping.
        let running = true;
        let online = true;
        let stopped = false;
        let used = 0;
        const end = maxTicks(terms);
        for (const e of [...events, 'pay' as const]) {
          if (typeof e === 'object') {
            if (running && online && !stopped) used += e.advance;
            now += e.advance;
            continue;
          }
          switch (e) {
            case 'pause':
              s = pausePayer(s, now);
              m = pauseMeter(m, now);
              if (!stopped) running = false;
              break;
            case 'resume':
              s = resumePayer(s, now);
              m = resumeMeter(m, now);
              if (!stopped && s.status !== 'finished') running = true;
              break;
            case 'offline':
              s = goOffline(s, now);
              online = false;
              break;
            case 'online':
              s = goOnline(s, now);
              online = true;
              break;
            case 'stop':
              s = stopPayer(s, now);
              m = stopMeter(m, now);
              stopped = true;
              break;
            case 'pay': {
              const before = s.paid;
              const n = ticksDue(s, now);
              s = recordTicks(s, n, now);
              if (n > 0) {
                const r = meterTick(m, s.paid - before, n, now);
                if ('error' in r) {
                  // Only a meter stopped before the payer settled its used ticks may refuse.
                  expect(m.status).toBe('stopped');
                } else {
                  m = r.meter;
                  // The same payment delivered again (a retransmit) is refused: nothing counted twice.
                  expect(meterTickTo(m, s.paid - before, s.ticksPaid, now)).toHaveProperty('error');
                }
              }
              break;
            }
          }
          expect(s.paid).toBe(owedAfter(terms, s.ticksPaid));
          if (terms.max !== undefined) expect(s.paid <= terms.max).toBe(true);
          if (end !== undefined) expect(s.ticksPaid).toBeLessThanOrEqual(end);
          expect(s.ticksPaid * terms.tickMs).toBeLessThanOrEqual(used); // never pays for paused or offline time
        }
        expect(ticksDue(s, now)).toBe(0);
        expect(s.ticksPaid).toBe(end === undefined ? Math.floor(used / terms.tickMs) : Math.min(end, Math.floor(used / terms.tickMs)));
        if (!stopped) expect({ ticks: m.ticks, paid: m.paid }).toEqual({ ticks: s.ticksPaid, paid: s.paid });
        if (s.status === 'finished') expect(s.ticksPaid).toBe(end);
      }),
      { numRuns: 300 },
    );
  });

  it('sum of per-tick amounts equals the cumulative total for any split (property)', () => {
    fc.assert(
      fc.property(termsArb, fc.array(fc.integer({ min: 1, max: 500 }), { maxLength: 20 }), (terms, steps) => {
        let m = startMeter('s', terms, 0);
        let ticks = 0;
        for (const n of steps) {
          const end = maxTicks(terms);
          const amount = owedAfter(terms, ticks + n) - owedAfter(terms, ticks);
          const r = meterTick(m, amount, n, 0);
          if (end !== undefined && ticks + n > end) {
            expect(r).toMatchObject({ error: { reason: end === ticks ? 'not-running' : 'too-many-ticks' } });
            continue;
          }
          if ('error' in r) {
            expect(m.status).toBe('finished');
            continue;
          }
          m = r.meter;
          ticks += n;
        }
        expect(m.paid).toBe(owedAfter(terms, ticks));
      }),
    );
  });
});
