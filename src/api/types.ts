// The node's control surface as an interface: the HTTP API serves it, the SDK embeds it, and the CLI
// reaches it through the HTTP client. Amounts are bigint msat; ids are hex strings.
import type { ForwardView, InvoiceView, RoutedPaymentView, RoutingApi } from './routing-types.js';

export type * from './routing-types.js';

export type ChannelStatus =
  | 'opening' // state 0 signed by both, open transaction not yet in a block
  | 'open'
  | 'closing' // closing state agreed, or a unilateral close in its dispute window
  | 'closed'
  | 'failed'; // never opened: the peer refused, or the open could not be completed (nothing was locked)

export interface NodeInfo {
  nodeId: string;
  alias: string;
  peerUrl: string; // ws://host:port where peers connect
  ledgerUrl: string;
  chainId: string;
  height: number;
  /** Whether the node's ledger connection is up, and when the ledger last answered (ms since the epoch). */
  ledger?: LedgerReachability;
  channels: { opening: number; open: number; closing: number; closed: number; failed?: number };
  peers: { connected: number; known: number };
}

export interface LedgerReachability {
  reachable: boolean;
  /** Last message from the ledger. */
  lastSeenAt?: number;
  /** When it became unreachable (while it is). */
  unreachableSince?: number;
}

export interface ChannelView {
  channelId: string;
  peerId: string;
  /** 'A' if this node opened the channel. */
  side: 'A' | 'B';
  status: ChannelStatus;
  capacity: bigint;
  localBalance: bigint;
  remoteBalance: bigint;
  /** Sequence number of the latest state both sides signed. */
  seq: bigint;
  /** Updates in flight or queued (not yet in a both-signed state). */
  pendingUpdates: number;
  /** Set while closing: the ledger height after which it can be settled. */
  settleHeight?: number;
  /** What the ledger paid out at close, when known. */
  payout?: { local: bigint; remote: bigint };
  /** The balance each side must keep once it has reached it (1% of capacity by default). */
  reserve?: bigint;
  /** What each side can pay now: its balance above the reserve (0 while the channel is not open). */
  localSpendable?: bigint;
  remoteSpendable?: bigint;
  /** Why a channel failed. */
  failure?: string;
  /** Opened with `--private`: not announced to the network. */
  private?: boolean;
}

export interface PeerView {
  nodeId: string;
  address?: string; // host:port we dial, if we know one
  connected: boolean;
  channels: number;
}

export interface WalletView {
  address: string; // the node id: the node's ledger account
  balance: bigint; // on the ledger
  nonce: number;
  inChannels: bigint; // sum of local balances in open channels
}

export interface SendResult {
  txid: string;
  height: number;
  to: string;
  amount: bigint;
  fee: bigint;
  /** The node's ledger balance after the transfer. */
  balance: bigint;
}

export interface PaymentResult {
  paymentId: string;
  channelId: string;
  peerId: string;
  amount: bigint;
  /** The both-signed state that carries the payment. */
  seq: bigint;
}

export type StreamStatus = 'opening' | 'active' | 'paused' | 'stopped' | 'finished' | 'rejected';

/** A stream as either side sees it. Amounts are msat. */
export interface StreamView {
  streamId: string;
  peerId: string;
  channelId: string;
  role: 'payer' | 'payee';
  mode: 'signed' | 'hashchain';
  status: StreamStatus;
  /** The agreed price, for people: e.g. "10 msat/s", "2 sat/min". */
  rate: string;
  rateAmount: bigint;
  ratePerMs: number;
  /** How often a tick is paid (1000 for per-second pro-rata billing). */
  tickMs: number;
  max?: bigint;
  durationMs?: number;
  ticks: number;
  paid: bigint;
  /** ms since the epoch. */
  startedAt: number;
  /** What the cap still allows, when there is one. */
  remaining?: bigint;
  /** Payee: no tick for longer than a tick plus the grace period. */
  late?: boolean;
  /** Payee: when it metered the latest tick (ms since the epoch), so a feed's reader can tell how late ticks arrive. */
  lastTickAt?: number;
  /** Why it stopped or was refused. */
  reason?: string;
  /** A stream across hops (no channel with the peer): the hops' node ids of the route quoted at the open (payer). */
  route?: string[];
  /** A stream across hops: the routing fees its batches paid so far (payer). */
  feesPaid?: bigint;
  /** A stream across hops: one routed HTLC pays the ticks due every this many ms. */
  batchMs?: number;
}

