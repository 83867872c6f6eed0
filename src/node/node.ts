// A sluice node: identity, store, peers, channels, watcher and wallet wired together, serving the
// NodeApi that the HTTP control API, the SDK and the tests use.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../crypto/bytes.js';
import { parsePublicKey } from '../crypto/keys.js';
import { chainHash } from '../channel/open.js';
import type { Channel, ChannelEffect, ChannelStatus as MachineStatus } from '../channel/machine.js';
import { localBalance, remoteBalance } from '../channel/machine.js';
import { LedgerClient, LedgerRpcError, LedgerUnavailableError, DEFAULT_LEDGER_URL } from '../ledger/client.js';
import type { LedgerChannel } from '../ledger/types.js';
import type { MemoryNetwork } from '../transport/memory.js';
import { ApiError, type ChannelStatus, type ChannelView, type NodeApi, type NodeEvent, type NodeInfo, type OpenStreamRequest, type PaymentResult, type PeerView, type StreamView, type WalletView } from '../api/types.js';
import { createLogger, type Logger } from '../util/log.js';
import { ChannelManager } from './channels.js';
import { loadOrCreateIdentity, type Identity } from './identity.js';
import { PeerManager } from './peers.js';
import { NodeStore } from './store.js';
import { timeStoreWrites } from './store-timing.js';
import { Watcher } from './watcher.js';
import { Wallet } from './wallet.js';
import { StreamManager, type StreamPolicy } from './streams.js';

export const DEFAULT_PEER_PORT = 9735;
const PAY_TIMEOUT_MS = 60_000;
const OPEN_TIMEOUT_MS = 60_000;

export interface NodeOptions {
  dataDir: string;
  ledgerUrl?: string;
  alias?: string;
  /** Peer WebSocket listener; port 0 picks one. Omit `listen` to not listen (with `network`). */
  listen?: { host: string; port: number };
  network?: MemoryNetwork;
  log?: Logger;
  /** Stream prices, spending limits and metering. */
  streams?: StreamPolicy;
  /** How often peers are pinged (tests shorten it). */
  pingIntervalMs?: number;
  /** Told how long each durable store write took (the metrics' store latency). */
  onStoreWrite?: (ms: number) => void;
}

function viewStatus(s: MachineStatus): ChannelStatus {
  switch (s) {
    case 'proposed':
    case 'opening':
      return 'opening';
    case 'open':
      return 'open';
    case 'closing':
    case 'forceClosing':
      return 'closing';
    case 'closed':
    case 'failed':
      return 'closed';
  }
}

export function channelView(ch: Channel): ChannelView {
  const v: ChannelView = {
    channelId: toHex(ch.channelId),
    peerId: toHex(ch.remoteNodeId),
    side: ch.local,
    status: viewStatus(ch.status),
    capacity: ch.capacity,
    localBalance: localBalance(ch),
    remoteBalance: remoteBalance(ch),
    seq: ch.signed.state.seq,
    pendingUpdates: (ch.proposal ? 1 : 0) + ch.queue.length,
  };
  if (ch.settleHeight !== undefined && ch.status === 'forceClosing') v.settleHeight = ch.settleHeight;
  if (ch.payout) v.payout = ch.payout;
  return v;
}

/** Ledger failures as API errors: refusals are the caller's to fix (422), an unreachable ledger is 503. */
async function ledgerCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof LedgerRpcError) throw new ApiError(422, e.reason ?? 'LEDGER_REFUSED', `ledger: ${e.message}`);
    if (e instanceof LedgerUnavailableError) throw new ApiError(503, 'LEDGER_UNAVAILABLE', e.message);
    throw e;
  }
}

export class SluiceNode implements NodeApi {
  private readonly listeners = new Set<(e: NodeEvent) => void>();
  private height = 0;
  private readonly statusWaiters = new Set<{ id: string; want: MachineStatus[]; resolve: (c: Channel) => void }>();

  private constructor(
    readonly identity: Identity,
    readonly alias: string,
    readonly ledger: LedgerClient,
    readonly chainId: string,
    private readonly store: NodeStore,
    readonly peers: PeerManager,
    readonly channels: ChannelManager,
    private readonly watcher: Watcher,
    private readonly account: Wallet,
    readonly log: Logger,
    readonly streams: StreamManager,
  ) {}

