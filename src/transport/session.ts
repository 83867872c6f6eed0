// The transport port the node layer talks to: an authenticated, encrypted, ordered message pipe
// to one peer. Carriers (WebSocket, in-memory) implement it; the node never sees bytes of Noise.

export type SessionCloseOrigin =
  /** We called close(). */
  | 'local'
  /** The carrier went away: the peer closed, or the connection dropped. */
  | 'remote'
  /** We dropped the connection because the peer broke the transport (bad MAC, wrong frame type, oversize frame). */
  | 'protocol';

export interface SessionClose {
  readonly origin: SessionCloseOrigin;
  readonly reason: string;
}

export type Unsubscribe = () => void;

export interface PeerSession {
  /** The peer's 33-byte compressed public key, authenticated by the handshake. */
  readonly remoteNodeId: Uint8Array;
  /** True once the session has closed for any reason. */
  readonly closed: boolean;
  /**
   * Send one plaintext BOLT 1 message (2-byte type + payload, at most 65535 bytes; longer throws
   * InputError). Silently dropped once the session is closed: the close event already told the
   * caller, and a send racing a disconnect is not a bug.
   */
  send(message: Uint8Array): void;
  /** Close the connection; onClose listeners get origin 'local' and this reason. Idempotent. */
  close(reason?: string): void;
  /**
   * Receive messages in order. Messages that arrived while no listener was attached are buffered
   * and delivered (asynchronously, in order) to the first listener attached.
   */
  onMessage(listener: (message: Uint8Array) => void): Unsubscribe;
  /** Called once when the session closes; a listener attached after the close is still called. */
  onClose(listener: (close: SessionClose) => void): Unsubscribe;
}

/** Rejection of a connect (WebSocket or in-memory) whose connection or handshake failed. */
export class PeerConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerConnectError';
  }
}
