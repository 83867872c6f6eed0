// Peer sessions: which to keep and how to reach them. BOLT 8 transport underneath (dialed over WebSockets
// or an in-process network, or accepted by our listener); BOLT 1 on each session is peer-session.ts; one
// peer's state is peer-state.ts. Peers with channels, or that we were asked to keep, are redialed with
// backoff when the connection drops; others are bounded and forgotten once gone.
import { toHex, utf8 } from '../crypto/bytes.js';
import { parsePublicKey } from '../crypto/keys.js';
import { connectPeer, listenPeers, type PeerListener } from '../transport/ws.js';
import type { MemoryNetwork } from '../transport/memory.js';
import type { PeerSession } from '../transport/session.js';
import { ALL_CHANNELS } from '../wire/error.js';
import type { Message } from '../wire/message.js';
import { makePing } from '../wire/ping.js';
import type { ChannelMessage } from '../wire/channel.js';
import type { StreamMessage } from '../wire/stream.js';
import type { Logger } from '../util/log.js';
import { HandshakeLimiter, peerLimits, type PeerLimits } from './peer-limits.js';
import { runSession, sendOn, type SessionHost } from './peer-session.js';
import { newPeer, RECONNECT_MAX_MS, type Peer } from './peer-state.js';

export { INIT_TIMEOUT_MS } from './peer-session.js';
/** Liveness: a ping to each peer this often; a peer silent for three intervals is dropped (and redialed). */
export const PING_INTERVAL_MS = 30_000;

export interface PeerManagerOptions {
  secretKey: Uint8Array;
  nodeId: Uint8Array;
  chainHash: Uint8Array;
  log: Logger;
  /** Listen for peers on a real WebSocket port… */
  listen?: { host: string; port: number };
  /** …or join an in-process network (tests, the embedded demo). */
  network?: MemoryNetwork;
  onChannelMessage(peerId: string, message: ChannelMessage): void;
  onStreamMessage(peerId: string, message: StreamMessage): void;
  onPeerError(peerId: string, channelId: Uint8Array | undefined, text: string): void;
  onConnected(peerId: string): void;
  onDisconnected(peerId: string): void;
  /** Whether we have a channel with this peer: peers without one are bounded and forgotten when gone. */
  hasChannel?(peerId: string): boolean;
  pingIntervalMs?: number;
  limits?: Partial<PeerLimits>;
}

export class PeerManager {
  private readonly peers = new Map<string, Peer>();
  private listener?: PeerListener;
  private memoryListener?: { close(): void };
  private stopped = false;
  private pinger?: NodeJS.Timeout;
  readonly limits: PeerLimits;
  private readonly handshakes: HandshakeLimiter;
  private readonly host: SessionHost;

  constructor(private readonly opts: PeerManagerOptions) {
    this.limits = peerLimits(opts.pingIntervalMs ?? PING_INTERVAL_MS, opts.limits);
    this.handshakes = new HandshakeLimiter(this.limits);
    this.host = {
      chainHash: opts.chainHash, limits: this.limits, log: opts.log,
      connected: (id) => opts.onConnected(id),
      channelMessage: (id, m) => opts.onChannelMessage(id, m),
      streamMessage: (id, m) => opts.onStreamMessage(id, m),
      peerError: (id, channelId, text) => opts.onPeerError(id, channelId, text),
      closed: (p, wasReady) => {
        if (wasReady) opts.onDisconnected(p.nodeId);
        this.scheduleRedial(p);
        this.forgetIfIdle(p);
      },
    };
  }

  private get pingMs(): number {
    return this.opts.pingIntervalMs ?? PING_INTERVAL_MS;
  }

  /** Ping every connected peer; drop the ones that have said nothing for three intervals. */
  private checkLiveness(): void {
    const now = Date.now();
    for (const p of this.peers.values()) {
      if (!p.session || !p.ready) continue;
      if (now - p.lastHeard > 3 * this.pingMs) {
        p.session.close('peer unresponsive');
        continue;
      }
      this.sendOn(p.session, makePing({ numPongBytes: 4 }));
    }
  }

  get port(): number | undefined {
    return this.listener?.port;
  }

