// Streams in the node: the payer's ticking (one timer for all streams), the payee's metering, and the
// glue to channels (signed ticks are channel updates) and to the peer (hash-chain ticks are reveals).
//
// Exactness: a payer's signed ticks are counted in the stream record in the same atomic batch that
// stores the channel proposal carrying them (attachToPersist), so a crash can neither pay a tick twice
// nor count one that was never proposed. Hash-chain ticks are paid by depth: re-revealing a depth after
// a restart costs nothing.
import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '../crypto/bytes.js';
import { localBalance } from '../channel/machine.js';
import type { Channel } from '../channel/machine.js';
import type { HashchainLock, Lock } from '../channel/state.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import type { StreamMessage } from '../wire/stream.js';
import {
  HashChainSecret, SpendLedger, checkLate, formatRate, goOffline, goOnline, meterTickTo, hashchainUnits, makeTerms,
  owedAfter, parseRate, pausePayer, recordTicks, resumePayer, startMeter, startPayer, stopPayer, ticksDue, verifyReveal,
  type PayeeMeter, type PayerStream, type SpendingLimits, type StreamTerms,
} from '../stream/index.js';
import { ApiError, type NodeEvent, type OpenStreamRequest, type StreamEventKind, type StreamStatus, type StreamView } from '../api/types.js';
import type { LedgerClient } from '../ledger/client.js';
import type { Logger } from '../util/log.js';
import type { ChannelManager } from './channels.js';
import type { PeerManager } from './peers.js';
import type { AttachedWrite, NodeStore } from './store.js';
import { fromStored, toStored } from './stream-record.js';
import { revealWhileClosing } from './streams-reveals.js';
import type { Wallet } from './wallet.js';

export const TICK_LOOP_MS = 100;
const OPEN_TIMEOUT_MS = 15_000;
const PERSIST_EVERY_MS = 1000;
/** Payee streams a channel peer may have running at once. */
export const DEFAULT_MAX_STREAMS_PER_CHANNEL = 64;
/** A payee stream with no payment for this long after it opened is dropped. */
export const DEFAULT_IDLE_EXPIRY_MS = 60_000;

export interface StreamRecord {
  id: string;
  role: 'payer' | 'payee';
  peerId: string;
  channelId: string;
  terms: StreamTerms;
  status: StreamStatus;
  startedAt: number;
  reason?: string;
  /** When it stopped or finished (ms): a peer that was away then is told again when it reconnects. */
  endedAt?: number;
  payer?: PayerStream;
  /** Payer, hash-chain mode: the chain's seed (a secret; never logged or shown). */
  seed?: string;
  lockId?: number;
  units?: number;
  unit?: bigint;
  meter?: PayeeMeter;
  /** Payee, hash-chain mode: deepest reveal (absolute depth from the first root); what is claimed is read from the lock. */
  revealedDepth?: number;
  revealedValue?: string;
  /** Payee, signed mode: the channel seq of the last payment the meter counted (a decimal string). */
  countedSeq?: string;
}

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
  /** Payee: drop a stream never paid this long after it opened (default 60 s). */
  idleExpiryMs?: number;
}

export interface StreamManagerOptions {
  store: NodeStore;
  channels: ChannelManager;
  peers: PeerManager;
  wallet: Wallet;
  log: Logger;
  policy: StreamPolicy;
  emit(e: NodeEvent): void;
  /** For reveals while a channel closes on the ledger. */
  ledger: Pick<LedgerClient, 'channel'>;
  height(): number;
  now?: () => number;
}

interface SignedTickRef {
  id: string;
  count: number;
}

export class StreamManager {
  private readonly records = new Map<string, StreamRecord>();
  private readonly chains = new Map<string, HashChainSecret>();
  private readonly opening = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly queuedTicks = new Map<string, number>();
  private readonly tickRefs = new Map<string, SignedTickRef>();
  private readonly committedRefs = new Set<string>();
  private readonly claiming = new Map<string, Promise<void>>();
  /** Payee meters loaded after a restart may lag the channel (their progress is stored once a second). */
  private readonly recovered = new Set<string>();
  private readonly dirty = new Set<string>();
  private flushing = false;
  private lastFlush = 0;
  private spend = new SpendLedger();
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;
  /** Measured lateness of payer ticks (ms after they fell due), for the benchmark. */
  readonly lateness: number[] = [];

  constructor(private readonly o: StreamManagerOptions) {
    this.now = o.now ?? Date.now;
  }

