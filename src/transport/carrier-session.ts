// PeerSession over any byte carrier, once the handshake is done. It owns listener bookkeeping:
// messages that arrive before anyone listens are buffered, and the close event comes after the
// messages that preceded it, so the node layer sees one ordered story per connection.
import { InputError } from '../crypto/bytes.js';
import { DEFAULT_SEND_LIMITS, type SendLimits } from './limits.js';
import { MAX_MESSAGE_LENGTH } from './primitives.js';
import type { PeerSession, SessionClose, SessionCloseOrigin, Unsubscribe } from './session.js';

/** The byte pipe a Noise link runs over (a WebSocket, an in-memory queue). */
export interface Carrier {
  /** Write bytes to the peer, in order. */
  write(bytes: Uint8Array): void;
  /** Bytes written that the peer has not taken yet and that we still hold (backpressure). */
  readonly bufferedBytes: number;
  /**
   * Tear the connection down. Bytes that arrive afterwards are ignored by the connection. `abort`
   * drops what is still buffered instead of flushing it first (for a peer that is not reading).
   */
  close(origin: Exclude<SessionCloseOrigin, 'remote'>, reason: string, abort?: boolean): void;
}

export class CarrierSession implements PeerSession {
  private readonly messageListeners = new Set<(message: Uint8Array) => void>();
  private readonly closeListeners = new Set<(close: SessionClose) => void>();
  private readonly pending: Uint8Array[] = [];
  private closeInfo: SessionClose | null = null;
  private drainScheduled = false;

  constructor(
    readonly remoteNodeId: Uint8Array,
    private readonly encrypt: (message: Uint8Array) => Uint8Array,
    private readonly carrier: Carrier,
    private readonly limits: SendLimits = DEFAULT_SEND_LIMITS,
  ) {}

  get closed(): boolean {
    return this.closeInfo !== null;
  }

  send(message: Uint8Array): void {
    if (message.length > MAX_MESSAGE_LENGTH) {
      throw new InputError(`message: at most ${MAX_MESSAGE_LENGTH} bytes, got ${message.length}`);
    }
    if (this.closed) return;
    // A peer that does not read must not make us hold its backlog: past the bound it is dropped.
    const backlog = this.carrier.bufferedBytes;
    if (backlog + message.length > this.limits.maxSendBufferBytes) {
      this.abort(`peer is not reading: ${backlog} bytes already waiting to be sent (limit ${this.limits.maxSendBufferBytes})`);
      return;
    }
    this.carrier.write(this.encrypt(message));
  }

  close(reason = 'closed by local node'): void {
    this.shutDown('local', reason);
  }

  onMessage(listener: (message: Uint8Array) => void): Unsubscribe {
    this.messageListeners.add(listener);
    if (this.pending.length > 0) this.scheduleDrain();
    return () => this.messageListeners.delete(listener);
  }

  onClose(listener: (close: SessionClose) => void): Unsubscribe {
    this.closeListeners.add(listener);
    if (this.closed) this.scheduleDrain();
    return () => this.closeListeners.delete(listener);
  }

  /** A decrypted message from the link. */
  deliver(message: Uint8Array): void {
    if (this.closed) return;
    // Anything already buffered must go first, so a backlog forces the new message to queue too.
    if (this.messageListeners.size === 0 || this.pending.length > 0) {
      this.pending.push(message);
      return;
    }
    for (const listener of [...this.messageListeners]) listener(message);
  }

  /** Close the carrier (unless it closed itself) and tell the listeners, once. */
  shutDown(origin: SessionCloseOrigin, reason: string, abort = false): void {
    if (this.closed) return;
    this.closeInfo = { origin, reason };
    if (origin !== 'remote') this.carrier.close(origin, reason, abort);
    this.scheduleDrain();
  }

  /** Drop the connection without flushing: the peer broke the rules by not reading. */
  private abort(reason: string): void {
    this.shutDown('protocol', reason, true);
  }

  // Listener calls for buffered messages and for the close event are deferred to a microtask, so
  // attaching a listener never re-enters the caller before onMessage/onClose has returned.
  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.pending.length > 0 && this.messageListeners.size > 0) {
      const message = this.pending.shift()!;
      for (const listener of [...this.messageListeners]) listener(message);
    }
    const closeInfo = this.closeInfo;
    if (closeInfo === null) return;
    // Hold the close event back while buffered messages still wait for a listener that exists.
    if (this.pending.length > 0 && this.messageListeners.size > 0) return;
    for (const listener of [...this.closeListeners]) {
      this.closeListeners.delete(listener);
      listener(closeInfo);
    }
  }
}
