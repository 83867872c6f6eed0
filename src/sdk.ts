// The embeddable API: a sluice node inside your program. Start it with its own data dir and a ledger
// URL, open channels, pay, stream (as a payer), accept and meter streams (as a payee), and listen for
// events. Inputs take what the control API takes as well as exact values: amounts as bigint msat or
// strings as people write them ('10sat', '1.5sat', '1500msat'), durations as ms or '30s', rates as
// '10msat/s' or a bigint of msat per second. A call's input is checked by the control API's own rules
// (src/api/requests.ts) before the node sees it, so a bad input fails here as it does over HTTP: a
// NodeError of kind 'invalid', code BAD_REQUEST, with the same message.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FINAL_STREAM_STATUSES } from './api/codec.js';
import { parseNodeId } from './api/fields.js';
import { callAmount, callRate, checked, streamPolicy, type Amount, type Duration, type Rate, type StreamOptions } from './sdk-input.js';
import * as rules from './api/requests.js';
import type { ChannelView, NodeEvent, PaymentResult, SendResult, StreamEventKind, StreamView, WalletView } from './api/types.js';
import type { ForwardView, InvoiceView, RouteView, RoutedPaymentView } from './api/routing-types.js';
import { checkCreateInvoice, checkPayInvoice, checkPayNode, checkRoute } from './api/routing-requests.js';
import { SluiceNode } from './node/node.js';
import type { MemoryNetwork } from './transport/memory.js';
import { parseDuration } from './util/duration.js';
import { createLogger, silentLogger, type Logger } from './util/log.js';
import { assertNever } from './wire/assert-never.js';
export type { Amount, Duration, Rate, SpendingLimitsInput, StreamOptions } from './sdk-input.js';

/** A pay call's fee cap and time limit, in the rules' form. */
function limitsIn(o: { maxFee?: Amount; timeout?: Duration }): { maxFee?: unknown; timeoutMs?: unknown } {
  return { maxFee: callAmount(o.maxFee, 'maxFee'), timeoutMs: typeof o.timeout === 'string' ? parseDuration(o.timeout, 'timeout') : o.timeout };
}

export interface StartOptions {
  /** Where the node keeps its key and LevelDB store; a fresh temporary directory (removed by stop()) if omitted. */
  dataDir?: string;
  ledgerUrl?: string;
  /** Peer WebSocket listener (127.0.0.1 and a free port by default); false to not listen. */
  listen?: { host?: string; port?: number } | false;
  /** Join an in-process network instead of (or as well as) listening. */
  network?: MemoryNetwork;
  alias?: string;
  /** 'silent' (default), or a pino level such as 'info'. */
  logLevel?: string;
  log?: Logger;
  /** Payee price, spending limits, lateness grace. */
  streams?: StreamOptions;
  /** Take spontaneous (keysend) payments without an invoice (off by default). */
  acceptKeysend?: boolean;
  /** How often channel announcements are relayed to peers (default '60s', BOLT 7's stagger). */
  gossipInterval?: Duration;
}

/** Every event of the node, by name. Stream events carry the stream as it is after the event. */
export interface SluiceEvents {
  /** A stream was agreed (either side). */
  opened: (s: StreamView) => void;
  /** A stream paid (payer) or was paid (payee) one or more ticks. */
  tick: (s: StreamView) => void;
  /** Payee: a stream missed its ticks beyond the grace period. Stop serving? */
  late: (s: StreamView) => void;
  /** Payee: a late stream is paying again. */
  onTime: (s: StreamView) => void;
  /** The payer paused a stream (either side hears it). */
  paused: (s: StreamView) => void;
  resumed: (s: StreamView) => void;
  /** A stream was stopped by either side, or ended with its channel (`reason` says which). */
  stopped: (s: StreamView) => void;
  /** A stream reached its cap or its duration. */
  finished: (s: StreamView) => void;
  /** A stream ended, whichever way: after `stopped` or `finished`. */
  ended: (s: StreamView) => void;
  /** A direct payment (or stream update) moved money in a channel. */
  payment: (p: { direction: 'sent' | 'received'; channelId: string; peerId: string; amount: bigint; seq: bigint }) => void;
  /** A channel changed: opened, a new state, closing, closed, failed. */
  channel: (c: ChannelView) => void;
  /** A channel closed and its settlement is on the ledger; once per channel. */
  closed: (c: ChannelView) => void;
  /** A peer connected or disconnected. */
  peer: (p: { nodeId: string; connected: boolean }) => void;
  /** A new ledger block (the node's view of the height). */
  block: (b: { height: number }) => void;
  /** An invoice this node issued was paid (its `received` says how much arrived). */
  invoicePaid: (i: InvoiceView) => void;
  /** A payment this node sent over routes (an invoice, keysend) succeeded: its preimage is the proof. */
  paymentSucceeded: (p: RoutedPaymentView) => void;
  /** A routed payment failed for good (every attempt tried); `failure` says why. */
  paymentFailed: (p: RoutedPaymentView) => void;
  /** This node forwarded a payment between two of its channels (settled, with its fee), or failed one back. */
  forwarded: (f: ForwardView) => void;
}

