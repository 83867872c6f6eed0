// Streams in the node: the shell around the pure stream machine (src/stream/machine.ts). Every change to a
// stream is an event fed to step(); this file runs the effects it returns, in order, and owns the loop
// that ticks every running stream from one timer. What each part owns:
//   streams-records.ts  the records: storage, recovery after a restart, spending-limit holds, the view
//   streams-payer.ts    opening a stream, and its channel ops (payments, the hash-chain budget lock)
//   streams-payee.ts    admitting a stream, metering what a channel state or a reveal pays, claims
//   streams-reveals.ts  showing the payee's reveals to the ledger while a channel closes
import type { Channel } from '../channel/machine.js';
import { toHex } from '../crypto/bytes.js';
import type { LedgerClient } from '../ledger/client.js';
import { HashChainSecret, type SpendingLimits } from '../stream/index.js';
import { step, type StreamContext, type StreamEffect, type StreamEvent } from '../stream/machine.js';
import { isEnded, type StreamRecord } from '../stream/record.js';
import { wakeAt } from '../stream/wake.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import type { StreamMessage } from '../wire/stream.js';
import { assertNever } from '../util/errors.js';
import type { NodeEvent, OpenStreamRequest, StreamView } from '../api/types.js';
import type { Logger } from '../util/log.js';
import type { ChannelManager } from './channels.js';
import { systemClock, type Clock } from './clock.js';
import { NodeError } from './errors.js';
import type { PeerManager } from './peers.js';
import type { NodeStore } from './store.js';
import { StreamPayee } from './streams-payee.js';
import { StreamPayer } from './streams-payer.js';
import { StreamRecords, streamView } from './streams-records.js';
import { DueQueue } from './streams-schedule.js';
import type { RoutedStreams } from './streams-routed.js';
import type { ChainRelays } from './streams-chain.js';
import type { Wallet } from './wallet.js';
import { fromHex } from '../crypto/bytes.js';

/**
 * How often the loop takes what is due from the due-queue. A pass costs O(k log n) for the k streams due
 * (nothing for the rest), so a short period costs wakeups, not work; what it buys is lateness: a tick
 * waits up to one period before it is paid (100 ms here made ~50 ms of the median at the payee). The
 * streams due in one pass go to the channel together, as one update's ops.
 */
export const TICK_LOOP_MS = 10;
/** How long a hash-chain payee across hops waits on its payer's stop for reveals still on their way through the hubs. */
export const HOP_STOP_GRACE_MS = 3000;
const PERSIST_EVERY_MS = 1000;
/** Every this often, every running stream's place in the due-queue is worked out again (a safety net). */
const SWEEP_EVERY_MS = 5000;
/** Payee streams a channel peer may have running at once. */
export const DEFAULT_MAX_STREAMS_PER_CHANNEL = 64;
/** A payee stream with no payment for this long after it opened is dropped. */
export const DEFAULT_IDLE_EXPIRY_MS = 60_000;
/** Ended payee streams kept per channel. */
export const DEFAULT_KEEP_ENDED_PER_CHANNEL = 1024;

export interface StreamPolicy {
  /** Refuse streams paying less than this many msat per second. */
  minRatePerSec?: bigint;
  /** Limits on what this node pays, over all streams and per peer. */
  nodeLimits?: SpendingLimits;
  peerLimits?: SpendingLimits;
  /** Payee: a stream is late after a tick interval plus this much without a tick. */
  graceMs?: number;
  /** Payee, hash-chain mode: turn revealed ticks into a signed balance every this many ticks. */
  checkpointTicks?: number;
  /** Payee: streams a peer may run at once on one channel (default 64). */
  maxStreamsPerChannel?: number;
  /** Payee: ended streams kept per channel (the node's history); the oldest past it are forgotten (default 1024). */
  keepEndedPerChannel?: number;
  /** Payee: drop a stream never paid this long after its first tick fell due (default 60 s). */
  idleExpiryMs?: number;
  /** Hop: hash-chain relays one peer may have us hold at once (default 16), and all peers (default 256). */
  maxChainRelaysPerPeer?: number;
  maxChainRelays?: number;
}

export interface StreamManagerOptions {
  store: NodeStore;
  channels: ChannelManager;
  peers: PeerManager;
  wallet: Wallet;
  log: Logger;
  policy: StreamPolicy;
  emit(e: NodeEvent): void;
  /** For reveals while a channel closes on the ledger (and a chain relay's registrations: `chain`). */
  ledger: Pick<LedgerClient, 'channel'> & Partial<Pick<LedgerClient, 'chain'>>;
  height(): number;
  clock?: Clock;
}

