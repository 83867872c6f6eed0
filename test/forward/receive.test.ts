// The final hop's checks: one row per way an HTLC can fail against the invoice (or keysend), each with
// the exact code and data, the order of the onion checks before the invoice ones, and the settles.
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/hash.js';
import { decideReceive, type DecideReceiveInput, type InvoiceView } from '../../src/forward/receive.js';
import { MIN_FINAL_CLTV_EXPIRY_DELTA } from '../../src/forward/policy.js';
import * as codes from '../../src/onion/failure-codes.js';
import type { FailureDetails } from '../../src/onion/failure-details.js';
import type { HopPayload } from '../../src/onion/payload.js';
import { failureOf, HEIGHT, incoming, PAYMENT_HASH, PREIMAGE, SECRET } from './fixtures.js';

const AMOUNT = 50_000n;
const EXPIRY = HEIGHT + 20;
const SECRET_P = new Uint8Array(32).fill(0x77);
const NOW = 1_700_000_000;

const invoice: InvoiceView = { paymentSecret: SECRET_P, amountMsat: AMOUNT, expiresAtSeconds: NOW + 3600, minFinalCltvExpiryDelta: 18, state: 'open', preimage: PREIMAGE };
const payload = (over: Partial<HopPayload> = {}): HopPayload => ({
  amountToForwardMsat: AMOUNT,
  outgoingCltvValue: BigInt(EXPIRY),
  paymentData: { paymentSecret: SECRET_P, totalMsat: AMOUNT },
  customRecords: [],
  ...over,
});

function receive(over: Partial<DecideReceiveInput> = {}) {
  return decideReceive({
    htlc: incoming(AMOUNT, EXPIRY),
    payload: payload(),
    sharedSecret: SECRET,
    invoice,
    keysend: { accepted: false },
    currentHeight: HEIGHT,
    nowSeconds: NOW,
    ...over,
  });
}

// the data every PERM|15 carries: the HTLC's amount and our height
const details15 = (htlcMsat = AMOUNT): FailureDetails => ({ htlcMsat, height: HEIGHT });
const keysendPreimage = new Uint8Array(32).fill(0x99);
const keysendHtlc = { amountMsat: AMOUNT, expiryHeight: EXPIRY, paymentHash: sha256(keysendPreimage) };
const keysendPayload = payload({ paymentData: undefined, keysendPreimage });

describe('decideReceive: failures', () => {
  const rows: [string, Partial<DecideReceiveInput>, number, FailureDetails, RegExp][] = [
    ['final_incorrect_htlc_amount: the HTLC carries less than the onion says', { htlc: incoming(AMOUNT - 1n, EXPIRY) }, codes.FINAL_INCORRECT_HTLC_AMOUNT, { htlcMsat: AMOUNT - 1n }, /onion says/],
    ['final_incorrect_cltv_expiry: the HTLC expires before the onion says', { htlc: incoming(AMOUNT, EXPIRY - 1) }, codes.FINAL_INCORRECT_CLTV_EXPIRY, { cltvExpiry: EXPIRY - 1 }, /onion says/],
    ['unknown payment hash', { invoice: undefined }, codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details15(), /unknown/],
    ['already paid', { invoice: { ...invoice, state: 'paid' } }, codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details15(), /already paid/],
    ['no payment secret', { payload: payload({ paymentData: undefined }) }, codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details15(), /payment secret/],
    ['wrong payment secret', { payload: payload({ paymentData: { paymentSecret: new Uint8Array(32), totalMsat: AMOUNT } }) }, codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details15(), /payment secret/],
    ['a multi-part total', { payload: payload({ paymentData: { paymentSecret: SECRET_P, totalMsat: 2n * AMOUNT } }) }, codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details15(), /multi-part/],
    ['expired invoice, at its expiry second', { nowSeconds: NOW + 3600 }, codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details15(), /expired/],
    ['underpaid by 1 msat', { htlc: incoming(AMOUNT - 1n, EXPIRY), payload: payload({ amountToForwardMsat: AMOUNT - 1n, paymentData: { paymentSecret: SECRET_P, totalMsat: AMOUNT - 1n } }) },
      codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details15(AMOUNT - 1n), /less than/],
    ['overpaid by more than 2x', { htlc: incoming(2n * AMOUNT + 1n, EXPIRY), payload: payload({ amountToForwardMsat: 2n * AMOUNT + 1n, paymentData: { paymentSecret: SECRET_P, totalMsat: 2n * AMOUNT + 1n } }) },
      codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details15(2n * AMOUNT + 1n), /twice/],
    ['expiry 1 block short of the invoice\'s min_final_cltv_expiry_delta', { currentHeight: EXPIRY - 17 }, codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, { htlcMsat: AMOUNT, height: EXPIRY - 17 }, /less than 18 blocks/],
    ['an invoice store that hands over the wrong preimage', { invoice: { ...invoice, preimage: new Uint8Array(32) } }, codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details15(), /preimage/],
    ['keysend when not accepted', { invoice: undefined, htlc: keysendHtlc, payload: keysendPayload }, codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details15(), /not accepted/],
    ['keysend with a preimage of another hash', { invoice: undefined, keysend: { accepted: true }, payload: keysendPayload }, codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details15(), /does not hash/],
    ['keysend too near its expiry', { invoice: undefined, keysend: { accepted: true }, htlc: keysendHtlc, payload: keysendPayload, currentHeight: EXPIRY - MIN_FINAL_CLTV_EXPIRY_DELTA + 1 },
      codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, { htlcMsat: AMOUNT, height: EXPIRY - MIN_FINAL_CLTV_EXPIRY_DELTA + 1 }, /too near/],
  ];

  it.each(rows)('%s', (_name, over, code, data, message) => {
    const d = receive(over);
    if (d.kind !== 'fail') throw new Error(`expected a failure, got ${d.kind}`);
    expect(failureOf(d)).toEqual({ code, details: data });
    expect(d.message).toMatch(message);
  });

  it('the onion checks come before the invoice: an underpaying previous hop is reported even for an unknown hash', () => {
    const d = receive({ htlc: incoming(AMOUNT - 1n, EXPIRY - 1), invoice: undefined });
    expect(d.kind === 'fail' && d.codeName).toBe('final_incorrect_htlc_amount');
    const e = receive({ htlc: incoming(AMOUNT, EXPIRY - 1), invoice: { ...invoice, state: 'paid' } });
    expect(e.kind === 'fail' && e.codeName).toBe('final_incorrect_cltv_expiry');
  });

  it('an unknown hash, a wrong secret and a short expiry look the same to a prober', () => {
    const seen = [receive({ invoice: undefined }), receive({ payload: payload({ paymentData: undefined }) }), receive({ currentHeight: EXPIRY - 17 })]
      .map((d) => (d.kind === 'fail' ? d.code : d.kind));
    expect(new Set(seen)).toEqual(new Set([codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS]));
  });
});

