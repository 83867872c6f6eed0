// Stream records in the node: the in-memory table, how each is stored (now, or batched once a second),
// what a restart recovers, the spending-limit ledger, and the view the API shows.
//
// Storage rule for a payer: what is stored counts the payment in flight as paid (payerTicks), so a crash
// can never pay a tick twice; the same snapshot is written with the channel state that carries the
// payment. A payer's signed-mode writes go through the channel's queue, so none can land after, and
// undo, a newer one written with a channel state.
import { formatRate, SpendLedger, type SpendingLimits } from '../stream/index.js';
import { isEnded, paidOf, payerTicks, ticksOf, type PayeeRecord, type PayerRecord, type StreamRecord } from '../stream/record.js';
import type { StreamView } from '../api/types.js';
import type { JsonObject } from '../util/json-fields.js';
import type { Logger } from '../util/log.js';
import type { ChannelManager } from './channels.js';
import type { AttachedWrite, NodeStore } from './store.js';
import { fromStored, toStored } from './stream-record.js';

const SPEND_KEY = '~spend';
/** Records per synced write when progress is flushed (see flush). */
export const FLUSH_CHUNK = 500;

export interface StreamRecordsOptions {
  store: NodeStore;
  channels: Pick<ChannelManager, 'afterPending' | 'channels'>;
  log: Logger;
  nodeLimits?: SpendingLimits;
  peerLimits?: SpendingLimits;
}

export class StreamRecords {
  private readonly records = new Map<string, StreamRecord>();
  /**
   * The ids of each channel's records, and of the records not yet ended: kept in step with the table on
   * every insert, change and delete, so what looks at one channel (a stream open, a lock added or
   * released, a channel ending) or at the running streams (the sweep) never walks every record a node
   * has (up to keepEndedPerChannel ended ones per channel).
   */
  private readonly byChannel = new Map<string, Set<string>>();
  private readonly running = new Set<string>();
  /**
   * Each channel's payee records, split the way a stream open asks about them (how many run, which
   * ended, which hold a hash-chain lock), so admitting one costs the same with 50,000 on the channel as
   * with one (walking the channel's records per open made opening slow down as streams grew).
   */
  private readonly payees = new Map<string, PayeeIndex>();
  /** Payee meters loaded at start: states signed since they were stored may have paid them. */
  readonly recovered = new Set<string>();
  private readonly dirty = new Set<string>();
  /** Records waiting for a saveNow write, by where it is written (a channel's queue, or directly). */
  private readonly waiting = new Map<string, PendingWrite>();
  /** The direct saveNow write in flight (or done): the next one and any delete go after it. */
  private directTail: Promise<void> = Promise.resolve();
  private flushing = false;
  private spend = new SpendLedger();
  private spendDirty = false;
  private spendWrite: Promise<void> | undefined;

  constructor(private readonly o: StreamRecordsOptions) {}

  /** Every record (read-only: records change through set and drop, which keep the indexes). */
  get all(): ReadonlyMap<string, StreamRecord> {
    return this.records;
  }

  get(id: string): StreamRecord | undefined {
    return this.records.get(id.toLowerCase());
  }

  set(r: StreamRecord): void {
    const before = this.records.get(r.id);
    if (before && (before.channelId !== r.channelId || before.role !== r.role)) this.unindex(before);
    this.records.set(r.id, r);
    let ids = this.byChannel.get(r.channelId);
    if (!ids) this.byChannel.set(r.channelId, (ids = new Set()));
    ids.add(r.id);
    const ended = isEnded(r.status);
    if (ended) this.running.delete(r.id);
    else this.running.add(r.id);
    if (r.role !== 'payee') return;
    let p = this.payees.get(r.channelId);
    if (!p) this.payees.set(r.channelId, (p = { live: new Set(), ended: new Set(), chained: new Set() }));
    if (ended) {
      p.live.delete(r.id);
      p.ended.add(r.id);
    } else {
      p.ended.delete(r.id);
      p.live.add(r.id);
    }
    if (r.chain) p.chained.add(r.id);
  }

  private unindex(r: StreamRecord): void {
    const ids = this.byChannel.get(r.channelId);
    ids?.delete(r.id);
    if (ids?.size === 0) this.byChannel.delete(r.channelId);
    this.running.delete(r.id);
    const p = this.payees.get(r.channelId);
    if (!p) return;
    p.live.delete(r.id);
    p.ended.delete(r.id);
    p.chained.delete(r.id);
    if (p.live.size + p.ended.size + p.chained.size === 0) this.payees.delete(r.channelId);
  }

  /** The records on one channel. */
  *onChannel(channelId: string): IterableIterator<StreamRecord> {
    for (const id of [...(this.byChannel.get(channelId) ?? [])]) {
      const r = this.records.get(id);
      if (r) yield r;
    }
  }

