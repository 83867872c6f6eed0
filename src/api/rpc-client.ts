// Client of the control API's RPC channel (rpc-server.ts): many calls in flight over one WebSocket,
// answers matched by id as they come. Calls past the window wait here, in the caller's process,
// so the node's bound on calls in flight is never hit by this client.
import WebSocket from 'ws';
import type { Codec } from './codec.js';
import { paymentResultCodec } from './codec.js';
import { ApiClientError, oneLine } from './client-error.js';
import { payRequestCodec } from './requests.js';
import { DEFAULT_RPC_MAX_IN_FLIGHT, MAX_CALLS_PER_FRAME, MAX_RPC_FRAME_BYTES, RPC_PATH, type RouteAnswer } from './rpc-server.js';
import type { PaymentResult } from './types.js';

export interface RpcClientOptions {
  /** The node's API URL (http://…), as ApiClient takes it. */
  url: string;
  token: string;
  /** Calls sent before waiting for answers; at most the node's bound (DEFAULT_RPC_MAX_IN_FLIGHT). */
  maxInFlight?: number;
  /** Per call, from when it is sent. */
  timeoutMs: number;
  /** The ApiClient's reading of a refused upgrade or an error answer (status, body text). */
  describeAnswer(status: number, text: string): ApiClientError;
  /** The ApiClient's reading of a connection that failed. */
  describeTransport(e: unknown): ApiClientError;
}

interface Pending {
  resolve(a: RouteAnswer): void;
  reject(e: ApiClientError): void;
  timer?: NodeJS.Timeout;
}

interface Waiting {
  frame: { method: 'GET' | 'POST'; path: string; body?: unknown };
  pending: Omit<Pending, 'timer'>;
}

export type PayOutcome = { ok: true; payment: PaymentResult } | { ok: false; error: ApiClientError };

export class RpcClient {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  /** Calls past the window, oldest first from `waitingHead` (an index: shift() on a long array costs O(n)). */
  private waiting: (Waiting | undefined)[] = [];
  private waitingHead = 0;
  /** Calls sent in this turn of the event loop, not yet written. */
  private outbox: string[] = [];
  private closedWith: ApiClientError | undefined;
  private readonly maxInFlight: number;

  private constructor(
    private readonly ws: WebSocket,
    private readonly opts: RpcClientOptions,
  ) {
    this.maxInFlight = Math.max(1, Math.min(opts.maxInFlight ?? DEFAULT_RPC_MAX_IN_FLIGHT, DEFAULT_RPC_MAX_IN_FLIGHT));
    ws.on('message', (data, isBinary) => this.onAnswer(data.toString(), isBinary));
  }

