// The payer in the node: opening a stream (terms, channel, spending-limit hold, the peer's answer) and
// running the channel side of its effects: a payment proposed with its paid total attached to the state
// that carries it, or the hash-chain budget's lock. Each answer from the channel goes back into the
// stream machine as an event ('committed' / 'refused', 'lockCommitted' / 'lockRefused').
import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '../crypto/bytes.js';
import { localBalance, type Channel } from '../channel/machine.js';
import { HashChainSecret, hashchainUnits, makeTerms, nextTickAt, owedAfter, parseRate, type StreamTerms } from '../stream/index.js';
import type { StreamEffect, StreamEvent } from '../stream/machine.js';
import { openMessage, openPayer } from '../stream/open.js';
import { payerTickIdle } from '../stream/payer-step.js';
import { payerClock, type PayerRecord, type StreamRecord } from '../stream/record.js';
import type { OpenStreamRequest, StreamView } from '../api/types.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import { NodeError } from './errors.js';
import type { StreamShell } from './streams.js';
import { streamView } from './streams-records.js';
import { NO_CHANNEL } from './streams-routed.js';
import { MAX_ROUTED_TICK_MS } from '../stream/batch.js';

const OPEN_TIMEOUT_MS = 15_000;

/**
 * A hash-chain stream across hops locks with an expiry this many blocks after the height it is proposed
 * at (a day at the default 1 s block time). The expiry bounds the ledger's chain registry (docs/ledger.md):
 * below it a hop or the payee may be paid by a registered depth, and each hop's lock expires before the
 * one it was paid with. The ledger settles such a channel no earlier than the expiry unless the lock's
 * receiver settles, so a direct stream, which needs no registry, locks with none.
 */
export const STREAM_LOCK_EXPIRY_BLOCKS = 86_400;

export class StreamPayer {
  private readonly opening = new Map<string, (refusal: string | undefined) => void>();

  constructor(private readonly s: StreamShell) {}

  async open(req: OpenStreamRequest): Promise<StreamView> {
    const { o, records, clock } = this.s;
    let terms: StreamTerms;
    try {
      terms = makeTerms({ rate: parseRate(req.rate), billing: req.billing, max: req.max, durationMs: req.durationMs, mode: req.mode });
    } catch (e) {
      throw new NodeError('invalid', 'BAD_TERMS', (e as Error).message);
    }
    const peerId = req.peerId.toLowerCase();
    // No open channel with the payee: a stream across hops, if the payments layer is wired.
    const direct = o.channels.withPeer(peerId).some((c) => c.status === 'open');
    if (!direct && this.s.routed) return terms.mode === 'hashchain' ? this.openHopChain(req, terms, peerId) : this.openRouted(req, terms, peerId);
    if (!o.peers.isConnected(peerId)) throw new NodeError('conflict', 'PEER_NOT_CONNECTED', `not connected to ${peerId}; run \`sluice peer connect\` first`);
    const now = clock.now();
    const chainTerms = terms.mode === 'hashchain' ? hashchainUnits(terms) : undefined;
    const budget = chainTerms ? chainTerms.unit * BigInt(chainTerms.units) : owedAfter(terms, 1);
    const ch = o.channels.payable(peerId, budget);
    if (!ch) throw new NodeError('conflict', 'NO_ROUTE', `no open channel with ${peerId} can fund ${budget} msat`);
    // Hash chains: the whole budget is held against the limits now, before anything is awaited, so
    // concurrent opens cannot all pass one limit; the hold is given back if the budget is never locked.
    // Signed streams hold tick by tick; here they need only room for one tick.
    const allowance = records.allowance(peerId, now);
    if (chainTerms ? !records.reserve(peerId, budget, now) : allowance !== undefined && allowance < budget) {
      throw new NodeError('conflict', 'SPENDING_LIMIT', 'this stream would pass a spending limit');
    }
    const id = toHex(randomBytes(16));
    const chain = chainTerms && { seed: toHex(randomBytes(32)), units: chainTerms.units, unit: chainTerms.unit, lockId: freeLockId(ch) };
    const r = openPayer({ id, peerId, channelId: toHex(ch.channelId), terms, now, ...(chain ? { chain, budgetHold: budget } : {}) });
    return this.openOnChannel(r, chain ? budget : undefined);
  }

