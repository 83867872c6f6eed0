// The payer and payee hooked to the node's HTLC switch: the switch asks the payee about HTLCs that end
// here and tells the payer what became of its own. Kept apart from node.ts so the node only calls this.
import type { NodeEvent } from '../api/types.js';
import type { ChannelGraph } from '../routing/graph.js';
import type { Logger } from '../util/log.js';
import type { Clock } from './clock.js';
import type { HtlcSwitchApi } from './htlc-types.js';
import { InvoiceManager, type InvoiceLimits } from './invoices.js';
import { PaymentManager, type PaymentLimits } from './payments.js';
import { invoiceApiView, routedPaymentView } from './routing-views.js';
import type { NodeStore } from './store-port.js';

/** The node options for paying and being paid. */
export interface PaymentsNodeOptions {
  /** take spontaneous (keysend) payments; off by default */
  acceptKeysend?: boolean;
  paymentLimits?: Partial<PaymentLimits>;
  invoiceLimits?: Partial<InvoiceLimits>;
  /** other nodes' channels (gossip's graph); without it, routes use our channels and invoice hints */
  graph?: () => ChannelGraph | undefined;
}

export function wirePayments(o: {
  store: NodeStore;
  htlcs: HtlcSwitchApi;
  nodeId: string;
  secretKey: Uint8Array;
  height(): number;
  clock: Clock;
  log: Logger;
  emit(e: NodeEvent): void;
  options: PaymentsNodeOptions;
}): { payer: PaymentManager; payee: InvoiceManager } {
  const common = { store: o.store, switch: o.htlcs, height: o.height, clock: o.clock, log: o.log };
  const payer = new PaymentManager({
    ...common, nodeId: o.nodeId,
    emit: (e) => o.emit({ type: 'routedPayment', event: e.type === 'paymentSucceeded' ? 'succeeded' : 'failed', payment: routedPaymentView(e.payment) }),
    ...(o.options.graph ? { graph: o.options.graph } : {}),
    ...(o.options.paymentLimits ? { limits: o.options.paymentLimits } : {}),
  });
  const payee = new InvoiceManager({
    ...common, secretKey: o.secretKey,
    // a keysend receipt has no invoice to show; the channel events show the money it moved
    emit: (e) => {
      const invoice = invoiceApiView(e.invoice);
      if (invoice) o.emit({ type: 'invoice', event: 'paid', invoice });
    },
    ...(o.options.acceptKeysend ? { acceptKeysend: true } : {}),
    ...(o.options.invoiceLimits ? { limits: o.options.invoiceLimits } : {}),
  });
  o.htlcs.setLocalSink(payer);
  o.htlcs.setReceiver(payee);
  return { payer, payee };
}