  /** The records not yet ended (opening, active, paused). */
  *notEnded(): IterableIterator<StreamRecord> {
    for (const id of [...this.running]) {
      const r = this.records.get(id);
      if (r) yield r;
    }
  }

  /** Take a record out of the table only (an open whose first write failed: nothing was stored). */
  forget(id: string): void {
    const r = this.records.get(id);
    if (!r) return;
    this.unindex(r);
    this.records.delete(id);
    this.dirty.delete(id);
    for (const b of this.waiting.values()) b.records.delete(id);
    this.recovered.delete(id);
  }

  /** Load, and bring back what was running: its clock restarts on reconnect, downtime is never billed. */
  async load(now: number): Promise<void> {
    const paidTicks = new Map<string, number>();
    for (const v of await this.o.store.loadStreams()) {
      if (v['kind'] === 'spend') {
        this.spend = SpendLedger.fromJSON(v['ledger']);
        continue;
      }
      if (v['kind'] === 'paid') {
        paidTicks.set(String(v['stream']), Number(v['ticks']));
        continue;
      }
      const r = fromLegacy(fromStored<StreamRecord & Legacy>(v));
      this.set(r);
      if (r.role === 'payee' && !r.chain) this.recovered.add(r.id);
    }
    for (const [id, r] of [...this.records]) {
      // A payment stored with its channel state may be newer than the record's own last write.
      const paid = paidTicks.get(id);
      const withPaid = r.role === 'payer' && paid !== undefined && paid > r.ticksPaid ? { ...r, ticksPaid: paid } : r;
      this.set(recover(withPaid, now));
    }
  }

  /**
   * The write that goes into the same atomic batch as the channel state carrying a payer's payment: its
   * absolute tick total, nothing else, so however late it lands it can only say "this much was paid".
   */
  paidWrite(r: PayerRecord, ticks: number): AttachedWrite {
    return { kind: 'stream', key: `${r.id}/paid`, value: { kind: 'paid', stream: r.id, ticks } };
  }

  /** The stored form: a payer's payment in flight counts as paid. */
  stored(r: StreamRecord): JsonObject {
    // A routed batch in flight is stored as it is: its range names its payment hash after a restart.
    if (r.role === 'payee' || !r.held || r.routed) return toStored(r);
    const { held: _h, ...rest } = r;
    return toStored({ ...rest, ticksPaid: payerTicks(r) });
  }

  /**
   * Store a record now (status changes); resolves once it is durably stored. Records asked for while a
   * write is waiting its turn go into that write (one synced batch for a burst of opens, not one each,
   * which at 1,000 opens a second queued ahead of the channel's own writes). A signed payer's record is
   * written in its channel's queue, as a channel state's attached total is, so it can never land after
   * one and undo it; it takes the record as it is when its turn comes, the newest there is.
   */
  saveNow(r: StreamRecord): Promise<void> {
    this.dirty.delete(r.id);
    const viaChannel = r.role === 'payer' && !r.chain && !r.routed;
    const key = viaChannel ? `c/${r.channelId}` : 'direct';
    const waiting = this.waiting.get(key);
    if (waiting) {
      waiting.records.set(r.id, r);
      return waiting.done;
    }
    const b: PendingWrite = { records: new Map([[r.id, r]]), done: Promise.resolve() };
    this.waiting.set(key, b);
    const write = () => {
      if (this.waiting.get(key) === b) this.waiting.delete(key); // later asks start the next write
      // (a record dropped or forgotten meanwhile has left b.records: forget() takes it out)
      const entries = [...b.records].map(([id, asked]) => ({ key: id, value: this.stored(viaChannel ? this.records.get(id) ?? asked : asked) }));
      return entries.length ? this.o.store.saveStreams(entries) : Promise.resolve();
    };
    // One direct write in flight at a time: the next waits for it, gathering what is asked meanwhile.
    b.done = viaChannel ? this.o.channels.afterPending(r.channelId, write) : this.directTail.then(write);
    if (!viaChannel) this.directTail = b.done.catch(() => undefined);
    return b.done;
  }

  /**
   * Mark progress for the next flush: one synced write per record per tick would cost thousands of
   * fsyncs a second with thousands of streams. A signed payer's ticks are stored with the channel states
   * that carry them, so it has nothing to flush.
   */
  saveLater(r: StreamRecord): void {
    if (r.role === 'payer' && !r.chain && !r.routed) return;
    this.dirty.add(r.id);
  }

