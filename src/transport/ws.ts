// The WebSocket carrier: the BOLT 8 byte stream inside WebSocket binary frames, as Core
// Lightning's WebSocket port carries it (each act and each encrypted message goes out as one
// frame; incoming frames are just more stream bytes, however a peer splits or merges them).
// This adapter only moves bytes and owns the handshake deadline; the protocol is in link.ts.
import { createServer } from 'node:http';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { InputError, concatBytes } from '../crypto/bytes.js';
import { isValidPublicKey, randomSecretKey } from '../crypto/keys.js';
import type { Carrier } from './carrier-session.js';
import { LinkConnection, type ConnectionHooks } from './connection.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PENDING_HANDSHAKES, DEFAULT_SEND_LIMITS,
  type ListenerLimits, type SendLimits,
} from './limits.js';
import { NoiseLink } from './link.js';
import { MAX_ENCRYPTED_MESSAGE_LENGTH } from './primitives.js';
import { PeerConnectError, type PeerSession } from './session.js';

export { DEFAULT_HANDSHAKE_TIMEOUT_MS } from './limits.js';

/** Frames larger than one legal encrypted message are refused by ws itself (close code 1009). */
const SOCKET_OPTIONS = { maxPayload: MAX_ENCRYPTED_MESSAGE_LENGTH, perMessageDeflate: false } as const;

export interface HandshakeFailure {
  readonly remoteAddress: string | undefined;
  readonly reason: string;
}

export interface ListenPeersOptions {
  readonly host?: string;
  /** 0 picks a free port; the listener's `port` tells which. */
  readonly port: number;
  readonly localSecretKey: Uint8Array;
  readonly handshakeTimeoutMs?: number;
  /** Connections held at once, handshaking or not (default DEFAULT_MAX_CONNECTIONS). */
  readonly maxConnections?: number;
  /** Connections still in the handshake at once (default DEFAULT_MAX_PENDING_HANDSHAKES). */
  readonly maxPendingHandshakes?: number;
  /** Bound on what a peer that stops reading makes us buffer. */
  readonly sendLimits?: SendLimits;
  /** Called synchronously when an inbound handshake completes; attach listeners here. */
  readonly onSession: (session: PeerSession) => void;
  /** Inbound connections that never became sessions (for logs and tests). */
  readonly onHandshakeFailure?: (failure: HandshakeFailure) => void;
  /** Source of ephemeral keys; fresh random keys unless a test injects them. */
  readonly ephemeralSecretKey?: () => Uint8Array;
}

export interface PeerListener {
  readonly host: string;
  readonly port: number;
  /** Connections held now (handshaking or established). */
  readonly connections: number;
  /** Stops accepting, closes every connection (sessions see origin 'local'), resolves when done. */
  close(): Promise<void>;
}

export interface ConnectPeerOptions {
  /** ws:// or wss:// address of the peer's WebSocket port. */
  readonly url: string;
  readonly localSecretKey: Uint8Array;
  /** The node id we expect to reach; the handshake fails unless the peer holds its secret key. */
  readonly remoteNodeId: Uint8Array;
  readonly handshakeTimeoutMs?: number;
  readonly ephemeralSecretKey?: Uint8Array;
  readonly sendLimits?: SendLimits;
}