  async load(): Promise<void> {
    for (const v of await this.o.store.loadStreams()) {
      if (v['kind'] === 'spend') {
        this.spend = SpendLedger.fromJSON(v['ledger'] as never);
        continue;
      }
      const r = fromStored<StreamRecord>(v);
      // A stream that was running when the node stopped resumes offline, its clock restarting on reconnect.
      // We do not know when the node went down, so its running time is taken to end at the last paid
      // tick: the downtime is never billed (at most part of one tick is not).
      if (r.payer && (r.payer.status === 'active' || r.payer.status === 'paused')) {
        const { resumedAt: _r, ...rest } = r.payer;
        r.payer = { ...rest, activeMs: r.payer.ticksPaid * r.terms.tickMs, offline: true };
      }
      this.records.set(r.id, r);
      if (r.role === 'payee' && r.terms.mode === 'signed') this.recovered.add(r.id);
      if (r.seed && r.units) this.chains.set(r.id, HashChainSecret.create(fromHex(r.seed), r.units));
    }
  }

  start(): void {
    this.timer = setInterval(() => this.loop(), TICK_LOOP_MS);
  }

  /** Stop ticking and store what progress is not yet stored. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }

  list(): StreamView[] {
    return [...this.records.values()].map((r) => this.view(r));
  }

  private view(r: StreamRecord): StreamView {
    const v: StreamView = {
      streamId: r.id, peerId: r.peerId, channelId: r.channelId, role: r.role, mode: r.terms.mode, status: r.status,
      rate: formatRate(r.terms.rate), rateAmount: r.terms.rate.amount, ratePerMs: r.terms.rate.perMs, tickMs: r.terms.tickMs,
      ticks: r.payer?.ticksPaid ?? r.meter?.ticks ?? 0, paid: r.payer?.paid ?? r.meter?.paid ?? 0n, startedAt: r.startedAt,
    };
    if (r.terms.max !== undefined) {
      v.max = r.terms.max;
      v.remaining = r.terms.max - v.paid;
    }
    if (r.terms.durationMs !== undefined) v.durationMs = r.terms.durationMs;
    if (r.meter) v.late = r.meter.late;
    if (r.reason) v.reason = r.reason;
    return v;
  }

  private event(kind: StreamEventKind, r: StreamRecord): void {
    this.o.emit({ type: 'stream', event: kind, stream: this.view(r) });
  }

  /**
   * Store a record now (status changes), or mark it for the next batched flush (meter progress): one
   * synced write per record per tick would cost thousands of fsyncs a second with thousands of streams.
   */
  private async persist(r: StreamRecord, force = true): Promise<void> {
    if (r.role === 'payer' && r.terms.mode === 'signed') {
      // Its ticks are stored with the channel states that carry them (attachToPersist); any other write
      // goes through the channel's queue so it can never land after, and undo, a newer one.
      if (!force) return;
      await this.o.channels.afterPending(r.channelId, () => this.o.store.saveStream(r.id, toStored(r)));
      return;
    }
    if (!force) {
      this.dirty.add(r.id);
      return;
    }
    this.dirty.delete(r.id);
    await this.o.store.saveStream(r.id, toStored(r));
  }

  private async flush(): Promise<void> {
    if (this.dirty.size === 0 || this.flushing) return;
    this.flushing = true;
    const ids = [...this.dirty];
    this.dirty.clear();
    try {
      const entries = ids.flatMap((id) => {
        const r = this.records.get(id);
        return r ? [{ key: id, value: toStored(r) }] : [];
      });
      await this.o.store.saveStreams(entries);
    } finally {
      this.flushing = false;
    }
  }

  private record(id: string): StreamRecord {
    const r = this.records.get(id.toLowerCase());
    if (!r) throw new ApiError(404, 'UNKNOWN_STREAM', `no stream ${id}`);
    return r;
  }

  // ---- payer ----

