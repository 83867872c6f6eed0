// The control surface of paying across the network (issue 10): invoices, routed payments, routes, the
// channel graph and per-channel forwarding policy. Amounts are bigint msat; times are ms since the
// epoch; heights are ledger blocks; node ids 66 hex characters, short channel ids as BOLT 7 writes
// them (`BLOCKxTXxOUTPUT`).

export type InvoiceStatus = 'open' | 'paid' | 'expired';

/** An invoice this node issued. */
export interface InvoiceView {
  /** The BOLT 11 string (`lnsb...` on the simulated ledger). */
  invoice: string;
  paymentHash: string;
  /** Absent for an invoice that lets the payer choose the amount. */
  amount?: bigint;
  description: string;
  createdAt: number;
  expiresAt: number;
  status: InvoiceStatus;
  paidAt?: number;
  /** What the paying HTLC carried (at least `amount`). */
  received?: bigint;
}

export interface RouteHintHopView {
  nodeId: string;
  shortChannelId: string;
  feeBase: bigint;
  feePpm: number;
  cltvExpiryDelta: number;
}

/** Any BOLT 11 invoice as its fields say (no node state needed). */
export interface DecodedInvoiceView {
  network: string;
  payee: string;
  paymentHash: string;
  amount?: bigint;
  description?: string;
  descriptionHash?: string;
  createdAt: number;
  expiresAt: number;
  expired: boolean;
  minFinalCltvExpiryDelta: number;
  features: number[];
  routeHints: RouteHintHopView[][];
}

/** One hop of a route: the channel used to reach `nodeId`, and what that node is handed. */
export interface RouteHopView {
  nodeId: string;
  shortChannelId: string;
  /** What the HTLC into this node carries. */
  amount: bigint;
  /** What this node keeps for forwarding (0 at the payee). */
  fee: bigint;
  expiryHeight: number;
}

export interface RouteView {
  /** What the payee receives. */
  amount: bigint;
  /** Fees to every forwarding node in all. */
  fee: bigint;
  hops: RouteHopView[];
}

export type RoutedPaymentStatus = 'inflight' | 'succeeded' | 'failed';

export interface PaymentAttemptView {
  route: RouteHopView[];
  status: RoutedPaymentStatus;
  /** Which hop failed (0 = the first node after us) and why, as BOLT 4 names it. */
  failure?: { hop?: number; nodeId?: string; code: string };
}

/** A payment this node sent over routes (an invoice, or a spontaneous keysend payment). */
export interface RoutedPaymentView {
  paymentHash: string;
  kind: 'invoice' | 'keysend';
  payee: string;
  status: RoutedPaymentStatus;
  amount: bigint;
  /** Fees paid (succeeded) or offered in the latest attempt (in flight). */
  fee: bigint;
  /** The route of the successful attempt, or of the latest one. */
  route: RouteHopView[];
  attempts: PaymentAttemptView[];
  /** Proof of payment, once it succeeded. */
  preimage?: string;
  /** Why it failed, for people. */
  failure?: string;
  createdAt: number;
}

export interface PolicyView {
  feeBase: bigint;
  feePpm: number;
  cltvExpiryDelta: number;
  htlcMinimum: bigint;
  htlcMaximum?: bigint;
  disabled?: boolean;
}

export interface GraphChannelView {
  shortChannelId: string;
  node1: string;
  node2: string;
  capacity: bigint;
  /** Each direction's policy, as the node at its start announced it. */
  policy1?: PolicyView;
  policy2?: PolicyView;
}

export interface GraphNodeView {
  nodeId: string;
  alias?: string;
  address?: string;
  channels: number;
}

export interface GraphView {
  nodes: GraphNodeView[];
  channels: GraphChannelView[];
}

export type ForwardStatus = 'inflight' | 'settled' | 'failed';

/** A payment this node forwarded (or is forwarding) between two of its channels. */
export interface ForwardView {
  incomingChannelId: string;
  outgoingChannelId?: string;
  paymentHash: string;
  amountIn: bigint;
  amountOut?: bigint;
  /** What this node keeps: amountIn − amountOut, once settled. */
  fee: bigint;
  status: ForwardStatus;
  /** BOLT 4's name for why it failed. */
  failure?: string;
  createdAt: number;
  resolvedAt?: number;
}

export interface CreateInvoiceRequest {
  amount?: bigint;
  description: string;
  expirySeconds?: number;
}

export interface PayInvoiceRequest {
  invoice: string;
  /** For an invoice without an amount. */
  amount?: bigint;
  maxFee?: bigint;
  timeoutMs?: number;
}

export interface PayNodeRequest {
  nodeId: string;
  amount: bigint;
  maxFee?: bigint;
  timeoutMs?: number;
}

export type PolicyUpdate = Partial<Omit<PolicyView, 'disabled'>>;

export interface RoutingApi {
  createInvoice(req: CreateInvoiceRequest): Promise<InvoiceView>;
  listInvoices(): Promise<InvoiceView[]>;
  decodeInvoice(invoice: string): Promise<DecodedInvoiceView>;
  /** Routes over any number of hops and resolves with the outcome (succeeded or failed). */
  payInvoice(req: PayInvoiceRequest): Promise<RoutedPaymentView>;
  /** A spontaneous (keysend) payment routed to the node: no invoice needed, if the payee accepts them. */
  payNode(req: PayNodeRequest): Promise<RoutedPaymentView>;
  listPayments(): Promise<RoutedPaymentView[]>;
  queryRoute(req: { nodeId: string; amount: bigint }): Promise<RouteView>;
  graph(): Promise<GraphView>;
  /** Forwards, newest last (bounded: the node keeps the most recent). */
  listForwards(): Promise<ForwardView[]>;
  channelPolicy(req: { channelId: string; update?: PolicyUpdate }): Promise<PolicyView>;
}
