// An in-memory NodeApi for API and CLI tests: records every call, answers with fixed views, and
// can be told to fail the next call with any error.
import { randomBytes } from 'node:crypto';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import type {
  ChannelView,
  NodeApi,
  NodeEvent,
  NodeInfo,
  OpenStreamRequest,
  PaymentResult,
  PeerView,
  SendResult,
  StreamView,
  WalletView,
} from '../../src/api/types.js';
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
  RouteHopView,
  RouteView,
  RoutedPaymentView,
} from '../../src/api/routing-types.js';

export const nodeId = () => toHex(publicKeyOf(randomSecretKey()));
export const channelId = () => toHex(randomBytes(32));
export const streamId = () => toHex(randomBytes(16));

/** Past 2^53, so a trip through a JSON number would be caught. */
export const BIG = 9_007_199_254_740_993_123n;

export interface Call {
  method: keyof NodeApi;
  args: unknown[];
}

export class FakeApi implements NodeApi {
  readonly calls: Call[] = [];
  readonly self = nodeId();
  readonly peer = nodeId();
  readonly channel: ChannelView;
  /** A second channel of ours, where forwards leave. */
  readonly otherChannelId = channelId();
  /** An active stream this node pays, with every optional field set. */
  readonly stream: StreamView;
  /** When set, what listStreams answers. */
  streams?: StreamView[];
  private failNext: unknown;
  private readonly listeners = new Set<(e: NodeEvent) => void>();

  constructor() {
    this.channel = {
      channelId: channelId(),
      peerId: this.peer,
      side: 'A',
      status: 'open',
      capacity: BIG,
      localBalance: BIG - 1_000n,
      remoteBalance: 1_000n,
      seq: 18_446_744_073_709_551_615n,
      pendingUpdates: 0,
      reserve: BIG / 100n,
      localSpendable: BIG - 1_000n - BIG / 100n,
      remoteSpendable: 0n,
    };
    this.stream = {
      streamId: streamId(),
      peerId: this.peer,
      channelId: this.channel.channelId,
      role: 'payer',
      mode: 'signed',
      status: 'active',
      rate: '10 msat/s',
      rateAmount: 10n,
      ratePerMs: 0.01,
      tickMs: 1000,
      max: BIG,
      durationMs: 3_600_000,
      ticks: 3,
      paid: 30n,
      startedAt: Date.now() - 3_000,
      remaining: BIG - 30n,
      late: false,
    };
  }

  /** The next call throws `e` instead of answering. */
  failWith(e: unknown): void {
    this.failNext = e;
  }

