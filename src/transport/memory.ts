// In-process carrier: two LinkConnections joined by microtask-delayed byte delivery, so tests and
// the demo network run the real Noise handshake and encryption without sockets, and still see
// network-like asynchrony (nothing is delivered inside the sender's call stack).
import { InputError, toHex } from '../crypto/bytes.js';
import { isValidPublicKey, publicKeyOf, randomSecretKey } from '../crypto/keys.js';
import type { Carrier } from './carrier-session.js';
import { LinkConnection } from './connection.js';
import type { SendLimits } from './limits.js';
import { NoiseLink } from './link.js';
import { PeerConnectError, type PeerSession } from './session.js';

export interface MemoryPipeOptions {
  readonly initiatorSecretKey: Uint8Array;
  readonly responderSecretKey: Uint8Array;
  /** The node id the initiator expects; defaults to the responder's. A wrong one fails the handshake. */
  readonly expectedRemoteNodeId?: Uint8Array;
  /** Source of ephemeral keys; random unless a test injects them. */
  readonly ephemeralSecretKey?: () => Uint8Array;
}

export interface MemoryPipe {
  readonly initiator: PeerSession;
  readonly responder: PeerSession;
}

/** What one end of an in-memory connection offers the other. */
interface MemoryEnd {
  arrive(bytes: Uint8Array): void;
  peerClosed(reason: string): void;
  /** Bytes delivered to this end that its reader has not taken (a paused raw end holds them). */
  readonly unread: number;
}

/** One end of the pipe. Bytes written before close() are still delivered, then the close. */
class MemoryCarrier implements Carrier, MemoryEnd {
  peer!: MemoryEnd;
  connection!: LinkConnection;
  private closed = false;
  private inFlight = 0;
  readonly unread = 0; // a LinkConnection takes every byte as it arrives

  get bufferedBytes(): number {
    return this.inFlight + this.peer.unread;
  }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    const copy = bytes.slice();
    const peer = this.peer;
    this.inFlight += copy.length;
    queueMicrotask(() => {
      this.inFlight -= copy.length;
      peer.arrive(copy);
    });
  }

  close(_origin: string, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const peer = this.peer;
    queueMicrotask(() => peer.peerClosed(reason));
  }

  arrive(bytes: Uint8Array): void {
    if (!this.closed) this.connection.receive(bytes);
  }

  peerClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.carrierClosed(`peer closed: ${reason}`);
  }
}

/**
 * The far end of an in-memory connection as bare bytes, driven by hand: tests use it to play a
 * peer that breaks the rules (runs its own handshake, sends junk, stops reading). While paused,
 * what the node sends piles up here and counts as the node's send backlog, as a full socket would.
 */
export class RawMemoryEnd implements MemoryEnd {
  peer!: MemoryCarrier;
  private readonly held: Uint8Array[] = [];
  private heldBytes = 0;
  private paused = false;
  private closed = false;
  private readonly dataListeners: ((bytes: Uint8Array) => void)[] = [];
  private readonly closeListeners: ((reason: string) => void)[] = [];

  get unread(): number {
    return this.heldBytes;
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    const copy = bytes.slice();
    const peer = this.peer;
    queueMicrotask(() => peer.arrive(copy));
  }

  close(reason = 'raw end closed'): void {
    if (this.closed) return;
    this.closed = true;
    const peer = this.peer;
    queueMicrotask(() => peer.peerClosed(reason));
    for (const l of this.closeListeners) l(reason);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (this.held.length > 0 && !this.paused) {
      const bytes = this.held.shift()!;
      this.heldBytes -= bytes.length;
      for (const l of this.dataListeners) l(bytes);
    }
  }

  arrive(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.paused || this.held.length > 0) {
      this.held.push(bytes);
      this.heldBytes += bytes.length;
      return;
    }
    for (const l of this.dataListeners) l(bytes);
  }

  peerClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.closeListeners) l(reason);
  }
}

