// Typed client of the control API (the CLI's way to a node). Every method returns the types of
// ./types.ts with bigints decoded; every failure is an ApiClientError whose message is one line
// fit to show a person as is.
// `ws` is loaded only when an event feed is opened, so a one-shot call (the CLI's) starts fast.
import type WebSocket from 'ws';
import { ApiClientError, oneLine } from './client-error.js';
import * as c from './codec.js';
import { EVENTS_PATH } from './paths.js';
import * as r from './requests.js';
import * as rc from './routing-codec.js';
import * as rr from './routing-requests.js';
// The RPC client (and `ws` with it) is loaded only when an RPC connection is opened, for the same reason.
import type { PayOutcome, RpcClient } from './rpc-client.js';
import type { ChannelView, NodeApi, NodeEvent, NodeInfo, OpenStreamRequest, PaymentResult, PeerView, SendResult, StreamView, WalletView } from './types.js';
import type {
  CreateInvoiceRequest,
  DecodedInvoiceView,
  ForwardView,
  GraphView,
  InvoiceView,
  PayInvoiceRequest,
  PayNodeRequest,
  PolicyUpdate,
  PolicyView,
  RouteView,
  RoutedPaymentView,
} from './routing-types.js';

export { ApiClientError } from './client-error.js';

export interface ApiClientOptions {
  /** e.g. `http://127.0.0.1:9736`, as in `<dataDir>/api-url`. */
  url: string;
  token: string;
  /** Per request. Opening a channel waits for a block, so the default is generous. */
  timeoutMs?: number;
  /** Requests run at once; more wait their turn (default MAX_REQUESTS_IN_FLIGHT). */
  maxInFlight?: number;
}

export interface EventFeedHandle {
  /** Resolves once the feed is open; rejects with ApiClientError if it never opens. */
  ready: Promise<void>;
  /** Resolves when the feed ends: undefined after close(), an ApiClientError if it failed or the node hung up. */
  done: Promise<ApiClientError | undefined>;
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_EVENT_BYTES = 1024 * 1024;
/** A list of every channel or stream of a big node fits; a runaway answer does not. */
const MAX_RESPONSE_CHARS = 256 * 1024 * 1024;
/** Requests one client runs at once by default (the rest queue); half the node's socket cap. */
export const MAX_REQUESTS_IN_FLIGHT = 512;

export class ApiClient implements Omit<NodeApi, 'onEvent'> {
  readonly url: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;

  constructor(opts: ApiClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new ApiClientError(0, 'BAD_URL', `API URL: '${opts.url}' is not a URL (expected e.g. http://127.0.0.1:9736)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new ApiClientError(0, 'BAD_URL', `API URL: '${opts.url}' is not an http:// or https:// URL`);
    }
    this.url = u.origin;
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxInFlight = opts.maxInFlight ?? MAX_REQUESTS_IN_FLIGHT;
  }

