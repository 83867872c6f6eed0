// A sluice node: identity, store, peers, channels, watcher and wallet wired together, serving the
// NodeApi that the HTTP control API, the SDK and the tests use.
import { join } from 'node:path';
import { toHex } from '../crypto/bytes.js';
import { parsePublicKey } from '../crypto/keys.js';
import { chainHash } from '../channel/state.js';
import type { Channel, ChannelEffect, ChannelStatus as MachineStatus } from '../channel/machine.js';
import { LedgerClient, DEFAULT_LEDGER_URL } from '../ledger/client.js';
import { type ChannelView, type NodeApi, type NodeEvent, type NodeInfo, type OpenStreamRequest, type PaymentResult, type PeerView, type SendResult, type StreamView, type WalletView } from '../api/types.js';
import { createLogger, type Logger } from '../util/log.js';
import { ChannelManager } from './channels.js';
import { faucet, needLedger, sendOnLedger, walletView, type NodeAccount } from './node-account.js';
import { channelView, nodeInfo } from './node-views.js';
import { claimDataDir, dataDirHolder, DataDirError } from './data-dir.js';
import { loadOrCreateIdentity, type Identity } from './identity.js';
import { PeerManager } from './peers.js';
import { LevelNodeStore } from './store.js';
import type { NodeStore } from './store-port.js';
import { timeStoreWrites } from './store-timing.js';
import { Watcher } from './watcher.js';
import { Wallet } from './wallet.js';
import { NodeError } from './errors.js';
import { StreamManager } from './streams.js';
import { systemClock } from './clock.js';
import { wirePayments } from './payments-wiring.js';
import { wireRoutedStreams } from './streams-routed-wiring.js';
import type { PaymentManager } from './payments.js';
import type { InvoiceManager } from './invoices.js';
import type { CreateInvoiceRequest, PayInvoiceRequest, PayNodeRequest, PolicyUpdate } from '../api/routing-types.js';
import { NodeRouting } from './node-routing.js';
import { payPeer } from './node-pay.js';
import { ForwardLog } from './forward-log.js';
import { StatusWaiters } from './status-waiters.js';
import type { NodeOptions } from './node-options.js';
import { NodeGossip } from './node-gossip.js';
import { MemoryGraphStore } from './graph-store.js';
import { closeChannel, storeFailed } from './node-close.js';
import { HtlcSwitch } from './htlc-switch.js';
import type { ForwardingPolicy } from './htlc-types.js';

export { channelView };
export type { NodeOptions } from './node-options.js';
export const DEFAULT_PEER_PORT = 9735;
const OPEN_TIMEOUT_MS = 60_000;

export class SluiceNode implements NodeApi {
  private readonly listeners = new Set<(e: NodeEvent) => void>();
  private height = 0;
  private readonly statusWaiters = new StatusWaiters((id) => this.channels.channels.get(id));
  private releaseDataDir: () => Promise<void> = async () => undefined;
  /** Payments out, forwards through and HTLCs in (htlc-switch.ts); `payments` registers its receiver and sink here. */
  htlcs!: HtlcSwitch;
  /** The payer (payments.ts) and the payee (invoices.ts), on the HTLC switch. */
  payer!: PaymentManager;
  payee!: InvoiceManager;
  /** What the control API asks of them (node-routing.ts). */
  routing!: NodeRouting;
  /** BOLT 7: what we learn of other nodes' channels, and our own announcements (node-gossip.ts). */
  gossip!: NodeGossip;

  private constructor(
    readonly identity: Identity,
    readonly alias: string,
    readonly ledger: LedgerClient,
    readonly chainId: string,
    private readonly store: NodeStore,
    readonly peers: PeerManager,
    readonly channels: ChannelManager,
    private readonly watcher: Watcher,
    /** The node's ledger account (its transactions). */
    readonly account: Wallet,
    readonly log: Logger,
    readonly streams: StreamManager,
  ) {}

