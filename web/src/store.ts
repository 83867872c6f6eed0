// What the page shows, kept up to date: read once from the REST routes, then moved by the event feed,
// and re-read whenever the feed reconnects (events missed while it was down are not replayed).
import type { ChannelView, NodeEvent, NodeInfo, PeerView, StreamView, WalletView } from '../../src/api/types';
import { call, followEvents, type FeedState } from './api';
import { toChannel, toEvent, toInfo, toPeer, toStream, toWallet } from './wire';

export const HISTORY_SECONDS = 300;
export const SPARK_SECONDS = 60;
const MAX_PAYMENTS = 50;

export interface PaymentRow {
  at: number;
  direction: 'sent' | 'received';
  channelId: string;
  peerId: string;
  amount: bigint;
  seq: bigint;
}

/** One sample a second: what happened in that second, and the balances at its end. */
export interface Series {
  t: number[];
  paymentsPerSec: number[];
  ticksPerSec: number[];
  /** sat, for the chart: local balance over open channels, and the ledger balance. */
  channelSat: number[];
  ledgerSat: number[];
}

export interface DashState {
  info?: NodeInfo;
  wallet?: WalletView;
  peers: PeerView[];
  channels: Map<string, ChannelView>;
  streams: Map<string, StreamView>;
  payments: PaymentRow[];
  paymentsByChannel: Map<string, number>;
  /** Per stream: ticks in each of the last SPARK_SECONDS seconds, oldest first. */
  sparks: Map<string, number[]>;
  series: Series;
  feed: FeedState;
  /** Set when the page cannot read the node at all (not logged in, node gone). */
  fatal?: { status: number; message: string };
}

export class DashStore {
  state: DashState = {
    peers: [],
    channels: new Map(),
    streams: new Map(),
    payments: [],
    paymentsByChannel: new Map(),
    sparks: new Map(),
    series: { t: [], paymentsPerSec: [], ticksPerSec: [], channelSat: [], ledgerSat: [] },
    feed: 'connecting',
  };
  private readonly listeners = new Set<() => void>();
  private paymentsThisSecond = 0;
  private ticksThisSecond = new Map<string, number>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private stopFeed?: () => void;
  private sampler?: ReturnType<typeof setInterval>;

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  async start(): Promise<void> {
    await this.readAll();
    if (this.state.fatal) return;
    this.stopFeed = followEvents({
      onEvent: (raw) => this.onEvent(raw as Record<string, unknown>),
      onState: (feed) => {
        const reconnected = feed === 'live' && this.state.feed !== 'live' && this.state.info !== undefined;
        this.state.feed = feed;
        if (reconnected) void this.readAll();
        this.changed();
      },
    });
    this.sampler = setInterval(() => this.sample(), 1000);
  }

  stop(): void {
    this.stopFeed?.();
    clearInterval(this.sampler);
  }

  /** Every view the page shows, from the REST routes. */
  async readAll(): Promise<void> {
    try {
      const [info, peers, channels, streams] = await Promise.all([
        call<Record<string, unknown>>('GET', '/v1/info'),
        call<Record<string, unknown>[]>('GET', '/v1/peers'),
        call<Record<string, unknown>[]>('GET', '/v1/channels'),
        call<Record<string, unknown>[]>('GET', '/v1/streams'),
      ]);
      this.state.info = toInfo(info);
      this.state.peers = peers.map(toPeer);
      this.state.channels = new Map(channels.map(toChannel).map((c) => [c.channelId, c]));
      this.state.streams = new Map(streams.map(toStream).map((s) => [s.streamId, s]));
      this.state.fatal = undefined;
    } catch (e) {
      const status = (e as { status?: number }).status ?? 0;
      this.state.fatal = { status, message: (e as Error).message };
    }
    await this.readWallet();
    this.changed();
  }

  private async readWallet(): Promise<void> {
    // The ledger may be away while the node runs: the rest of the page still shows.
    this.state.wallet = await call<Record<string, unknown>>('GET', '/v1/wallet').then(toWallet, () => this.state.wallet);
  }

  /** Peers, info and the wallet change with many events; read them at most twice a second. */
  private refreshSoon(): void {
    this.refreshTimer ??= setTimeout(async () => {
      this.refreshTimer = undefined;
      try {
        const [info, peers] = await Promise.all([call<Record<string, unknown>>('GET', '/v1/info'), call<Record<string, unknown>[]>('GET', '/v1/peers')]);
        this.state.info = toInfo(info);
        this.state.peers = peers.map(toPeer);
      } catch {
        // shown as stale until the next event; a lost node shows through the feed's state
      }
      await this.readWallet();
      this.changed();
    }, 500);
  }

  private onEvent(raw: Record<string, unknown>): void {
    const e = toEvent(raw);
    if (!e) return;
    this.apply(e);
    this.changed();
  }

  private apply(e: NodeEvent): void {
    const s = this.state;
    switch (e.type) {
      case 'ledger':
        if (s.info) s.info = { ...s.info, height: e.height };
        return;
      case 'channel':
        s.channels.set(e.channel.channelId, e.channel);
        this.refreshSoon();
        return;
      case 'peer':
        this.refreshSoon();
        return;
      case 'payment': {
        this.paymentsThisSecond++;
        s.payments = [{ at: Date.now(), direction: e.direction, channelId: e.channelId, peerId: e.peerId, amount: e.amount, seq: e.seq }, ...s.payments].slice(0, MAX_PAYMENTS);
        s.paymentsByChannel.set(e.channelId, (s.paymentsByChannel.get(e.channelId) ?? 0) + 1);
        return;
      }
      case 'stream':
        s.streams.set(e.stream.streamId, e.stream);
        if (e.event === 'tick') this.ticksThisSecond.set(e.stream.streamId, (this.ticksThisSecond.get(e.stream.streamId) ?? 0) + 1);
        return;
      case 'paymentSucceeded':
      case 'paymentFailed':
      case 'invoicePaid':
        // routed payments move channel balances, which the channel events already show
        this.refreshSoon();
        return;
      default:
        return assertNever(e);
    }
  }

  private sample(): void {
    const s = this.state;
    const push = (arr: number[], v: number) => {
      arr.push(v);
      if (arr.length > HISTORY_SECONDS) arr.shift();
    };
    let ticks = 0;
    for (const [id, stream] of s.streams) {
      const n = this.ticksThisSecond.get(id) ?? 0;
      ticks += n;
      const spark = s.sparks.get(id) ?? [];
      if (stream.status === 'active' || stream.status === 'paused' || n > 0 || spark.length > 0) {
        spark.push(n);
        if (spark.length > SPARK_SECONDS) spark.shift();
        s.sparks.set(id, spark);
      }
    }
    const local = [...s.channels.values()].filter((c) => c.status === 'open').reduce((sum, c) => sum + c.localBalance, 0n);
    push(s.series.t, Math.floor(Date.now() / 1000));
    push(s.series.paymentsPerSec, this.paymentsThisSecond);
    push(s.series.ticksPerSec, ticks);
    push(s.series.channelSat, Number(local / 1000n));
    push(s.series.ledgerSat, Number((s.wallet?.balance ?? 0n) / 1000n));
    this.paymentsThisSecond = 0;
    this.ticksThisSecond.clear();
    this.changed();
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected event ${JSON.stringify(x)}`);
}
