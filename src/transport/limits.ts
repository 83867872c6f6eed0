// What a stranger on the peer port can make the transport hold, and the defaults. Each bound is
// listed in docs/security.md ("Peers and transport") with what the other side gets when it hits it.

/**
 * Bytes we may hold for one peer that is not reading (the carrier's own buffer: ws bufferedAmount,
 * or the bytes an in-memory reader has not taken). A send that would pass it drops the connection,
 * so a peer that stops reading costs at most this much memory, however much it asks us to send.
 * 2 MiB is 32 of the largest messages: far more than an honest peer ever has in flight.
 */
export const DEFAULT_MAX_SEND_BUFFER_BYTES = 2 * 1024 * 1024;

/** A WebSocket connection must complete BOLT 8 within this long, or it is dropped. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;

/** Connections (handshaking or established) the peer listener holds at once; more are refused with HTTP 503. */
export const DEFAULT_MAX_CONNECTIONS = 512;

/** Connections still in the BOLT 8 handshake at once (each lives at most the handshake timeout). */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 32;

export interface SendLimits {
  readonly maxSendBufferBytes: number;
}

export interface ListenerLimits {
  readonly handshakeTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxPendingHandshakes: number;
}

export const DEFAULT_SEND_LIMITS: SendLimits = { maxSendBufferBytes: DEFAULT_MAX_SEND_BUFFER_BYTES };