const STREAM_EVENTS: Record<StreamEventKind, keyof SluiceEvents> = {
  opened: 'opened',
  tick: 'tick',
  late: 'late',
  onTime: 'onTime',
  paused: 'paused',
  resumed: 'resumed',
  stopped: 'stopped',
  finished: 'finished',
};

export interface OpenStreamOptions {
  peerId: string;
  rate: Rate;
  max?: Amount;
  duration?: Duration;
  mode?: 'signed' | 'hashchain';
  billing?: 'prorata' | 'interval';
  /** With no channel to the payee (a stream across hops): one routed HTLC pays the ticks due this often (default '1s', at most '1min'). */
  batch?: Duration;
  /** Across hops: the most one batch may pay in routing fees. */
  maxFee?: Amount;
}

/** A handle on one stream this node pays (or, for `stop`, is paid by). */
export interface StreamHandle {
  readonly id: string;
  view(): Promise<StreamView>;
  pause(): Promise<StreamView>;
  resume(): Promise<StreamView>;
  stop(): Promise<StreamView>;
  /** Resolves with the stream as it ended (stopped, finished or rejected); at once if it already has. */
  done(): Promise<StreamView>;
}

const isFinal = (s: StreamView) => FINAL_STREAM_STATUSES.includes(s.status);

export class Sluice {
  private readonly listeners = new Map<keyof SluiceEvents, Set<(x: never) => void>>();
  private readonly closedChannels = new Set<string>();

  private constructor(
    readonly node: SluiceNode,
    /** Where this node keeps its key and store. */
    readonly dataDir: string,
    private readonly ownedDataDir: string | undefined,
  ) {
    node.onEvent((e) => this.dispatch(e));
  }