  static async start(opts: NodeOptions): Promise<SluiceNode> {
    const log = opts.log ?? createLogger({ name: 'node' });
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    const identity = await loadOrCreateIdentity(opts.dataDir);
    const ledger = await LedgerClient.connect({ url: opts.ledgerUrl ?? DEFAULT_LEDGER_URL });
    const info = await ledger.info();
    const store = opts.onStoreWrite ? timeStoreWrites(new NodeStore(join(opts.dataDir, 'db')), opts.onStoreWrite) : new NodeStore(join(opts.dataDir, 'db'));
    await store.open();
    const wallet = new Wallet({ ledger, chainId: info.chainId, secretKey: identity.secretKey, address: identity.nodeId, log });
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
      onChannelMessage: (peer, m) => self.channels.onMessage(peer, m),
      onStreamMessage: (peer, m) => self.streams.onMessage(peer, m),
      onPeerError: (peer, channelId, text) => self.onPeerError(peer, channelId, text),
      onConnected: (peer) => self.onPeerConnected(peer),
      onDisconnected: (peer) => self.onPeerDisconnected(peer),
    });
    const channels = new ChannelManager({
      store, peers, wallet, chainId: info.chainId, secretKey: identity.secretKey, nodeId: identity.nodeId, log,
      height: () => self.height,
      onChange: (ch, e) => self.onChannelChange(ch, e),
      attachToPersist: (ch) => self.streams.attachToPersist(ch),
    });
    const streams = new StreamManager({ store, channels, peers, wallet, log, policy: opts.streams ?? {}, emit: (e) => self.emit(e) });
    const watcher = new Watcher({
      ledger, log, nodeId: identity.nodeId,
      channels: () => channels.list(),
      channel: (id) => channels.channels.get(id),
      dispatch: (id, ev) => channels.dispatch(id, ev),
      onHeight: (h) => {
        self.height = h;
        self.emit({ type: 'ledger', height: h });
      },
    });
    self = new SluiceNode(identity, opts.alias ?? toHex(identity.nodeId).slice(0, 8), ledger, info.chainId, store, peers, channels, watcher, wallet, log, streams);
    self.height = info.height;
    await channels.load();
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
    this.streams.onPeerConnected(peer);
    for (const ch of this.channels.withPeer(peer)) void this.channels.dispatch(toHex(ch.channelId), { type: 'connected' });
  }

  private onPeerDisconnected(peer: string): void {
    this.emit({ type: 'peer', nodeId: peer, connected: false });
    for (const ch of this.channels.withPeer(peer)) void this.channels.dispatch(toHex(ch.channelId), { type: 'disconnected' });
  }

  private onChannelChange(ch: Channel, e: ChannelEffect): void {
    const id = toHex(ch.channelId);
    if (e.type === 'statusChanged') {
      if (e.status === 'opening') void this.watcher.watch(ch);
      for (const w of [...this.statusWaiters]) {
        if (w.id === id && w.want.includes(ch.status)) {
          this.statusWaiters.delete(w);
          w.resolve(ch);
        }
      }
    }
    if (e.type === 'statusChanged' && e.status === 'forceClosing') void this.revealOnLedger(ch);
    if (e.type === 'statusChanged' && (e.status === 'closing' || e.status === 'forceClosing' || e.status === 'closed' || e.status === 'failed')) {
      void this.streams.onChannelEnded(ch);
    }
    if (e.type === 'received') this.streams.onReceivedOps(ch, e.ops);
    if (e.type === 'received' && e.amount > 0n) {
      this.emit({ type: 'payment', direction: 'received', channelId: id, peerId: toHex(ch.remoteNodeId), amount: e.amount, seq: e.seq });
    }
    this.emit({ type: 'channel', channel: channelView(ch) });
  }

  /** A closing channel with hash-chain budgets paying us: show the deepest preimages to the ledger. */
  private async revealOnLedger(ch: Channel): Promise<void> {
    if (this.streams.revealsFor(ch).length === 0) return;
    // Reveals are accepted while the ledger adjudicates the close: wait until it does.
    let adjudicated: LedgerChannel | undefined;
    for (let i = 0; i < 600 && !adjudicated; i++) {
      const lc = await this.ledger.channel(ch.channelId).catch(() => undefined);
      if (lc?.status === 'closed') return;
      if (lc?.status === 'closing') adjudicated = lc;
      else await new Promise((r) => setTimeout(r, 50));
    }
    if (!adjudicated) return;
    const latest = this.channels.channels.get(toHex(ch.channelId)) ?? ch;
    for (const r of this.streams.revealsFor(latest, adjudicated.latest!.state.locks)) {
      try {
        // in steps if the ledger's per-request bound needs it (docs/ledger.md)
        const txids = await this.account.reveal({ channelId: ch.channelId, ...r, shownDepth: adjudicated.reveals[r.lockId]?.depth ?? 0 });
        this.log.info({ channel: toHex(ch.channelId).slice(0, 16), lockId: r.lockId, depth: r.depth, txids }, 'revealed hash-chain ticks to the ledger');
      } catch (e) {
        this.log.warn({ channel: toHex(ch.channelId).slice(0, 16), err: (e as Error).message }, 'hash-chain reveal refused');
      }
    }
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
    const now = this.channels.channels.get(id);
    if (now && want.includes(now.status)) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const w = { id, want, resolve: (c: Channel) => { clearTimeout(t); resolve(c); } };
      const t = setTimeout(() => {
        this.statusWaiters.delete(w);
        reject(new ApiError(503, 'TIMEOUT', `channel ${id} did not become ${want.join(' or ')} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.statusWaiters.add(w);
    });
  }

  async info(): Promise<NodeInfo> {
    const counts = { opening: 0, open: 0, closing: 0, closed: 0 };
    for (const ch of this.channels.list()) counts[viewStatus(ch.status)]++;
    const peers = this.peers.list();
    return {
      nodeId: this.nodeId,
      alias: this.alias,
      peerUrl: this.peerPort !== undefined ? `ws://127.0.0.1:${this.peerPort}` : '(in-memory)',
      ledgerUrl: this.ledger.url,
      chainId: this.chainId,
      height: this.height,
      channels: counts,
      peers: { connected: peers.filter((p) => p.connected).length, known: peers.length },
    };
  }

  async wallet(): Promise<WalletView> {
    const acct = await ledgerCall(() => this.ledger.account(this.identity.nodeId));
    const inChannels = this.channels.list().filter((c) => c.status === 'open').reduce((s, c) => s + localBalance(c), 0n);
    return { address: this.nodeId, balance: acct.balance, nonce: acct.nonce, inChannels };
  }

  async faucet(amount: bigint): Promise<{ txid: string; balance: bigint }> {
    return ledgerCall(async () => {
      const txid = await this.ledger.faucet(this.identity.nodeId, amount);
      await this.ledger.waitForTx(txid);
      return { txid, balance: (await this.ledger.account(this.identity.nodeId)).balance };
    });
  }

  async connectPeer(target: string): Promise<PeerView> {
    const m = /^([0-9a-fA-F]{66})@(.+:\d+)$/.exec(target.trim());
    if (!m) throw new ApiError(400, 'BAD_TARGET', `peer must be NODEID@HOST:PORT, got '${target}'`);
    const nodeId = toHex(parsePublicKey(m[1]!, 'node id'));
    if (nodeId === this.nodeId) throw new ApiError(400, 'BAD_TARGET', 'that is this node');
    try {
      await this.peers.connect(nodeId, m[2]!);
    } catch (e) {
      throw new ApiError(503, 'PEER_UNREACHABLE', (e as Error).message);
    }
    await this.store.savePeer({ nodeId, address: m[2]! });
    // A peer we dialed by address is redialed (with backoff) whenever the connection drops.
    this.peers.keep(nodeId, m[2]!);
    return (await this.listPeers()).find((p) => p.nodeId === nodeId)!;
  }

  /** Connect to a node in the same in-memory network (tests, embedded demo). */
  async connectInMemory(nodeId: string): Promise<void> {
    await this.peers.connect(nodeId, undefined);
  }

  async listPeers(): Promise<PeerView[]> {
    return this.peers.list().map((p) => ({ ...p, channels: this.channels.withPeer(p.nodeId).filter((c) => c.status !== 'closed' && c.status !== 'failed').length }));
  }

  async openChannel(opts: { peerId: string; capacity: bigint; push: bigint }): Promise<ChannelView> {
    const peerId = opts.peerId.toLowerCase();
    if (!this.peers.isConnected(peerId)) throw new ApiError(409, 'PEER_NOT_CONNECTED', `not connected to ${peerId}; run \`sluice peer connect\` first`);
    if (opts.capacity <= 0n) throw new ApiError(400, 'BAD_AMOUNT', 'capacity must be positive');
    if (opts.push > opts.capacity) throw new ApiError(400, 'BAD_AMOUNT', 'push cannot exceed the capacity');
    const [acct, info] = await ledgerCall(() => Promise.all([this.ledger.account(this.identity.nodeId), this.ledger.info()]));
    if (acct.balance < opts.capacity + info.fee) {
      throw new ApiError(409, 'INSUFFICIENT_FUNDS', `ledger balance ${acct.balance} msat is short of capacity + fee (${opts.capacity + info.fee} msat)`);
    }
    const ch = await this.channels.open(peerId, opts.capacity, opts.push);
    const id = toHex(ch.channelId);
    const done = await this.waitForStatus(id, ['open', 'failed'], OPEN_TIMEOUT_MS);
    if (done.status === 'failed') throw new ApiError(409, 'OPEN_FAILED', `the channel could not be opened: ${done.failure ?? 'unknown reason'}`);
    return channelView(done);
  }

  async listChannels(): Promise<ChannelView[]> {
    return this.channels.list().map(channelView);
  }

  private channelById(channelId: string): Channel {
    const ch = this.channels.channels.get(channelId.toLowerCase());
    if (!ch) throw new ApiError(404, 'UNKNOWN_CHANNEL', `no channel ${channelId}`);
    return ch;
  }

  async closeChannel(opts: { channelId: string; force: boolean }): Promise<ChannelView & { txid?: string }> {
    const ch = this.channelById(opts.channelId);
    const id = toHex(ch.channelId);
    if (opts.force) {
      if (ch.status === 'closed' || ch.status === 'forceClosing') throw new ApiError(409, 'WRONG_STATUS', `channel is already ${ch.status}`);
      await this.channels.dispatch(id, { type: 'forceClose' });
      return channelView(this.channels.channels.get(id)!);
    }
    if (ch.status !== 'open') throw new ApiError(409, 'WRONG_STATUS', `channel is ${viewStatus(ch.status)}; a cooperative close needs it open`);
    if (!this.peers.isConnected(toHex(ch.remoteNodeId))) throw new ApiError(409, 'PEER_NOT_CONNECTED', 'the peer is offline; use --force to close unilaterally');
    await this.channels.dispatch(id, { type: 'closeCooperatively' });
    const done = await this.waitForStatus(id, ['closed'], OPEN_TIMEOUT_MS);
    return channelView(done);
  }

  async pay(opts: { peerId: string; amount: bigint }): Promise<PaymentResult> {
    const peerId = opts.peerId.toLowerCase();
    if (opts.amount <= 0n) throw new ApiError(400, 'BAD_AMOUNT', 'amount must be positive');
    if (!this.peers.isConnected(peerId)) throw new ApiError(409, 'PEER_NOT_CONNECTED', `not connected to ${peerId}`);
    const ch = this.channels.payable(peerId, opts.amount);
    if (!ch) throw new ApiError(409, 'NO_ROUTE', `no open channel with ${peerId} can send ${opts.amount} msat (reserve included)`);
    const id = toHex(ch.channelId);
    const { ref, settled } = this.channels.submitOps(id, [{ op: 'pay', amount: opts.amount }]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError(503, 'PENDING', `payment ${ref} not acknowledged within ${PAY_TIMEOUT_MS / 1000} s; it may still complete`)), PAY_TIMEOUT_MS);
    });
    try {
      const s = await Promise.race([settled, timeout]);
      this.emit({ type: 'payment', direction: 'sent', channelId: id, peerId, amount: opts.amount, seq: s.seq });
      return { paymentId: ref, channelId: id, peerId, amount: opts.amount, seq: s.seq };
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError(409, 'PAYMENT_REJECTED', (e as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    await this.streams.stop();
    await this.watcher.stop();
    await this.peers.stop();
    await this.ledger.close();
    await this.store.close();
  }
}
