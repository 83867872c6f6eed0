// `GET /v1/rpc` as a WebSocket: the control API's routes called many at a time over one connection,
// for programs that send thousands of payments a second (one HTTP request each tops out near 1,000/s).
//
// - The upgrade needs the same `Authorization: Bearer <token>` as every route (401 before anything).
// - A call is `{ "id": 7, "method": "POST", "path": "/v1/payments", "body": {…} }`. `id` is the
//   caller's (a whole number, 0 to 2^53-1), unique among its calls in flight; `body` is what the HTTP
//   route takes (left out for GET, `{}` when left out for POST). A text frame holds one call, or an
//   array of up to MAX_CALLS_PER_FRAME calls (each checked and answered on its own).
// - An answer is `{ "id": 7, "status": 200, "body": … }`: the status and body the HTTP route would
//   answer, errors included (`{ "error": { "code", "message" } }`), so the routes, request codecs and
//   error mapping are the HTTP API's own. Answers come as calls finish, not in the order asked; those
//   ready in the same turn of the event loop go out together as one array frame (a channel update
//   settles hundreds of payments at once, and one frame each would cost a write each).
// - Bounds: a frame is at most MAX_RPC_FRAME_BYTES (larger closes the connection, 1009); at most
//   `maxInFlight` calls run per connection, and one past it is answered 429 TOO_MANY_IN_FLIGHT at once
//   without running; a client whose unread answers pass `maxBufferedBytes` is dropped (1013). How
//   many connections there may be is the control API's cap on sockets, as for every request.
// - A frame that is not a call is answered 400, with `"id": null` when no id can be read from it.
// - A call already running when its connection closes still finishes in the node (a payment cannot
//   be recalled); only its answer is lost, as with an HTTP request whose client went away.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Json } from '../util/json-fields.js';
import type { Logger } from '../util/log.js';
import { MAX_BODY_BYTES, errorBody } from './http.js';
import { closeWebSocketServer } from './ws-shutdown.js';

export const RPC_PATH = '/v1/rpc';
/** Calls one connection may have running: two channel updates' worth (1,000 operations each). */
export const DEFAULT_RPC_MAX_IN_FLIGHT = 2048;
/** Calls one frame may carry; answers are sent in frames of at most this many too. */
export const MAX_CALLS_PER_FRAME = 256;
/** As large as an HTTP body may be. */
export const MAX_RPC_FRAME_BYTES = MAX_BODY_BYTES;
/** Answers written but not yet taken by the client, before it is dropped as too slow. */
export const MAX_RPC_BUFFERED_BYTES = 4 * 1024 * 1024;
const MAX_PATH_CHARS = 512;
const CLOSE_TOO_SLOW = 1013;

export interface RpcRequest {
  id: number;
  method: 'GET' | 'POST';
  path: string;
  body: unknown;
}

/** What a route answered: the HTTP status and the JSON body (an error body for a failure). */
export interface RouteAnswer {
  status: number;
  body: Json;
}

/** Runs one call through the HTTP API's routes; never rejects (failures are answers). */
export type Dispatch = (method: 'GET' | 'POST', path: string, body: unknown) => Promise<RouteAnswer>;

export type Parsed = { ok: true; req: RpcRequest } | { ok: false; id: number | null; code: 'BAD_JSON' | 'BAD_REQUEST'; message: string };

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The calls in one frame, each checked on its own: a bad call does not spoil the others beside it. */
export function parseRpcFrame(text: string): Parsed[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return [{ ok: false, id: null, code: 'BAD_JSON', message: 'frame is not valid JSON' }];
  }
  if (!Array.isArray(v)) return [parseRpcCall(v)];
  if (v.length === 0 || v.length > MAX_CALLS_PER_FRAME) {
    return [{ ok: false, id: null, code: 'BAD_REQUEST', message: `frame: an array of 1 to ${MAX_CALLS_PER_FRAME} calls` }];
  }
  return v.map(parseRpcCall);
}