  /** The payee's answer to a stream open: nothing if it accepted; refused or silent, the stream ends rejected and the caller hears why. */
  private async acceptedOrThrow(r: PayerRecord): Promise<void> {
    const refusal = await this.answer(r);
    if (refusal === undefined) return;
    const timedOut = refusal === TIMEOUT;
    const reason = timedOut ? 'the peer did not answer the stream request' : refusal;
    await this.s.run(r.id, { type: 'rejected', reason, now: this.s.clock.now() });
    throw timedOut ? new NodeError('unavailable', 'TIMEOUT', reason) : new NodeError('refused', 'STREAM_REJECTED', `the peer refused the stream: ${refusal}`);
  }

  /** A stream across hops: batches of ticks go as routed HTLCs (streams-routed.ts); the terms go direct. */
  private async openRouted(req: OpenStreamRequest, terms: StreamTerms, peerId: string): Promise<StreamView> {
    const { records, clock } = this.s;
    const routed = await this.s.routed!.prepare(req, terms, peerId);
    const now = clock.now();
    const allowance = records.allowance(peerId, now);
    if (allowance !== undefined && allowance < owedAfter(terms, 1)) throw new NodeError('conflict', 'SPENDING_LIMIT', 'this stream would pass a spending limit');
    const id = toHex(randomBytes(16));
    const r: PayerRecord = { ...openPayer({ id, peerId, channelId: NO_CHANNEL, terms, now }), routed };
    records.set(r);
    try {
      await records.saveNow(r);
    } catch (e) {
      records.forget(id);
      throw e;
    }
    await this.acceptedOrThrow(r);
    await this.s.run(id, { type: 'accepted', now: clock.now() });
    return streamView(records.get(id)!);
  }

  /**
   * A hash-chain stream across hops (hop-chain.ts): our lock is on the channel with the first hop, under
   * the chain's root, with a unit that carries every hop's fee; each hop adds its own under the same root.
   * The budget held against the limits is the whole lock, ticks and quoted fees: it is what the lock can
   * pay, and what comes back when it is released is counted at the lock's unit.
   */
  private async openHopChain(req: OpenStreamRequest, terms: StreamTerms, peerId: string): Promise<StreamView> {
    const { o, records, clock } = this.s;
    const { unit, units } = hashchainUnits(terms);
    if (terms.tickMs > MAX_ROUTED_TICK_MS) throw new NodeError('invalid', 'BAD_TERMS', `a stream across hops ticks at least every ${MAX_ROUTED_TICK_MS} ms (this one every ${terms.tickMs} ms): use pro-rata billing, or a shorter interval`);
    const q = this.s.routed!.quoteChain(peerId, unit, req.maxFeeMsat);
    const hub = q.hops[0]!.nodeId;
    if (!o.peers.isConnected(hub)) throw new NodeError('conflict', 'PEER_NOT_CONNECTED', `not connected to the first hop ${hub}`);
    const ch = o.channels.payable(hub, q.hops[0]!.unit * BigInt(units));
    if (!ch) throw new NodeError('conflict', 'NO_ROUTE', `no open channel with ${hub} can lock ${q.hops[0]!.unit * BigInt(units)} msat`);
    await this.s.routed!.ensureConnected(peerId);
    const now = clock.now();
    const budget = q.hops[0]!.unit * BigInt(units);
    if (!records.reserve(peerId, budget, now)) throw new NodeError('conflict', 'SPENDING_LIMIT', 'this stream would pass a spending limit');
    const id = toHex(randomBytes(16));
    const chain = { seed: toHex(randomBytes(32)), units, unit: q.hops[0]!.unit, lockId: freeLockId(ch) };
    const r0 = openPayer({ id, peerId, channelId: toHex(ch.channelId), terms, now, chain, budgetHold: budget });
    const root = toHex(HashChainSecret.create(fromHex(chain.seed), units).root);
    const r: PayerRecord = { ...r0, hopChain: { hub, hops: q.hops.slice(1), feePerTick: q.feePerTick, maxFeePerTick: q.maxFeePerTick, root } };
    return this.openOnChannel(r, budget);
  }

