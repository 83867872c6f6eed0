// The node's routing surface (RoutingApi): invoices, routed payments, routes, the graph, forwards and
// channel policy, read from the payer, the payee, the HTLC switch and gossip, and shown as the control
// API's views (routing-views.ts). Kept apart from node.ts so the node only wires it.
import { decodeInvoiceOrThrow } from '../api/invoice-view.js';
import type {
  CreateInvoiceRequest,
  DecodedInvoiceView,
  ForwardView,
  GraphView,
  InvoiceView,
  PayInvoiceRequest,
  PayNodeRequest,
  PolicyUpdate,
  PolicyView,
  RouteView,
  RoutedPaymentView,
  RoutingApi,
} from '../api/routing-types.js';
import { InputError } from '../crypto/bytes.js';
import type { Clock } from './clock.js';
import { NodeError } from './errors.js';
import type { ForwardingPolicy } from './htlc-types.js';
import type { InvoiceManager } from './invoices.js';
import type { PaymentManager } from './payments.js';
import { graphView, invoiceApiView, policyView, routeView, routedPaymentView } from './routing-views.js';
import type { GraphSnapshot } from './gossip-graph.js';

export interface NodeRoutingOptions {
  payer: PaymentManager;
  payee: InvoiceManager;
  clock: Clock;
  /** What gossip knows of the network (empty before gossip has run). */
  graph(): GraphSnapshot;
  forwards(): ForwardView[];
  /** A channel's policy, by its full id; throws NodeError notFound for a channel we do not have. */
  policy(channelId: string): ForwardingPolicy;
  setPolicy(channelId: string, partial: Partial<ForwardingPolicy>): Promise<ForwardingPolicy>;
}

export class NodeRouting implements RoutingApi {
  constructor(private readonly o: NodeRoutingOptions) {}

  async createInvoice(req: CreateInvoiceRequest): Promise<InvoiceView> {
    const made = await this.o.payee.createInvoice({
      description: req.description,
      ...(req.amount !== undefined ? { amountMsat: req.amount } : {}),
      ...(req.expirySeconds !== undefined ? { expirySeconds: req.expirySeconds } : {}),
    });
    const stored = this.o.payee.get(made.paymentHash);
    const view = stored && invoiceApiView(stored);
    if (!view) throw new NodeError('unavailable', 'INVOICE_LOST', 'the invoice was made but is not in the store');
    return view;
  }

  async listInvoices(): Promise<InvoiceView[]> {
    return this.o.payee.list().flatMap((i) => invoiceApiView(i) ?? []);
  }

  async decodeInvoice(invoice: string): Promise<DecodedInvoiceView> {
    try {
      return decodeInvoiceOrThrow(invoice, this.o.clock.now());
    } catch (e) {
      if (e instanceof InputError) throw new NodeError('invalid', 'BAD_INVOICE', e.message);
      throw e;
    }
  }

  async payInvoice(req: PayInvoiceRequest): Promise<RoutedPaymentView> {
    return routedPaymentView(await this.o.payer.payInvoice(req.invoice, payOptions(req)));
  }

  async payNode(req: PayNodeRequest): Promise<RoutedPaymentView> {
    return routedPaymentView(await this.o.payer.payNode(req.nodeId, req.amount, payOptions({ ...req, amount: undefined })));
  }

  async listPayments(): Promise<RoutedPaymentView[]> {
    return this.o.payer.list().map(routedPaymentView);
  }

  async queryRoute(req: { nodeId: string; amount: bigint }): Promise<RouteView> {
    return routeView(this.o.payer.queryRoute(req.nodeId, req.amount));
  }

  async graph(): Promise<GraphView> {
    return graphView(this.o.graph());
  }

  async listForwards(): Promise<ForwardView[]> {
    return this.o.forwards();
  }

  async channelPolicy(req: { channelId: string; update?: PolicyUpdate }): Promise<PolicyView> {
    if (req.update === undefined || Object.keys(req.update).length === 0) return policyView(this.o.policy(req.channelId));
    const u = req.update;
    const partial: Partial<ForwardingPolicy> = {
      ...(u.feeBase !== undefined ? { feeBaseMsat: u.feeBase } : {}),
      ...(u.feePpm !== undefined ? { feePpm: BigInt(u.feePpm) } : {}),
      ...(u.cltvExpiryDelta !== undefined ? { cltvExpiryDelta: u.cltvExpiryDelta } : {}),
      ...(u.htlcMinimum !== undefined ? { htlcMinimumMsat: u.htlcMinimum } : {}),
      ...(u.htlcMaximum !== undefined ? { htlcMaximumMsat: u.htlcMaximum } : {}),
    };
    return policyView(await this.o.setPolicy(req.channelId, partial));
  }
}

function payOptions(r: { maxFee?: bigint | undefined; timeoutMs?: number | undefined; amount?: bigint | undefined }) {
  return {
    ...(r.maxFee !== undefined ? { maxFeeMsat: r.maxFee } : {}),
    ...(r.timeoutMs !== undefined ? { timeoutMs: r.timeoutMs } : {}),
    ...(r.amount !== undefined ? { amountMsat: r.amount } : {}),
  };
}