  async openStream(req: OpenStreamRequest): Promise<StreamView> {
    let terms: StreamTerms;
    try {
      terms = makeTerms({ rate: parseRate(req.rate), billing: req.billing, max: req.max, durationMs: req.durationMs, mode: req.mode });
    } catch (e) {
      throw new ApiError(400, 'BAD_TERMS', (e as Error).message);
    }
    const peerId = req.peerId.toLowerCase();
    if (!this.o.peers.isConnected(peerId)) throw new ApiError(409, 'PEER_NOT_CONNECTED', `not connected to ${peerId}`);
    const id = toHex(randomBytes(16));
    const now = this.now();
    let budget = owedAfter(terms, 1);
    let chain: { units: number; unit: bigint } | undefined;
    if (terms.mode === 'hashchain') {
      chain = hashchainUnits(terms);
      budget = chain.unit * BigInt(chain.units);
    }
    const ch = this.o.channels.payable(peerId, budget);
    if (!ch) throw new ApiError(409, 'NO_ROUTE', `no open channel with ${peerId} can fund ${budget} msat`);
    // Hash chains: the whole budget is held against the limits now, before anything is awaited, so
    // concurrent opens cannot all pass one limit; the hold is given back if the stream never locks it.
    // Signed streams are held tick by tick (tickPayer); here they need only room for one tick.
    const held = terms.mode === 'hashchain' ? budget : 0n;
    if (held > 0n ? !this.reserve(peerId, held, now) : !this.allowed(peerId, owedAfter(terms, 1), now)) {
      throw new ApiError(409, 'SPENDING_LIMIT', 'this stream would pass a spending limit');
    }
    const releaseHold = (): void => {
      if (held > 0n) this.releaseSpend(peerId, held, now);
    };
    const r: StreamRecord = { id, role: 'payer', peerId, channelId: toHex(ch.channelId), terms, status: 'opening', startedAt: now };
    if (chain) {
      const seed = randomBytes(32);
      const secret = HashChainSecret.create(seed, chain.units);
      this.chains.set(id, secret);
      r.seed = toHex(seed);
      r.units = chain.units;
      r.unit = chain.unit;
      r.lockId = this.freeLockId(ch);
    }
    this.records.set(id, r);
    try {
      await this.persist(r);
    } catch (e) {
      releaseHold();
      throw e;
    }
    const accepted = new Promise<void>((resolve, reject) => this.opening.set(id, { resolve, reject }));
    this.o.peers.send(peerId, {
      kind: 'streamOpen', channelId: ch.channelId, streamId: fromHex(id), mode: terms.mode, rateAmount: terms.rate.amount,
      ratePerMs: terms.rate.perMs, tickMs: terms.tickMs, max: terms.max ?? 0n, durationMs: BigInt(terms.durationMs ?? 0),
      hashchainLockId: r.lockId ?? 0,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([accepted, new Promise((_, rej) => (timer = setTimeout(() => rej(new ApiError(503, 'TIMEOUT', 'the peer did not answer the stream request')), OPEN_TIMEOUT_MS)))]);
    } catch (e) {
      releaseHold();
      r.status = 'rejected';
      r.reason = (e as Error).message;
      await this.persist(r);
      throw e instanceof ApiError ? e : new ApiError(409, 'STREAM_REJECTED', `the peer refused the stream: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
      this.opening.delete(id);
    }
    if (chain) {
      // Lock the whole budget under the chain's root; ticks are reveals against it from then on.
      const secret = this.chains.get(id)!;
      const { settled } = this.o.channels.submitOps(r.channelId, [{ op: 'addHashchain', id: r.lockId!, root: secret.root, unit: chain.unit, maxUnits: chain.units }]);
      try {
        await settled;
      } catch (e) {
        releaseHold();
        r.status = 'stopped';
        r.reason = `could not lock the budget: ${(e as Error).message}`;
        await this.persist(r);
        this.o.peers.send(peerId, { kind: 'streamControl', streamId: fromHex(id), action: 'stop', reason: r.reason });
        throw new ApiError(409, 'LOCK_FAILED', r.reason);
      }
    }
    r.status = 'active';
    r.payer = startPayer(id, terms, this.now());
    await this.persist(r);
    this.event('opened', r);
    return this.view(r);
  }

  private freeLockId(ch: Channel): number {
    const parity = ch.local === 'A' ? 0 : 1;
    const used = new Set(ch.signed.state.locks.map((l) => l.id));
    for (;;) {
      const n = (randomBytes(4).readUInt32BE(0) & ~1) | parity;
      if (!used.has(n) && n !== 0) return n >>> 0;
    }
  }

  private allowed(peerId: string, amount: bigint, now: number): boolean {
    const p = this.o.policy;
    return (!p.nodeLimits || this.spend.allowed('node', amount, now, p.nodeLimits)) && (!p.peerLimits || this.spend.allowed(peerId, amount, now, p.peerLimits));
  }

  /** Hold `amount` against the node's and the peer's limits; false (nothing held) if either refuses. */
  private reserve(peerId: string, amount: bigint, now: number): boolean {
    const p = this.o.policy;
    if (!this.spend.reserve([{ key: 'node', limits: p.nodeLimits }, { key: peerId, limits: p.peerLimits }], amount, now)) return false;
    this.saveSpend();
    return true;
  }

  private releaseSpend(peerId: string, amount: bigint, at: number): void {
    this.spend.release('node', amount, at).release(peerId, amount, at);
    this.saveSpend();
  }

  private saveSpend(): void {
    void this.o.store.saveStream('~spend', { kind: 'spend', ledger: this.spend.toJSON() as never });
  }

  async control(streamId: string, action: 'pause' | 'resume' | 'stop'): Promise<StreamView> {
    const r = this.record(streamId);
    const now = this.now();
    if (r.status === 'stopped' || r.status === 'finished' || r.status === 'rejected') throw new ApiError(409, 'WRONG_STATUS', `stream is ${r.status}`);
    if (action !== 'stop' && r.role !== 'payer') throw new ApiError(409, 'NOT_PAYER', 'only the payer pauses and resumes a stream');
    if (r.role === 'payer' && r.payer) {
      if (action === 'pause') r.payer = pausePayer(r.payer, now);
      if (action === 'resume') r.payer = resumePayer(r.payer, now);
      if (action === 'stop') r.payer = stopPayer(r.payer, now);
    }
    r.status = action === 'pause' ? 'paused' : action === 'resume' ? 'active' : 'stopped';
    if (action === 'stop') {
      r.reason = 'stopped by this node';
      r.endedAt = now;
    }
    this.o.peers.send(r.peerId, { kind: 'streamControl', streamId: fromHex(r.id), action, reason: action === 'stop' ? 'stopped by the peer' : '' });
    await this.persist(r);
    if (action === 'stop' && r.role === 'payee') await this.finishPayee(r);
    this.event(action === 'pause' ? 'paused' : action === 'resume' ? 'resumed' : 'stopped', r);
    return this.view(r);
  }

  private loop(): void {
    const now = this.now();
    if (now - this.lastFlush >= PERSIST_EVERY_MS) {
      this.lastFlush = now;
      void this.flush().catch((e: unknown) => this.o.log.error({ err: e }, 'storing stream progress failed'));
    }
    for (const r of this.records.values()) {
      try {
        if (r.role === 'payer' && r.payer && (r.status === 'active')) this.tickPayer(r, now);
        else if (r.role === 'payee' && r.meter && r.status === 'active') this.watchPayee(r, now);
      } catch (e) {
        this.o.log.error({ err: e, stream: r.id }, 'stream tick failed');
      }
    }
  }

  private tickPayer(r: StreamRecord, now: number): void {
    let p = r.payer!;
    const ch = this.o.channels.channels.get(r.channelId);
    const reachable = !!ch && ch.status === 'open' && this.o.peers.isConnected(r.peerId);
    // Ticks stop while the peer or channel is away; the time offline never accrues.
    if (!reachable) {
      r.payer = goOffline(p, now);
      return;
    }
    p = r.payer = goOnline(p, now);
    const queued = this.queuedTicks.get(r.id) ?? 0;
    // One payment per stream in flight (signed mode): when updates fall behind, the ticks that come due
    // meanwhile go into the next payment instead of piling up as separate operations.
    if (queued > 0 && r.terms.mode === 'signed') return;
    const due = ticksDue(p, now) - queued;
    if (due <= 0) return;
    // tick k fell due when the running time reached k * tickMs: resumedAt + (k * tickMs - activeMs)
    const lateBy = now - (p.resumedAt! + (p.ticksPaid + queued + 1) * r.terms.tickMs - p.activeMs);
    if (Number.isFinite(lateBy)) this.lateness.push(Math.max(0, lateBy));
    if (this.lateness.length > 100_000) this.lateness.splice(0, 50_000);
    const before = p.ticksPaid + queued;
    const after = before + due;
    if (r.terms.mode === 'hashchain') {
      const depth = Math.min(after, r.units!);
      this.o.peers.send(r.peerId, { kind: 'streamTick', streamId: fromHex(r.id), depth, preimage: this.chains.get(r.id)!.preimageAt(depth) });
      r.payer = recordTicks(p, depth - p.ticksPaid, now);
      this.afterPayerTick(r);
      return;
    }
    const amount = owedAfter(r.terms, after) - owedAfter(r.terms, before);
    if (localBalance(ch) - ch.limits.reserve < amount) {
      void this.endPayer(r, 'the channel has no more to pay with');
      return;
    }
    if (!this.reserve(r.peerId, amount, now)) {
      r.payer = pausePayer(p, now);
      r.status = 'paused';
      r.reason = 'a spending limit is reached';
      void this.persist(r);
      this.o.peers.send(r.peerId, { kind: 'streamControl', streamId: fromHex(r.id), action: 'pause', reason: r.reason });
      this.event('paused', r);
      return;
    }
    this.queuedTicks.set(r.id, queued + due);
    const { ref, settled } = this.o.channels.submitOps(r.channelId, [{ op: 'streamPay', streamId: fromHex(r.id), amount, ticks: after }]);
    this.tickRefs.set(ref, { id: r.id, count: due });
    settled.then(
      () => {
        this.tickRefs.delete(ref);
        this.committedRefs.delete(ref);
        this.afterPayerTick(r);
      },
      (e: unknown) => {
        this.tickRefs.delete(ref);
        this.releaseSpend(r.peerId, amount, now); // the hold is cancelled: this payment did not happen
        if (this.committedRefs.delete(ref)) {
          // counted when proposed, but the update was refused: take it back
          const q = r.payer!;
          r.payer = { ...q, ticksPaid: q.ticksPaid - due, paid: owedAfter(r.terms, q.ticksPaid - due), status: q.status === 'finished' ? 'active' : q.status };
          void this.persist(r);
        } else {
          this.queuedTicks.set(r.id, Math.max(0, (this.queuedTicks.get(r.id) ?? 0) - due));
        }
        void this.endPayer(r, `a tick was refused: ${(e as Error).message}`);
      },
    );
  }

  /** Called by the channel manager as it persists a state: count the signed ticks it carries. */
  attachToPersist(ch: Channel): AttachedWrite[] {
    const out: AttachedWrite[] = [];
    for (const ref of ch.proposal?.refs ?? []) {
      const t = this.tickRefs.get(ref);
      if (!t || this.committedRefs.has(ref)) continue;
      const r = this.records.get(t.id);
      if (!r?.payer) continue;
      this.committedRefs.add(ref);
      this.queuedTicks.set(r.id, Math.max(0, (this.queuedTicks.get(r.id) ?? 0) - t.count));
      r.payer = recordTicks(r.payer, t.count, this.now());
      out.push({ kind: 'stream', key: r.id, value: toStored(r) });
    }
    return out;
  }

  private afterPayerTick(r: StreamRecord): void {
    this.event('tick', r);
    if (r.payer!.status === 'finished' && r.status === 'active') {
      void this.endPayer(r, 'the stream reached its cap or duration', 'finished');
      return;
    }
    void this.persist(r, false);
  }

  private async endPayer(r: StreamRecord, reason: string, status: 'finished' | 'stopped' = 'stopped'): Promise<void> {
    if (r.status === 'stopped' || r.status === 'finished') return;
    r.status = status;
    r.reason = reason;
    r.endedAt = this.now();
    if (r.payer && r.payer.status !== 'finished') r.payer = stopPayer(r.payer, this.now());
    await this.persist(r);
    this.o.peers.send(r.peerId, { kind: 'streamControl', streamId: fromHex(r.id), action: 'stop', reason });
    this.event(status, r);
  }

  // ---- payee ----

  private watchPayee(r: StreamRecord, now: number): void {
    if (r.meter!.paid === 0n && !r.revealedDepth && now - r.startedAt > (this.o.policy.idleExpiryMs ?? DEFAULT_IDLE_EXPIRY_MS)) {
      // Never paid: it holds nothing of value, so it goes entirely (a peer cannot fill the store with them).
      this.records.delete(r.id);
      this.dirty.delete(r.id);
      void this.o.store.deleteStream(r.id).catch((e: unknown) => this.o.log.warn({ err: e, stream: r.id }, 'dropping an idle stream failed'));
      this.o.peers.send(r.peerId, { kind: 'streamControl', streamId: fromHex(r.id), action: 'stop', reason: 'never paid' });
      return;
    }
    const c = checkLate(r.meter!, now, this.o.policy.graceMs ?? 2000);
    r.meter = c.meter;
    if (c.becameLate) this.event('late', r);
    if (c.becameOnTime) this.event('onTime', r);
  }

  onMessage(peerId: string, m: StreamMessage): void {
    const id = toHex(m.streamId);
    switch (m.kind) {
      case 'streamOpen':
        void this.onOpen(peerId, id, m);
        return;
      case 'streamAccept':
      case 'streamReject': {
        const w = this.opening.get(id);
        const r = this.records.get(id);
        if (!w || !r || r.peerId !== peerId) return;
        if (m.kind === 'streamAccept') w.resolve();
        else w.reject(new Error(m.reason));
        return;
      }
      // Ticks and controls are ordered after the channel messages that arrived before them (a stop must
      // not overtake the update carrying the last tick; a reveal must follow the lock it spends).
      case 'streamTick':
        this.afterChannel(id, () => this.onReveal(peerId, id, m.depth, m.preimage));
        return;
      case 'streamControl':
        this.afterChannel(id, () => this.onControl(peerId, id, m.action, m.reason));
        return;
      default: {
        const never: never = m;
        return never;
      }
    }
  }

  private afterChannel(id: string, fn: () => Promise<void>): void {
    const r = this.records.get(id);
    if (!r) return;
    void this.o.channels.afterPending(r.channelId, fn);
  }

  private async onOpen(peerId: string, id: string, m: Extract<StreamMessage, { kind: 'streamOpen' }>): Promise<void> {
    const refuse = (reason: string): void => {
      this.o.peers.send(peerId, { kind: 'streamReject', streamId: m.streamId, reason });
    };
    if (this.records.has(id)) return refuse('stream id in use');
    const r0ChannelId = toHex(m.channelId);
    const ch = this.o.channels.channels.get(r0ChannelId);
    if (!ch || toHex(ch.remoteNodeId) !== peerId || ch.status !== 'open') return refuse('no open channel with you by that id');
    let terms: StreamTerms;
    try {
      terms = makeTerms({
        rate: { amount: m.rateAmount, perMs: m.ratePerMs },
        billing: m.tickMs === m.ratePerMs && m.ratePerMs !== 1000 ? 'interval' : 'prorata',
        max: m.max === 0n ? undefined : m.max,
        durationMs: m.durationMs === 0n ? undefined : Number(m.durationMs),
        mode: m.mode,
      });
    } catch (e) {
      return refuse(`bad terms: ${(e as Error).message}`);
    }
    if (terms.tickMs !== m.tickMs) return refuse('tick interval does not match the billing');
    const live = [...this.records.values()].filter((x) => x.role === 'payee' && x.channelId === r0ChannelId && (x.status === 'active' || x.status === 'paused'));
    const cap = this.o.policy.maxStreamsPerChannel ?? DEFAULT_MAX_STREAMS_PER_CHANNEL;
    if (live.length >= cap) return refuse(`at most ${cap} streams per channel`);
    if (terms.mode === 'hashchain') {
      // A lock backs at most one stream: it must be new (not yet in the channel) and named by no other
      // stream, or the same reveals would be metered twice.
      const lockId = m.hashchainLockId;
      const inChannel = [...ch.signed.state.locks, ...(ch.proposal?.state.locks ?? [])].some((l) => l.id === lockId);
      const named = [...this.records.values()].some((x) => x.role === 'payee' && x.channelId === r0ChannelId && x.lockId === lockId);
      if (lockId === 0 || inChannel || named) return refuse('that lock id is in use');
    }
    const perSec = (terms.rate.amount * 1000n) / BigInt(terms.rate.perMs);
    const min = this.o.policy.minRatePerSec;
    if (min !== undefined && perSec < min) return refuse(`rate below this node's price of ${min} msat/s`);
    const now = this.now();
    const r: StreamRecord = { id, role: 'payee', peerId, channelId: toHex(m.channelId), terms, status: 'active', startedAt: now, meter: startMeter(id, terms, now) };
    if (terms.mode === 'hashchain') {
      r.lockId = m.hashchainLockId;
      const hc = hashchainUnits(terms);
      r.units = hc.units;
      r.unit = hc.unit;
      r.revealedDepth = 0;
    }
    this.records.set(id, r);
    await this.persist(r);
    this.o.peers.send(peerId, { kind: 'streamAccept', streamId: m.streamId });
    this.event('opened', r);
  }

  /** From the channel manager: value a peer moved to us in a both-signed state. */
  onReceivedOps(ch: Channel, ops: ChannelOp[]): void {
    const now = this.now();
    for (const op of ops) {
      if (op.op !== 'streamPay') continue;
      const r = this.records.get(toHex(op.streamId));
      if (!r || r.role !== 'payee' || !r.meter || r.channelId !== toHex(ch.channelId)) continue;
      // Absolute totals: the op says how many ticks it pays for in all; the meter checks that the amount is
      // exactly what the terms owe for the new ticks and never counts a tick twice.
      // The meter may have come back from disk behind the channel (its progress is stored once a
      // second): states signed since it was stored may have paid it. Only then may one payment be short.
      const gap = this.recovered.has(r.id) && (r.countedSeq === undefined || ch.signed.state.seq - 1n > BigInt(r.countedSeq));
      const res = meterTickTo(r.meter, op.amount, op.ticks, now, { gap });
      if (gap && !('error' in res) && res.meter.paid < owedAfter(r.terms, op.ticks)) {
        this.o.log.info({ stream: r.id, ticks: op.ticks }, 'stream payments made while the meter was not stored are not counted by it');
      }
      this.recovered.delete(r.id);
      r.countedSeq = ch.signed.state.seq.toString();
      if ('error' in res) {
        this.o.log.warn({ stream: r.id, reason: res.error.reason, message: res.error.message }, 'stream payment does not match the terms');
        if (res.error.reason === 'underpaid') void this.stopAsPayee(r, `underpaid: ${res.error.message}`);
        continue;
      }
      r.meter = res.meter;
      if (r.status === 'paused') r.status = 'active'; // ticks again: the payer resumed (we may have missed its word)
      this.event('tick', r);
      if (r.meter.status === 'finished') void this.payeeEnded(r, 'finished', 'the stream reached its cap or duration');
      else void this.persist(r, false);
    }
  }

  private async stopAsPayee(r: StreamRecord, reason: string): Promise<void> {
    this.o.peers.send(r.peerId, { kind: 'streamControl', streamId: fromHex(r.id), action: 'stop', reason });
    await this.payeeEnded(r, 'stopped', reason);
  }

  private localSideOf(r: StreamRecord): 'A' | 'B' | undefined {
    return this.o.channels.channels.get(r.channelId)?.local;
  }

  /** Ticks already claimed into a signed balance: what the lock in our latest state no longer holds. */
  private claimedDepth(r: StreamRecord, lock: HashchainLock | undefined): number {
    return lock ? r.units! - lock.maxUnits : r.units!;
  }

  private hashchainLock(r: StreamRecord): HashchainLock | undefined {
    const ch = this.o.channels.channels.get(r.channelId);
    const l = ch?.signed.state.locks.find((x) => x.id === r.lockId);
    return l?.kind === 'hashchain' ? l : undefined;
  }

  private async onReveal(peerId: string, id: string, depth: number, value: Uint8Array): Promise<void> {
    const r = this.records.get(id);
    if (!r || r.role !== 'payee' || r.peerId !== peerId || r.terms.mode !== 'hashchain') return;
    if (r.status !== 'active' && r.status !== 'paused') return;
    const lock = this.hashchainLock(r);
    if (!lock) return; // the budget is not locked in a signed state yet: nothing to check against
    if (lock.unit !== r.unit || lock.from === this.localSideOf(r)) {
      this.o.log.warn({ stream: id }, 'the locked hash chain does not match the agreed terms');
      return;
    }
    const claimed = this.claimedDepth(r, lock);
    const prev = Math.max(r.revealedDepth ?? 0, claimed);
    const v = verifyReveal({
      root: lock.root, maxUnits: lock.maxUnits, prevDepth: prev - claimed, prevValue: prev > claimed && r.revealedValue ? fromHex(r.revealedValue) : undefined,
      depth: depth - claimed, value, maxStep: lock.maxUnits,
    });
    if (!v.ok) {
      if (v.reason !== 'not-deeper') this.o.log.warn({ stream: id, reason: v.reason }, 'bad hash-chain tick');
      return;
    }
    r.revealedDepth = depth;
    r.revealedValue = toHex(value);
    if (r.status === 'paused') r.status = 'active'; // ticks again: the payer resumed
    r.meter = { ...r.meter!, ticks: depth, paid: r.unit! * BigInt(depth), lastTickAt: this.now() };
    this.event('tick', r);
    await this.persist(r, false);
    // Not awaited: this runs in the channel's queue, and a claim needs that queue to move on.
    if (depth >= r.units!) void this.payeeEnded(r, 'finished', 'the stream reached its cap or duration');
    else if (depth - claimed >= (this.o.policy.checkpointTicks ?? 60)) void this.checkpoint(r);
  }

  /** Turn revealed ticks into a signed balance: claim them from the lock. Resolves once it is signed. */
  private checkpoint(r: StreamRecord): Promise<void> {
    const inFlight = this.claiming.get(r.id);
    if (inFlight) return inFlight;
    const run = (async () => {
      const lock = this.hashchainLock(r);
      const claimed = this.claimedDepth(r, lock);
      const depth = r.revealedDepth ?? 0;
      if (!lock || depth <= claimed || !r.revealedValue) return;
      const { settled } = this.o.channels.submitOps(r.channelId, [{ op: 'claimHashchain', id: r.lockId!, depth: depth - claimed, preimage: fromHex(r.revealedValue) }]);
      try {
        await settled;
      } catch (e) {
        this.o.log.warn({ stream: r.id, err: (e as Error).message }, 'hash-chain checkpoint failed');
      }
    })().finally(() => this.claiming.delete(r.id));
    this.claiming.set(r.id, run);
    return run;
  }

  private async payeeEnded(r: StreamRecord, status: 'stopped' | 'finished', reason: string): Promise<void> {
    if (r.status === 'stopped' || r.status === 'finished') return;
    r.status = status;
    r.reason = reason;
    r.endedAt = this.now();
    await this.persist(r);
    await this.finishPayee(r);
    this.event(status, r);
  }

  /** Hash-chain payee at the end: claim what was revealed and give back the rest of the budget. */
  private async finishPayee(r: StreamRecord): Promise<void> {
    if (r.terms.mode !== 'hashchain') return;
    // Wait for a claim already in flight, then claim whatever was revealed since; give the remainder
    // back only when everything revealed is in a signed balance.
    await this.claiming.get(r.id);
    await this.checkpoint(r);
    const lock = this.hashchainLock(r);
    if (!lock) return;
    if ((r.revealedDepth ?? 0) > this.claimedDepth(r, lock)) {
      this.o.log.warn({ stream: r.id }, 'revealed ticks are not claimed yet; keeping the budget locked');
      return;
    }
    const { settled } = this.o.channels.submitOps(r.channelId, [{ op: 'releaseHashchain', id: r.lockId! }]);
    await settled.catch((e: unknown) => this.o.log.warn({ stream: r.id, err: (e as Error).message }, 'releasing the hash-chain budget failed'));
  }

  private async onControl(peerId: string, id: string, action: 'pause' | 'resume' | 'stop', reason: string): Promise<void> {
    const r = this.records.get(id);
    if (!r || r.peerId !== peerId || r.status === 'stopped' || r.status === 'finished') return;
    if (action === 'stop') {
      // Not awaited: this runs in the channel's queue, and the payee's final claim needs it to move on.
      if (r.role === 'payer') void this.endPayer(r, reason || 'stopped by the peer');
      else void this.payeeEnded(r, 'stopped', reason || 'stopped by the payer');
      return;
    }
    if (r.role !== 'payee') return; // only the payer pauses and resumes
    r.status = action === 'pause' ? 'paused' : 'active';
    if (action === 'resume' && r.meter) r.meter = { ...r.meter, lastTickAt: this.now(), late: false };
    await this.persist(r);
    this.event(action === 'pause' ? 'paused' : 'resumed', r);
  }

  /**
   * A peer is back: repeat what it may have missed while away — that a stream is paused, or that it
   * ended in the last hour. Both are harmless to receive twice.
   */
  onPeerConnected(peerId: string): void {
    const now = this.now();
    for (const r of this.records.values()) {
      if (r.peerId !== peerId) continue;
      const streamId = fromHex(r.id);
      if (r.status === 'paused' && r.role === 'payer') {
        this.o.peers.send(peerId, { kind: 'streamControl', streamId, action: 'pause', reason: r.reason ?? '' });
      } else if ((r.status === 'stopped' || r.status === 'finished') && r.endedAt !== undefined && now - r.endedAt < 3_600_000) {
        this.o.peers.send(peerId, { kind: 'streamControl', streamId, action: 'stop', reason: r.reason ?? 'stopped' });
      }
    }
  }

  /** The channel is closing or closed: its streams end (a payee's reveals stay for the ledger). */
  async onChannelEnded(ch: Channel): Promise<void> {
    const id = toHex(ch.channelId);
    for (const r of this.records.values()) {
      if (r.channelId !== id || r.status === 'stopped' || r.status === 'finished' || r.status === 'rejected') continue;
      r.status = 'stopped';
      r.reason = 'the channel is closing';
      if (r.payer) r.payer = stopPayer(r.payer, this.now());
      await this.persist(r);
      this.event('stopped', r);
    }
  }

  /** A channel closing unilaterally: show our hash-chain reveals to the ledger until the close ends. */
  async revealOnLedger(ch: Channel): Promise<void> {
    const id = toHex(ch.channelId);
    if (![...this.records.values()].some((r) => r.role === 'payee' && r.channelId === id && r.revealedValue)) return;
    await revealWhileClosing({
      channelId: ch.channelId, ledger: this.o.ledger, wallet: this.o.wallet, log: this.o.log, height: this.o.height,
      revealsFor: (locks) => this.revealsFor(id, locks),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
  }

  /**
   * The hash-chain reveals we can claim against `locks` (the state the ledger adjudicates, which may be
   * older or newer than the one we claimed in): the same preimage, its depth measured from that root.
   */
  revealsFor(channelId: string, locks: readonly Lock[]): { lockId: number; depth: number; preimage: Uint8Array }[] {
    const out: { lockId: number; depth: number; preimage: Uint8Array }[] = [];
    for (const r of this.records.values()) {
      if (r.role !== 'payee' || r.channelId !== channelId || r.terms.mode !== 'hashchain' || !r.revealedValue) continue;
      const lock = locks.find((l) => l.id === r.lockId);
      if (lock?.kind !== 'hashchain') continue;
      const depth = (r.revealedDepth ?? 0) - (r.units! - lock.maxUnits);
      if (depth > 0) out.push({ lockId: r.lockId!, depth, preimage: fromHex(r.revealedValue) });
    }
    return out;
  }


}
