// Peer sessions: BOLT 8 transport underneath, BOLT 1 on top (init first, ping/pong, error/warning,
// the odd/even rule for unknown messages), and channel messages handed up to the channel manager.
// Peers with channels are redialed with backoff when the connection drops.
import { toHex } from '../crypto/bytes.js';
import { parsePublicKey } from '../crypto/keys.js';
import { connectPeer, listenPeers, type PeerListener } from '../transport/ws.js';
import type { MemoryNetwork } from '../transport/memory.js';
import type { PeerSession } from '../transport/session.js';
import { ALL_CHANNELS, describeErrorData } from '../wire/error.js';
import { FeatureVector, unknownRequiredBits } from '../wire/features.js';
import { decodeMessage, encodeMessage, type Message } from '../wire/message.js';
import { makePing, pongFor } from '../wire/ping.js';
import type { ChannelMessage } from '../wire/channel.js';
import { STREAM_CONTROL_TYPE, type StreamMessage } from '../wire/stream.js';
import { assertNever } from '../wire/assert-never.js';
import type { Logger } from '../util/log.js';
import { InputError, equalBytes, utf8 } from '../crypto/bytes.js';
import {
  HandshakeLimiter, judgeMessage, judgePing, messageType, NO_MESSAGES, NO_PINGS, peerLimits, type PeerLimits, type PingState, type RateState,
} from './peer-limits.js';

export const INIT_TIMEOUT_MS = 5000;
/** Liveness: a ping to each peer this often; a peer silent for three intervals is dropped (and redialed). */
export const PING_INTERVAL_MS = 30_000;
/** What of a peer's warning or error text reaches our log, and how often at warn level. */
const LOGGED_TEXT_CHARS = 200;
const PEER_TEXT_LOG_INTERVAL_MS = 60_000;

const clip = (text: string): string => (text.length > LOGGED_TEXT_CHARS ? `${text.slice(0, LOGGED_TEXT_CHARS)}… (${text.length} chars)` : text);

function takeLogTurn(p: Peer, now: number): boolean {
  if (p.lastTextLoggedAt !== undefined && now - p.lastTextLoggedAt < PEER_TEXT_LOG_INTERVAL_MS) return false;
  p.lastTextLoggedAt = now;
  return true;
}

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 30_000;

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

interface Peer {
  nodeId: string;
  /** When a warning or error this peer sent was last logged at warn level. */
  lastTextLoggedAt?: number;
  address?: string;
  session?: PeerSession;
  ready: boolean; // init exchanged
  lastHeard: number;
  wanted: boolean; // keep redialing
  backoffMs: number;
  timer?: NodeJS.Timeout;
  readyWaiters: { resolve: () => void; reject: (e: Error) => void }[];
  /** A failed redial was logged as a warning; the next ones are debug until the peer is back. */
  warnedUnreachable?: boolean;
  pings: PingState;
  /** Inbound message rate of its current session. */
  rate: RateState;
  /** Set when its current session was adopted: no channel, not wanted, no dial of ours waiting. */
  stranger: boolean;
}

export class PeerManager {
  private readonly peers = new Map<string, Peer>();
  private listener?: PeerListener;
  private memoryListener?: { close(): void };
  private stopped = false;
  private pinger?: NodeJS.Timeout;
  readonly limits: PeerLimits;
  private readonly handshakes: HandshakeLimiter;