  /**
   * Store what saveLater marked, FLUSH_CHUNK records per synced write, one write after the other. One
   * write of 10,000 meters held the payee's event loop ~100 ms while it was built, and the disk as long
   * while the channel's own state write (which a signature waits for) queued behind it; in chunks the
   * channel's writes and messages go between them. A chunk that fails puts its records back for the
   * next flush (and the rest wait for it too).
   */
  async flush(): Promise<void> {
    if (this.dirty.size === 0 || this.flushing) return;
    this.flushing = true;
    const ids = [...this.dirty];
    this.dirty.clear();
    try {
      for (let i = 0; i < ids.length; i += FLUSH_CHUNK) {
        const chunk = ids.slice(i, i + FLUSH_CHUNK);
        const entries = chunk.flatMap((id) => {
          const r = this.records.get(id);
          return r ? [{ key: id, value: this.stored(r) }] : [];
        });
        try {
          await this.o.store.saveStreams(entries);
        } catch (e) {
          for (const id of ids.slice(i)) if (this.records.has(id)) this.dirty.add(id);
          throw e;
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Forget a record entirely (a stream that was never paid). */
  async drop(id: string): Promise<void> {
    this.forget(id);
    await this.directTail; // a write of this record in flight must not land after its delete
    await this.o.store.deleteStream(id); // a payee record: it has no `/paid` entry
  }

  /**
   * Forget the oldest ended payee streams on a channel past `keep`: each costs its peer only a small
   * payment, so without a bound a peer could grow this node's records (and store) without end.
   */
  async pruneEnded(channelId: string, keep: number): Promise<void> {
    // A hash-chain stream whose lock is still in the channel keeps its record: its preimage is what claims
    // the revealed ticks (in the channel, or on the ledger if the channel is force-closed).
    const endedIds = this.payees.get(channelId)?.ended;
    if (!endedIds || endedIds.size <= keep) return; // nothing to forget, whatever the locks say
    const locks = new Set(this.o.channels.channels.get(channelId)?.signed.state.locks.map((l) => l.id) ?? []);
    const ended = [...endedIds].flatMap((id) => {
      const r = this.records.get(id);
      return r && r.role === 'payee' && !(r.chain && locks.has(r.chain.lockId)) ? [r] : [];
    }).sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0));
    for (const r of ended.slice(0, Math.max(0, ended.length - keep))) await this.drop(r.id);
  }

  /** Payee streams a peer runs on a channel now, and the lock ids that back one there. */
  payeeStreamsOn(channelId: string): { live: number; locks: Set<number> } {
    const p = this.payees.get(channelId);
    const locks = new Set<number>();
    for (const id of p?.chained ?? []) {
      const r = this.records.get(id);
      if (r?.role === 'payee' && r.chain) locks.add(r.chain.lockId);
    }
    return { live: p?.live.size ?? 0, locks };
  }

  // ---- spending limits: holds, as ILP STREAM keeps them ----

  /** What the limits still allow this peer now; undefined when none applies. */
  allowance(peerId: string, now: number): bigint | undefined {
    const a = this.o.nodeLimits ? this.spend.remaining('node', now, this.o.nodeLimits) : undefined;
    const b = this.o.peerLimits ? this.spend.remaining(peerId, now, this.o.peerLimits) : undefined;
    if (a === undefined) return b;
    return b === undefined || a < b ? a : b;
  }

  /** Hold `amount` against the node's and the peer's limits; false (nothing held) if either refuses. */
  reserve(peerId: string, amount: bigint, now: number): boolean {
    const held = this.spend.reserve([{ key: 'node', limits: this.o.nodeLimits }, { key: peerId, limits: this.o.peerLimits }], amount, now);
    if (held) this.saveSpend();
    return held;
  }

  release(peerId: string, amount: bigint, at: number): void {
    this.spend.release('node', amount, at).release(peerId, amount, at);
    this.saveSpend();
  }

  /**
   * Store the spending ledger: at most one write in flight, and one more after it if anything changed
   * meanwhile, so holds and releases cost one synced write per burst instead of two per tick per stream
   * (those writes queued ahead of the channel's own and made 10,000 streams late). With no limit set
   * there is nothing the ledger must remember across a restart, so nothing is written.
   */
  private saveSpend(): void {
    if (!this.o.nodeLimits && !this.o.peerLimits) return;
    this.spendDirty = true;
    if (!this.spendWrite) this.spendWrite = this.writeSpend().finally(() => (this.spendWrite = undefined));
  }

  private async writeSpend(): Promise<void> {
    while (this.spendDirty) {
      this.spendDirty = false;
      await this.o.store.saveStream(SPEND_KEY, { kind: 'spend', ledger: this.spend.toJSON() as never })
        .catch((e: unknown) => this.o.log.error({ err: e }, 'storing the spending ledger failed'));
    }
  }

  /** Resolves once the spending ledger as it is now is stored (tests, and stopping). */
  async spendStored(): Promise<void> {
    while (this.spendWrite) await this.spendWrite;
  }
}

/** A saveNow write waiting its turn: the records asked for (as asked), and when it is stored. */
interface PendingWrite {
  records: Map<string, StreamRecord>;
  done: Promise<void>;
}

/** One channel's payee record ids: running, ended, and those with a hash chain (running or not). */
interface PayeeIndex {
  live: Set<string>;
  ended: Set<string>;
  chained: Set<string>;
}

/** The record shape before the stream machine (one object per side inside the record, two statuses). */
interface Legacy {
  payer?: { activeMs: number; ticksPaid: number };
  meter?: { ticks: number; paid: bigint; lastTickAt?: number; resumedAt?: number; late: boolean };
  seed?: string;
  lockId?: number;
  units?: number;
  unit?: bigint;
  revealedDepth?: number;
  revealedValue?: string;
}

function fromLegacy(v: StreamRecord & Legacy): StreamRecord {
  const { payer, meter, seed, lockId, units, unit, revealedDepth, revealedValue, ...r } = v;
  if (!payer && !meter && seed === undefined && lockId === undefined) return r as StreamRecord;
  const chainOf = <T>(make: () => T): T | undefined => (r.terms.mode === 'hashchain' && units !== undefined && unit !== undefined && lockId !== undefined ? make() : undefined);
  if (r.role === 'payer') {
    const chain = chainOf(() => ({ seed: seed!, units: units!, unit: unit!, lockId: lockId! }));
    return { ...r, activeMs: payer?.activeMs ?? 0, ticksPaid: payer?.ticksPaid ?? 0, ...(chain ? { chain } : {}) } as PayerRecord;
  }
  const chain = chainOf(() => ({ lockId: lockId!, units: units!, unit: unit!, revealedDepth: revealedDepth ?? 0, ...(revealedValue ? { revealedValue } : {}) }));
  const m = meter ?? { ticks: 0, paid: 0n, late: false };
  const out = { ...r, ticks: m.ticks, paid: m.paid, late: m.late, ...(chain ? { chain } : {}) } as PayeeRecord;
  if (m.lastTickAt !== undefined) out.lastTickAt = m.lastTickAt;
  if (m.resumedAt !== undefined) out.resumedAt = m.resumedAt;
  return out;
}

/** A record as loaded: running payers resume offline, their clock ending at the last paid tick. */
function recover(r: StreamRecord, now: number): StreamRecord {
  if (r.role === 'payee') return r;
  if (r.status === 'opening') {
    // The node stopped before the peer answered or the budget was locked: the open is over. A budget
    // hold stays counted (the lock may yet be signed; a limit errs toward refusing).
    return { ...r, status: 'rejected', reason: 'the node stopped while the stream was opening', endedAt: now };
  }
  if (r.status !== 'active' && r.status !== 'paused') return r;
  // We do not know when the node went down, so its running time is taken to end at the last paid tick:
  // the downtime is never billed (at most part of one tick is not).
  const { resumedAt: _r, ...rest } = r;
  return { ...rest, activeMs: payerTicks(r) * r.terms.tickMs, offline: true } satisfies PayerRecord;
}

export function streamView(r: StreamRecord): StreamView {
  const paid = paidOf(r);
  const v: StreamView = {
    streamId: r.id, peerId: r.peerId, channelId: r.channelId, role: r.role, mode: r.terms.mode, status: r.status,
    rate: formatRate(r.terms.rate), rateAmount: r.terms.rate.amount, ratePerMs: r.terms.rate.perMs, tickMs: r.terms.tickMs,
    ticks: ticksOf(r), paid, startedAt: r.startedAt,
  };
  if (r.terms.max !== undefined) {
    v.max = r.terms.max;
    v.remaining = r.terms.max - paid;
  }
  if (r.terms.durationMs !== undefined) v.durationMs = r.terms.durationMs;
  if (r.role === 'payee') v.late = (r satisfies PayeeRecord).late;
  if (r.role === 'payee' && r.lastTickAt !== undefined) v.lastTickAt = r.lastTickAt;
  if (r.reason) v.reason = r.reason;
  if (r.routed) v.batchMs = r.routed.batchMs;
  if (r.role === 'payer' && r.routed) {
    v.route = [...r.routed.route];
    v.feesPaid = r.routed.feesPaid;
  }
  if (r.role === 'payer' && r.hopChain) {
    v.route = [r.hopChain.hub, ...r.hopChain.hops.map((h) => h.nodeId)];
    v.feesPaid = r.hopChain.feePerTick * BigInt(r.ticksPaid); // the fee is per tick, quoted at the open
  }
  return v;
}
