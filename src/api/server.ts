// The node's control API over HTTP on node:http, with the event feed as a WebSocket.
//
// | method | path                      | body (JSON)                                   | answer                      |
// |--------|---------------------------|-----------------------------------------------|-----------------------------|
// | GET    | /v1/info                  |                                               | NodeInfo                    |
// | GET    | /v1/wallet                |                                               | WalletView                  |
// | POST   | /v1/wallet/faucet         | { amount }                                    | { txid, balance }           |
// | POST   | /v1/peers                 | { target: "NODEID@HOST:PORT" }                | PeerView                    |
// | GET    | /v1/peers                 |                                               | PeerView[]                  |
// | POST   | /v1/peers/:id/disconnect  | {} (or no body)                               | PeerView                    |
// | POST   | /v1/wallet/send           | { to, amount }                                | SendResult                  |
// | POST   | /v1/node/stop             | {} (or no body)                               | { stopping: true }          |
// | POST   | /v1/channels              | { peerId, capacity, push? }                   | ChannelView                 |
// | GET    | /v1/channels              |                                               | ChannelView[]               |
// | POST   | /v1/channels/:id/close    | { force? } (or no body)                       | ChannelView & { txid? }     |
// | POST   | /v1/payments              | { peerId, amount }                            | PaymentResult               |
// | POST   | /v1/streams               | { peerId, rate, max?, durationMs?, mode?,     | StreamView                  |
// |        |                           |   billing? }                                  |                             |
// | GET    | /v1/streams               |                                               | StreamView[]                |
// | POST   | /v1/streams/:id/pause     | {} (or no body)                               | StreamView                  |
// | POST   | /v1/streams/:id/resume    | {} (or no body)                               | StreamView                  |
// | POST   | /v1/streams/:id/stop      | {} (or no body)                               | StreamView                  |
// | POST   | /v1/invoices              | { amount?, description?, expirySeconds? }     | InvoiceView                 |
// | GET    | /v1/invoices              |                                               | InvoiceView[]               |
// | POST   | /v1/invoices/decode       | { invoice }                                   | DecodedInvoiceView          |
// | POST   | /v1/payments/invoice      | { invoice, amount?, maxFee?, timeoutMs? }     | RoutedPaymentView           |
// | POST   | /v1/payments/keysend      | { nodeId, amount, maxFee?, timeoutMs? }       | RoutedPaymentView           |
// | GET    | /v1/payments              |                                               | RoutedPaymentView[]         |
// | POST   | /v1/routes                | { nodeId, amount }                            | RouteView                   |
// | GET    | /v1/graph                 |                                               | GraphView                   |
// | GET    | /v1/forwards              |                                               | ForwardView[]               |
// | GET    | /v1/channels/:id/policy   |                                               | PolicyView                  |
// | POST   | /v1/channels/:id/policy   | { feeBase?, feePpm?, cltvExpiryDelta?,        | PolicyView                  |
// |        |                           |   htlcMinimum?, htlcMaximum? }                |                             |
// | GET    | /v1/events                | WebSocket upgrade                             | NodeEvent JSON text frames  |
// | GET    | /v1/rpc                   | WebSocket upgrade                             | the routes above, many      |
// |        |                           |                                               | calls in flight (rpc-server)|
//
// - Every request, the WebSocket upgrade included, needs `Authorization: Bearer <token>`; without it
//   the answer is 401 and nothing else is looked at (not even whether the route exists). The
//   dashboard's page and login (`/`, `/assets/*`, `/login`: see dashboard.ts) are the exception, and a
//   browser holding a dashboard session may call every route from the dashboard's own pages.
// - GET /metrics: Prometheus text (metrics.ts), when the node was started with metrics.
// - Amounts and sequence numbers are exact decimal msat strings ("1500000") both ways; node ids are
//   66 hex characters, channel ids 64, stream ids 32, answered in lowercase. `push` defaults to "0",
//   `force` to false.
// - Streams: `rate` is the price as a person writes it ("10msat/s", "2sat/min"), parsed by the node;
//   `max` is a cap in msat, `durationMs` a whole number of milliseconds (at most a year), `mode` is
//   signed | hashchain and `billing` prorata | interval (the node's defaults when left out). Stream
//   events come over /v1/events as { type: "stream", event, stream: StreamView }.
// - Errors are `{ "error": { "code", "message" } }`: 400 BAD_JSON | BAD_REQUEST (the message names the
//   field), 401 UNAUTHORIZED, 404 NOT_FOUND, 405 METHOD_NOT_ALLOWED, 413 PAYLOAD_TOO_LARGE (bodies are
//   capped at 64 KiB), 426 UPGRADE_REQUIRED (/v1/events without a WebSocket upgrade), an ApiError's own
//   status and code, a NodeError's code with the status of its kind (NODE_ERROR_STATUS), and 500
//   INTERNAL for anything else (details only in the node's log).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '../crypto/bytes.js';
import type { Json } from '../util/json-fields.js';
import type { Logger } from '../util/log.js';
import * as c from './codec.js';
import { createDashboard } from './dashboard.js';
import type { DashboardAuth } from './dashboard-auth.js';
import type { WebFiles } from './dashboard-static.js';
import { createEventFeed } from './event-feed.js';
import { EVENTS_PATH } from './paths.js';
import { RPC_PATH, createRpcChannel, type RouteAnswer, type RpcLimits } from './rpc-server.js';
import { parseChannelId, parseNodeId, parseStreamId } from './fields.js';
import { HttpError, createLimitedServer, errorBody, readJsonBody, refuseUpgrade, sendError, sendJson, type ApiConnectionLimits } from './http.js';
import { METRICS_PATH, type NodeMetrics } from './metrics.js';
import { sendMetrics } from './metrics-server.js';
import * as r from './requests.js';
import * as rc from './routing-codec.js';
import * as rr from './routing-requests.js';
import { ApiError, type NodeApi } from './types.js';
import { NodeError, type NodeErrorKind } from '../node/errors.js';