  constructor(private readonly opts: PeerManagerOptions) {
    this.limits = peerLimits(opts.pingIntervalMs ?? PING_INTERVAL_MS, opts.limits);
    this.handshakes = new HandshakeLimiter(this.limits);
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
      p = { nodeId, ready: false, wanted: false, backoffMs: RECONNECT_MIN_MS, readyWaiters: [], lastHeard: Date.now(), pings: NO_PINGS, rate: NO_MESSAGES, stranger: false };
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
    p.pings = NO_PINGS;
    p.rate = NO_MESSAGES;
    if (p.session && !p.session.closed) {
      // Both sides dialed at once: keep the newest session.
      const old = p.session;
      p.session = undefined;
      old.close('replaced by a newer connection');
    }
    p.session = s;
    p.ready = false;
    const log = this.opts.log.child({ peer: nodeId.slice(0, 16) });
    const initTimer = setTimeout(() => {
      if (!p.ready && p.session === s) s.close('no init within 5 s');
    }, INIT_TIMEOUT_MS);
    // BOLT 1: send init right away, without waiting for the peer's.
    this.sendOn(s, { kind: 'init', globalFeatures: FeatureVector.EMPTY, features: FeatureVector.EMPTY, tlvs: { networks: [this.opts.chainHash] }, unknownTlvs: [] });
    p.lastHeard = Date.now();
    s.onMessage((bytes) => {
      if (p.ready && !this.withinRate(p, s, bytes, log)) return; // over the rate: not decoded, not liveness
      const d = decodeMessage(bytes);
      // Liveness: anything the peer says, except pings we chose to ignore (a ping flood is not a sign of life).
      if (!(d.ok && d.value.kind === 'ping')) p.lastHeard = Date.now();
      if (!d.ok) {
        log.warn({ err: d.error.message }, 'undecodable message; disconnecting');
        this.sendOn(s, { kind: 'warning', channelId: ALL_CHANNELS, data: utf8(`bad message: ${d.error.message}`.slice(0, 200)) });
        s.close(`bad message: ${d.error.message}`);
        return;
      }
      const m = d.value;
      if (!p.ready && m.kind !== 'init') {
        s.close('first message was not init');
        return;
      }
      switch (m.kind) {
        case 'init': {
          if (p.ready) return; // a second init is ignored
          const nets = m.tlvs.networks;
          if (nets && nets.length > 0 && !nets.some((n) => equalBytes(n, this.opts.chainHash))) {
            this.sendOn(s, { kind: 'error', channelId: ALL_CHANNELS, data: utf8('no common chain') });
            s.close('peer is on another chain');
            return;
          }
          const unknown = unknownRequiredBits(m.features.or(m.globalFeatures), []);
          if (unknown.length > 0) {
            s.close(`peer requires unknown features ${unknown.join(',')}`);
            return;
          }
          clearTimeout(initTimer);
          p.ready = true;
          p.backoffMs = RECONNECT_MIN_MS;
          p.warnedUnreachable = false;
          log.info('peer connected');
          for (const w of p.readyWaiters.splice(0)) w.resolve();
          this.opts.onConnected(nodeId);
          return;
        }
        case 'ping': {
          const judged = judgePing(p.pings, Date.now(), this.limits);
          p.pings = judged.state;
          switch (judged.verdict) {
            case 'answer': {
              p.lastHeard = Date.now();
              const pong = pongFor(m);
              if (pong) this.sendOn(s, pong);
              return;
            }
            case 'ignore':
              return;
            case 'disconnect':
              log.warn({ ignored: p.pings.ignoredInARow }, 'ping flood; disconnecting');
              this.sendOn(s, { kind: 'warning', channelId: ALL_CHANNELS, data: utf8(`too many pings: at most one per ${this.limits.pongMinIntervalMs} ms is answered`) });
              s.close('ping flood');
              return;
            default:
              return assertNever(judged.verdict, 'ping verdict');
          }
        }
        case 'pong':
          return;
        case 'warning':
          // A peer's text goes to our log cut short, and at warn level at most once a minute per peer:
          // a flood of long warnings must not fill the disk.
          if (takeLogTurn(p, Date.now())) log.warn({ text: clip(describeErrorData(m.data)) }, 'peer warning');
          else log.debug({ text: clip(describeErrorData(m.data)) }, 'peer warning');
          return;
        case 'error': {
          const text = clip(describeErrorData(m.data));
          if (takeLogTurn(p, Date.now())) log.warn({ text }, 'peer error');
          else log.debug({ text }, 'peer error');
          const all = equalBytes(m.channelId, ALL_CHANNELS);
          this.opts.onPeerError(nodeId, all ? undefined : m.channelId, text);
          if (all) s.close(`peer error: ${text}`);
          return;
        }
        case 'unknown':
          if (!m.odd) s.close(`unknown even message type ${m.type}`);
          return;
        case 'openChannel':
        case 'acceptChannel':
        case 'updateState':
        case 'ackState':
        case 'reestablish':
        case 'commitState':
          this.opts.onChannelMessage(nodeId, m);
          return;
        case 'streamOpen':
        case 'streamAccept':
        case 'streamReject':
        case 'streamTick':
        case 'streamControl':
          this.opts.onStreamMessage(nodeId, m);
          return;
        default: {
          const never: never = m;
          return never;
        }
      }
    });
    s.onClose((c) => {
      clearTimeout(initTimer);
      if (p.session !== s) return; // a replaced session
      const wasReady = p.ready;
      p.session = undefined;
      p.ready = false;
      log.info({ origin: c.origin, reason: c.reason }, 'peer disconnected');
      for (const w of p.readyWaiters.splice(0)) w.reject(new Error(`connection to ${nodeId} closed: ${c.reason}`));
      if (wasReady) this.opts.onDisconnected(nodeId);
      this.scheduleRedial(p);
      this.forgetIfIdle(p);
    });
  }

  /** Whether to handle this inbound message; past the rate it is dropped, warned about once, then cut off. */
  private withinRate(p: Peer, s: PeerSession, bytes: Uint8Array, log: Logger): boolean {
    const judged = judgeMessage(p.rate, Date.now(), this.limits, messageType(bytes) === STREAM_CONTROL_TYPE);
    p.rate = judged.state;
    switch (judged.verdict) {
      case 'pass':
        return true;
      case 'warn':
        log.warn({ limit: this.limits.messagesPerSecond }, 'peer over the message rate; dropping its messages');
        this.sendOn(s, { kind: 'warning', channelId: ALL_CHANNELS, data: utf8(`too many messages: at most ${this.limits.messagesPerSecond}/s, stream control ${this.limits.controlsPerSecond}/s; the excess is dropped`) });
        return false;
      case 'drop':
        return false;
      case 'disconnect':
        log.warn({ dropped: p.rate.dropped }, 'message flood; disconnecting');
        s.close('message flood');
        return false;
      default:
        return assertNever(judged.verdict, 'rate verdict');
    }
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
    try {
      s.send(encodeMessage(m));
    } catch (e) {
      if (e instanceof InputError) this.opts.log.error({ err: e.message, kind: m.kind }, 'message too large to send');
      else throw e;
    }
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