  info = (): Promise<NodeInfo> => this.call('GET', '/v1/info', undefined, c.nodeInfoCodec);
  wallet = (): Promise<WalletView> => this.call('GET', '/v1/wallet', undefined, c.walletViewCodec);
  faucet = (amount: bigint): Promise<c.FaucetResult> =>
    this.call('POST', '/v1/wallet/faucet', r.faucetRequestCodec.encode({ amount }), c.faucetResultCodec);
  connectPeer = (target: string): Promise<PeerView> =>
    this.call('POST', '/v1/peers', r.connectRequestCodec.encode({ target }), c.peerViewCodec);
  listPeers = (): Promise<PeerView[]> => this.call('GET', '/v1/peers', undefined, c.listCodec(c.peerViewCodec, 'peers'));
  openChannel = (o: { peerId: string; capacity: bigint; push?: bigint; private?: boolean }): Promise<ChannelView> =>
    this.call('POST', '/v1/channels', r.openRequestCodec.encode({ ...o, push: o.push ?? 0n }), c.channelViewCodec);
  listChannels = (): Promise<ChannelView[]> =>
    this.call('GET', '/v1/channels', undefined, c.listCodec(c.channelViewCodec, 'channels'));
  closeChannel = (o: { channelId: string; force?: boolean }): Promise<c.CloseResult> =>
    this.call('POST', `/v1/channels/${encodeURIComponent(o.channelId)}/close`, r.closeRequestCodec.encode({ force: o.force ?? false }), c.closeResultCodec);
  pay = (o: { peerId: string; amount: bigint }): Promise<PaymentResult> =>
    this.call('POST', '/v1/payments', r.payRequestCodec.encode(o), c.paymentResultCodec);
  openStream = (req: OpenStreamRequest): Promise<StreamView> =>
    this.call('POST', '/v1/streams', r.openStreamRequestCodec.encode(req), c.streamViewCodec);
  listStreams = (): Promise<StreamView[]> => this.call('GET', '/v1/streams', undefined, c.listCodec(c.streamViewCodec, 'streams'));
  disconnectPeer = (o: { nodeId: string }): Promise<PeerView> =>
    this.call('POST', `/v1/peers/${encodeURIComponent(o.nodeId)}/disconnect`, {}, c.peerViewCodec);
  send = (o: { to: string; amount: bigint }): Promise<SendResult> =>
    this.call('POST', '/v1/wallet/send', r.sendRequestCodec.encode(o), c.sendResultCodec);
  /** Ask the node to stop; resolves once it has said it will. */
  shutdown = async (): Promise<void> => {
    await this.call('POST', '/v1/node/stop', {}, { encode: (v) => v as never, decode: (v) => v });
  };
  controlStream = (o: { streamId: string; action: r.StreamAction }): Promise<StreamView> =>
    this.call(
      'POST',
      `/v1/streams/${encodeURIComponent(o.streamId)}/${encodeURIComponent(o.action)}`,
      r.controlStreamRequestCodec.encode({}),
      c.streamViewCodec,
    );

  createInvoice = (req: CreateInvoiceRequest): Promise<InvoiceView> =>
    this.call('POST', '/v1/invoices', rr.createInvoiceRequestCodec.encode(req), rc.invoiceViewCodec);
  listInvoices = (): Promise<InvoiceView[]> => this.call('GET', '/v1/invoices', undefined, c.listCodec(rc.invoiceViewCodec, 'invoices'));
  decodeInvoice = (invoice: string): Promise<DecodedInvoiceView> =>
    this.call('POST', '/v1/invoices/decode', rr.decodeInvoiceRequestCodec.encode({ invoice }), rc.decodedInvoiceCodec);
  payInvoice = (req: PayInvoiceRequest): Promise<RoutedPaymentView> =>
    this.call('POST', '/v1/payments/invoice', rr.payInvoiceRequestCodec.encode(req), rc.routedPaymentCodec);
  payNode = (req: PayNodeRequest): Promise<RoutedPaymentView> =>
    this.call('POST', '/v1/payments/keysend', rr.payNodeRequestCodec.encode(req), rc.routedPaymentCodec);
  listPayments = (): Promise<RoutedPaymentView[]> => this.call('GET', '/v1/payments', undefined, c.listCodec(rc.routedPaymentCodec, 'payments'));
  queryRoute = (req: { nodeId: string; amount: bigint }): Promise<RouteView> =>
    this.call('POST', '/v1/routes', rr.routeRequestCodec.encode(req), rc.routeViewCodec);
  graph = (): Promise<GraphView> => this.call('GET', '/v1/graph', undefined, rc.graphViewCodec);
  listForwards = (): Promise<ForwardView[]> => this.call('GET', '/v1/forwards', undefined, c.listCodec(rc.forwardViewCodec, 'forwards'));
  channelPolicy = (req: { channelId: string; update?: PolicyUpdate }): Promise<PolicyView> =>
    req.update === undefined
      ? this.call('GET', `/v1/channels/${encodeURIComponent(req.channelId)}/policy`, undefined, rc.policyViewCodec)
      : this.call('POST', `/v1/channels/${encodeURIComponent(req.channelId)}/policy`, rr.policyUpdateCodec.encode(req.update), rc.policyViewCodec);

