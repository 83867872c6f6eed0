// Typed client of the control API (the CLI's way to a node). Every method returns the types of
// ./types.ts with bigints decoded; every failure is an ApiClientError whose message is one line
// fit to show a person as is.
import WebSocket from 'ws';
import { ApiClientError, oneLine } from './client-error.js';
import * as c from './codec.js';
import { EVENTS_PATH } from './server.js';
import * as r from './requests.js';
import { RpcClient, type PayOutcome } from './rpc-client.js';
import type { ChannelView, NodeApi, NodeEvent, NodeInfo, OpenStreamRequest, PaymentResult, PeerView, StreamView, WalletView } from './types.js';

export { ApiClientError } from './client-error.js';

export interface ApiClientOptions {
  /** e.g. `http://127.0.0.1:9736`, as in `<dataDir>/api-url`. */
  url: string;
  token: string;
  /** Per request. Opening a channel waits for a block, so the default is generous. */
  timeoutMs?: number;
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

export class ApiClient implements Omit<NodeApi, 'onEvent'> {
  readonly url: string;
  private readonly token: string;
  private readonly timeoutMs: number;

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
  }

  info = (): Promise<NodeInfo> => this.call('GET', '/v1/info', undefined, c.nodeInfoCodec);
  wallet = (): Promise<WalletView> => this.call('GET', '/v1/wallet', undefined, c.walletViewCodec);
  faucet = (amount: bigint): Promise<c.FaucetResult> =>
    this.call('POST', '/v1/wallet/faucet', r.faucetRequestCodec.encode({ amount }), c.faucetResultCodec);
  connectPeer = (target: string): Promise<PeerView> =>
    this.call('POST', '/v1/peers', r.connectRequestCodec.encode({ target }), c.peerViewCodec);
  listPeers = (): Promise<PeerView[]> => this.call('GET', '/v1/peers', undefined, c.listCodec(c.peerViewCodec, 'peers'));
  openChannel = (o: { peerId: string; capacity: bigint; push?: bigint }): Promise<ChannelView> =>
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
  controlStream = (o: { streamId: string; action: r.StreamAction }): Promise<StreamView> =>
    this.call(
      'POST',
      `/v1/streams/${encodeURIComponent(o.streamId)}/${encodeURIComponent(o.action)}`,
      r.controlStreamRequestCodec.encode({}),
      c.streamViewCodec,
    );

  /**
   * A connection to the node's RPC channel: the same calls, many in flight on one WebSocket (for
   * programs that make thousands a second). `maxInFlight` is this client's window, at most the node's.
   */
  openRpc = (opts: { maxInFlight?: number } = {}): Promise<RpcClient> =>
    RpcClient.open({
      url: this.url,
      token: this.token,
      timeoutMs: this.timeoutMs,
      ...opts,
      describeAnswer: (status, text) => errorFromResponse(status, text),
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

  private async call<T>(method: 'GET' | 'POST', path: string, body: unknown, codec: c.Codec<T>): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      throw this.transportError(e);
    }
    if (!res.ok) throw errorFromResponse(res.status, text);
    try {
      return codec.decode(JSON.parse(text));
    } catch (e) {
      throw new ApiClientError(res.status, 'BAD_RESPONSE', `unexpected answer from the node at ${this.url}: ${oneLine((e as Error).message)}`);
    }
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
    const ws = new WebSocket(this.url.replace(/^http/, 'ws') + EVENTS_PATH, {
      headers: { authorization: `Bearer ${this.token}` },
      maxPayload: MAX_EVENT_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
    });
    let opened = false;
    let closedByUs = false;
    let failure: ApiClientError | undefined;
    let markReady!: () => void;
    let failReady!: (e: ApiClientError) => void;
    const ready = new Promise<void>((res, rej) => ((markReady = res), (failReady = rej)));
    ready.catch(() => undefined); // observed through `done` too; never an unhandled rejection

    ws.on('open', () => {
      opened = true;
      markReady();
    });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d.slice(0, 4096)));
      res.on('end', () => {
        failure = errorFromResponse(res.statusCode ?? 0, text);
        ws.terminate();
      });
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
    const fail = (e: ApiClientError) => {
      failure ??= e;
      ws.terminate();
    };

    const done = new Promise<ApiClientError | undefined>((resolve) => {
      ws.on('close', (code, reason) => {
        if (closedByUs) return resolve(undefined);
        const e =
          failure ??
          new ApiClientError(0, 'FEED_CLOSED', `the node at ${this.url} closed the event feed (${code}${reason.length ? ` ${oneLine(reason.toString())}` : ''})`);
        if (!opened) failReady(e);
        resolve(e);
      });
    });
    return {
      ready,
      done,
      close: () => {
        closedByUs = true;
        if (!opened) failReady(new ApiClientError(0, 'FEED_CLOSED', 'event feed closed before it opened'));
        ws.close(1000);
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

function errorFromResponse(status: number, text: string): ApiClientError {
  let code = `HTTP_${status}`;
  let message = `the node answered HTTP ${status}`;
  try {
    const err = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof err?.code === 'string') code = oneLine(err.code);
    if (typeof err?.message === 'string') message = oneLine(err.message);
  } catch {
    // not our error shape (a proxy, another service on the port): keep the generic message
  }
  if (status === 401) message = `${message}; check --token or the api-token file in the node's --data-dir`;
  return new ApiClientError(status, code, message);
}
