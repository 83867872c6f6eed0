// The routed-payment and invoice views survive their JSON forms exactly (amounts as decimal strings),
// as events on the feed too, and a bad field is named.
import { describe, expect, it } from 'vitest';
import { nodeEventCodec } from '../../src/api/codec.js';
import { createdInvoiceCodec, invoiceViewCodec, paymentViewCodec, routeQueryCodec } from '../../src/api/payment-codec.js';
import type { InvoiceView, PaymentView } from '../../src/api/payment-types.js';

const hop = { shortChannelId: '00000000000000ab', nodeId: `02${'1'.repeat(64)}`, amountMsat: 1_001_000n, expiryHeight: 130 };
const payment: PaymentView = {
  paymentHash: 'ab'.repeat(32), status: 'failed', destination: `03${'2'.repeat(64)}`, amountMsat: 1_000_000n, feeMsat: 0n, route: [hop],
  attempts: [
    { attemptId: 'a1', status: 'failed', route: [hop], amountMsat: 1_001_000n, feeMsat: 1000n, startedAt: 5, resolvedAt: 6, failure: { failingHop: -1, codeName: 'refused', message: 'peer away' } },
    { attemptId: 'a2', status: 'failed', route: [hop, { ...hop, nodeId: `03${'2'.repeat(64)}` }], amountMsat: 1_001_000n, feeMsat: 1000n, startedAt: 7, failure: { failingHop: 1, failingNode: `03${'2'.repeat(64)}`, code: 0x400f, codeName: 'incorrect_or_unknown_payment_details', message: 'the payee failed' } },
  ],
  failure: { reason: 'rejected_by_payee', message: 'the payee failed', failingHop: 1, code: 0x400f, codeName: 'incorrect_or_unknown_payment_details' },
  keysend: false, invoice: 'lnsb1...', createdAt: 1, resolvedAt: 8,
};
const invoice: InvoiceView = { paymentHash: 'cd'.repeat(32), invoice: 'lnsb1...', amountMsat: 2500n, description: 'tea', status: 'paid', createdAt: 1, expiresAt: 2, paidAt: 3, receivedMsat: 2500n, keysend: false };
const roundTrip = <T>(c: { encode(v: T): unknown; decode(v: unknown): T }, v: T) => c.decode(JSON.parse(JSON.stringify(c.encode(v))));

describe('payment codecs', () => {
  it.each([
    ['a failed payment', payment],
    ['a succeeded one', { ...payment, status: 'succeeded', failure: undefined, preimage: '00'.repeat(32), feeMsat: 1000n }],
  ] as const)('%s round-trips', (_n, p) => {
    const clean = JSON.parse(JSON.stringify(p, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
    expect(JSON.parse(JSON.stringify(roundTrip(paymentViewCodec, p as PaymentView), (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)))).toEqual(clean);
  });

  it('invoices, created invoices and route queries round-trip', () => {
    expect(roundTrip(invoiceViewCodec, invoice)).toEqual(invoice);
    const created = { invoice: 'lnsb1...', paymentHash: 'ef'.repeat(32), paymentSecret: '01'.repeat(32), amountMsat: 5n, expiresAt: 9 };
    expect(roundTrip(createdInvoiceCodec, created)).toEqual(created);
    const q = { destination: hop.nodeId, amountMsat: 1n, feeMsat: 2n, totalMsat: 3n, expiryHeight: 4, route: [hop] };
    expect(roundTrip(routeQueryCodec, q)).toEqual(q);
  });

  it('amounts travel as decimal strings', () => {
    expect(paymentViewCodec.encode(payment)).toMatchObject({ amountMsat: '1000000', feeMsat: '0' });
  });

  it.each([
    ['status', { status: 'maybe' }, /status/],
    ['an amount', { amountMsat: 12 }, /amountMsat/],
    ['the failure reason', { failure: { reason: 'bad luck', message: 'x' } }, /reason/],
  ])('a bad %s is refused with the field named', (_n, over, re) => {
    expect(() => paymentViewCodec.decode({ ...(paymentViewCodec.encode(payment) as object), ...over })).toThrow(re);
  });

  it('payment and invoice events round-trip on the event feed', () => {
    for (const e of [{ type: 'paymentFailed', payment } as const, { type: 'invoicePaid', invoice } as const]) {
      expect(nodeEventCodec.decode(JSON.parse(JSON.stringify(nodeEventCodec.encode(e))))).toEqual(e);
    }
  });
});