/** The one place a node error becomes an HTTP status. */
export const NODE_ERROR_STATUS = {
  invalid: 400,
  notFound: 404,
  conflict: 409,
  refused: 422,
  unavailable: 503,
} as const satisfies Record<NodeErrorKind, number>;

export const DEFAULT_API_PORT = 9736;
export { EVENTS_PATH };

interface Route<Req> {
  method: 'GET' | 'POST';
  path: RegExp;
  /** Turn path captures and body into the call's input; an InputError here is the caller's 400. */
  parse(params: string[], body: unknown): Req;
  run(api: NodeApi, req: Req): Promise<Json>;
}

// Erases each route's input type so the table can hold them together; parse and run still agree.
const route = <Req>(rt: Route<Req>) => rt as Route<unknown>;
const noInput = () => undefined;

const ROUTES: Route<unknown>[] = [
  route({ method: 'GET', path: /^\/v1\/info$/, parse: noInput, run: async (api) => c.nodeInfoCodec.encode(await api.info()) }),
  route({ method: 'GET', path: /^\/v1\/wallet$/, parse: noInput, run: async (api) => c.walletViewCodec.encode(await api.wallet()) }),
  route({
    method: 'POST',
    path: /^\/v1\/wallet\/faucet$/,
    parse: (_p, body) => r.faucetRequestCodec.decode(body),
    run: async (api, q) => c.faucetResultCodec.encode(await api.faucet(q.amount)),
  }),
  route({
    method: 'POST',
    path: /^\/v1\/peers$/,
    parse: (_p, body) => r.connectRequestCodec.decode(body),
    run: async (api, q) => c.peerViewCodec.encode(await api.connectPeer(q.target)),
  }),
  route({
    method: 'GET',
    path: /^\/v1\/peers$/,
    parse: noInput,
    run: async (api) => (await api.listPeers()).map((p) => c.peerViewCodec.encode(p)),
  }),
  route({
    method: 'POST',
    path: /^\/v1\/peers\/([^/]+)\/disconnect$/,
    parse: ([id], body) => {
      r.emptyRequestCodec.decode(body);
      return { nodeId: parseNodeId(id, 'nodeId') };
    },
    run: async (api, q) => c.peerViewCodec.encode(await api.disconnectPeer(q)),
  }),
  route({
    method: 'POST',
    path: /^\/v1\/wallet\/send$/,
    parse: (_p, body) => r.sendRequestCodec.decode(body),
    run: async (api, q) => c.sendResultCodec.encode(await api.send(q)),
  }),
  route({
    method: 'POST',
    path: /^\/v1\/node\/stop$/,
    parse: (_p, body) => r.emptyRequestCodec.decode(body),
    run: async (api) => {
      if (!api.shutdown) throw new ApiError(409, 'NOT_STOPPABLE', 'this node runs inside another program, which decides when it stops');
      // Answer first: the server closes as the node stops.
      setImmediate(() => void api.shutdown!());
      return { stopping: true };
    },
  }),
  route({
    method: 'POST',
    path: /^\/v1\/channels$/,
    parse: (_p, body) => r.openRequestCodec.decode(body),
    run: async (api, q) => c.channelViewCodec.encode(await api.openChannel(q)),
  }),
  route({
    method: 'GET',
    path: /^\/v1\/channels$/,
    parse: noInput,
    run: async (api) => (await api.listChannels()).map((ch) => c.channelViewCodec.encode(ch)),
  }),
  route({
    method: 'POST',
    path: /^\/v1\/channels\/([^/]+)\/close$/,
    parse: ([id], body) => ({ channelId: parseChannelId(id, 'channelId'), ...r.closeRequestCodec.decode(body) }),
    run: async (api, q) => c.closeResultCodec.encode(await api.closeChannel(q)),
  }),
  route({
    method: 'POST',
    path: /^\/v1\/payments$/,
    parse: (_p, body) => r.payRequestCodec.decode(body),
    run: async (api, q) => c.paymentResultCodec.encode(await api.pay(q)),
  }),
  route({
    method: 'POST',
    path: /^\/v1\/streams$/,
    parse: (_p, body) => r.openStreamRequestCodec.decode(body),
    run: async (api, q) => c.streamViewCodec.encode(await api.openStream(q)),
  }),
  route({
    method: 'GET',
    path: /^\/v1\/streams$/,
    parse: noInput,
    run: async (api) => (await api.listStreams()).map((s) => c.streamViewCodec.encode(s)),
  }),
  route({
    method: 'POST',
    path: /^\/v1\/streams\/([^/]+)\/(pause|resume|stop)$/,
    parse: ([id, action], body) => {
      const streamId = parseStreamId(id, 'streamId');
      r.controlStreamRequestCodec.decode(body);
      return { streamId, action: action as r.StreamAction };
    },
    run: async (api, q) => c.streamViewCodec.encode(await api.controlStream(q)),
  }),
  ...ROUTING_ROUTES(),
];

