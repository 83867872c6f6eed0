// A payer and a payee machine joined by a model channel, under random time, refusals, disconnects and
// restarts of either side (each restart reloads what was last stored, as the node does). However the
// events fall: the payee's meter never reports more than moved to it in signed states, and the payer
// never moves more than its cap or its spending limit.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { step, type StreamContext, type StreamEffect, type StreamEvent } from '../../src/stream/machine.js';
import { admitPayee, openMessage, openPayer } from '../../src/stream/open.js';
import { paymentGap } from '../../src/stream/payee-step.js';
import { payerTicks, type PayeeRecord, type PayerRecord, type StreamRecord } from '../../src/stream/record.js';
import { makeTerms, type StreamTerms } from '../../src/stream/terms.js';

const ctx: StreamContext = { graceMs: 1000, checkpointTicks: 60, idleExpiryMs: 10 ** 12 };

const termsArb = fc
  .record({
    amount: fc.bigInt({ min: 1n, max: 500n }),
    perMs: fc.constantFrom(50, 100, 250, 1000, 60_000),
    max: fc.option(fc.bigInt({ min: 1n, max: 20_000n }), { nil: undefined }),
  })
  .map(({ amount, perMs, max }): StreamTerms => makeTerms({ rate: { amount, perMs }, max }));

type Action =
  | { advance: number }
  /** A hostile payer's own streamPay in a signed state: any amount, any tick total it likes. */
  | { forge: bigint; ticks: number }
  | 'deliver' | 'refuse' | 'disconnect' | 'reconnect' | 'restartPayer' | 'restartPayee' | 'flushPayee' | 'pause' | 'resume';

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 5000 }).map((ms) => ({ advance: ms })) },
  { weight: 4, arbitrary: fc.constant('deliver' as const) },
  { weight: 1, arbitrary: fc.record({ forge: fc.bigInt({ min: 0n, max: 50n }), ticks: fc.integer({ min: 1, max: 4_000_000_000 }) }) },
  { weight: 1, arbitrary: fc.constantFrom('refuse', 'disconnect', 'reconnect', 'restartPayer', 'restartPayee', 'flushPayee', 'pause', 'resume') },
);

/** A payer record as it is reloaded: the stored form (a held payment counts as paid), resumed offline. */
function reloadPayer(stored: PayerRecord): PayerRecord {
  const { resumedAt: _r, ...rest } = stored;
  if (stored.status !== 'active' && stored.status !== 'paused') return stored;
  return { ...rest, activeMs: stored.ticksPaid * stored.terms.tickMs, offline: true };
}
function storedPayer(r: PayerRecord): PayerRecord {
  const { held: _h, ...rest } = r;
  return { ...rest, ticksPaid: payerTicks(r) };
}

describe('stream machine, payer and payee under random events', () => {
  it('the meter never counts more than moved, and the payer never moves more than its caps', () => {
    fc.assert(
      fc.property(termsArb, fc.bigInt({ min: 0n, max: 30_000n }), fc.array(actionArb, { maxLength: 80 }), (terms, limit, actions) => {
        let now = 1_000_000;
        let payer: PayerRecord = openPayer({ id: 'ab'.repeat(16), peerId: 'b', channelId: 'cd'.repeat(32), terms, now });
        const admitted = admitPayee(openMessage(payer), { peerId: 'a', now, channelOpen: true, idInUse: false, liveStreams: 0, maxStreams: 1, locksInUse: new Set() });
        if (!admitted.ok) throw new Error(admitted.reason);
        let payee: PayeeRecord = admitted.stream;
        let payeeStored = payee;
        let payerStored = payer;
        let payeeRecovered = false;
        let reachable = true;
        let seq = 0n;
        let moved = 0n; // to the payee, in signed states
        let forged = 0n; // of which by the hostile payer's own ops
        let spent = 0n; // held against the limit
        // payments proposed and stored in the channel, not yet signed by both or refused (oldest first)
        const inFlight: { amount: bigint; ticks: number }[] = [];

        const run = (who: 'payer' | 'payee', ev: StreamEvent): void => {
          const r = step(who === 'payer' ? payer : payee, ev, ctx);
          if (!r.ok) {
            expect(r.error.kind).not.toBe('conflict'); // the model never asks for what the status forbids...
            return;
          }
          if (who === 'payer') payer = r.stream as PayerRecord;
          else payee = r.stream as PayeeRecord;
          for (const e of r.effects) apply(who, r.stream, e);
        };
        const apply = (who: 'payer' | 'payee', s: StreamRecord, e: StreamEffect): void => {
          if (e.type === 'hold') spent += e.amount;
          if (e.type === 'release') spent -= e.amount;
          if (e.type === 'pay') {
            inFlight.push({ amount: e.amount, ticks: e.ticks });
            payerStored = storedPayer(s as PayerRecord); // stored with the state that carries it
          }
          if (e.type === 'persist' && e.when === 'now') {
            if (who === 'payer') payerStored = storedPayer(s as PayerRecord);
            else payeeStored = s as PayeeRecord;
          }
        };
        run('payer', { type: 'accepted', now });

        for (const a of actions) {
          if (typeof a === 'object' && 'forge' in a) {
            seq++;
            moved += a.forge;
            forged += a.forge;
            const gap = payeeRecovered && paymentGap(payee, seq);
            payeeRecovered = false;
            run('payee', { type: 'paid', amount: a.forge, ticks: a.ticks, seq, gap, now });
          } else if (typeof a === 'object') {
            now += a.advance;
            run('payer', { type: 'tick', now, reachable, spendable: 10n ** 12n, allowance: limit - spent });
            run('payee', { type: 'tick', now, reachable: true, spendable: 0n });
          } else if (a === 'deliver' && inFlight.length > 0) {
            const p = inFlight.shift()!;
            seq++;
            moved += p.amount;
            const gap = payeeRecovered && paymentGap(payee, seq);
            payeeRecovered = false;
            run('payee', { type: 'paid', amount: p.amount, ticks: p.ticks, seq, gap, now });
            run('payer', { type: 'committed', ticks: p.ticks, now });
          } else if (a === 'refuse' && inFlight.length > 0) {
            const p = inFlight.shift()!;
            run('payer', { type: 'refused', ticks: p.ticks, reason: 'refused', now });
          } else if (a === 'disconnect') reachable = false;
          else if (a === 'reconnect') {
            reachable = true;
            run('payer', { type: 'peerConnected', now });
          } else if (a === 'restartPayer') {
            payer = reloadPayer(payerStored);
            // what was in flight is in a stored channel state: it may still be delivered, unknown to the payer
          } else if (a === 'restartPayee') {
            payee = payeeStored;
            payeeRecovered = true;
          } else if (a === 'flushPayee') payeeStored = payee;
          else if ((a === 'pause' || a === 'resume') && (payer.status === 'active' || payer.status === 'paused')) {
            run('payer', { type: 'control', action: a, now });
          }
          expect(payee.paid).toBeLessThanOrEqual(moved);
          expect(moved - forged).toBeLessThanOrEqual(limit);
          const proposed = inFlight.reduce((sum, p) => sum + p.amount, moved - forged);
          if (terms.max !== undefined) expect(proposed).toBeLessThanOrEqual(terms.max);
          expect(proposed).toBeLessThanOrEqual(limit);
          expect(payer.ticksPaid).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