/** What the payer and payee parts reach in the manager. */
export interface StreamShell {
  readonly o: StreamManagerOptions;
  readonly records: StreamRecords;
  readonly clock: Clock;
  /** Step one event and take the new record at once; the effects are the caller's to run. */
  stepNow(r: StreamRecord, ev: StreamEvent): readonly StreamEffect[] | undefined;
  /** Streams across hops (streams-routed.ts), once the node has wired the payments layer. */
  readonly routed?: RoutedStreams;
  /** Hash-chain streams across hops: the relays this node runs as a hop (streams-chain.ts). */
  readonly chain?: ChainRelays;
  /** Feed one event to a stream and run its effects; throws a NodeError for a refused user request. */
  run(id: string, ev: StreamEvent): Promise<void>;
  /** Take `stream` as the record and run these effects, in order. */
  apply(stream: StreamRecord, effects: readonly StreamEffect[], now: number): Promise<void>;
  chainOf(r: StreamRecord): HashChainSecret | undefined;
  /** The benchmark's lateness hook, if set. */
  readonly onLateness?: (ms: number) => void;
}

export class StreamManager implements StreamShell {
  readonly records: StreamRecords;
  readonly clock: Clock;
  private readonly payer: StreamPayer;
  private readonly payee: StreamPayee;
  private readonly chains = new Map<string, HashChainSecret>();
  private readonly queue = new DueQueue();
  private stopLoop?: () => void;
  private lastFlush = 0;
  private lastSweep = 0;
  /**
   * The benchmark's hook: told how late each payer tick is paid (ms after it fell due). Unset (always,
   * outside the bench), nothing is measured; the hook keeps what it is told within its own bound.
   */
  onLateness?: (ms: number) => void;
  /** Set by routed-wiring.ts. */
  routed?: RoutedStreams;
  chain?: ChainRelays;

  constructor(readonly o: StreamManagerOptions) {
    this.clock = o.clock ?? systemClock;
    const p = o.policy;
    this.policyContext = { graceMs: p.graceMs ?? 2000, checkpointTicks: p.checkpointTicks ?? 60, idleExpiryMs: p.idleExpiryMs ?? DEFAULT_IDLE_EXPIRY_MS };
    this.records = new StreamRecords({ store: o.store, channels: o.channels, log: o.log, nodeLimits: o.policy.nodeLimits, peerLimits: o.policy.peerLimits });
    this.payer = new StreamPayer(this);
    this.payee = new StreamPayee(this);
  }

  async load(): Promise<void> {
    await this.records.load(this.clock.now());
    await this.chain?.load();
    for (const r of this.records.all.values()) this.schedule(r);
  }

  /** Put the stream in the due-queue at the time its next tick can change something (never, if none can). */
  private schedule(r: StreamRecord): void {
    this.queue.set(r.id, wakeAt(r, this.policyContext, this.clock.now()));
  }

  /** Tick these streams at the next pass (their peer came or went). */
  private wakeNow(match: (r: StreamRecord) => boolean): void {
    const now = this.clock.now();
    for (const r of this.records.notEnded()) if (r.status === 'active' && match(r)) this.queue.set(r.id, now);
  }

  start(): void {
    this.stopLoop = this.clock.every(TICK_LOOP_MS, () => this.loop());
    // Routed batches stored as in flight: their outcomes, or offered again under the same hash (the
    // payer's records and the switch are loaded by now).
    this.routed?.resume();
    this.chain?.start();
  }

  /** Stop ticking and store what progress is not yet stored. */
  async stop(): Promise<void> {
    this.stopLoop?.();
    await this.chain?.stop().catch(() => undefined);
    await this.records.flush().catch(() => undefined);
    await this.records.spendStored();
  }

  list(): StreamView[] {
    return [...this.records.all.values()].map(streamView);
  }

  chainOf(r: StreamRecord): HashChainSecret | undefined {
    // An ended stream reveals nothing more: its chain (up to a million hashes) is never rebuilt.
    if (r.role !== 'payer' || !r.chain || isEnded(r.status)) return undefined;
    let c = this.chains.get(r.id);
    if (!c) {
      c = HashChainSecret.create(fromHex(r.chain.seed), r.chain.units);
      this.chains.set(r.id, c);
    }
    return c;
  }

  private readonly policyContext: StreamContext;

  private context(r: StreamRecord): StreamContext {
    const chain = this.chainOf(r);
    return chain ? { ...this.policyContext, chain } : this.policyContext;
  }

  async run(id: string, ev: StreamEvent): Promise<void> {
    const r = this.records.get(id);
    if (!r) throw new NodeError('notFound', 'UNKNOWN_STREAM', `no stream ${id}`);
    const effects = this.stepNow(r, ev);
    if (effects) await this.apply(this.records.get(r.id) ?? r, effects, ev.now);
  }