/** Invoices, routed payments, routes, the graph and channel policy (issue 10). */
function ROUTING_ROUTES(): Route<unknown>[] {
  return [
    route({
      method: 'POST',
      path: /^\/v1\/invoices$/,
      parse: (_p, body) => rr.createInvoiceRequestCodec.decode(body),
      run: async (api, q) => rc.invoiceViewCodec.encode(await api.createInvoice(q)),
    }),
    route({ method: 'GET', path: /^\/v1\/invoices$/, parse: noInput, run: async (api) => (await api.listInvoices()).map((i) => rc.invoiceViewCodec.encode(i)) }),
    route({
      method: 'POST',
      path: /^\/v1\/invoices\/decode$/,
      parse: (_p, body) => rr.decodeInvoiceRequestCodec.decode(body),
      run: async (api, q) => rc.decodedInvoiceCodec.encode(await api.decodeInvoice(q.invoice)),
    }),
    route({
      method: 'POST',
      path: /^\/v1\/payments\/invoice$/,
      parse: (_p, body) => rr.payInvoiceRequestCodec.decode(body),
      run: async (api, q) => rc.routedPaymentCodec.encode(await api.payInvoice(q)),
    }),
    route({
      method: 'POST',
      path: /^\/v1\/payments\/keysend$/,
      parse: (_p, body) => rr.payNodeRequestCodec.decode(body),
      run: async (api, q) => rc.routedPaymentCodec.encode(await api.payNode(q)),
    }),
    route({ method: 'GET', path: /^\/v1\/payments$/, parse: noInput, run: async (api) => (await api.listPayments()).map((p) => rc.routedPaymentCodec.encode(p)) }),
    route({
      method: 'POST',
      path: /^\/v1\/routes$/,
      parse: (_p, body) => rr.routeRequestCodec.decode(body),
      run: async (api, q) => rc.routeViewCodec.encode(await api.queryRoute(q)),
    }),
    route({ method: 'GET', path: /^\/v1\/graph$/, parse: noInput, run: async (api) => rc.graphViewCodec.encode(await api.graph()) }),
    route({ method: 'GET', path: /^\/v1\/forwards$/, parse: noInput, run: async (api) => (await api.listForwards()).map((f) => rc.forwardViewCodec.encode(f)) }),
    route({
      method: 'GET',
      path: /^\/v1\/channels\/([^/]+)\/policy$/,
      parse: ([id]) => ({ channelId: parseChannelId(id, 'channelId') }),
      run: async (api, q) => rc.policyViewCodec.encode(await api.channelPolicy(q)),
    }),
    route({
      method: 'POST',
      path: /^\/v1\/channels\/([^/]+)\/policy$/,
      parse: ([id], body) => ({ channelId: parseChannelId(id, 'channelId'), update: rr.policyUpdateCodec.decode(body) }),
      run: async (api, q) => rc.policyViewCodec.encode(await api.channelPolicy(q)),
    }),
  ];
}

