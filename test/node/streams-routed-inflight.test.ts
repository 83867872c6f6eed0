// A batch whose HTLC is still out when payNode's time limit ends (it resolves with status 'inflight',
// e.g. a hub died holding it): the payer must neither count it as failed nor re-batch its ticks until
// the switch delivers its outcome, else a settled batch would be paid again (or the payee, whose meter
// moved, would refuse the next batch and stop a healthy stream). Also after a restart: a held batch
// found in flight is waited for, not offered again.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/node/clock.js';
import { batchCltvMargin, RoutedStreams, type BatchOutcome } from '../../src/node/streams-routed.js';
import type { StreamShell } from '../../src/node/streams.js';
import type { StreamEvent } from '../../src/stream/machine.js';
import { openPayer } from '../../src/stream/open.js';
import type { PayerRecord } from '../../src/stream/record.js';
import { makeTerms } from '../../src/stream/terms.js';
import type { PaymentView } from '../../src/payments/views.js';
import { toHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { batchPreimage } from '../../src/stream/batch.js';

const ID = '11'.repeat(16);
const PAYEE = '02' + 'ab'.repeat(32);
const HEIGHT = 500;
const terms = makeTerms({ rate: { amount: 10_000n, perMs: 1000 }, durationMs: 30_000 });

function setup() {
  const record: PayerRecord = {
    ...openPayer({ id: ID, peerId: PAYEE, channelId: '00'.repeat(32), terms, now: 0 }), status: 'active', resumedAt: 0,
    routed: { batchMs: 1000, maxFeeMsat: 5000n, secret: '22'.repeat(32), route: ['hub', PAYEE], quotedFeeMsat: 1001n, feesPaid: 0n },
    held: { ticks: 3, amount: 30_000n, at: 3000 },
  };
  const events: StreamEvent[] = [];
  const offers: string[] = [];
  const payments = new Map<string, PaymentView>();
  const shell = {
    o: { log: { error: () => {}, warn: () => {} }, height: () => HEIGHT },
    records: { get: (id: string) => (id === ID ? record : undefined), all: new Map([[ID, record]]), notEnded: () => [record] },
    clock: new ManualClock(3000),
    run: (_id: string, ev: StreamEvent) => (events.push(ev), Promise.resolve()),
  } as unknown as StreamShell;
  const hash = toHex(sha256(batchPreimage('22'.repeat(32), { streamId: ID, from: 0, to: 3 })));
  const routed = new RoutedStreams(shell, {
    payer: {
      // the time limit ends with the HTLC still out: payNode resolves with the payment in flight
      payNode: (_node: string, amount: bigint) => {
        const v = { paymentHash: hash, status: 'inflight', amountMsat: amount, feeMsat: 0n } as unknown as PaymentView;
        payments.set(hash, v);
        offers.push(hash);
        return Promise.resolve(v);
      },
      queryRoute: () => { throw new Error('not used'); },
      get: (h: string) => payments.get(h),
    } as never,
    localChannels: () => [],
    addressOf: () => undefined,
  });
  return { record, events, offers, payments, routed, hash };
}

const settle = (o: Partial<BatchOutcome> & { paymentHash: string }): BatchOutcome => ({ status: 'succeeded', feeMsat: 1001n, ...o });

describe('a routed batch still in flight at its time limit', () => {
  it('is neither failed nor re-batched while in flight; its settle, when it comes, commits exactly its ticks', async () => {
    const t = setup();
    t.routed.resume(); // the held batch was never offered (a fresh start): offered now, under its derived hash
    const hash = t.hash;
    expect(t.offers).toEqual([hash]);
    await new Promise((r) => setImmediate(r)); // payNode's in-flight view reaches the payer
    expect(t.events).toEqual([]); // nothing counted, nothing refused
    t.routed.outcome({ paymentHash: hash, status: 'inflight', feeMsat: 0n });
    expect(t.events).toEqual([]);
    t.payments.set(hash, { paymentHash: hash, status: 'succeeded', feeMsat: 1001n } as unknown as PaymentView);
    t.routed.outcome(settle({ paymentHash: hash }));
    expect(t.events).toEqual([{ type: 'committed', ticks: 3, feeMsat: 1001n, now: 3000 }]);
    t.routed.outcome(settle({ paymentHash: hash })); // told again (at least once): counted once
    expect(t.events).toHaveLength(1);
  });

  it('after a restart, a held batch whose payment is in flight is waited for, not offered again; its failure then frees its ticks', () => {
    const again = setup();
    const hash = again.hash;
    again.payments.set(hash, { paymentHash: hash, status: 'inflight', feeMsat: 0n } as unknown as PaymentView);
    again.routed.resume();
    expect(again.offers).toEqual([]);
    expect(again.events).toEqual([]);
    again.payments.set(hash, { paymentHash: hash, status: 'failed', feeMsat: 0n, failure: { message: 'no route', reason: 'no_route' } } as unknown as PaymentView);
    again.routed.outcome({ paymentHash: hash, status: 'failed', feeMsat: 0n });
    expect(again.events).toEqual([{ type: 'refused', ticks: 3, reason: 'no route', now: 3000, final: false }]);
  });
});

describe('a batch the payee refused', () => {
  // the payee's failure for a late HTLC and for a refused stream is the same PERM|15: the attempt's expiry tells them apart
  const refusedWith = (finalExpiry: number) => ({
    paymentHash: '', status: 'failed', feeMsat: 0n, failure: { reason: 'rejected_by_payee', message: 'the payee failed with incorrect_or_unknown_payment_details' },
    attempts: [{ route: [{ expiryHeight: finalExpiry + 12 }, { expiryHeight: finalExpiry }] }],
  }) as unknown as PaymentView;

  it('stops the stream when the HTLC had time to spare (the payee refused the batch itself)', () => {
    const t = setup();
    t.routed.resume();
    t.payments.set(t.hash, { ...refusedWith(HEIGHT + 20), paymentHash: t.hash });
    t.routed.outcome({ paymentHash: t.hash, status: 'failed', feeMsat: 0n });
    expect(t.events).toMatchObject([{ type: 'refused', ticks: 3, final: true }]);
  });

  it('re-batches its ticks when the HTLC came too late for any payee (held by a hub, fast blocks): the stream goes on', () => {
    const t = setup();
    t.routed.resume();
    t.payments.set(t.hash, { ...refusedWith(HEIGHT + 12), paymentHash: t.hash }); // within a block of the payee's minimum of 12
    t.routed.outcome({ paymentHash: t.hash, status: 'failed', feeMsat: 0n });
    expect(t.events).toMatchObject([{ type: 'refused', ticks: 3, final: false }]);
  });
});

describe("a batch HTLC's expiry margin", () => {
  it('covers the batch time limit (30 s) in blocks, at least 12, at most the payer allows', () => {
    expect(batchCltvMargin(100)).toBe(300); // the process tests' blocks: 30 s of them
    expect(batchCltvMargin(1000)).toBe(30);
    expect(batchCltvMargin(60_000)).toBe(12);
    expect(batchCltvMargin(undefined)).toBe(12);
    expect(batchCltvMargin(1)).toBe(1008);
  });
});
