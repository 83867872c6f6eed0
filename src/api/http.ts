// HTTP plumbing for the control API: bearer-token check, capped body reading, JSON replies, and the
// error shape `{ error: { code, message } }` that every failure uses.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { STATUS_CODES, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Json } from '../util/json-fields.js';

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Sockets the control API holds at once (requests, idle keep-alives and event-feed WebSockets
 * together); past it a new connection is closed at once. A CLI call uses one, a browser six, an
 * ApiClient at most MAX_REQUESTS_IN_FLIGHT (512, what `npm run bench` keeps in flight and more): a
 * bound of a few megabytes that an honest burst of payments stays under.
 */
export const DEFAULT_MAX_API_CONNECTIONS = 1024;
/** A client must finish sending its request headers within this long (slow-loris). */
export const API_HEADERS_TIMEOUT_MS = 10_000;

export interface ApiConnectionLimits {
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
}

/**
 * The control API's HTTP server, bounded in what a local process without the token can make it
 * hold: sockets at once, and how long it may take to send its request headers.
 */
export function createLimitedServer(handler: RequestListener, given: Partial<ApiConnectionLimits> = {}): Server {
  const limits: ApiConnectionLimits = { maxConnections: DEFAULT_MAX_API_CONNECTIONS, headersTimeoutMs: API_HEADERS_TIMEOUT_MS, ...given };
  // Deadlines are checked this often; the default (30 s) would let a slow client linger 3x longer.
  const server = createServer({ connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs) }, handler);
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersTimeoutMs;
  // A request may take long (a payment waits up to a minute); its headers may not.
  server.requestTimeout = Math.max(server.requestTimeout, limits.headersTimeoutMs);
  return server;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function errorBody(code: string, message: string): Json {
  return { error: { code, message } };
}

/**
 * True if the Authorization header carries `Bearer <token>`. Both sides are hashed first so the
 * comparison is constant-time and equal-length whatever the caller sent (timingSafeEqual needs
 * equal lengths, and comparing lengths directly would leak the token's length).
 */
export function isAuthorized(header: string | undefined, token: string): boolean {
  if (typeof header !== 'string') return false;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  const given = createHash('sha256').update(m?.[1] ?? '').digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected) && m !== null;
}

export const UNAUTHORIZED = new HttpError(401, 'UNAUTHORIZED', 'missing or wrong API token (send Authorization: Bearer <token>)');

export function sendJson(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, e: HttpError): void {
  const auth: Record<string, string> = e.status === 401 ? { 'www-authenticate': 'Bearer realm="sluice"' } : {};
  // After a 413 the rest of the upload is still arriving; end the connection rather than reuse it.
  const close: Record<string, string> = e.status === 413 ? { connection: 'close' } : {};
  sendJson(res, e.status, errorBody(e.code, e.message), { ...auth, ...close, ...e.headers });
}

/** Answer a WebSocket upgrade we refuse: plain HTTP on the raw socket, then hang up. */
export function refuseUpgrade(socket: Duplex, e: HttpError): void {
  const text = JSON.stringify(errorBody(e.code, e.message));
  const extra = e.status === 401 ? 'WWW-Authenticate: Bearer realm="sluice"\r\n' : '';
  socket.end(
    `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ''}\r\nConnection: close\r\n${extra}` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

const TOO_LARGE = () => new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body is larger than ${MAX_BODY_BYTES} bytes`);

/**
 * The parsed JSON body, `{}` when empty. Past the cap it stops buffering and rejects; the caller
 * answers 413 with `Connection: close` while the rest of the upload is discarded (not destroyed,
 * so the client still reads the 413 instead of a reset).
 */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
      req.resume();
      reject(TOO_LARGE());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData).off('end', onEnd).resume();
      reject(TOO_LARGE());
    };
    const onEnd = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text) as unknown);
      } catch {
        reject(new HttpError(400, 'BAD_JSON', 'request body is not valid JSON'));
      }
    };
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}