/** The route's input from path captures and body; a refused input is the caller's 400. */
function parseInput(rt: Route<unknown>, params: string[], body: unknown): unknown {
  try {
    return rt.parse(params, body);
  } catch (e) {
    if (e instanceof InputError) throw new HttpError(400, 'BAD_REQUEST', e.message);
    throw e;
  }
}

/** One call over the RPC channel: the same routes, codecs and error mapping as an HTTP request. */
async function dispatchRoute(api: NodeApi, log: Logger, method: 'GET' | 'POST', path: string, body: unknown): Promise<RouteAnswer> {
  try {
    const { route: rt, params } = match(method, path);
    return { status: 200, body: await rt.run(api, parseInput(rt, params, body)) };
  } catch (e) {
    const err = toHttpError(e, log, method, path);
    return { status: err.status, body: errorBody(err.code, err.message) };
  }
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

function match(method: string, path: string): { route: Route<unknown>; params: string[] } {
  const onPath = ROUTES.filter((rt) => rt.path.test(path));
  const hit = onPath.find((rt) => rt.method === method);
  if (hit) return { route: hit, params: (hit.path.exec(path) ?? []).slice(1) };
  if (path === EVENTS_PATH || path === RPC_PATH) throw new HttpError(426, 'UPGRADE_REQUIRED', `${path} is a WebSocket; send an upgrade request`);
  if (onPath.length === 0) throw new HttpError(404, 'NOT_FOUND', `no route ${path}`);
  const allow = onPath.map((rt) => rt.method).join(', ');
  throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes ${allow}, not ${method}`, { allow });
}

export interface ApiServerOptions {
  api: NodeApi;
  host?: string;
  port?: number;
  token: string;
  log: Logger;
  /** Sockets held at once and the header deadline (defaults in http.ts). */
  connectionLimits?: Partial<ApiConnectionLimits>;
  /** Serve GET /metrics (behind the token). */
  metrics?: NodeMetrics;
  /** The dashboard's login codes and sessions, and its compiled files (tests pass their own). */
  dashboard?: { auth?: DashboardAuth; web?: WebFiles };
  /** Bounds of the RPC channel (defaults in rpc-server.ts). */
  rpcLimits?: Partial<RpcLimits>;
}

export interface ApiServer {
  port: number;
  /** e.g. `http://127.0.0.1:9736`: what the node writes to `<dataDir>/api-url`. */
  url: string;
  close(): Promise<void>;
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { api, token, log } = opts;
  const host = opts.host ?? '127.0.0.1';
  if (token.length < 32) throw new Error('API token: too short to be a secret');
  const feed = createEventFeed({ api, log });
  const rpc = createRpcChannel({ dispatch: (method, path, body) => dispatchRoute(api, log, method, path, body), log, limits: opts.rpcLimits });
  const dashboard = createDashboard({ token, bindHost: host, log, ...opts.dashboard });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = req.method ?? 'GET';
    const path = pathOf(req);
    try {
      if (dashboard.serve(req, res, path)) return;
      const denied = dashboard.authorize(req, { upgrade: false });
      if (denied) throw denied;
      if (opts.metrics && path === METRICS_PATH && method === 'GET') return await sendMetrics(res, opts.metrics, log);
      const { route: rt, params } = match(method, path);
      const body = rt.method === 'POST' ? await readJsonBody(req) : undefined;
      sendJson(res, 200, await rt.run(api, parseInput(rt, params, body)));
    } catch (e) {
      sendError(res, toHttpError(e, log, method, path));
    }
    // Method, path and status only: headers (the token) and bodies (amounts, ids) stay out of logs.
    log.debug({ method, path, status: res.statusCode, ms: Date.now() - started }, 'api request');
  }

  const server = createLimitedServer((req, res) => void handle(req, res), opts.connectionLimits);
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    socket.on('error', (err) => log.debug({ err: err.message }, 'upgrade socket error'));
    const denied = dashboard.authorize(req, { upgrade: true });
    if (denied) return refuseUpgrade(socket, denied);
    if (pathOf(req) === RPC_PATH && req.method === 'GET') return rpc.upgrade(req, socket, head);
    if (pathOf(req) !== EVENTS_PATH) return refuseUpgrade(socket, new HttpError(404, 'NOT_FOUND', `no WebSocket at ${pathOf(req)}`));
    if (req.method !== 'GET') return refuseUpgrade(socket, new HttpError(405, 'METHOD_NOT_ALLOWED', 'use GET'));
    feed.upgrade(req, socket, head);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_API_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'api server error'));
  const port = (server.address() as AddressInfo).port;
  dashboard.listening(port);
  // The URL is for clients on this machine: a wildcard bind is reached through loopback.
  const dialHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const url = `http://${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${port}`;
  if (!isLoopback(host)) log.warn({ host }, 'control API listens beyond this machine over plain HTTP; the token travels in clear');
  log.info({ url }, 'control API listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    url,
    close() {
      closing ??= (async () => {
        await feed.close();
        await rpc.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections(); // idle keep-alive sockets and calls still in progress
        });
      })();
      return closing;
    },
  };
}

function toHttpError(e: unknown, log: Logger, method: string, path: string): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof ApiError) return new HttpError(e.status, e.code, e.message);
  if (e instanceof NodeError) return new HttpError(NODE_ERROR_STATUS[e.kind], e.code, e.message);
  log.error({ err: e, method, path }, 'api request failed');
  return new HttpError(500, 'INTERNAL', 'internal error; see the node log');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