  /**
   * Step and take the new record at once (so events are applied in the order they come); the effects
   * are returned for the caller to run, or undefined when there are none.
   */
  stepNow(r: StreamRecord, ev: StreamEvent): readonly StreamEffect[] | undefined {
    const res = step(r, ev, this.context(r));
    if (!res.ok) {
      const { kind, code, message } = res.error;
      if (kind === 'conflict') throw new NodeError('conflict', code, message);
      if (kind === 'warn') this.o.log.warn({ stream: r.id, code, message, event: ev.type }, 'stream event refused');
      return undefined;
    }
    this.records.set(res.stream);
    this.schedule(res.stream);
    return res.effects.length > 0 ? res.effects : undefined;
  }

  async apply(s: StreamRecord, effects: readonly StreamEffect[], now: number): Promise<void> {
    this.records.set(s);
    this.schedule(s);
    for (const e of effects) {
      switch (e.type) {
        case 'send':
          // A hash-chain payer across hops reveals to its first hop, which relays; the rest goes to the payee.
          this.o.peers.send(s.role === 'payer' && s.hopChain && e.message.kind === 'streamTick' ? s.hopChain.hub : s.peerId, e.message);
          break;
        case 'pay':
        case 'lock':
          this.payer.propose(s, e);
          break;
        case 'payBatch':
          if (this.routed) this.routed.payBatch(s, e);
          else this.o.log.error({ stream: s.id }, 'a routed batch with no payments layer wired');
          break;
        case 'hold':
          // The tick's allowance said it fits, but a limit is the spend ledger's to enforce: if it
          // refuses, none of this step's later effects (its payment) may run.
          if (!this.records.reserve(s.peerId, e.amount, now)) {
            if (s.role === 'payer' && s.held) await this.run(s.id, { type: 'holdRefused', ticks: s.held.ticks, now });
            return;
          }
          break;
        case 'release':
          this.records.release(s.peerId, e.amount, e.at);
          break;
        case 'persist':
          if (e.when === 'now') await this.records.saveNow(s);
          else this.records.saveLater(s);
          break;
        case 'emit':
          this.o.emit({ type: 'stream', event: e.event, stream: streamView(e.at ?? this.records.get(s.id) ?? s) });
          break;
        case 'claim':
          void this.payee.checkpoint(s.id);
          break;
        case 'settleChain':
          void this.payee.settleChain(s.id);
          break;
        case 'drop':
          if (s.role === 'payee') this.payee.giveBack(s);
          this.chains.delete(s.id);
          this.queue.set(s.id, undefined);
          await this.records.drop(s.id);
          break;
        default:
          assertNever(e, 'stream effect');
      }
    }
  }

  /** Feed an event to every stream that matches; a failure in one never stops the others. */
  private each(match: (r: StreamRecord) => boolean, ev: (r: StreamRecord) => StreamEvent | undefined): void {
    for (const r of [...this.records.all.values()]) {
      if (!match(r)) continue;
      const e = ev(r);
      if (e) void this.run(r.id, e).catch((err: unknown) => this.o.log.error({ err, stream: r.id }, 'stream event failed'));
    }
  }

  private loop(): void {
    const now = this.clock.now();
    if (now - this.lastFlush >= PERSIST_EVERY_MS) {
      this.lastFlush = now;
      void this.records.flush().catch((e: unknown) => this.o.log.error({ err: e }, 'storing stream progress failed'));
    }
    if (now - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = now;
      // Ended streams never tick again: only those still running are looked at.
      for (const r of this.records.notEnded()) {
        const back = r.role === 'payer' && r.status === 'active' && r.offline && this.o.peers.isConnected(r.peerId);
        if (back) this.queue.set(r.id, now);
        else this.schedule(r);
      }
    }
    // Only the streams due; synchronous for a tick that changes nothing (no promise per stream).
    for (const id of this.queue.take(now)) {
      const r = this.records.get(id);
      if (r?.status !== 'active') continue;
      const ev: StreamEvent | undefined = r.role === 'payer' ? this.payer.tickEvent(r, now) : { type: 'tick', now, reachable: true, spendable: 0n };
      if (!ev) {
        this.schedule(r);
        continue;
      }
      try {
        const effects = this.stepNow(r, ev);
        if (effects) void this.apply(this.records.get(r.id) ?? r, effects, now).catch((e: unknown) => this.o.log.error({ err: e, stream: r.id }, 'stream tick failed'));
      } catch (e) {
        this.o.log.error({ err: e, stream: r.id }, 'stream tick failed');
      }
    }
  }

  // ---- the node's API ----

  openStream(req: OpenStreamRequest): Promise<StreamView> {
    return this.payer.open(req);
  }