describe('decideReceive: settles', () => {
  it.each<[string, Partial<DecideReceiveInput>]>([
    ['the exact amount at the exact expiry margin', { currentHeight: EXPIRY - 18 }],
    ['exactly twice the amount', { htlc: incoming(2n * AMOUNT, EXPIRY), payload: payload({ amountToForwardMsat: 2n * AMOUNT, paymentData: { paymentSecret: SECRET_P, totalMsat: 2n * AMOUNT } }) }],
    ['an HTLC above what the onion asks (the previous hop took less fee), one second before expiry', { htlc: incoming(AMOUNT + 7n, EXPIRY + 3), nowSeconds: NOW + 3599 }],
  ])('%s', (_name, over) => {
    const d = receive(over);
    expect(d).toEqual({ kind: 'settle', preimage: PREIMAGE, via: 'invoice', amountMsat: (over.htlc ?? incoming(AMOUNT, EXPIRY)).amountMsat });
  });

  it('an invoice for any amount takes any amount', () => {
    const d = receive({ invoice: { ...invoice, amountMsat: undefined }, htlc: incoming(1n, EXPIRY), payload: payload({ amountToForwardMsat: 1n, paymentData: { paymentSecret: SECRET_P, totalMsat: 1n } }) });
    expect(d).toMatchObject({ kind: 'settle', via: 'invoice', amountMsat: 1n });
  });

  it('an invoice view without its preimage settles without one (the shell fetches it)', () => {
    const { preimage: _drop, ...noPreimage } = invoice;
    expect(receive({ invoice: noPreimage })).toEqual({ kind: 'settle', via: 'invoice', amountMsat: AMOUNT });
  });

  it('keysend, when accepted, settles with the onion\'s preimage', () => {
    const d = receive({ invoice: undefined, keysend: { accepted: true }, htlc: keysendHtlc, payload: keysendPayload });
    expect(d).toEqual({ kind: 'settle', preimage: keysendPreimage, via: 'keysend', amountMsat: AMOUNT });
  });

  it('an invoice for the hash takes precedence over a keysend record', () => {
    const d = receive({ keysend: { accepted: true }, payload: payload({ keysendPreimage }) });
    expect(d).toMatchObject({ kind: 'settle', via: 'invoice', preimage: PREIMAGE });
    expect(PAYMENT_HASH).toEqual(sha256(PREIMAGE));
  });
});