export interface OpenStreamRequest {
  peerId: string;
  /** e.g. "10msat/s", "2sat/min". */
  rate: string;
  max?: bigint;
  durationMs?: number;
  mode?: 'signed' | 'hashchain';
  /** 'prorata' (default): a per-minute price is billed each second; 'interval': once per interval. */
  billing?: 'prorata' | 'interval';
  /** Without a channel with the peer (a stream across hops): pay a batch every this many ms (1000 default, at most 60 000). */
  batchMs?: number;
  /** Across hops: the most one batch may pay in routing fees (default: 5% of a batch, at least 10 sat). */
  maxFeeMsat?: bigint;
}

export type StreamEventKind = 'opened' | 'tick' | 'late' | 'onTime' | 'paused' | 'resumed' | 'stopped' | 'finished';

export type NodeEvent =
  | { type: 'stream'; event: StreamEventKind; stream: StreamView }
  | { type: 'peer'; nodeId: string; connected: boolean }
  | { type: 'channel'; channel: ChannelView }
  | { type: 'payment'; direction: 'sent' | 'received'; channelId: string; peerId: string; amount: bigint; seq: bigint }
  | { type: 'ledger'; height: number }
  | { type: 'invoice'; event: 'paid'; invoice: InvoiceView }
  | { type: 'routedPayment'; event: 'succeeded' | 'failed'; payment: RoutedPaymentView }
  | { type: 'forward'; event: 'settled' | 'failed'; forward: ForwardView };

export interface NodeApi extends RoutingApi {
  info(): Promise<NodeInfo>;
  wallet(): Promise<WalletView>;
  /** Simnet only: asks the ledger's faucet for funds to this node's account; resolves once in a block. */
  faucet(amount: bigint): Promise<{ txid: string; balance: bigint }>;
  /** `target` is NODEID@HOST:PORT. */
  connectPeer(target: string): Promise<PeerView>;
  listPeers(): Promise<PeerView[]>;
  /** Resolves once the open transaction is in a block and the channel is usable. */
  openChannel(opts: { peerId: string; capacity: bigint; push: bigint; private?: boolean }): Promise<ChannelView>;
  listChannels(): Promise<ChannelView[]>;
  /** Cooperative close by default; `force` closes unilaterally with the latest both-signed state. */
  /** Returns early (status still 'closing', `pendingReason` set) when the close completes later, e.g. once the ledger is back. */
  closeChannel(opts: { channelId: string; force: boolean }): Promise<ChannelView & { txid?: string; pendingReason?: string }>;
  /** Direct payment to a channel peer; resolves when a both-signed state carries it. */
  pay(opts: { peerId: string; amount: bigint }): Promise<PaymentResult>;
  /** Start paying a peer a rate over an open channel; resolves once the peer accepted the terms. */
  openStream(req: OpenStreamRequest): Promise<StreamView>;
  listStreams(): Promise<StreamView[]>;
  /** Either side may stop; pause and resume are the payer's. */
  controlStream(opts: { streamId: string; action: 'pause' | 'resume' | 'stop' }): Promise<StreamView>;
  /** Hang up on a peer and stop redialing it; its channels stay as they are. */
  disconnectPeer(opts: { nodeId: string }): Promise<PeerView>;
  /** Move funds from the node's ledger account to another account; resolves once in a block. */
  send(opts: { to: string; amount: bigint }): Promise<SendResult>;
  /** Stop the node process, when whoever runs the node allows it (`sluice node start` does). */
  shutdown?(): Promise<void>;
  onEvent(listener: (e: NodeEvent) => void): () => void;
}

/** What an API caller must know about a failure: an HTTP status, a stable code, a message for people. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 409 | 413 | 422 | 500 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