  /** Opens the channel; rejects with the node's refusal (401 for a wrong token) or a transport error. */
  static open(opts: RpcClientOptions): Promise<RpcClient> {
    const ws = new WebSocket(opts.url.replace(/^http/, 'ws') + RPC_PATH, {
      headers: { authorization: `Bearer ${opts.token}` },
      // a frame of answers (MAX_CALLS_PER_FRAME of them, lists of channels among them) may be far larger than a call
      maxPayload: 64 * 1024 * 1024,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
    });
    return new Promise((resolve, reject) => {
      let failure: ApiClientError | undefined;
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d.slice(0, 4096)));
        res.on('end', () => {
          failure = opts.describeAnswer(res.statusCode ?? 0, text);
          ws.terminate();
        });
      });
      ws.on('error', (e) => (failure ??= opts.describeTransport(e)));
      ws.once('open', () => {
        const client = new RpcClient(ws, opts);
        ws.on('close', (code, reason) => client.onClose(code, reason.toString()));
        resolve(client);
      });
      ws.once('close', () => reject(failure ?? new ApiClientError(0, 'RPC_CLOSED', 'the RPC channel closed before it opened')));
    });
  }

  /** One call by method and path, answered with the route's status and body. */
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<RouteAnswer> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const w: Waiting = { frame: { method, path, ...(body === undefined ? {} : { body }) }, pending: { resolve, reject } };
      if (this.pending.size < this.maxInFlight) this.send(w);
      else this.waiting.push(w);
    });
  }

  /** A call whose 200 answer is decoded with `codec`; any other answer throws the node's error. */
  async request<T>(method: 'GET' | 'POST', path: string, body: unknown, codec: Codec<T>): Promise<T> {
    const a = await this.call(method, path, body);
    if (a.status !== 200) throw this.opts.describeAnswer(a.status, JSON.stringify(a.body));
    try {
      return codec.decode(a.body);
    } catch (e) {
      throw new ApiClientError(a.status, 'BAD_RESPONSE', `unexpected answer from the node at ${this.opts.url}: ${oneLine((e as Error).message)}`);
    }
  }

  pay = (o: { peerId: string; amount: bigint }): Promise<PaymentResult> =>
    this.request('POST', '/v1/payments', payRequestCodec.encode(o), paymentResultCodec);

  /** Every payment's outcome, in the order given; one refused payment does not stop the others. */
  payMany(payments: readonly { peerId: string; amount: bigint }[]): Promise<PayOutcome[]> {
    return Promise.all(
      payments.map((p) =>
        this.pay(p).then(
          (payment): PayOutcome => ({ ok: true, payment }),
          (e: unknown): PayOutcome => ({ ok: false, error: e instanceof ApiClientError ? e : new ApiClientError(0, 'BAD_RESPONSE', String(e)) }),
        ),
      ),
    );
  }

  get inFlight(): number {
    return this.pending.size;
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
    });
  }

  private send(w: Waiting): void {
    const id = this.nextId++;
    const text = JSON.stringify({ id, ...w.frame });
    if (Buffer.byteLength(text) > MAX_RPC_FRAME_BYTES) {
      // The node would close the connection on it, failing every other call in flight.
      w.pending.reject(new ApiClientError(413, 'PAYLOAD_TOO_LARGE', `the call is larger than an RPC frame may be (${MAX_RPC_FRAME_BYTES} bytes)`));
      return;
    }
    const entry: Pending = { ...w.pending };
    entry.timer = setTimeout(() => {
      const reject = entry.reject;
      // The node still counts the call as in flight until it answers, so it keeps its place in the
      // window; only the caller stops waiting.
      entry.resolve = entry.reject = () => undefined;
      reject(new ApiClientError(0, 'TIMEOUT', `the node at ${this.opts.url} did not answer within ${this.opts.timeoutMs / 1000} s (it may still finish the call)`));
    }, this.opts.timeoutMs);
    this.pending.set(id, entry);
    if (this.outbox.length === 0) setImmediate(() => this.flush());
    this.outbox.push(text);
  }

  /** The calls made in this turn of the event loop, in as few frames as the frame bounds allow. */
  private flush(): void {
    const ready = this.outbox;
    this.outbox = [];
    if (this.closedWith) return;
    let part: string[] = [];
    let bytes = 2;
    const sendPart = () => {
      if (part.length > 0) this.ws.send(part.length === 1 ? part[0]! : `[${part.join(',')}]`);
      part = [];
      bytes = 2;
    };
    for (const text of ready) {
      const size = Buffer.byteLength(text) + 1;
      if (part.length === MAX_CALLS_PER_FRAME || bytes + size > MAX_RPC_FRAME_BYTES) sendPart();
      part.push(text);
      bytes += size;
    }
    sendPart();
  }

  private pump(): void {
    while (this.pending.size < this.maxInFlight && this.waitingHead < this.waiting.length && !this.closedWith) {
      const w = this.waiting[this.waitingHead]!;
      this.waiting[this.waitingHead++] = undefined; // sent: let it be collected
      this.send(w);
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    }
  }

  private onAnswer(text: string, isBinary: boolean): void {
    let frame: unknown;
    try {
      frame = isBinary ? undefined : JSON.parse(text);
    } catch {
      frame = undefined;
    }
    for (const a of (Array.isArray(frame) ? frame : [frame]) as ({ id?: unknown; status?: unknown; body?: unknown } | undefined)[]) {
      const p = typeof a?.id === 'number' ? this.pending.get(a.id) : undefined;
      if (!a || !p || typeof a.status !== 'number') {
        // Not an answer to a call of ours: the two sides no longer agree, so nothing more can be trusted.
        this.closedWith ??= new ApiClientError(0, 'BAD_RESPONSE', `the node at ${this.opts.url} sent an RPC frame that answers no call`);
        this.ws.terminate();
        return;
      }
      this.pending.delete(a.id as number);
      clearTimeout(p.timer);
      p.resolve({ status: a.status, body: (a.body ?? null) as RouteAnswer['body'] });
    }
    this.pump();
  }

  private onClose(code: number, reason: string): void {
    const e =
      this.closedWith ??
      new ApiClientError(0, 'RPC_CLOSED', `the RPC channel to ${this.opts.url} closed (${code}${reason ? ` ${oneLine(reason)}` : ''}); calls in flight may still finish`);
    this.closedWith = e;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
    for (const w of this.waiting.slice(this.waitingHead)) w?.pending.reject(e);
    this.waiting = [];
    this.waitingHead = 0;
  }
}