  /**
   * A connection to the node's RPC channel: the same calls, many in flight on one WebSocket (for
   * programs that make thousands a second). `maxInFlight` is this client's window, at most the node's.
   */
  openRpc = async (opts: { maxInFlight?: number } = {}): Promise<RpcClient> =>
    (await import('./rpc-client.js')).RpcClient.open({
      url: this.url,
      token: this.token,
      timeoutMs: this.timeoutMs,
      ...opts,
      describeAnswer: (status, text) => errorFromResponse(status, text, this.url),
      describeTransport: (e) => this.transportError(e),
    });

  /** Many payments over one RPC connection; each one's result or error, in the order given. */
  async payMany(payments: readonly { peerId: string; amount: bigint }[], opts: { maxInFlight?: number } = {}): Promise<PayOutcome[]> {
    const rpc = await this.openRpc(opts);
    try {
      return await rpc.payMany(payments);
    } finally {
      await rpc.close();
    }
  }

  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  /**
   * At most `maxInFlight` requests (and so sockets) at once; the rest wait their turn. The node caps
   * its sockets (DEFAULT_MAX_API_CONNECTIONS), so a burst of calls must not open one each.
   */
  private async call<T>(method: 'GET' | 'POST', path: string, body: unknown, codec: c.Codec<T>): Promise<T> {
    if (this.inFlight >= this.maxInFlight) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.inFlight++;
    try {
      return await this.request(method, path, body, codec);
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight on
      else this.inFlight--;
    }
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body: unknown, codec: c.Codec<T>): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: { status: number; text: string };
    try {
      res = await this.httpRequest(method, path, headers, body === undefined ? undefined : JSON.stringify(body));
    } catch (e) {
      throw this.transportError(e);
    }
    if (res.status < 200 || res.status > 299) throw errorFromResponse(res.status, res.text, this.url);
    try {
      return codec.decode(JSON.parse(res.text));
    } catch (e) {
      throw new ApiClientError(res.status, 'BAD_RESPONSE', `unexpected answer from the node at ${this.url}: ${oneLine((e as Error).message)}`);
    }
  }

  /** One request on node:http(s): cheaper to start than fetch, which a one-shot CLI call pays for in full. */
  private async httpRequest(method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; text: string }> {
    const { request } = this.url.startsWith('https:') ? await import('node:https') : await import('node:http');
    return new Promise((resolve, reject) => {
      const req = request(this.url + path, { method, headers });
      const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), this.timeoutMs);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.on('response', (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (d: string) => {
          text += d;
          if (text.length > MAX_RESPONSE_CHARS) req.destroy(new Error(`answer longer than ${MAX_RESPONSE_CHARS} characters`));
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      req.end(body);
    });
  }

  private transportError(e: unknown): ApiClientError {
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError') {
      return new ApiClientError(0, 'TIMEOUT', `the node at ${this.url} did not answer within ${this.timeoutMs / 1000} s (it may still finish the request)`);
    }
    if (errnoCodes(e).includes('ECONNREFUSED')) {
      return new ApiClientError(0, 'UNREACHABLE', `no node answering at ${this.url}; is \`sluice node start\` running?`);
    }
    const why = err.cause?.message ?? err.message ?? String(e);
    return new ApiClientError(0, 'UNREACHABLE', `could not reach the node at ${this.url}: ${oneLine(why)}`);
  }