  emit(e: NodeEvent): void {
    for (const l of this.listeners) l(e);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  private record(method: keyof NodeApi, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const e = this.failNext;
    if (e !== undefined) {
      this.failNext = undefined;
      throw e;
    }
  }

  async info(): Promise<NodeInfo> {
    this.record('info');
    return {
      nodeId: this.self,
      alias: 'fake',
      peerUrl: 'ws://127.0.0.1:9735',
      ledgerUrl: 'ws://127.0.0.1:9700',
      chainId: 'sluice-test',
      height: 42,
      channels: { opening: 0, open: 1, closing: 0, closed: 2 },
      peers: { connected: 1, known: 2 },
    };
  }

  async wallet(): Promise<WalletView> {
    this.record('wallet');
    return { address: this.self, balance: BIG, nonce: 7, inChannels: 1_500n };
  }

  async faucet(amount: bigint): Promise<{ txid: string; balance: bigint }> {
    this.record('faucet', amount);
    return { txid: 'ab'.repeat(32), balance: amount + 1n };
  }

  async connectPeer(target: string): Promise<PeerView> {
    this.record('connectPeer', target);
    const [id, address] = target.split('@');
    return { nodeId: id!, address: address!, connected: true, channels: 0 };
  }

  async listPeers(): Promise<PeerView[]> {
    this.record('listPeers');
    return [
      { nodeId: this.peer, address: '127.0.0.1:9735', connected: true, channels: 1 },
      { nodeId: nodeId(), connected: false, channels: 0 },
    ];
  }

  async openChannel(opts: { peerId: string; capacity: bigint; push: bigint }): Promise<ChannelView> {
    this.record('openChannel', opts);
    return { ...this.channel, peerId: opts.peerId, capacity: opts.capacity, localBalance: opts.capacity - opts.push, remoteBalance: opts.push, seq: 0n };
  }

  async listChannels(): Promise<ChannelView[]> {
    this.record('listChannels');
    const closed: ChannelView = { ...this.channel, channelId: channelId(), status: 'closed', settleHeight: 40, payout: { local: BIG, remote: 0n } };
    return [this.channel, closed];
  }

  async closeChannel(opts: { channelId: string; force: boolean }): Promise<ChannelView & { txid?: string }> {
    this.record('closeChannel', opts);
    return { ...this.channel, channelId: opts.channelId, status: 'closing', settleHeight: 52, txid: 'cd'.repeat(32) };
  }

  async pay(opts: { peerId: string; amount: bigint }): Promise<PaymentResult> {
    this.record('pay', opts);
    return { paymentId: 'ef'.repeat(16), channelId: this.channel.channelId, peerId: opts.peerId, amount: opts.amount, seq: 19n };
  }

  async openStream(req: OpenStreamRequest): Promise<StreamView> {
    this.record('openStream', req);
    const s: StreamView = { ...this.stream, peerId: req.peerId, mode: req.mode ?? 'signed', ticks: 0, paid: 0n, startedAt: Date.now() };
    delete s.max;
    delete s.remaining;
    delete s.durationMs;
    if (req.max !== undefined) {
      s.max = req.max;
      s.remaining = req.max;
    }
    if (req.durationMs !== undefined) s.durationMs = req.durationMs;
    return s;
  }

  async listStreams(): Promise<StreamView[]> {
    this.record('listStreams');
    // A finished stream this node was paid, with none of the optional fields but the reason.
    const paidToUs: StreamView = {
      streamId: 'AB'.repeat(16).toLowerCase(),
      peerId: this.peer,
      channelId: this.channel.channelId,
      role: 'payee',
      mode: 'hashchain',
      status: 'finished',
      rate: '2 sat/min',
      rateAmount: 2_000n,
      ratePerMs: 2_000 / 60_000,
      tickMs: 1000,
      ticks: 60,
      paid: BIG,
      startedAt: 1_700_000_000_000,
      reason: 'duration reached',
    };
    return this.streams ?? [this.stream, paidToUs];
  }

  async disconnectPeer(opts: { nodeId: string }): Promise<PeerView> {
    this.record('disconnectPeer', opts);
    return { nodeId: opts.nodeId, address: '127.0.0.1:9735', connected: false, channels: 1 };
  }

  async send(opts: { to: string; amount: bigint }): Promise<SendResult> {
    this.record('send', opts);
    return { txid: '12'.repeat(32), height: 43, to: opts.to, amount: opts.amount, fee: 200_000n, balance: BIG - opts.amount - 200_000n };
  }

  async controlStream(opts: { streamId: string; action: 'pause' | 'resume' | 'stop' }): Promise<StreamView> {
    this.record('controlStream', opts);
    const status = opts.action === 'pause' ? 'paused' : opts.action === 'resume' ? 'active' : 'stopped';
    const s: StreamView = { ...this.stream, streamId: opts.streamId, status };
    if (opts.action === 'stop') s.reason = 'stopped by the payer';
    return s;
  }

  /** A two-hop route to `to`: through the channel peer, every field set. */
  route(to: string, amount: bigint): RouteHopView[] {
    return [
      { nodeId: this.peer, shortChannelId: '120x1x0', amount: amount + 1_001n, fee: 1_001n, expiryHeight: 84 },
      { nodeId: to, shortChannelId: '130x2x0', amount, fee: 0n, expiryHeight: 72 },
    ];
  }

  invoiceView(req: CreateInvoiceRequest): InvoiceView {
    const inv: InvoiceView = {
      invoice: 'lnsb1fake',
      paymentHash: 'aa'.repeat(32),
      description: req.description,
      createdAt: 1_700_000_000_000,
      expiresAt: 1_700_000_000_000 + (req.expirySeconds ?? 3600) * 1000,
      status: 'open',
    };
    if (req.amount !== undefined) inv.amount = req.amount;
    return inv;
  }

  async createInvoice(req: CreateInvoiceRequest): Promise<InvoiceView> {
    this.record('createInvoice', req);
    return this.invoiceView(req);
  }

  async listInvoices(): Promise<InvoiceView[]> {
    this.record('listInvoices');
    const paid: InvoiceView = { ...this.invoiceView({ amount: BIG, description: 'coffee' }), status: 'paid', paidAt: 1_700_000_001_000, received: BIG };
    return [this.invoiceView({ description: '' }), paid];
  }

  async decodeInvoice(invoice: string): Promise<DecodedInvoiceView> {
    this.record('decodeInvoice', invoice);
    return {
      network: 'simnet',
      payee: this.peer,
      paymentHash: 'bb'.repeat(32),
      amount: BIG,
      description: 'coffee',
      descriptionHash: 'cc'.repeat(32),
      createdAt: 1_700_000_000_000,
      expiresAt: 1_700_003_600_000,
      expired: true,
      minFinalCltvExpiryDelta: 18,
      features: [8, 14],
      routeHints: [[{ nodeId: this.peer, shortChannelId: '120x1x0', feeBase: 1_000n, feePpm: 100, cltvExpiryDelta: 12 }]],
    };
  }

  payment(payee: string, amount: bigint, kind: 'invoice' | 'keysend'): RoutedPaymentView {
    const route = this.route(payee, amount);
    return {
      paymentHash: 'dd'.repeat(32),
      kind,
      payee,
      status: 'succeeded',
      amount,
      fee: 1_001n,
      route,
      attempts: [
        { route, status: 'failed', failure: { hop: 0, nodeId: this.peer, code: 'temporary_channel_failure' } },
        { route, status: 'succeeded' },
      ],
      preimage: 'ee'.repeat(32),
      createdAt: 1_700_000_000_000,
    };
  }

  async payInvoice(req: PayInvoiceRequest): Promise<RoutedPaymentView> {
    this.record('payInvoice', req);
    return this.payment(this.peer, req.amount ?? 1_000n, 'invoice');
  }

  async payNode(req: PayNodeRequest): Promise<RoutedPaymentView> {
    this.record('payNode', req);
    return this.payment(req.nodeId, req.amount, 'keysend');
  }

  async listPayments(): Promise<RoutedPaymentView[]> {
    this.record('listPayments');
    const failed: RoutedPaymentView = { ...this.payment(this.peer, 5n, 'invoice'), status: 'failed', failure: 'no route' };
    delete failed.preimage;
    return [this.payment(this.peer, BIG, 'keysend'), failed];
  }

  async queryRoute(req: { nodeId: string; amount: bigint }): Promise<RouteView> {
    this.record('queryRoute', req);
    return { amount: req.amount, fee: 1_001n, hops: this.route(req.nodeId, req.amount) };
  }

  async graph(): Promise<GraphView> {
    this.record('graph');
    const policy: PolicyView = { feeBase: 1_000n, feePpm: 100, cltvExpiryDelta: 12, htlcMinimum: 1n, htlcMaximum: BIG, disabled: false };
    return {
      nodes: [
        { nodeId: this.self, alias: 'fake', address: '127.0.0.1:9735', channels: 1 },
        { nodeId: this.peer, channels: 1 },
      ],
      channels: [{ shortChannelId: '120x1x0', node1: this.self, node2: this.peer, capacity: BIG, policy1: policy }],
    };
  }

  async listForwards(): Promise<ForwardView[]> {
    this.record('listForwards');
    return [
      { incomingChannelId: this.channel.channelId, outgoingChannelId: this.otherChannelId, paymentHash: 'ab'.repeat(32), amountIn: BIG, amountOut: BIG - 1_001n, fee: 1_001n, status: 'settled', createdAt: 1_700_000_000_000, resolvedAt: 1_700_000_000_400 },
      { incomingChannelId: this.channel.channelId, paymentHash: 'cd'.repeat(32), amountIn: 5_000n, fee: 0n, status: 'failed', failure: 'temporary_channel_failure', createdAt: 1_700_000_001_000 },
    ];
  }

  async channelPolicy(req: { channelId: string; update?: PolicyUpdate }): Promise<PolicyView> {
    this.record('channelPolicy', req);
    return { feeBase: 1_000n, feePpm: 1, cltvExpiryDelta: 12, htlcMinimum: 1n, ...req.update };
  }

  onEvent(listener: (e: NodeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