  async start(): Promise<void> {
    this.pinger = setInterval(() => this.checkLiveness(), this.pingMs);
    this.pinger.unref();
    const onSession = (s: PeerSession) => this.adopt(s);
    const sendLimits = { maxSendBufferBytes: this.limits.maxSendBufferBytes };
    if (this.opts.network) this.memoryListener = this.opts.network.listen({ localSecretKey: this.opts.secretKey, onSession, limits: sendLimits });
    if (this.opts.listen) {
      const { maxConnections, maxPendingHandshakes, handshakeTimeoutMs } = this.limits;
      this.listener = await listenPeers({ ...this.opts.listen, localSecretKey: this.opts.secretKey, onSession,
        sendLimits, maxConnections, maxPendingHandshakes, handshakeTimeoutMs,
        onHandshakeFailure: (f) => this.opts.log.debug({ remote: f.remoteAddress, reason: f.reason }, 'inbound handshake failed') });
    }
  }

  private peer(nodeId: string): Peer {
    let p = this.peers.get(nodeId);
    if (!p) {
      p = newPeer(nodeId, Date.now());
      this.peers.set(nodeId, p);
    }
    return p;
  }

  private hasChannel(nodeId: string): boolean {
    return this.opts.hasChannel?.(nodeId) ?? false;
  }

  /** A peer nothing holds on to (no connection, no channel, no redial, no caller waiting) is dropped. */
  private forgetIfIdle(p: Peer): void {
    if (p.session || p.timer || p.wanted || p.readyWaiters.length > 0 || this.hasChannel(p.nodeId)) return;
    if (this.peers.get(p.nodeId) === p) this.peers.delete(p.nodeId);
  }

