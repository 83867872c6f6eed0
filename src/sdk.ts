// The embeddable API: a sluice node inside your program. Start it with its own data dir and a ledger
// URL, open channels, pay, stream (as a payer), accept and meter streams (as a payee), and listen for
// events. Amounts are bigint msat or strings as people write them ('10sat', '1500msat').
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelView, NodeEvent, PaymentResult, StreamView, WalletView } from './api/types.js';
import { parseAmount, type Msat } from './money.js';
import { SluiceNode } from './node/node.js';
import type { StreamPolicy } from './node/streams.js';
import type { MemoryNetwork } from './transport/memory.js';
import { parseDuration } from './util/duration.js';
import { createLogger, silentLogger, type Logger } from './util/log.js';

export type Amount = bigint | string;
export type Duration = number | string;

function amount(a: Amount, what: string): Msat {
  return typeof a === 'bigint' ? a : parseAmount(a, what);
}

function duration(d: Duration, what: string): number {
  return typeof d === 'number' ? d : parseDuration(d, what);
}

export interface StartOptions {
  /** Where the node keeps its key and LevelDB store; a fresh temporary directory if omitted. */
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
  streams?: StreamPolicy;
}

export interface SluiceEvents {
  /** A stream paid (payer) or was paid (payee) one or more ticks. */
  tick: (s: StreamView) => void;
  /** Payee: a stream missed its ticks beyond the grace period. Stop serving? */
  late: (s: StreamView) => void;
  /** A stream ended: stopped by either side, or finished at its cap or duration. */
  stopped: (s: StreamView) => void;
  /** A stream was agreed (either side). */
  opened: (s: StreamView) => void;
  /** A direct payment (or stream update) moved money in a channel. */
  payment: (p: { direction: 'sent' | 'received'; channelId: string; peerId: string; amount: bigint }) => void;
  /** A channel closed and its settlement is on the ledger. */
  closed: (c: ChannelView) => void;
}

export interface OpenStreamOptions {
  peerId: string;
  /** e.g. '10msat/s', '2sat/min'. */
  rate: string;
  max?: Amount;
  duration?: Duration;
  mode?: 'signed' | 'hashchain';
  billing?: 'prorata' | 'interval';
}

/** A handle on one stream this node pays. */
export interface StreamHandle {
  readonly id: string;
  view(): Promise<StreamView>;
  pause(): Promise<StreamView>;
  resume(): Promise<StreamView>;
  stop(): Promise<StreamView>;
}

export class Sluice {
  private readonly listeners = new Map<keyof SluiceEvents, Set<(x: never) => void>>();

  private constructor(readonly node: SluiceNode) {
    node.onEvent((e) => this.route(e));
  }

  /** Start a node in this process. */
  static async start(opts: StartOptions = {}): Promise<Sluice> {
    const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'sluice-node-')));
    const log = opts.log ?? (opts.logLevel && opts.logLevel !== 'silent' ? createLogger({ level: opts.logLevel, name: opts.alias ?? 'node' }) : silentLogger());
    const listen = opts.listen === false ? undefined : { host: opts.listen?.host ?? '127.0.0.1', port: opts.listen?.port ?? 0 };
    const node = await SluiceNode.start({ dataDir, ledgerUrl: opts.ledgerUrl, alias: opts.alias, listen, network: opts.network, log, streams: opts.streams });
    return new Sluice(node);
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

  private route(e: NodeEvent): void {
    switch (e.type) {
      case 'stream':
        if (e.event === 'tick') this.fire('tick', e.stream);
        else if (e.event === 'late') this.fire('late', e.stream);
        else if (e.event === 'stopped' || e.event === 'finished') this.fire('stopped', e.stream);
        else if (e.event === 'opened') this.fire('opened', e.stream);
        return;
      case 'payment':
        this.fire('payment', { direction: e.direction, channelId: e.channelId, peerId: e.peerId, amount: e.amount });
        return;
      case 'channel':
        if (e.channel.status === 'closed') this.fire('closed', e.channel);
        return;
      case 'peer':
      case 'ledger':
        return;
    }
  }

  /** Simnet: funds from the ledger's faucet. */
  async faucet(a: Amount): Promise<{ txid: string; balance: bigint }> {
    return this.node.faucet(amount(a, 'amount'));
  }

  wallet(): Promise<WalletView> {
    return this.node.wallet();
  }

  /** `target` is NODEID@HOST:PORT, or a bare node id on a shared in-process network. */
  async connect(target: string): Promise<void> {
    if (target.includes('@')) await this.node.connectPeer(target);
    else await this.node.connectInMemory(target.toLowerCase());
  }

  async openChannel(peerId: string, capacity: Amount, opts: { push?: Amount } = {}): Promise<ChannelView> {
    return this.node.openChannel({ peerId, capacity: amount(capacity, 'capacity'), push: opts.push === undefined ? 0n : amount(opts.push, 'push') });
  }

  channels(): Promise<ChannelView[]> {
    return this.node.listChannels();
  }

  closeChannel(channelId: string, opts: { force?: boolean } = {}): Promise<ChannelView> {
    return this.node.closeChannel({ channelId, force: opts.force ?? false });
  }

  async pay(peerId: string, a: Amount): Promise<PaymentResult> {
    return this.node.pay({ peerId, amount: amount(a, 'amount') });
  }

  async openStream(o: OpenStreamOptions): Promise<StreamHandle> {
    const v = await this.node.openStream({
      peerId: o.peerId, rate: o.rate, mode: o.mode, billing: o.billing,
      max: o.max === undefined ? undefined : amount(o.max, 'max'),
      durationMs: o.duration === undefined ? undefined : duration(o.duration, 'duration'),
    });
    return this.handle(v.streamId);
  }

  /** A handle on any stream this node takes part in (a payee may only stop). */
  handle(id: string): StreamHandle {
    const node = this.node;
    return {
      id,
      view: async () => {
        const v = (await node.listStreams()).find((s) => s.streamId === id);
        if (!v) throw new Error(`no stream ${id}`);
        return v;
      },
      pause: () => node.controlStream({ streamId: id, action: 'pause' }),
      resume: () => node.controlStream({ streamId: id, action: 'resume' }),
      stop: () => node.controlStream({ streamId: id, action: 'stop' }),
    };
  }

  streams(): Promise<StreamView[]> {
    return this.node.listStreams();
  }

  stop(): Promise<void> {
    return this.node.stop();
  }
}