/** Connect two keys through a fresh pipe; resolves when both sides have completed the handshake. */
export function memoryPipe(options: MemoryPipeOptions): Promise<MemoryPipe> {
  const newEphemeral = options.ephemeralSecretKey ?? randomSecretKey;
  const remoteStaticKey = options.expectedRemoteNodeId ?? publicKeyOf(options.responderSecretKey);
  if (!isValidPublicKey(remoteStaticKey)) {
    return Promise.reject(new InputError('expectedRemoteNodeId: not a valid compressed public key'));
  }
  const initiatorEnd = new MemoryCarrier();
  const responderEnd = new MemoryCarrier();
  initiatorEnd.peer = responderEnd;
  responderEnd.peer = initiatorEnd;

  return new Promise<MemoryPipe>((resolve, reject) => {
    let initiator: PeerSession | undefined;
    let responder: PeerSession | undefined;
    let failed = false;
    const settle = () => {
      if (initiator && responder) resolve({ initiator, responder });
    };
    const onHandshakeFailed = (side: string) => (reason: string) => {
      if (failed) return;
      failed = true;
      reject(new PeerConnectError(`in-memory ${side}: ${reason}`));
    };

    const { link: initiatorLink, actOne } = NoiseLink.initiator({
      localSecretKey: options.initiatorSecretKey,
      remoteStaticKey,
      ephemeralSecretKey: newEphemeral(),
    });
    initiatorEnd.connection = new LinkConnection(initiatorLink, initiatorEnd, {
      onEstablished: (session) => {
        initiator = session;
        settle();
      },
      onHandshakeFailed: onHandshakeFailed('initiator'),
    });
    const responderLink = NoiseLink.responder({
      localSecretKey: options.responderSecretKey,
      ephemeralSecretKey: newEphemeral(),
    });
    responderEnd.connection = new LinkConnection(responderLink, responderEnd, {
      onEstablished: (session) => {
        responder = session;
        settle();
      },
      onHandshakeFailed: onHandshakeFailed('responder'),
    });
    initiatorEnd.write(actOne);
  });
}

/**
 * A registry of in-process nodes addressed by node id, for multi-node tests and the demo network:
 * `listen` plays the part of listenPeers, `connect` of connectPeer.
 */
export class MemoryNetwork {
  private readonly listeners = new Map<string, { secretKey: Uint8Array; onSession: (s: PeerSession) => void; limits?: SendLimits }>();

  listen(options: { localSecretKey: Uint8Array; onSession: (session: PeerSession) => void; limits?: SendLimits }): { close(): void } {
    const id = toHex(publicKeyOf(options.localSecretKey));
    this.listeners.set(id, { secretKey: options.localSecretKey, onSession: options.onSession, limits: options.limits });
    return { close: () => void this.listeners.delete(id) };
  }

  async connect(options: { localSecretKey: Uint8Array; remoteNodeId: Uint8Array }): Promise<PeerSession> {
    const target = this.listeners.get(toHex(options.remoteNodeId));
    if (!target) throw new PeerConnectError(`in-memory: no node listening as ${toHex(options.remoteNodeId)}`);
    const pipe = await memoryPipe({
      initiatorSecretKey: options.localSecretKey,
      responderSecretKey: target.secretKey,
      expectedRemoteNodeId: options.remoteNodeId,
    });
    target.onSession(pipe.responder);
    return pipe.initiator;
  }

  /**
   * A bare byte connection to a listening node: the caller runs the initiator's side of BOLT 8
   * itself. The node sees an ordinary inbound session once the handshake completes.
   */
  connectRaw(options: { remoteNodeId: Uint8Array }): RawMemoryEnd {
    const target = this.listeners.get(toHex(options.remoteNodeId));
    if (!target) throw new PeerConnectError(`in-memory: no node listening as ${toHex(options.remoteNodeId)}`);
    const raw = new RawMemoryEnd();
    const nodeEnd = new MemoryCarrier();
    raw.peer = nodeEnd;
    nodeEnd.peer = raw;
    const link = NoiseLink.responder({ localSecretKey: target.secretKey, ephemeralSecretKey: randomSecretKey() });
    nodeEnd.connection = new LinkConnection(link, nodeEnd, {
      onEstablished: (session) => target.onSession(session),
      onHandshakeFailed: () => {},
    }, target.limits);
    return raw;
  }
}