  async control(streamId: string, action: 'pause' | 'resume' | 'stop'): Promise<StreamView> {
    const r = this.records.get(streamId);
    if (!r) throw new NodeError('notFound', 'UNKNOWN_STREAM', `no stream ${streamId}`);
    await this.run(r.id, { type: 'control', action, now: this.clock.now() });
    return streamView(this.records.get(r.id) ?? r);
  }

  // ---- from peers and channels ----

  onMessage(peerId: string, m: StreamMessage): void {
    const id = toHex(m.streamId);
    switch (m.kind) {
      case 'streamOpen':
        void this.payee.admit(peerId, m);
        return;
      case 'streamAccept':
      case 'streamReject':
        this.payer.answered(peerId, id, m.kind === 'streamAccept' ? undefined : m.reason);
        return;
      // Ticks and controls are ordered after the channel messages that arrived before them (a stop must
      // not overtake the update carrying the last tick; a reveal must follow the lock it spends).
      case 'streamTick':
        if (this.chain?.onTick(peerId, m)) return; // a tick we relay as a hop
        this.afterChannel(peerId, id, () => this.payee.onReveal(id, m.depth, m.preimage), true);
        return;
      case 'streamChain':
        this.chain?.onChain(peerId, m);
        return;
      case 'streamControl': {
        const control = () => this.afterChannel(peerId, id, () => this.run(id, { type: 'peerControl', action: m.action, reason: m.reason, now: this.clock.now() }));
        // Across hops a hash-chain payer's stop comes straight to us while its last reveals come through the
        // hubs: a stop taken at once could end the stream before they arrive (the hub, paid for them, keeps
        // them). The stop waits a moment; a reveal meanwhile still counts.
        const r = this.records.get(id);
        if (m.action === 'stop' && r?.role === 'payee' && r.hopChain) void this.clock.sleep(HOP_STOP_GRACE_MS).then(control);
        else control();
        return;
      }
      default:
        assertNever(m, 'stream message');
    }
  }

  /** `fromHop`: a tick, which across hops comes from the last hop; controls come only from the stream's peer. */
  private afterChannel(peerId: string, id: string, fn: () => Promise<void>, fromHop = false): void {
    const r = this.records.get(id);
    if (!r) return;
    // Across hops, a hash-chain payee's ticks come from the last hop: the peer of the channel its lock is on.
    const from = fromHop && r.role === 'payee' && r.hopChain ? this.o.channels.channels.get(r.channelId)?.remoteNodeId : undefined;
    if (r.peerId !== peerId && !(from && toHex(from) === peerId)) return;
    // Not awaited by the channel's queue beyond the step itself: a payee's final claim needs that queue.
    void this.o.channels.afterPending(r.channelId, async () => {
      void fn().catch((e: unknown) => this.o.log.warn({ err: e, stream: id }, 'stream message failed'));
    });
  }

  /** From the channel manager: value a peer moved to us in a both-signed state. */
  onReceivedOps(ch: Channel, ops: ChannelOp[]): void {
    this.chain?.onReceivedOps(ch, ops); // first: a lock we relay is not an orphan for the payee part
    this.payee.onReceivedOps(ch, ops);
    this.payer.onReceivedOps(ch, ops);
  }

  /** A peer is back: repeat what it may have missed while away (a pause, or a recent end). */
  onPeerConnected(peerId: string): void {
    const now = this.clock.now();
    this.each((r) => r.peerId === peerId, () => ({ type: 'peerConnected', now }));
    this.payer.chainPeerBack(peerId);
    this.wakeNow((r) => r.peerId === peerId); // a payer's clock runs again
  }

  /** A peer went away: its payers' clocks stop at the next pass, so the time away is never billed. */
  onPeerDisconnected(peerId: string): void {
    this.wakeNow((r) => r.role === 'payer' && r.peerId === peerId);
  }

  /** The channel is closing or closed: its streams end (a payee's reveals stay for the ledger). */
  async onChannelEnded(ch: Channel): Promise<void> {
    const id = toHex(ch.channelId);
    const now = this.clock.now();
    this.chain?.onChannelEnded(ch);
    for (const r of this.records.onChannel(id)) {
      const running = !isEnded(r.status);
      await this.run(r.id, { type: 'channelEnded', now }).catch((e: unknown) => this.o.log.warn({ err: e, stream: r.id }, 'ending a stream failed'));
      // Across hops the other end is not on this channel and sees nothing of its close: tell it, so a
      // payee claims and gives back its lock (and the hops after it theirs), and a payer stops revealing.
      if (running && r.hopChain) this.o.peers.send(r.peerId, { kind: 'streamControl', streamId: fromHex(r.id), action: 'stop', reason: 'the channel is closing' });
    }
  }

  /** A channel closing unilaterally: show our hash-chain reveals to the ledger until the close ends. */
  revealOnLedger(ch: Channel): Promise<void> {
    return this.payee.revealOnLedger(ch);
  }
}