  /**
   * Follow the node's events. `onEvent` runs for each one; event types (and stream event kinds) this
   * client does not know (from a newer node) are skipped. Close with `close()`; `done` says how the feed ended.
   */
  events(onEvent: (e: NodeEvent) => void): EventFeedHandle {
    let opened = false;
    let closedByUs = false;
    let failure: ApiClientError | undefined;
    let socket: WebSocket | undefined;
    let markReady!: () => void;
    let failReady!: (e: ApiClientError) => void;
    const ready = new Promise<void>((res, rej) => ((markReady = res), (failReady = rej)));
    ready.catch(() => undefined); // observed through `done` too; never an unhandled rejection
    let resolveDone!: (e: ApiClientError | undefined) => void;
    const done = new Promise<ApiClientError | undefined>((resolve) => (resolveDone = resolve));

    const follow = (ws: WebSocket) => {
      const fail = (e: ApiClientError) => {
        failure ??= e;
        ws.terminate();
      };
      ws.on('open', () => {
        opened = true;
        markReady();
      });
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d.slice(0, 4096)));
        res.on('end', () => fail(errorFromResponse(res.statusCode ?? 0, text, this.url)));
      });
      ws.on('error', (e) => {
        if (!closedByUs) failure ??= this.transportError(e);
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(data.toString());
        } catch {
          return fail(new ApiClientError(0, 'BAD_RESPONSE', 'the node sent an event that is not JSON'));
        }
        if (!c.isKnownEvent(parsed)) return;
        let event: NodeEvent;
        try {
          event = c.nodeEventCodec.decode(parsed);
        } catch (e) {
          return fail(new ApiClientError(0, 'BAD_RESPONSE', `the node sent a malformed event: ${oneLine((e as Error).message)}`));
        }
        onEvent(event);
      });
      ws.on('close', (code, reason) => {
        if (closedByUs) return resolveDone(undefined);
        const e =
          failure ??
          new ApiClientError(0, 'FEED_CLOSED', `the node at ${this.url} closed the event feed (${code}${reason.length ? ` ${oneLine(reason.toString())}` : ''})`);
        if (!opened) failReady(e);
        resolveDone(e);
      });
    };

    void import('ws').then(({ default: Ws }) => {
      if (closedByUs) return resolveDone(undefined);
      socket = new Ws(this.url.replace(/^http/, 'ws') + EVENTS_PATH, {
        headers: { authorization: `Bearer ${this.token}` },
        maxPayload: MAX_EVENT_BYTES,
        perMessageDeflate: false,
        handshakeTimeout: 10_000,
      });
      follow(socket);
    });
    return {
      ready,
      done,
      close: () => {
        closedByUs = true;
        if (!opened) failReady(new ApiClientError(0, 'FEED_CLOSED', 'event feed closed before it opened'));
        socket?.close(1000);
      },
    };
  }
}

/** errno codes anywhere in an error, its cause, or an AggregateError's parts (dual-stack dialing). */
function errnoCodes(e: unknown, depth = 0): string[] {
  if (typeof e !== 'object' || e === null || depth > 3) return [];
  const o = e as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof o.code === 'string' ? [o.code] : [];
  const parts = Array.isArray(o.errors) ? o.errors.flatMap((x) => errnoCodes(x, depth + 1)) : [];
  return [...own, ...errnoCodes(o.cause, depth + 1), ...parts];
}

function errorFromResponse(status: number, text: string, url?: string): ApiClientError {
  let code = `HTTP_${status}`;
  // Not our error shape: another service on the port (a node's peer port answers 426 to plain HTTP).
  let message = `${url ?? 'the node'} answered HTTP ${status} but not as a sluice control API (a node's peer port? the API is on --api-port, 9736 by default)`;
  try {
    const err = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof err?.code === 'string') code = oneLine(err.code);
    if (typeof err?.message === 'string') message = oneLine(err.message);
  } catch {
    code = 'NOT_SLUICE_API';
  }
  if (status === 401) message = `${message}; check --token or the api-token file in the node's --data-dir`;
  return new ApiClientError(status, code, message);
}
