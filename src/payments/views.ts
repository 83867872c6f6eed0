// The payer's and payee's own views of routed payments and invoices (PaymentManager, InvoiceManager:
// payInvoice, payNode, list, queryRoute, createInvoice), which node-routing.ts shows as the control API's
// views (src/api/routing-types.ts). Amounts are bigint msat; times are ms since 1970.
import type { PaymentFailureReason, PaymentStatus } from './types.js';

export type { PaymentFailureReason, PaymentStatus };

export interface RouteHopView {
  shortChannelId: string;
  /** the node this hop reaches */
  nodeId: string;
  /** what the HTLC over this channel carries */
  amountMsat: bigint;
  expiryHeight: number;
}

export interface AttemptFailureView {
  /** index in the route of the node that reported it; -1: our own first channel */
  failingHop?: number;
  failingNode?: string;
  /** the BOLT 4 failure code */
  code?: number;
  /** its spec name (`temporary_channel_failure`), or `refused`, `unattributable`, `malformed_error` */
  codeName: string;
  message: string;
}

export interface AttemptView {
  attemptId: string;
  status: 'inflight' | 'succeeded' | 'failed';
  route: RouteHopView[];
  /** what the first HTLC carried: the amount plus the route's fees */
  amountMsat: bigint;
  feeMsat: bigint;
  startedAt: number;
  resolvedAt?: number;
  failure?: AttemptFailureView;
}

export interface PaymentView {
  paymentHash: string;
  status: PaymentStatus;
  /** the payee's node id */
  destination: string;
  /** what the payee receives */
  amountMsat: bigint;
  /** what the route that succeeded paid the hops (0 until one does) */
  feeMsat: bigint;
  /** the succeeded attempt's route, else the last one tried */
  route: RouteHopView[];
  attempts: AttemptView[];
  /** hex; the receipt: its sha256 is the payment hash */
  preimage?: string;
  /** why it failed; the last attempt's failing hop and code when there was one */
  failure?: { reason: PaymentFailureReason; message: string } & Partial<AttemptFailureView>;
  keysend: boolean;
  invoice?: string;
  createdAt: number;
  resolvedAt?: number;
}

export interface RouteQueryResult {
  destination: string;
  /** what the payee would receive */
  amountMsat: bigint;
  feeMsat: bigint;
  /** amount + fee: what the first HTLC would carry */
  totalMsat: bigint;
  /** the first HTLC's expiry height */
  expiryHeight: number;
  route: RouteHopView[];
}

export interface InvoiceView {
  paymentHash: string;
  /** the BOLT 11 string; absent for a keysend receipt */
  invoice?: string;
  /** absent: any amount */
  amountMsat?: bigint;
  description: string;
  status: 'open' | 'paid' | 'expired';
  createdAt: number;
  expiresAt: number;
  paidAt?: number;
  receivedMsat?: bigint;
  /** a spontaneous payment we received (no invoice) */
  keysend: boolean;
}

export interface CreatedInvoice {
  invoice: string;
  paymentHash: string;
  paymentSecret: string;
  amountMsat?: bigint;
  expiresAt: number;
}

export interface CreateInvoiceRequest {
  /** absent: any amount */
  amountMsat?: bigint;
  description: string;
  /** default 3600 */
  expirySeconds?: number;
}

export interface PayOptions {
  /** the most the route may pay in fees; default 5% of the amount, at least 10 sat */
  maxFeeMsat?: bigint;
  /** no new attempt starts after this; default 60 s */
  timeoutMs?: number;
  /** for an invoice without an amount */
  amountMsat?: bigint;
}