/** One call, checked field by field; its id is kept when readable so the caller can match the refusal. */
export function parseRpcCall(v: unknown): Parsed {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, id: null, code: 'BAD_REQUEST', message: 'call: expected an object' };
  const o = v as Record<string, unknown>;
  const id = isId(o['id']) ? o['id'] : null;
  const refuse = (message: string): Parsed => ({ ok: false, id, code: 'BAD_REQUEST', message });
  if (id === null) return refuse('id: expected a whole number from 0 to 2^53-1');
  for (const k of Object.keys(o)) {
    if (!['id', 'method', 'path', 'body'].includes(k)) return refuse(`${k}: unknown field (expected id, method, path, body)`);
  }
  const method = o['method'];
  if (method !== 'GET' && method !== 'POST') return refuse('method: expected GET or POST');
  const path = o['path'];
  if (typeof path !== 'string' || !path.startsWith('/') || path.length > MAX_PATH_CHARS) {
    return refuse(`path: expected a route such as /v1/payments (at most ${MAX_PATH_CHARS} characters)`);
  }
  if (method === 'GET' && o['body'] !== undefined) return refuse('body: a GET takes none');
  return { ok: true, req: { id, method, path, body: method === 'POST' ? (o['body'] ?? {}) : undefined } };
}

export interface RpcChannel {
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Sends every client a close frame, and cuts those that do not answer within a second. */
  close(): Promise<void>;
}

export interface RpcLimits {
  /** Calls one connection may have running (DEFAULT_RPC_MAX_IN_FLIGHT). */
  maxInFlight: number;
  /** Unread answers before the client is dropped (MAX_RPC_BUFFERED_BYTES). */
  maxBufferedBytes: number;
}

export interface RpcChannelOptions {
  dispatch: Dispatch;
  log: Logger;
  limits?: Partial<RpcLimits>;
}

export function createRpcChannel(opts: RpcChannelOptions): RpcChannel {
  const { dispatch, log } = opts;
  const { maxInFlight, maxBufferedBytes }: RpcLimits = { maxInFlight: DEFAULT_RPC_MAX_IN_FLIGHT, maxBufferedBytes: MAX_RPC_BUFFERED_BYTES, ...opts.limits };
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_RPC_FRAME_BYTES, perMessageDeflate: false });

  function serve(ws: WebSocket): void {
    const inFlight = new Set<number>();
    let outbox: string[] = [];
    const flush = () => {
      const ready = outbox;
      outbox = [];
      if (ws.readyState !== ws.OPEN) return;
      for (let i = 0; i < ready.length; i += MAX_CALLS_PER_FRAME) {
        // checked before every frame, so one flush cannot push the unread backlog far past the bound
        if (ws.bufferedAmount > maxBufferedBytes) {
          log.warn('rpc client does not read its answers; dropping it');
          ws.close(CLOSE_TOO_SLOW, 'too slow');
          return;
        }
        const part = ready.slice(i, i + MAX_CALLS_PER_FRAME);
        ws.send(part.length === 1 ? part[0]! : `[${part.join(',')}]`);
      }
    };
    const answer = (id: number | null, a: RouteAnswer) => {
      if (outbox.length === 0) setImmediate(flush);
      outbox.push(JSON.stringify({ id, status: a.status, body: a.body }));
    };
    const refuse = (id: number | null, status: number, code: string, message: string) => answer(id, { status, body: errorBody(code, message) });

    const run = (p: Parsed) => {
      if (!p.ok) return refuse(p.id, 400, p.code, p.message);
      const { id, method, path, body } = p.req;
      if (inFlight.has(id)) return refuse(id, 400, 'DUPLICATE_ID', `id ${id} is already in flight on this connection`);
      if (inFlight.size >= maxInFlight) {
        return refuse(id, 429, 'TOO_MANY_IN_FLIGHT', `at most ${maxInFlight} calls in flight per connection; wait for answers`);
      }
      inFlight.add(id);
      void dispatch(method, path, body)
        .catch((err: unknown): RouteAnswer => {
          log.error({ err, method, path }, 'rpc call failed');
          return { status: 500, body: errorBody('INTERNAL', 'internal error; see the node log') };
        })
        .then((a) => {
          inFlight.delete(id);
          answer(id, a);
        });
    };
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return refuse(null, 400, 'BAD_REQUEST', 'frames are JSON text, not binary');
      for (const p of parseRpcFrame(data.toString())) run(p);
    });
    ws.on('error', (err) => log.debug({ err: err.message }, 'rpc client error'));
    log.debug('rpc client connected');
  }

  return {
    upgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, serve);
    },
    close: () => closeWebSocketServer(wss),
  };
}