  /** Start a node in this process. */
  static async start(opts: StartOptions = {}): Promise<Sluice> {
    const owned = opts.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'sluice-node-')) : undefined;
    const dataDir = opts.dataDir ?? owned!;
    const log = opts.log ?? (opts.logLevel && opts.logLevel !== 'silent' ? createLogger({ level: opts.logLevel, name: opts.alias ?? 'node' }) : silentLogger());
    const listen = opts.listen === false ? undefined : { host: opts.listen?.host ?? '127.0.0.1', port: opts.listen?.port ?? 0 };
    try {
      const streams = streamPolicy(opts.streams);
      const gossipMs = typeof opts.gossipInterval === 'string' ? parseDuration(opts.gossipInterval, 'gossipInterval') : opts.gossipInterval;
      const node = await SluiceNode.start({
        dataDir, ledgerUrl: opts.ledgerUrl, alias: opts.alias, listen, network: opts.network, log, streams,
        ...(opts.acceptKeysend ? { acceptKeysend: true } : {}),
        ...(gossipMs !== undefined ? { gossip: { flushMs: gossipMs } } : {}),
      });
      return new Sluice(node, dataDir, owned);
    } catch (e) {
      if (owned) await rm(owned, { recursive: true, force: true });
      throw e;
    }
  }

  get nodeId(): string {
    return this.node.nodeId;
  }

  /** NODEID@HOST:PORT for other nodes to connect to, if listening. */
  get address(): string | undefined {
    return this.node.peerPort === undefined ? undefined : `${this.node.nodeId}@127.0.0.1:${this.node.peerPort}`;
  }

  on<K extends keyof SluiceEvents>(event: K, listener: SluiceEvents[K]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (x: never) => void);
    return () => set.delete(listener as (x: never) => void);
  }

  private fire<K extends keyof SluiceEvents>(event: K, arg: Parameters<SluiceEvents[K]>[0]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (x: typeof arg) => void)(arg);
  }

  private dispatch(e: NodeEvent): void {
    switch (e.type) {
      case 'stream':
        this.fire(STREAM_EVENTS[e.event], e.stream);
        if (e.event === 'stopped' || e.event === 'finished') this.fire('ended', e.stream);
        return;
      case 'payment':
        this.fire('payment', { direction: e.direction, channelId: e.channelId, peerId: e.peerId, amount: e.amount, seq: e.seq });
        return;
      case 'channel':
        this.fire('channel', e.channel);
        // A closed channel is reported again on later changes (a payout recorded): `closed` fires once.
        if (e.channel.status === 'closed' && !this.closedChannels.has(e.channel.channelId)) {
          this.closedChannels.add(e.channel.channelId);
          this.fire('closed', e.channel);
        }
        return;
      case 'peer':
        this.fire('peer', { nodeId: e.nodeId, connected: e.connected });
        return;
      case 'ledger':
        this.fire('block', { height: e.height });
        return;
      case 'invoice':
        this.fire('invoicePaid', e.invoice);
        return;
      case 'routedPayment':
        this.fire(e.event === 'succeeded' ? 'paymentSucceeded' : 'paymentFailed', e.payment);
        return;
      case 'forward':
        this.fire('forwarded', e.forward);
        return;
      default:
        assertNever(e, 'node event');
    }
  }

  /** Simnet: funds from the ledger's faucet. */
  async faucet(a: Amount): Promise<{ txid: string; balance: bigint }> {
    const req = checked(() => rules.checkFaucet({ amount: callAmount(a, 'amount') }));
    return this.node.faucet(req.amount);
  }

  wallet(): Promise<WalletView> {
    return this.node.wallet();
  }

  /** `target` is NODEID@HOST:PORT, or a bare node id on a shared in-process network. */
  async connect(target: string): Promise<void> {
    if (typeof target === 'string' && !target.includes('@')) {
      await this.node.connectInMemory(checked(() => parseNodeId(target, 'target')));
      return;
    }
    await this.node.connectPeer(checked(() => rules.checkConnect({ target })).target);
  }

  /** `private`: not announced to the network; payers reach it through this node's invoices' route hints. */
  async openChannel(peerId: string, capacity: Amount, opts: { push?: Amount; private?: boolean } = {}): Promise<ChannelView> {
    return this.node.openChannel(checked(() => rules.checkOpenChannel({ peerId, capacity: callAmount(capacity, 'capacity'), push: callAmount(opts.push, 'push'), private: opts.private })));
  }

  channels(): Promise<ChannelView[]> {
    return this.node.listChannels();
  }

  /**
   * The channel once nothing is locked in it and no update is in flight (its balances add up to the
   * capacity): after a hash-chain stream ends, the payee's claim and release come in an update of their
   * own. Re-read on each channel event (and every 500 ms); rejects after `timeoutMs` (15 s).
   */
  async untilIdle(channelId: string, opts: { timeoutMs?: number } = {}): Promise<ChannelView> {
    const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
    for (;;) {
      // listen before reading, so an update between the read and the wait is not missed
      let off = () => {};
      const changed = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        const stop = this.on('channel', () => resolve());
        off = () => {
          clearTimeout(timer);
          stop();
        };
      });
      try {
        const c = (await this.channels()).find((x) => x.channelId === channelId);
        if (!c) throw new Error(`no channel ${channelId}`);
        const locked = c.capacity - c.localBalance - c.remoteBalance;
        if (c.pendingUpdates === 0 && locked === 0n) return c;
        if (Date.now() > deadline) throw new Error(`channel ${channelId} still has ${locked} msat locked and ${c.pendingUpdates} updates pending`);
        await changed;
      } finally {
        off();
      }
    }
  }

  /** Cooperative by default (resolves once paid out); `pendingReason` is set when it completes later. */
  async closeChannel(channelId: string, opts: { force?: boolean } = {}): Promise<ChannelView & { pendingReason?: string }> {
    return this.node.closeChannel(checked(() => rules.checkClose({ channelId, force: opts.force })));
  }

  /** Move funds from this node's ledger account to another account; resolves once in a block. */
  async send(to: string, a: Amount): Promise<SendResult> {
    return this.node.send(checked(() => rules.checkSend({ to, amount: callAmount(a, 'amount') })));
  }

  /** Hang up on a peer and stop redialing it. */
  async disconnect(peerId: string): Promise<void> {
    await this.node.disconnectPeer(checked(() => rules.checkDisconnect({ nodeId: peerId })));
  }

  async pay(peerId: string, a: Amount): Promise<PaymentResult> {
    return this.node.pay(checked(() => rules.checkPay({ peerId, amount: callAmount(a, 'amount') })));
  }

  /** An invoice any node can pay over routes (a BOLT 11 `lnsb` string and its record). */
  async createInvoice(o: { amount?: Amount; description?: string; expiry?: Duration } = {}): Promise<InvoiceView> {
    const expiryMs = typeof o.expiry === 'string' ? parseDuration(o.expiry, 'expiry') : o.expiry;
    return this.node.createInvoice(checked(() => checkCreateInvoice({
      amount: callAmount(o.amount, 'amount'), description: o.description,
      expirySeconds: expiryMs === undefined ? undefined : Math.ceil(expiryMs / 1000),
    })));
  }

  invoices(): Promise<InvoiceView[]> {
    return this.node.listInvoices();
  }

  /** Pay an invoice over any number of hops; resolves with the outcome (`status` says which). */
  async payInvoice(invoice: string, o: { amount?: Amount; maxFee?: Amount; timeout?: Duration } = {}): Promise<RoutedPaymentView> {
    return this.node.payInvoice(checked(() => checkPayInvoice({ invoice, amount: callAmount(o.amount, 'amount'), ...limitsIn(o) })));
  }

  /** A spontaneous (keysend) payment to any node that takes them, routed like an invoice's. */
  async payNode(nodeId: string, a: Amount, o: { maxFee?: Amount; timeout?: Duration } = {}): Promise<RoutedPaymentView> {
    return this.node.payNode(checked(() => checkPayNode({ nodeId, amount: callAmount(a, 'amount'), ...limitsIn(o) })));
  }

  payments(): Promise<RoutedPaymentView[]> {
    return this.node.listPayments();
  }

  async route(nodeId: string, a: Amount): Promise<RouteView> {
    return this.node.queryRoute(checked(() => checkRoute({ nodeId, amount: callAmount(a, 'amount') })));
  }

  async openStream(o: OpenStreamOptions): Promise<StreamHandle> {
    const req = checked(() => rules.checkOpenStream({
      peerId: o.peerId, rate: callRate(o.rate), mode: o.mode, billing: o.billing, max: callAmount(o.max, 'max'),
      durationMs: typeof o.duration === 'string' ? parseDuration(o.duration, 'duration') : o.duration,
      batchMs: typeof o.batch === 'string' ? parseDuration(o.batch, 'batch') : o.batch, maxFeeMsat: callAmount(o.maxFee, 'maxFee'),
    }));
    const v = await this.node.openStream(req);
    return this.handle(v.streamId);
  }

  /** A handle on any stream this node takes part in (a payee may only stop). */
  handle(id: string): StreamHandle {
    const node = this.node;
    const view = async () => {
      const v = (await node.listStreams()).find((s) => s.streamId === id);
      if (!v) throw new Error(`no stream ${id}`);
      return v;
    };
    const done = () =>
      new Promise<StreamView>((resolve, reject) => {
        // Listen first, then look: an end between the two is not missed.
        const off = this.on('ended', (s) => {
          if (s.streamId !== id) return;
          off();
          resolve(s);
        });
        view().then(
          (v) => {
            if (!isFinal(v)) return;
            off();
            resolve(v);
          },
          (e: unknown) => {
            off();
            reject(e as Error);
          },
        );
      });
    const control = async (action: rules.StreamAction) => node.controlStream(checked(() => rules.checkStreamControl({ streamId: id, action })));
    return {
      id,
      view,
      pause: () => control('pause'),
      resume: () => control('resume'),
      stop: () => control('stop'),
      done,
    };
  }

  streams(): Promise<StreamView[]> {
    return this.node.listStreams();
  }

  /** Stop the node; a temporary data dir made by start() is removed with it. */
  async stop(): Promise<void> {
    await this.node.stop();
    if (this.ownedDataDir) await rm(this.ownedDataDir, { recursive: true, force: true });
  }
}