  /**
   * Store a new payer record on our channel, ask the payee, and (hash chain) lock the budget, whose hold
   * (`budget`) is given back if the record cannot be stored: a direct stream, or a hash chain across hops.
   */
  private async openOnChannel(r: PayerRecord, budget: bigint | undefined): Promise<StreamView> {
    const { records, clock } = this.s;
    records.set(r);
    try {
      await records.saveNow(r);
    } catch (e) {
      if (budget !== undefined) records.release(r.peerId, budget, clock.now());
      records.forget(r.id);
      throw e;
    }
    await this.acceptedOrThrow(r);
    const opened = this.untilOpen(r.id);
    await this.s.run(r.id, { type: 'accepted', now: clock.now() });
    // A payee that accepts and never signs the lock must not hold the caller forever. The stream stays
    // opening (its budget held): the lock's outcome, whenever it comes, still starts or ends it.
    const locked = await Promise.race([opened.then(() => true), clock.sleep(OPEN_TIMEOUT_MS).then(() => false)]);
    if (!locked) throw new NodeError('unavailable', 'TIMEOUT', 'the peer did not sign the budget lock in time; the stream starts if it does');
    const done = records.get(r.id) as PayerRecord;
    if (done.status !== 'active') throw new NodeError('refused', 'LOCK_FAILED', done.reason ?? 'the budget could not be locked');
    return streamView(done);
  }

  /** Ask our first hop to extend our lock along the route (before the lock, and again whenever it reconnects). */
  private askHub(r: PayerRecord): void {
    const h = r.hopChain;
    if (!h || !r.chain) return;
    this.s.o.peers.send(h.hub, {
      kind: 'streamChain', streamId: fromHex(r.id), channelId: fromHex(r.channelId), lockId: r.chain.lockId,
      hops: h.hops.map((x) => ({ nodeId: fromHex(x.nodeId), unit: x.unit })),
    });
  }

  /** A peer is back: our hash-chain streams across hops that go through it ask it again (it may have restarted). */
  chainPeerBack(peerId: string): void {
    for (const r of this.s.records.notEnded()) if (r.role === 'payer' && r.hopChain?.hub === peerId && r.status !== 'opening') this.askHub(r);
  }