  /** Connected strangers (see Peer.stranger), counted against maxPeersWithoutChannels. */
  private strangers(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.session && p.stranger) n++;
    return n;
  }

  isConnected(nodeId: string): boolean {
    return this.peers.get(nodeId)?.ready === true;
  }

  list(): { nodeId: string; address?: string; connected: boolean }[] {
    return [...this.peers.values()].map((p) => ({ nodeId: p.nodeId, address: p.address, connected: p.ready }));
  }

  /** Remember where a peer is and keep a connection to it (redialing with backoff). */
  keep(nodeId: string, address: string | undefined): void {
    const p = this.peer(nodeId);
    if (address) p.address = address;
    p.wanted = true;
    if (!p.session && !p.timer) this.dial(p);
  }

  /** Connect now and resolve once init has been exchanged. */
  async connect(nodeId: string, address: string | undefined): Promise<void> {
    const p = this.peer(nodeId);
    if (address) p.address = address;
    if (p.ready) return;
    const ready = new Promise<void>((resolve, reject) => p.readyWaiters.push({ resolve, reject }));
    if (!p.session) {
      if (p.timer) clearTimeout(p.timer);
      p.timer = undefined;
      this.dial(p);
    }
    return ready;
  }

  /**
   * Connect to `nodeId` at `address` and remember the address only once it has proven to reach that
   * node: the BOLT 8 handshake completes only with the holder of the node's key, and init must follow.
   * A failed attempt stores nothing and leaves a working connection and its address as they were. A
   * live connection reached another way is replaced by the new one, as a reconnect would.
   */
  async connectVerified(nodeId: string, address: string): Promise<void> {
    const known = this.peers.get(nodeId);
    if (known?.ready && known.address === address) return;
    let s: PeerSession;
    try {
      s = await connectPeer({ url: `ws://${address}`, localSecretKey: this.opts.secretKey, remoteNodeId: parsePublicKey(nodeId, 'node id') });
    } catch (e) {
      throw new Error(`cannot connect to ${nodeId}@${address}: ${(e as Error).message}`);
    }
    if (this.stopped) {
      s.close('shutting down');
      throw new Error('the node is stopping');
    }
    const p = this.peer(nodeId);
    if (p.timer) clearTimeout(p.timer);
    p.timer = undefined;
    const ready = new Promise<void>((resolve, reject) => p.readyWaiters.push({ resolve, reject }));
    const wasReady = p.ready;
    this.adopt(s);
    if (wasReady) this.opts.onDisconnected(nodeId); // the replaced session's close is not reported by adopt
    try {
      await ready;
    } catch (e) {
      if (!known) this.peers.delete(nodeId);
      throw e;
    }
    p.address = address;
  }

  /** Hang up and stop redialing; the peer stays known (with its address) for a later connect. */
  release(nodeId: string, reason: string): void {
    const p = this.peers.get(nodeId);
    if (!p) return;
    p.wanted = false;
    if (p.timer) clearTimeout(p.timer);
    p.timer = undefined;
    p.session?.close(reason);
  }

  private dial(p: Peer): void {
    if (this.stopped) return;
    const remoteNodeId = parsePublicKey(p.nodeId, 'node id');
    const attempt = this.opts.network && !p.address
      ? this.opts.network.connect({ localSecretKey: this.opts.secretKey, remoteNodeId })
      : p.address
        ? connectPeer({ url: `ws://${p.address}`, localSecretKey: this.opts.secretKey, remoteNodeId })
        : Promise.reject(new Error('no address known for this peer'));
    attempt.then(
      (s) => this.adopt(s),
      (e: unknown) => {
        const msg = (e as Error).message;
        // The first failure of a run is a warning (a peer we keep is gone); the retries that follow are debug.
        if (p.wanted && !p.warnedUnreachable) {
          p.warnedUnreachable = true;
          this.opts.log.warn({ peer: p.nodeId.slice(0, 16), address: p.address, err: msg }, 'cannot reach peer; redialing with backoff');
        } else {
          this.opts.log.debug({ peer: p.nodeId, err: msg }, 'dial failed');
        }
        for (const w of p.readyWaiters.splice(0)) w.reject(new Error(`cannot connect to ${p.nodeId}@${p.address ?? '?'}: ${msg}`));
        this.scheduleRedial(p);
        this.forgetIfIdle(p);
      },
    );
  }

  private scheduleRedial(p: Peer): void {
    if (!p.wanted || this.stopped || p.timer || p.session) return;
    const delay = p.backoffMs;
    p.backoffMs = Math.min(p.backoffMs * 2, RECONNECT_MAX_MS);
    p.timer = setTimeout(() => {
      p.timer = undefined;
      if (!p.session) this.dial(p);
    }, delay);
  }

  /** A transport session is up (dialed or accepted): run BOLT 1 on it. */
  private adopt(s: PeerSession): void {
    const nodeId = toHex(s.remoteNodeId);
    if (this.stopped) {
      s.close('shutting down');
      return;
    }
    const known = this.peers.get(nodeId);
    const waitMs = this.handshakes.admit(nodeId, Date.now());
    if (waitMs > 0) return this.refuseReconnect(s, known, waitMs);
    const stranger = !known?.wanted && !known?.readyWaiters.length && !this.hasChannel(nodeId);
    const replacing = known?.session !== undefined && !known.session.closed;
    if (stranger && !replacing && this.strangers() >= this.limits.maxPeersWithoutChannels) {
      this.opts.log.debug({ peer: nodeId.slice(0, 16) }, 'too many peers without channels; hanging up');
      s.close(`too many peers without channels (limit ${this.limits.maxPeersWithoutChannels})`);
      return;
    }
    const p = this.peer(nodeId);
    p.stranger = stranger;
    if (p.session && !p.session.closed) {
      // Both sides dialed at once: keep the newest session.
      const old = p.session;
      p.session = undefined;
      old.close('replaced by a newer connection');
    }
    runSession(this.host, p, s);
  }

  /** A peer that completed too many handshakes lately is hung up on; a peer we keep is redialed after the wait. */
  private refuseReconnect(s: PeerSession, known: Peer | undefined, waitMs: number): void {
    const reason = `reconnecting too often: retry in ${Math.ceil(waitMs / 1000)} s`;
    this.opts.log.debug({ peer: toHex(s.remoteNodeId).slice(0, 16), waitMs }, 'too many handshakes; hanging up');
    s.close(reason);
    if (!known) return;
    // Waiters on a session still in init keep waiting for it; the rest were waiting on this one.
    if (!known.session || known.ready) for (const w of known.readyWaiters.splice(0)) w.reject(new Error(`connection to ${known.nodeId} refused: ${reason}`));
    known.backoffMs = Math.max(known.backoffMs, waitMs);
    this.scheduleRedial(known);
  }

  private sendOn(s: PeerSession, m: Message): void {
    sendOn(s, m, this.opts.log);
  }

  /** Send to a connected peer; false if it is not connected (the channel protocol recovers on reconnect). */
  send(nodeId: string, m: Message): boolean {
    const p = this.peers.get(nodeId);
    if (!p?.session || !p.ready) return false;
    this.sendOn(p.session, m);
    return true;
  }

  /** Tell a peer about a problem with a channel (or all channels) and optionally hang up. */
  sendError(nodeId: string, channelId: Uint8Array | undefined, text: string, kind: 'warning' | 'error' = 'warning'): void {
    this.send(nodeId, { kind, channelId: channelId ?? ALL_CHANNELS, data: utf8(text.slice(0, 500)) });
  }

  disconnect(nodeId: string, reason: string): void {
    this.peers.get(nodeId)?.session?.close(reason);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pinger) clearInterval(this.pinger);
    for (const p of this.peers.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.session?.close('shutting down');
    }
    this.memoryListener?.close();
    await this.listener?.close();
  }
}