export async function listenPeers(options: ListenPeersOptions): Promise<PeerListener> {
  const host = options.host ?? '127.0.0.1';
  const limits: ListenerLimits = {
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    maxPendingHandshakes: options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES,
  };
  const newEphemeral = options.ephemeralSecretKey ?? randomSecretKey;
  const connections = new Set<LinkConnection>();
  const pendingHandshakes = () => [...connections].filter((c) => c.handshaking).length;

  // Our own HTTP server under ws, so that sockets which never finish the upgrade are bounded too:
  // at most maxConnections + maxPendingHandshakes TCP sockets, and the upgrade request must arrive
  // within the handshake timeout.
  const http = createServer({ connectionsCheckingInterval: Math.min(1000, limits.handshakeTimeoutMs) }, (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' }).end('BOLT 8 over WebSocket only\n');
  });
  http.maxConnections = limits.maxConnections + limits.maxPendingHandshakes;
  http.headersTimeout = limits.handshakeTimeoutMs;
  http.requestTimeout = limits.handshakeTimeoutMs;
  http.timeout = limits.handshakeTimeoutMs; // a socket that sends nothing at all (ws clears it once upgraded)
  const server = new WebSocketServer({
    server: http,
    ...SOCKET_OPTIONS,
    // Refused before any WebSocket state exists: an HTTP 503 and the socket is closed.
    verifyClient: (_info, done) => {
      if (connections.size >= limits.maxConnections) return done(false, 503, 'too many connections');
      if (pendingHandshakes() >= limits.maxPendingHandshakes) return done(false, 503, 'too many unfinished handshakes');
      done(true);
    },
  });

  await new Promise<void>((resolve, reject) => {
    http.once('listening', resolve);
    http.once('error', reject);
    http.listen(options.port, host);
  });
  // Later server errors surface on individual sockets; keep them from crashing the process.
  http.on('error', () => {});
  server.on('error', () => {});

  server.on('connection', (ws, request) => {
    const remoteAddress = request.socket.remoteAddress;
    const link = NoiseLink.responder({ localSecretKey: options.localSecretKey, ephemeralSecretKey: newEphemeral() });
    const connection = attach(ws, link, limits.handshakeTimeoutMs, {
      onEstablished: (session) => {
        session.onClose(() => connections.delete(connection));
        options.onSession(session);
      },
      onHandshakeFailed: (reason) => {
        connections.delete(connection);
        options.onHandshakeFailure?.({ remoteAddress, reason });
      },
    }, options.sendLimits);
    connections.add(connection);
  });

  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    host,
    port,
    get connections() {
      return connections.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of connections) connection.closeLocally('listener closing');
        connections.clear();
        server.close(() => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      }),
  };
}

export async function connectPeer(options: ConnectPeerOptions): Promise<PeerSession> {
  if (!isValidPublicKey(options.remoteNodeId)) throw new InputError('remoteNodeId: not a valid compressed public key');
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const { link, actOne } = NoiseLink.initiator({
    localSecretKey: options.localSecretKey,
    remoteStaticKey: options.remoteNodeId,
    ephemeralSecretKey: options.ephemeralSecretKey ?? randomSecretKey(),
  });
  return new Promise<PeerSession>((resolve, reject) => {
    const ws = new WebSocket(options.url, SOCKET_OPTIONS);
    ws.once('open', () => ws.send(actOne, { binary: true }));
    attach(ws, link, timeoutMs, {
      onEstablished: resolve,
      onHandshakeFailed: (reason) => reject(new PeerConnectError(`${options.url}: ${reason}`)),
    }, options.sendLimits);
  });
}

/** Wire one socket to one LinkConnection, with a deadline on the handshake. */
function attach(ws: WebSocket, link: NoiseLink, timeoutMs: number, hooks: ConnectionHooks, sendLimits = DEFAULT_SEND_LIMITS): LinkConnection {
  const timer = setTimeout(() => connection.fail(`handshake did not complete within ${timeoutMs} ms`), timeoutMs);
  const connection = new LinkConnection(link, wsCarrier(ws), {
    onEstablished: (session) => {
      clearTimeout(timer);
      hooks.onEstablished(session);
    },
    onHandshakeFailed: (reason) => {
      clearTimeout(timer);
      hooks.onHandshakeFailed(reason);
    },
  }, sendLimits);
  ws.on('message', (data, isBinary) => {
    if (isBinary) connection.receive(toBytes(data));
    else connection.fail('text frame on a BOLT 8 connection');
  });
  // ws emits 'error' for oversize frames, bad framing and failed connects; 'close' follows.
  ws.on('error', (err) => connection.fail(`websocket error: ${err.message}`));
  ws.on('close', (code, reason) => {
    clearTimeout(timer);
    connection.carrierClosed(`websocket closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`);
  });
  return connection;
}

function wsCarrier(ws: WebSocket): Carrier {
  return {
    write(bytes) {
      if (ws.readyState === WebSocket.OPEN) ws.send(bytes, { binary: true });
    },
    get bufferedBytes() {
      return ws.bufferedAmount;
    },
    close(origin, reason, abort) {
      // A peer that is not reading would never take a close frame queued behind its backlog: drop it.
      if (abort) return ws.terminate();
      // 1002 tells the peer it broke the protocol; a close frame's reason is limited to 123 bytes.
      ws.close(origin === 'local' ? 1000 : 1002, truncateUtf8(reason, 123));
    },
  };
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return concatBytes(...data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // Cut on a character boundary so the reason stays valid UTF-8.
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