  /** Send the terms and wait for the peer's word: undefined if accepted, else the reason. */
  private answer(r: PayerRecord): Promise<string | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(TIMEOUT), OPEN_TIMEOUT_MS);
      const finish = (refusal: string | undefined): void => {
        clearTimeout(timer);
        this.opening.delete(r.id);
        resolve(refusal);
      };
      this.opening.set(r.id, finish);
      this.s.o.peers.send(r.peerId, openMessage(r));
    });
  }

  /** Resolves once the stream leaves 'opening' (a hash chain's lock signed or refused). */
  private untilOpen(id: string): Promise<void> {
    const r = this.s.records.get(id);
    if (r?.terms.mode !== 'hashchain') return Promise.resolve();
    return new Promise((resolve) => this.lockWaiters.set(id, resolve));
  }

  private readonly lockWaiters = new Map<string, () => void>();

  answered(peerId: string, id: string, refusal: string | undefined): void {
    const r = this.s.records.get(id);
    if (!r || r.peerId !== peerId) return;
    this.opening.get(id)?.(refusal);
  }

  /** The scheduler's tick for a payer: what it needs to decide is read from the channel and the limits. */
  tickEvent(r: StreamRecord, now: number): StreamEvent | undefined {
    if (r.role !== 'payer') return undefined;
    const { o, records } = this.s;
    const ch = o.channels.channels.get(r.channelId);
    const reach = r.routed && this.s.routed?.reach(r);
    const via = r.hopChain ? o.peers.isConnected(r.hopChain.hub) : true; // across hops: the first hop too
    const reachable = reach ? reach.reachable : !!ch && ch.status === 'open' && o.peers.isConnected(r.peerId) && via;
    if (payerTickIdle(r, now, reachable)) return undefined;
    const spendable = reach ? reach.spendable : ch ? localBalance(ch) - ch.limits.reserve : 0n;
    const ev: StreamEvent = { type: 'tick', now, reachable, spendable };
    const allowance = records.allowance(r.peerId, now);
    if (allowance !== undefined) ev.allowance = allowance;
    const measure = this.s.onLateness;
    if (measure && reachable && !r.held) {
      const due = nextTickAt(payerClock(r));
      if (due !== undefined && due <= now) measure(now - due);
    }
    return ev;
  }

  /** Run a payment or a lock on the channel; its outcome goes back into the machine. */
  propose(r: StreamRecord, e: Extract<StreamEffect, { type: 'pay' | 'lock' }>): void {
    if (r.role !== 'payer') return;
    const { o, records, clock } = this.s;
    const report = (ev: StreamEvent): void => {
      void this.s.run(r.id, ev).catch((err: unknown) => o.log.error({ err, stream: r.id }, 'stream event failed'))
        .finally(() => {
          if (ev.type === 'lockCommitted' || ev.type === 'lockRefused') this.takeLockWaiter(r.id);
        });
    };
    if (e.type === 'pay') {
      const op = { op: 'streamPay' as const, streamId: fromHex(r.id), amount: e.amount, ticks: e.ticks };
      const { settled } = o.channels.submitOps(r.channelId, [op], [records.paidWrite(r, e.ticks)]);
      settled.then(
        () => report({ type: 'committed', ticks: e.ticks, now: clock.now() }),
        (err: unknown) => report({ type: 'refused', ticks: e.ticks, reason: (err as Error).message, now: clock.now() }),
      );
      return;
    }
    // Only a lock a hub extends has an expiry (what the chain registry pays by, and what the hub's own
    // lock must expire before). A direct stream's has none: with one, the ledger would hold the payer's
    // whole channel until the expiry (a day) after a close its payee does not settle.
    const expiry = r.hopChain ? { expiryHeight: o.height() + STREAM_LOCK_EXPIRY_BLOCKS } : {};
    this.askHub(r); // across hops: the hub hears which lock to extend before the lock itself
    const { settled } = o.channels.submitOps(r.channelId, [{ op: 'addHashchain', id: e.lockId, root: e.root, unit: e.unit, maxUnits: e.maxUnits, ...expiry }]);
    settled.then(
      () => report({ type: 'lockCommitted', now: clock.now() }),
      (err: unknown) => report({ type: 'lockRefused', reason: (err as Error).message, now: clock.now() }),
    );
  }

  /** From a both-signed state the payee proposed: its release of one of our budgets' locks. */
  onReceivedOps(ch: Channel, ops: readonly ChannelOp[]): void {
    const channelId = toHex(ch.channelId);
    for (const op of ops) {
      if (op.op !== 'releaseHashchain') continue;
      for (const r of this.s.records.onChannel(channelId)) {
        if (r.role !== 'payer' || r.chain?.lockId !== op.id) continue;
        void this.s.run(r.id, { type: 'budgetReturned', now: this.s.clock.now() })
          .catch((e: unknown) => this.s.o.log.warn({ err: e, stream: r.id }, 'a returned budget failed'));
      }
    }
  }

  private takeLockWaiter(id: string): void {
    const w = this.lockWaiters.get(id);
    this.lockWaiters.delete(id);
    w?.();
  }
}

const TIMEOUT = '\u0000timeout';

/** A lock id in this side's space (A even, B odd) that the channel does not use. */
export function freeLockId(ch: Channel): number {
  const parity = ch.local === 'A' ? 0 : 1;
  const used = new Set([...ch.signed.state.locks, ...(ch.proposal?.state.locks ?? [])].map((l) => l.id));
  for (;;) {
    const n = ((randomBytes(4).readUInt32BE(0) & ~1) | parity) >>> 0;
    if (!used.has(n) && n !== 0) return n;
  }
}

