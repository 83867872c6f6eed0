// The final hop's decision: settle an HTLC that pays us, or fail it. Pure: what the payee knows about
// the payment hash (its invoice, whether it takes keysend) and the time are arguments.
//
// Order (BOLT 4 "Failure Messages", final node; the first two as LND checks them, before the invoice):
//   1. htlc amount < amt_to_forward            -> final_incorrect_htlc_amount (the previous hop cut it)
//   2. htlc expiry < outgoing_cltv_value       -> final_incorrect_cltv_expiry (the previous hop cut it)
//   3. what the payee knows about the hash, all -> incorrect_or_unknown_payment_details (PERM|15):
//      invoice: already paid, no or wrong payment_secret, a multi-part total (not supported),
//      expired, underpaid, overpaid by more than 2x, expiry too near the present;
//      no invoice: keysend (TLV 5482373484) if accepted and its preimage hashes to the payment hash,
//      with the same expiry rule; else unknown.
// Every PERM|15 carries the same data (the HTLC's amount, the current height) so that a prober cannot
// tell an unknown hash from a wrong amount or a short expiry (the spec's reason for merging them).

import { equalBytes } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import {
  FINAL_INCORRECT_CLTV_EXPIRY, FINAL_INCORRECT_HTLC_AMOUNT, INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS,
} from '../onion/failure-codes.js';
import type { HopPayload } from '../onion/payload.js';
import type { IncomingHtlc } from './decide.js';
import { failWith, type FailDecision } from './failures.js';
import { MIN_FINAL_CLTV_EXPIRY_DELTA } from './policy.js';

/** What the payee's invoice store holds for the HTLC's payment hash. */
export interface InvoiceView {
  readonly paymentSecret: Uint8Array;
  /** absent: an invoice for any amount */
  readonly amountMsat?: bigint;
  readonly expiresAtSeconds: number;
  readonly minFinalCltvExpiryDelta: number;
  readonly state: 'open' | 'paid';
  /** the invoice's preimage, handed back on settle (checked against the hash) */
  readonly preimage?: Uint8Array;
}

export interface DecideReceiveInput {
  readonly htlc: IncomingHtlc;
  /** from decideForward's `receive` */
  readonly payload: HopPayload;
  readonly sharedSecret: Uint8Array;
  /** the invoice for htlc.paymentHash, if the payee issued one */
  readonly invoice: InvoiceView | undefined;
  /** whether this node takes spontaneous payments (`--accept-keysend`, off by default) */
  readonly keysend: { readonly accepted: boolean };
  readonly currentHeight: number;
  readonly nowSeconds: number;
}

export interface SettleDecision {
  readonly kind: 'settle';
  /** the preimage to fulfil with: the keysend one, or the invoice's if the view carried it */
  readonly preimage?: Uint8Array;
  readonly via: 'invoice' | 'keysend';
  /** what the payee receives (the HTLC's amount) */
  readonly amountMsat: bigint;
}

export type ReceiveDecision = SettleDecision | FailDecision;

export function decideReceive(input: DecideReceiveInput): ReceiveDecision {
  const { htlc, payload, sharedSecret, invoice, currentHeight } = input;
  if (htlc.amountMsat < payload.amountToForwardMsat) {
    return failWith(FINAL_INCORRECT_HTLC_AMOUNT, { htlcMsat: htlc.amountMsat }, sharedSecret, `HTLC of ${htlc.amountMsat} msat, the onion says ${payload.amountToForwardMsat}`);
  }
  if (BigInt(htlc.expiryHeight) < payload.outgoingCltvValue) {
    return failWith(FINAL_INCORRECT_CLTV_EXPIRY, { cltvExpiry: htlc.expiryHeight }, sharedSecret, `HTLC expires at ${htlc.expiryHeight}, the onion says ${payload.outgoingCltvValue}`);
  }
  const details = (message: string): FailDecision =>
    failWith(INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, { htlcMsat: htlc.amountMsat, height: currentHeight }, sharedSecret, message);
  const paid = payload.amountToForwardMsat;
  // Without multi-part payments a payment_data total must be this HTLC's amount (BOLT 4 basic_mpp).
  if (payload.paymentData !== undefined && payload.paymentData.totalMsat !== paid) {
    return details(`total_msat ${payload.paymentData.totalMsat} is not this HTLC's ${paid}: multi-part payments are not supported`);
  }

  if (invoice === undefined) {
    const preimage = payload.keysendPreimage;
    if (preimage === undefined) return details('unknown payment hash');
    if (!input.keysend.accepted) return details('keysend payments are not accepted');
    if (!equalBytes(sha256(preimage), htlc.paymentHash)) return details('the keysend preimage does not hash to the payment hash');
    if (htlc.expiryHeight < currentHeight + MIN_FINAL_CLTV_EXPIRY_DELTA) return details(`expiry ${htlc.expiryHeight} is too near height ${currentHeight}`);
    return { kind: 'settle', preimage, via: 'keysend', amountMsat: htlc.amountMsat };
  }

  if (invoice.state === 'paid') return details('the invoice is already paid');
  const secret = payload.paymentData?.paymentSecret;
  if (secret === undefined || !equalBytes(secret, invoice.paymentSecret)) return details('missing or wrong payment secret');
  if (input.nowSeconds >= invoice.expiresAtSeconds) return details('the invoice has expired');
  if (invoice.amountMsat !== undefined) {
    if (paid < invoice.amountMsat) return details(`${paid} msat is less than the invoice's ${invoice.amountMsat}`);
    if (paid > 2n * invoice.amountMsat) return details(`${paid} msat is more than twice the invoice's ${invoice.amountMsat}`);
  }
  if (htlc.expiryHeight < currentHeight + invoice.minFinalCltvExpiryDelta) {
    return details(`expiry ${htlc.expiryHeight} is less than ${invoice.minFinalCltvExpiryDelta} blocks above height ${currentHeight}`);
  }
  if (invoice.preimage !== undefined && !equalBytes(sha256(invoice.preimage), htlc.paymentHash)) {
    // the store handed us another invoice's preimage: fulfilling would be refused by the channel anyway
    return details('the invoice preimage does not match the payment hash');
  }
  return { kind: 'settle', ...(invoice.preimage ? { preimage: invoice.preimage } : {}), via: 'invoice', amountMsat: htlc.amountMsat };
}
