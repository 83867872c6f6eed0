// The node's Prometheus metrics (prom-client, one registry per node, never the global one). Gauges are
// read from the NodeApi at scrape time, so they always equal what `GET /v1/...` answers; counters and
// histograms follow the node's events. Amounts are msat as float64: exact up to 2^53 msat (9e12 sat),
// past what any simnet channel holds.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../util/log.js';
import type { NodeApi, NodeEvent, StreamView } from './types.js';

export const METRICS_PATH = '/metrics';
/** Payee streams whose last tick time is remembered for the lateness histogram. */
const MAX_TRACKED_STREAMS = 10_000;

export interface NodeMetrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** Read gauges from `api` and follow its events; once. */
  attach(api: NodeApi): void;
  /** `api` with `pay` timed into the payment latency histogram. */
  instrument<A extends NodeApi>(api: A): A;
  /** One store write (a synced LevelDB batch) took this long. */
  observeStoreWrite(ms: number): void;
  /** The exposition text; gauges are refreshed from the API first. */
  text(): Promise<string>;
  close(): void;
}

export function createMetrics(opts: { log: Logger; now?: () => number }): NodeMetrics {
  const now = opts.now ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  const g = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers });
  const channels = g('sluice_channels', 'Channels by status', ['status']);
  const channelMsat = g('sluice_channel_balance_msat', 'Sum over open channels of this side\'s balance, msat', ['side']);
  const capacityMsat = g('sluice_channel_capacity_msat', 'Sum of the capacity of open channels, msat');
  const ledgerMsat = g('sluice_ledger_balance_msat', 'The node\'s balance on the ledger, msat');
  const ledgerUp = g('sluice_ledger_reachable', '1 if the last scrape could read the ledger balance, else 0');
  const height = g('sluice_ledger_height', 'The latest ledger height the node has seen');
  const peers = g('sluice_peers', 'Peers, connected or known', ['state']);
  const streams = g('sluice_streams', 'Streams by role and status', ['role', 'status']);
  const streamsLate = g('sluice_streams_late', 'Incoming streams that are late now');
  const payments = new Counter({ name: 'sluice_payments_total', help: 'Payments carried by both-signed states', labelNames: ['direction'], registers });
  const paymentMsat = new Counter({ name: 'sluice_payments_msat_total', help: 'msat moved by payments', labelNames: ['direction'], registers });
  const payLatency = new Histogram({
    name: 'sluice_payment_latency_seconds',
    help: 'Time from a pay request to the both-signed state that carries it',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const ticks = new Counter({ name: 'sluice_stream_ticks_total', help: 'Stream ticks paid (payer) or metered (payee)', labelNames: ['role'], registers });
  const lateEvents = new Counter({ name: 'sluice_stream_late_total', help: 'Times an incoming stream became late', registers });
  const tickLateness = new Histogram({
    name: 'sluice_stream_tick_lateness_seconds',
    help: 'Payee: how much later than its interval each tick arrived',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers,
  });
  const storeWrite = new Histogram({
    name: 'sluice_store_write_seconds',
    help: 'Synced LevelDB batch writes (states, stream meters, peers)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  for (const d of ['sent', 'received']) {
    payments.inc({ direction: d }, 0);
    paymentMsat.inc({ direction: d }, 0);
  }
  for (const r of ['payer', 'payee']) ticks.inc({ role: r }, 0);

  let api: NodeApi | undefined;
  let unsubscribe: (() => void) | undefined;
  const lastTick = new Map<string, number>();
  let scraping: Promise<string> | undefined;

  function onStreamEvent(event: string, s: StreamView): void {
    if (event === 'tick') {
      ticks.inc({ role: s.role });
      if (s.role !== 'payee') return;
      const t = now();
      const before = lastTick.get(s.streamId);
      if (before !== undefined) tickLateness.observe(Math.max(0, t - before - s.tickMs) / 1000);
      lastTick.delete(s.streamId); // re-insert: the Map's order is then least recently ticked first
      lastTick.set(s.streamId, t);
      if (lastTick.size > MAX_TRACKED_STREAMS) lastTick.delete(lastTick.keys().next().value as string);
    } else if (event === 'late' && s.role === 'payee') {
      lateEvents.inc();
    } else if (event === 'paused' || event === 'stopped' || event === 'finished') {
      lastTick.delete(s.streamId); // a pause is not lateness
    }
  }

  function onEvent(e: NodeEvent): void {
    if (e.type === 'payment') {
      payments.inc({ direction: e.direction });
      paymentMsat.inc({ direction: e.direction }, Number(e.amount));
    } else if (e.type === 'stream') {
      onStreamEvent(e.event, e.stream);
    }
  }

  async function refresh(a: NodeApi): Promise<void> {
    const [info, list, streamList] = await Promise.all([a.info(), a.listChannels(), a.listStreams()]);
    for (const [status, n] of Object.entries(info.channels)) channels.set({ status }, n);
    const open = list.filter((c) => c.status === 'open');
    channelMsat.set({ side: 'local' }, Number(open.reduce((s, c) => s + c.localBalance, 0n)));
    channelMsat.set({ side: 'remote' }, Number(open.reduce((s, c) => s + c.remoteBalance, 0n)));
    capacityMsat.set(Number(open.reduce((s, c) => s + c.capacity, 0n)));
    height.set(info.height);
    peers.set({ state: 'connected' }, info.peers.connected);
    peers.set({ state: 'known' }, info.peers.known);
    streams.reset();
    for (const s of streamList) streams.inc({ role: s.role, status: s.status });
    streamsLate.set(streamList.filter((s) => s.role === 'payee' && s.late === true).length);
    try {
      ledgerMsat.set(Number((await a.wallet()).balance));
      ledgerUp.set(1);
    } catch (err) {
      // The ledger being away must not fail the scrape: the other gauges are still true.
      ledgerUp.set(0);
      opts.log.debug({ err: (err as Error).message }, 'metrics: ledger balance unreadable');
    }
  }

  return {
    registry,
    contentType: registry.contentType,
    attach(a) {
      if (api) throw new Error('metrics are already attached to a node');
      api = a;
      unsubscribe = a.onEvent(onEvent);
    },
    instrument(a) {
      const timedPay: NodeApi['pay'] = async (req) => {
        const started = now();
        const outcome = (o: string) => payLatency.observe({ outcome: o }, (now() - started) / 1000);
        try {
          const result = await a.pay(req);
          outcome('ok');
          return result;
        } catch (e) {
          outcome('error');
          throw e;
        }
      };
      return new Proxy(a, {
        get(target, prop, receiver) {
          if (prop === 'pay') return timedPay;
          const v: unknown = Reflect.get(target, prop, receiver);
          return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
    observeStoreWrite(ms) {
      storeWrite.observe(ms / 1000);
    },
    text() {
      // Scrapes that arrive while one is running share its answer: one API read at a time, and the
      // stream gauges (reset, then counted) are never filled by two scrapes at once.
      scraping ??= (async () => {
        if (api) await refresh(api);
        return registry.metrics();
      })().finally(() => {
        scraping = undefined;
      });
      return scraping;
    },
    close() {
      unsubscribe?.();
      lastTick.clear();
    },
  };
}