  static async start(opts: NodeOptions): Promise<SluiceNode> {
    const log = opts.log ?? createLogger({ name: 'node' });
    const releaseDataDir = await claimDataDir(opts.dataDir, log);
    const identity = await loadOrCreateIdentity(opts.dataDir);
    const ledger = await LedgerClient.connect({ url: opts.ledgerUrl ?? DEFAULT_LEDGER_URL });
    const info = await ledger.info();
    const base = opts.store ?? new LevelNodeStore(join(opts.dataDir, 'db'));
    const store = opts.onStoreWrite ? timeStoreWrites(base, opts.onStoreWrite) : base;
    try {
      await store.open();
    } catch (e) {
      await ledger.close();
      const holder = await dataDirHolder(opts.dataDir);
      if (holder !== undefined) throw new DataDirError('DATA_DIR_IN_USE', `data dir ${opts.dataDir} is used by process ${holder}; stop it first or use another --data-dir`);
      throw e;
    }
    const wallet = new Wallet({ ledger, chainId: info.chainId, secretKey: identity.secretKey, address: identity.nodeId, log });
    const gossip = await NodeGossip.start({
      secretKey: identity.secretKey, chainHash: chainHash(info.chainId), ledger, log,
      store: base.graphStore?.() ?? new MemoryGraphStore(),
      send: (peer, m) => void self.peers.send(peer, m),
      warn: (peer, text) => self.peers.sendError(peer, undefined, text), isChannelPeer: (peer) => self.channels.withPeer(peer).length > 0,
      ...(opts.gossip?.flushMs !== undefined ? { flushMs: opts.gossip.flushMs } : {}),
      ...(opts.gossip?.limits ? { limits: opts.gossip.limits } : {}),
    });
    // The pieces refer to each other through the node; `self` is filled in below.
    let self!: SluiceNode;
    const peers = new PeerManager({
      secretKey: identity.secretKey,
      nodeId: identity.nodeId,
      chainHash: chainHash(info.chainId),
      log,
      listen: opts.listen,
      network: opts.network,
      pingIntervalMs: opts.pingIntervalMs,
      limits: opts.peerLimits,
      hasChannel: (peer) => self.channels.withPeer(peer).length > 0,
      onChannelMessage: (peer, m) => self.channels.onMessage(peer, m),
      onStreamMessage: (peer, m) => self.streams.onMessage(peer, m),
      onGossipMessage: (peer, m) => self.gossip.onMessage(peer, m),
      onPeerError: (peer, channelId, text) => self.onPeerError(peer, channelId, text),
      onConnected: (peer) => self.onPeerConnected(peer),
      onDisconnected: (peer) => self.onPeerDisconnected(peer),
    });
    const channels = new ChannelManager({
      store, peers, wallet, ledger, chainId: info.chainId, secretKey: identity.secretKey, nodeId: identity.nodeId, log,
      openLimits: opts.openLimits, height: () => self.height, onChange: (ch, e) => self.onChannelChange(ch, e),
      persistHook: { beforePersist: (...a) => self.htlcs.hook.beforePersist(...a), registeredBefore: (...a) => self.htlcs.hook.registeredBefore!(...a) }, holdSettle: (id) => self.streams.chain?.holdSettle(id),
    });
    const forwards = new ForwardLog({ store, log, onAdded: (f) => self.emit({ type: 'forward', event: f.status === 'settled' ? 'settled' : 'failed', forward: f }) });
    const htlcs = new HtlcSwitch({
      store, channels, wallet, ledger, secretKey: identity.secretKey, log, height: () => self.height, limits: opts.htlcLimits,
      announced: (scid) => gossip.graph.channel(scid) !== undefined, onForward: (f) => forwards.add(f),
    });
    const streams = new StreamManager({
      store, channels, peers, wallet, log, ledger, height: () => self.height, policy: opts.streams ?? {}, emit: (e) => self.emit(e),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    const watcher = new Watcher({
      ledger, log, nodeId: identity.nodeId,
      channels: () => channels.list(),
      channel: (id) => channels.channels.get(id),
      dispatch: async (id, ev) => void (await channels.dispatch(id, ev)),
      onHeight: (h) => {
        self.height = h;
        void self.channels.onHeight(h);
        void self.htlcs.onBlock(h);
        self.emit({ type: 'ledger', height: h });
      },
    });
    self = new SluiceNode(identity, opts.alias ?? toHex(identity.nodeId).slice(0, 8), ledger, info.chainId, store, peers, channels, watcher, wallet, log, streams);
    self.height = info.height;
    self.releaseDataDir = releaseDataDir;
    self.htlcs = htlcs;
    self.gossip = gossip;
    ({ payer: self.payer, payee: self.payee } = wirePayments({
      store, htlcs, nodeId: toHex(identity.nodeId), secretKey: identity.secretKey, height: () => self.height,
      clock: opts.clock ?? systemClock, log, emit: (e) => self.emit(e), options: { ...opts, graph: opts.graph ?? (() => gossip.graph) },
    }));
    wireRoutedStreams({ streams, payer: self.payer, payee: self.payee, htlcs, nodes: () => gossip.snapshot().nodes, onEvent: (l) => self.onEvent(l), blockTimeMs: info.blockTimeMs, disputeBlocks: info.disputeBlocks });
    self.routing = new NodeRouting({
      payer: self.payer, payee: self.payee, clock: opts.clock ?? systemClock,
      graph: () => gossip.snapshot(),
      forwards: () => forwards.list(),
      policy: (id) => htlcs.policy(toHex(self.channelById(id).channelId)),
      setPolicy: (id, partial) => self.setChannelPolicy(id, partial),
    });
    ledger.onReachabilityChange((up) => {
      if (up) log.warn({ url: ledger.url }, 'ledger reachable again');
      else log.warn({ url: ledger.url }, 'ledger unreachable; calls that need it fail until it is back, channels are watched again once it is');
    });
    await channels.load();
    // the payer's records are read before the switch's, which may deliver their outcomes again
    await self.payer.load();
    await self.payee.load();
    await forwards.load();
    await htlcs.load();
    await streams.load();
    await peers.start();
    await watcher.start();
    // Redial the peers we have live channels with.
    const known = new Map((await store.loadPeers()).map((p) => [p.nodeId, p.address]));
    for (const ch of channels.list()) {
      if (ch.status === 'closed' || ch.status === 'failed') continue;
      const peer = toHex(ch.remoteNodeId);
      peers.keep(peer, known.get(peer));
    }
    streams.start();
    // our node, then each open channel (again after a restart: the announcement is re-signed the same)
    void gossip.announceNode(self.alias, opts.listen ? `${opts.listen.host}:${peers.port ?? opts.listen.port}` : undefined).then(async () => {
      for (const ch of channels.list()) if (ch.status === 'open') await self.announce(ch);
    });
    self.payer.start();
    void htlcs.onBlock(self.height);
    log.info({ nodeId: toHex(identity.nodeId), peerPort: peers.port, chainId: info.chainId }, 'node started');
    return self;
  }

  get nodeId(): string {
    return toHex(this.identity.nodeId);
  }

  get peerPort(): number | undefined {
    return this.peers.port;
  }

  private emit(e: NodeEvent): void {
    for (const l of this.listeners) l(e);
  }

  onEvent(listener: (e: NodeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onPeerError(peer: string, channelId: Uint8Array | undefined, text: string): void {
    this.log.warn({ peer: peer.slice(0, 16), channel: channelId ? toHex(channelId).slice(0, 16) : 'all', text }, 'error from peer');
    if (!channelId) return;
    const ch = this.channels.channels.get(toHex(channelId));
    // A refused open: nothing was locked, so the proposal just ends.
    if (ch && toHex(ch.remoteNodeId) === peer && ch.status === 'proposed') {
      void this.channels.dispatch(toHex(channelId), { type: 'openFailed', reason: `peer refused: ${text}` });
    }
  }

  private onPeerConnected(peer: string): void {
    this.emit({ type: 'peer', nodeId: peer, connected: true });
    this.gossip.onPeerConnected(peer);
    this.streams.onPeerConnected(peer);
    for (const ch of this.channels.withPeer(peer)) void this.channels.dispatch(toHex(ch.channelId), { type: 'connected' });
  }

  private onPeerDisconnected(peer: string): void {
    this.emit({ type: 'peer', nodeId: peer, connected: false });
    this.gossip.onPeerDisconnected(peer);
    this.streams.onPeerDisconnected(peer);
    for (const ch of this.channels.withPeer(peer)) void this.channels.dispatch(toHex(ch.channelId), { type: 'disconnected' });
  }

  private onChannelChange(ch: Channel, e: ChannelEffect): void {
    const id = toHex(ch.channelId);
    if (e.type === 'statusChanged') {
      if (e.status === 'opening') void this.watcher.watch(ch);
      this.statusWaiters.changed(id, ch);
    }
    if (e.type === 'statusChanged' && e.status === 'open') void this.announce(ch);
    if (e.type === 'statusChanged' && e.status === 'forceClosing') void this.streams.revealOnLedger(ch);
    if (e.type === 'statusChanged' && (e.status === 'closing' || e.status === 'forceClosing' || e.status === 'closed' || e.status === 'failed')) {
      void this.streams.onChannelEnded(ch);
    }
    if (e.type === 'received') this.streams.onReceivedOps(ch, e.ops);
    if (e.type === 'received' && e.amount > 0n) {
      this.emit({ type: 'payment', direction: 'received', channelId: id, peerId: toHex(ch.remoteNodeId), amount: e.amount, seq: e.seq });
    }
    this.emit({ type: 'channel', channel: channelView(ch) });
  }

  openStream(req: OpenStreamRequest): Promise<StreamView> {
    return this.streams.openStream(req);
  }

  async listStreams(): Promise<StreamView[]> {
    return this.streams.list();
  }

  controlStream(opts: { streamId: string; action: 'pause' | 'resume' | 'stop' }): Promise<StreamView> {
    return this.streams.control(opts.streamId, opts.action);
  }

  private waitForStatus(id: string, want: MachineStatus[], timeoutMs: number): Promise<Channel> {
    return this.statusWaiters.wait(id, want, timeoutMs);
  }

  async info(): Promise<NodeInfo> {
    return nodeInfo({ nodeId: this.nodeId, alias: this.alias, peerPort: this.peerPort, ledger: this.ledger, chainId: this.chainId, height: this.height, channels: this.channels.list(), peers: this.peers.list() });
  }

  async wallet(): Promise<WalletView> {
    return walletView(this.ownAccount());
  }

  async faucet(amount: bigint): Promise<{ txid: string; balance: bigint }> {
    return faucet(this.ownAccount(), amount);
  }

  private ownAccount(): NodeAccount {
    return { ledger: this.ledger, address: this.identity.nodeId, account: this.account, channels: this.channels };
  }

  async connectPeer(target: string): Promise<PeerView> {
    const m = /^([0-9a-fA-F]{66})@(.+:\d+)$/.exec(target.trim());
    if (!m) throw new NodeError('invalid', 'BAD_TARGET', `peer must be NODEID@HOST:PORT, got '${target}'`);
    const nodeId = toHex(parsePublicKey(m[1]!, 'node id'));
    if (nodeId === this.nodeId) throw new NodeError('invalid', 'BAD_TARGET', 'that is this node');
    try {
      // Proves the address reaches that node before anything is stored; a failure keeps the last address that worked.
      await this.peers.connectVerified(nodeId, m[2]!);
    } catch (e) {
      throw new NodeError('unavailable', 'PEER_UNREACHABLE', (e as Error).message);
    }
    await this.store.savePeer({ nodeId, address: m[2]! });
    // A peer we dialed by address is redialed (with backoff) whenever the connection drops.
    this.peers.keep(nodeId, m[2]!);
    return (await this.listPeers()).find((p) => p.nodeId === nodeId)!;
  }

  async disconnectPeer(opts: { nodeId: string }): Promise<PeerView> {
    const nodeId = opts.nodeId.toLowerCase();
    const known = (await this.listPeers()).find((p) => p.nodeId === nodeId);
    if (!known) throw new NodeError('notFound', 'UNKNOWN_PEER', `no peer ${nodeId}`);
    this.peers.release(nodeId, 'disconnected by the user');
    return { ...known, connected: false };
  }

  async send(opts: { to: string; amount: bigint }): Promise<SendResult> {
    return sendOnLedger(this.ownAccount(), opts);
  }

  /** Connect to a node in the same in-memory network (tests, embedded demo). */
  async connectInMemory(nodeId: string): Promise<void> {
    await this.peers.connect(nodeId, undefined);
  }

  async listPeers(): Promise<PeerView[]> {
    return this.peers.list().map((p) => ({ ...p, channels: this.channels.withPeer(p.nodeId).filter((c) => c.status !== 'closed' && c.status !== 'failed').length }));
  }

  async openChannel(opts: { peerId: string; capacity: bigint; push: bigint; private?: boolean }): Promise<ChannelView> {
    const peerId = opts.peerId.toLowerCase();
    if (!this.peers.isConnected(peerId)) throw new NodeError('conflict', 'PEER_NOT_CONNECTED', `not connected to ${peerId}; run \`sluice peer connect\` first`);
    if (opts.capacity <= 0n) throw new NodeError('invalid', 'BAD_AMOUNT', 'capacity must be positive');
    if (opts.push > opts.capacity) throw new NodeError('invalid', 'BAD_AMOUNT', 'push cannot exceed the capacity');
    const [acct, info] = await needLedger(this.ledger, () => Promise.all([this.ledger.account(this.identity.nodeId), this.ledger.info()]));
    if (acct.balance < opts.capacity + info.fee) {
      throw new NodeError('conflict', 'INSUFFICIENT_FUNDS', `ledger balance ${acct.balance} msat is short of capacity + fee (${opts.capacity + info.fee} msat)`);
    }
    const ch = await this.channels.open(peerId, opts.capacity, opts.push, { private: opts.private === true }).catch((e: unknown) => storeFailed(e));
    const id = toHex(ch.channelId);
    const done = await this.waitForStatus(id, ['open', 'failed'], OPEN_TIMEOUT_MS);
    if (done.status === 'failed') throw new NodeError('refused', 'OPEN_FAILED', `the channel could not be opened: ${done.failure ?? 'unknown reason'}`);
    return channelView(done);
  }

  /** Change how this node forwards over one of its channels; the rest of the policy stays. */
  async setChannelPolicy(channelId: string, partial: Partial<ForwardingPolicy>): Promise<ForwardingPolicy> {
    const ch = this.channelById(channelId);
    const next = await this.htlcs.setChannelPolicy(toHex(ch.channelId), partial).catch((e: unknown) => {
      if (e instanceof RangeError) throw new NodeError('invalid', 'BAD_POLICY', e.message);
      return storeFailed(e);
    });
    if (ch.status === 'open') void this.announce(ch); // the network must route by the new policy, not the old
    return next;
  }

  async listChannels(): Promise<ChannelView[]> {
    return this.channels.list().map(channelView);
  }

  private channelById(channelId: string): Channel {
    const ch = this.channels.channels.get(channelId.toLowerCase());
    if (!ch) throw new NodeError('notFound', 'UNKNOWN_CHANNEL', `no channel ${channelId}`);
    return ch;
  }

  async closeChannel(opts: { channelId: string; force: boolean }): Promise<ChannelView & { txid?: string; pendingReason?: string }> {
    const ch = this.channelById(opts.channelId);
    const deps = { channels: this.channels, peers: this.peers, ledger: this.ledger, height: this.height, waitForStatus: (id: string, want: MachineStatus[], ms: number) => this.waitForStatus(id, want, ms) };
    return closeChannel(deps, ch, opts.force);
  }

  /** A payment to a channel peer in one channel update (no HTLC, no route): node-pay.ts. */
  pay(opts: { peerId: string; amount: bigint }): Promise<PaymentResult> {
    return payPeer({ peers: this.peers, channels: this.channels, emit: (e) => this.emit(e) }, opts);
  }

  /** A private channel is never announced: payers reach it through our invoices' route hints. */
  private async announce(ch: Channel): Promise<void> {
    if (ch.private) return;
    return this.gossip.announceChannel(ch.channelId, this.htlcs.policy(toHex(ch.channelId)), ch.capacity);
  }

  // Invoices, routed payments, routes, the graph, forwards and policy: node-routing.ts.
  createInvoice = (req: CreateInvoiceRequest) => this.routing.createInvoice(req);
  listInvoices = () => this.routing.listInvoices();
  decodeInvoice = (invoice: string) => this.routing.decodeInvoice(invoice);
  payInvoice = (req: PayInvoiceRequest) => this.routing.payInvoice(req);
  payNode = (req: PayNodeRequest) => this.routing.payNode(req);
  listPayments = () => this.routing.listPayments();
  queryRoute = (req: { nodeId: string; amount: bigint }) => this.routing.queryRoute(req);
  graph = () => this.routing.graph();
  listForwards = () => this.routing.listForwards();
  channelPolicy = (req: { channelId: string; update?: PolicyUpdate }) => this.routing.channelPolicy(req);

  async stop(): Promise<void> {
    this.gossip.stop();
    await this.streams.stop();
    await this.payer.stop();
    await this.watcher.stop();
    await this.peers.stop();
    await this.ledger.close();
    await this.store.close();
    await this.releaseDataDir();
  }
}
