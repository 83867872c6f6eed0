// The payer: pays invoices and nodes over routes of any length, through the HTLC switch. A thin shell
// around src/payments' pure lifecycle: it reads the time, draws the session keys, builds the onions and
// stores the records.
//
// Durability (multihop.md §7.1, LND's control tower):
// - a payment's record is stored before its first attempt, so a second pay of the same invoice is
//   refused even across a crash (one payment per payment hash; a failed one may be paid again);
// - an attempt (its route and session key) is stored in the same synced batch as the channel state
//   that offers its HTLC (LocalSend.attached): no HTLC is ever out without the key to read its error;
// - each outcome is stored before the next attempt starts; the switch re-delivers outcomes after a
//   restart, and an outcome seen before changes nothing;
// - on start, in-flight payments wait for their outcomes, or continue (retry or fail) if none is out.
import { randomBytes } from 'node:crypto';
import { toHex } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { randomSecretKey } from '../crypto/keys.js';
import { decodeInvoice, invoiceExpiresAt } from '../invoice/invoice.js';
import { buildOnion } from '../onion/sphinx.js';
import { KeyTables } from '../onion/key-tables.js';
import { ChannelGraph } from '../routing/graph.js';
import { onionHopsForRoute } from '../routing/onion-route.js';
import type { LiquidityScorer } from '../routing/scorer.js';
import { hintEdges } from '../payments/hints.js';
import { addAttempt, applyOutcome, createPayment, nextStep, type NewPayment } from '../payments/lifecycle.js';
import { paymentFromJson, paymentToJson } from '../payments/record.js';
import { planRoute, type RouteContext } from '../payments/route-plan.js';
import { DEFAULT_MAX_ATTEMPTS, type AttemptOutcome, type Payment, type ScorerUpdate } from '../payments/types.js';
import type { Logger } from '../util/log.js';
import type { Clock } from './clock.js';
import { NodeError } from './errors.js';
import type { HtlcSwitchApi, LocalChannelView, LocalOutcomeSink, OutgoingOutcome } from './htlc-types.js';
import { SCORER_RECORD_KEY, scorerFromJson, scorerToJson } from './payments-scorer.js';
import { localChannelsForRoutes, localShortChannelId, paymentView, type PaymentView } from './payments-views.js';
import type { NodeStore } from './store-port.js';
import type { PayOptions, RouteQueryResult } from '../payments/views.js';

export type { PayOptions } from '../payments/views.js';

export interface PaymentLimits {
  /** payments in flight at once; more are refused (each may hold an HTLC on our channels) */
  maxInFlight: number;
  /** attempts per payment before it fails */
  maxAttempts: number;
  /** a payment's time limit when the caller gives none */
  defaultTimeoutMs: number;
}

export const DEFAULT_PAYMENT_LIMITS: PaymentLimits = { maxInFlight: 1000, maxAttempts: DEFAULT_MAX_ATTEMPTS, defaultTimeoutMs: 60_000 };

/** Blocks the payer adds to the payee's min_final_cltv_expiry_delta: the ledger moves while the HTLC travels. */
export const FINAL_CLTV_MARGIN_BLOCKS = 3;
/** The most a caller may add (half the hops' limit of 2016 blocks, expiry_too_far, so the route's own deltas still fit). */
export const MAX_FINAL_CLTV_MARGIN_BLOCKS = 1008;
/** The final expiry delta of a keysend payment (no invoice to say it): sluice's min_final_cltv_expiry_delta. */
export const KEYSEND_FINAL_CLTV_EXPIRY_DELTA = 12;
/** How often the scorer is stored while it has learned something new (and always at stop). */
export const SCORER_SAVE_INTERVAL_MS = 60_000;

export function defaultMaxFee(amountMsat: bigint): bigint {
  const fivePercent = amountMsat / 20n;
  return fivePercent > 10_000n ? fivePercent : 10_000n;
}

/**
 * What a keysend may carry beyond the money: the preimage (a stream batch derives it, so a restart finds
 * the same payment hash) and odd custom records for the payee's payload.
 */
export interface KeysendExtras {
  preimage?: Uint8Array;
  customRecords?: readonly { readonly type: bigint; readonly value: Uint8Array }[];
  /** Blocks added to the payee's minimum final expiry (default FINAL_CLTV_MARGIN_BLOCKS), for the blocks the HTLC may spend on its way. */
  finalCltvMarginBlocks?: number;
}

export interface PaymentEvent {
  type: 'paymentSucceeded' | 'paymentFailed';
  payment: PaymentView;
}

export interface PaymentManagerOptions {
  store: Pick<NodeStore, 'writeRecords' | 'loadRecords'>;
  switch: Pick<HtlcSwitchApi, 'sendLocal' | 'localChannels'>;
  nodeId: string;
  /** other nodes' channels from gossip, when there is gossip */
  graph?: () => ChannelGraph | undefined;
  height(): number;
  clock: Clock;
  log: Logger;
  emit(e: PaymentEvent): void;
  limits?: Partial<PaymentLimits>;
}

interface Waiter {
  resolve(v: PaymentView): void;
}

export class PaymentManager implements LocalOutcomeSink {
  private readonly payments = new Map<string, Payment>();
  /** per payment: its steps run one at a time, in order */
  private readonly serial = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** outcomes for payments we have no record of, warned about once each */
  private readonly unknownWarned = new Set<string>();
  private scorer!: LiquidityScorer;
  private scorerDirty = false;
  private stopScorerTimer: () => void = () => undefined;
  /** ECDH tables for the hop keys our onions meet again (a stream's batches go through the same hub to the same payee). */
  private readonly keyTables = new KeyTables();
  readonly limits: PaymentLimits;

  constructor(private readonly o: PaymentManagerOptions) {
    this.limits = { ...DEFAULT_PAYMENT_LIMITS, ...o.limits };
  }

  async load(): Promise<void> {
    let scorerRecord;
    for (const { key, value } of await this.o.store.loadRecords('payment')) {
      if (key === SCORER_RECORD_KEY) {
        scorerRecord = value;
        continue;
      }
      try {
        const p = paymentFromJson(value);
        this.payments.set(p.paymentId, p);
      } catch (e) {
        this.o.log.error({ key, err: (e as Error).message }, 'payment record unreadable; left as it is');
      }
    }
    this.scorer = scorerFromJson(scorerRecord);
  }

  /** After load and once the switch can send: in-flight payments with no HTLC out continue. */
  start(): void {
    for (const p of this.payments.values()) if (p.status === 'inflight') this.drive(p.paymentId);
    this.stopScorerTimer = this.o.clock.every(SCORER_SAVE_INTERVAL_MS, () => void this.saveScorer());
  }

  async stop(): Promise<void> {
    this.stopScorerTimer();
    await Promise.all([...this.serial.values()]);
    await this.saveScorer();
    // callers still waiting learn where their payment stands; it continues at the next start
    for (const p of this.payments.values()) if (this.waiters.has(p.paymentId)) this.settleWaiters(p);
  }

  private async saveScorer(): Promise<void> {
    if (!this.scorerDirty) return;
    this.scorerDirty = false;
    try {
      await this.o.store.writeRecords([{ kind: 'payment', key: SCORER_RECORD_KEY, value: scorerToJson(this.scorer) }]);
    } catch (e) {
      this.scorerDirty = true;
      this.o.log.warn({ err: (e as Error).message }, 'could not store the route scorer; will try again');
    }
  }

  list(): PaymentView[] {
    return [...this.payments.values()].sort((a, b) => a.createdMs - b.createdMs).map(paymentView);
  }

  get(paymentHash: string): PaymentView | undefined {
    const p = this.payments.get(paymentHash.toLowerCase());
    return p && paymentView(p);
  }

  inFlight(): number {
    let n = 0;
    for (const p of this.payments.values()) if (p.status === 'inflight') n++;
    return n;
  }

  async payInvoice(invoiceString: string, opts: PayOptions = {}): Promise<PaymentView> {
    const r = decodeInvoice(invoiceString);
    if (!r.ok) throw new NodeError('invalid', 'BAD_INVOICE', `not an invoice this node can pay: ${r.message}`);
    const inv = r.invoice;
    if (inv.network !== 'simnet') throw new NodeError('invalid', 'WRONG_NETWORK', `the invoice is for ${inv.network}; sluice pays simnet (lnsb) invoices`);
    const payee = toHex(inv.payeeNodeKey);
    let amountMsat = inv.amountMsat;
    if (amountMsat === undefined) {
      if (opts.amountMsat === undefined) throw new NodeError('invalid', 'AMOUNT_REQUIRED', 'the invoice has no amount: give one');
      amountMsat = opts.amountMsat;
    } else if (opts.amountMsat !== undefined && opts.amountMsat !== amountMsat) {
      throw new NodeError('invalid', 'AMOUNT_MISMATCH', `the invoice asks for ${amountMsat} msat, not ${opts.amountMsat}`);
    }
    const expiresAtMs = invoiceExpiresAt(inv) * 1000;
    if (this.o.clock.now() >= expiresAtMs) throw new NodeError('conflict', 'INVOICE_EXPIRED', `the invoice expired at ${new Date(expiresAtMs).toISOString()}`);
    return this.pay({
      paymentHash: inv.paymentHash, payee, amountMsat,
      finalCltvExpiryDelta: inv.minFinalCltvExpiryDelta + FINAL_CLTV_MARGIN_BLOCKS,
      paymentSecret: inv.paymentSecret, invoice: inv.paymentRequest, invoiceExpiresAtMs: expiresAtMs,
      hintEdges: hintEdges(payee, inv.routeHints),
    }, opts);
  }

  /**
   * A spontaneous payment (keysend, bLIP-3): we choose the preimage and put it in the payee's onion
   * payload. Always an HTLC, also to a channel peer: one mechanism gives every payment a route, a
   * fee, a durable record and the preimage as a receipt (the plain `pay` op of `SluiceNode.pay` stays
   * for paying a peer without its node's consent). The payee must accept keysend.
   */
  async payNode(nodeId: string, amountMsat: bigint, opts: Omit<PayOptions, 'amountMsat'> & KeysendExtras = {}): Promise<PaymentView> {
    const payee = nodeId.toLowerCase();
    if (!/^0[23][0-9a-f]{64}$/.test(payee)) throw new NodeError('invalid', 'BAD_NODE_ID', 'a node id is 66 hex characters (a compressed public key)');
    for (const r of opts.customRecords ?? []) {
      if (r.type < 65536n || r.type % 2n === 0n) throw new NodeError('invalid', 'BAD_CUSTOM_RECORD', `custom record type ${r.type} must be odd and at least 65536`);
    }
    const preimage = opts.preimage ?? randomBytes(32);
    const { preimage: _p, customRecords, finalCltvMarginBlocks, ...payOpts } = opts;
    const margin = finalCltvMarginBlocks ?? FINAL_CLTV_MARGIN_BLOCKS;
    if (!Number.isInteger(margin) || margin < 0 || margin > MAX_FINAL_CLTV_MARGIN_BLOCKS) throw new NodeError('invalid', 'BAD_CLTV_MARGIN', `the final expiry margin is 0 to ${MAX_FINAL_CLTV_MARGIN_BLOCKS} blocks`);
    return this.pay({
      paymentHash: sha256(preimage), payee, amountMsat, finalCltvExpiryDelta: KEYSEND_FINAL_CLTV_EXPIRY_DELTA + margin, keysendPreimage: preimage,
      ...(customRecords?.length ? { customRecords: [...customRecords].sort((a, b) => (a.type < b.type ? -1 : 1)) } : {}),
    }, payOpts);
  }

  /** The route a payment of `amountMsat` to `nodeId` would take now (nothing is sent or stored). */
  queryRoute(nodeId: string, amountMsat: bigint, opts: { maxFeeMsat?: bigint } = {}): RouteQueryResult {
    const payee = nodeId.toLowerCase();
    if (amountMsat <= 0n) throw new NodeError('invalid', 'BAD_AMOUNT', 'amount must be positive');
    const probe = createPayment({
      paymentHash: new Uint8Array(32), payee, amountMsat, maxFeeMsat: opts.maxFeeMsat ?? defaultMaxFee(amountMsat), timeoutMs: 0,
      finalCltvExpiryDelta: KEYSEND_FINAL_CLTV_EXPIRY_DELTA + FINAL_CLTV_MARGIN_BLOCKS,
    }, this.o.clock.now());
    const plan = planRoute(probe, this.routeContext());
    if (!plan.ok) throw new NodeError('conflict', plan.reason === 'fee_limit' ? 'FEE_LIMIT' : 'NO_ROUTE', plan.message);
    const r = plan.route;
    return {
      destination: payee, amountMsat, feeMsat: r.feeMsat, totalMsat: r.amountMsat, expiryHeight: r.cltvExpiry,
      route: r.hops.map((h) => ({ shortChannelId: h.shortChannelId, nodeId: h.to, amountMsat: h.amountMsat, expiryHeight: h.cltvExpiry })),
    };
  }

  private async pay(p: Omit<NewPayment, 'maxFeeMsat' | 'timeoutMs' | 'maxAttempts'>, opts: PayOptions): Promise<PaymentView> {
    if (p.payee === this.o.nodeId) throw new NodeError('invalid', 'SELF_PAYMENT', 'that is this node');
    if (p.amountMsat <= 0n) throw new NodeError('invalid', 'BAD_AMOUNT', 'amount must be positive');
    const maxFeeMsat = opts.maxFeeMsat ?? defaultMaxFee(p.amountMsat);
    if (maxFeeMsat < 0n) throw new NodeError('invalid', 'BAD_AMOUNT', 'the fee limit cannot be negative');
    const timeoutMs = opts.timeoutMs ?? this.limits.defaultTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new NodeError('invalid', 'BAD_TIMEOUT', 'the time limit must be positive');
    const id = toHex(p.paymentHash);
    const known = this.payments.get(id);
    if (known?.status === 'inflight') throw new NodeError('conflict', 'PAYMENT_IN_FLIGHT', `a payment of ${id} is already in flight`);
    if (known?.status === 'succeeded') throw new NodeError('conflict', 'ALREADY_PAID', `${id} is already paid`);
    if (this.inFlight() >= this.limits.maxInFlight) throw new NodeError('unavailable', 'TOO_MANY_PAYMENTS', `${this.limits.maxInFlight} payments are in flight; wait for some to finish`);
    const payment = createPayment({ ...p, maxFeeMsat, timeoutMs, maxAttempts: this.limits.maxAttempts }, this.o.clock.now());
    // Claimed in memory before the write, so a second pay of the same hash meanwhile is refused too.
    this.payments.set(id, payment);
    try {
      await this.o.store.writeRecords([{ kind: 'payment', key: id, value: paymentToJson(payment) }]);
    } catch (e) {
      if (known) this.payments.set(id, known);
      else this.payments.delete(id);
      throw new NodeError('unavailable', 'STORE_FAILED', `nothing was paid: ${(e as Error).message}`);
    }
    const done = this.waitFor(id, payment.deadlineMs);
    this.drive(id);
    return done;
  }

  /** Resolves when the payment ends, or at its deadline with it still in flight (an HTLC still out). */
  private waitFor(id: string, deadlineMs: number): Promise<PaymentView> {
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, set);
      const w: Waiter = { resolve: (v) => { stopTimer(); resolve(v); } };
      set.add(w);
      const stopTimer = this.o.clock.every(Math.max(1, deadlineMs - this.o.clock.now()), () => {
        const p = this.payments.get(id);
        if (p?.status !== 'inflight' || this.o.clock.now() < deadlineMs) return;
        set.delete(w);
        w.resolve(paymentView(p));
      });
    });
  }

  private settleWaiters(p: Payment): void {
    const set = this.waiters.get(p.paymentId);
    if (!set) return;
    this.waiters.delete(p.paymentId);
    for (const w of set) w.resolve(paymentView(p));
  }

  private routeContext(views: readonly LocalChannelView[] = this.o.switch.localChannels()): RouteContext {
    return {
      graph: this.o.graph?.() ?? new ChannelGraph(),
      scorer: this.scorer,
      source: this.o.nodeId,
      localChannels: localChannelsForRoutes(views),
      currentHeight: this.o.height(),
      nowMs: this.o.clock.now(),
    };
  }

  private serialize(id: string, fn: () => Promise<void>): Promise<void> {
    const run = (this.serial.get(id) ?? Promise.resolve()).then(fn);
    const tail = run
      .catch((e: unknown) => this.o.log.error({ payment: id.slice(0, 16), err: (e as Error).message }, 'payment step failed'))
      .then(() => {
        if (this.serial.get(id) === tail) this.serial.delete(id);
      });
    this.serial.set(id, tail);
    return run;
  }

  /** Store a changed payment; a store failure leaves memory as it was (the caller learns it). */
  private async commit(p: Payment): Promise<void> {
    await this.o.store.writeRecords([{ kind: 'payment', key: p.paymentId, value: paymentToJson(p) }]);
    this.payments.set(p.paymentId, p);
    if (p.status !== 'inflight') this.finished(p);
  }

  private finished(p: Payment): void {
    this.settleWaiters(p);
    this.o.emit({ type: p.status === 'succeeded' ? 'paymentSucceeded' : 'paymentFailed', payment: paymentView(p) });
    this.o.log.info({ payment: p.paymentId.slice(0, 16), status: p.status, attempts: p.attempts.length, fee: p.feeMsat?.toString(), reason: p.failure?.reason }, 'payment finished');
  }

  private learn(u: ScorerUpdate | undefined): void {
    if (!u) return;
    const now = this.o.clock.now();
    if (u.kind === 'success') this.scorer.recordSuccess(u.route.hops, now);
    else this.scorer.recordFailure(u.route.hops, { failingHop: u.failingHop, code: u.code }, now);
    this.scorerDirty = true;
  }

  /** Take the payment's next step: a new attempt, or its end. */
  private drive(id: string): void {
    void this.serialize(id, async () => {
      const p = this.payments.get(id);
      if (!p || p.status !== 'inflight') return;
      const views = this.o.switch.localChannels();
      const { payment, next } = nextStep(p, this.routeContext(views));
      if (next.kind === 'wait') return;
      if (next.kind === 'done') return this.commit(payment);
      const route = next.route;
      const sessionKey = randomSecretKey();
      const hops = onionHopsForRoute(route, {
        ...(payment.paymentSecret ? { paymentSecret: payment.paymentSecret, totalMsat: payment.amountMsat } : {}),
        ...(payment.keysendPreimage ? { keysendPreimage: payment.keysendPreimage } : {}),
        ...(payment.customRecords ? { customRecords: payment.customRecords } : {}),
      });
      const onion = buildOnion({ hops, sessionKey, associatedData: payment.paymentHash, keyTables: this.keyTables });
      const attemptId = toHex(randomBytes(8));
      const started = addAttempt(payment, { attemptId, route, sessionKey, sharedSecrets: onion.sharedSecrets, nowMs: this.o.clock.now() });
      // Planned over these very views, so the first hop is one of them: the one to the route's first
      // node (a peer that chose its channel id could give it another channel's short id for a block).
      const hop = route.hops[0]!;
      const first = views.find((c) => localShortChannelId(c) === hop.shortChannelId && c.peerNodeId === hop.to)!;
      // In memory now: an outcome may come back before sendLocal resolves. On disk only with the HTLC.
      this.payments.set(id, started);
      // Not awaited inside this payment's queue: the outcome that sendLocal's HTLC leads to queues here.
      this.o.switch
        .sendLocal({
          paymentId: id, attemptId, channelId: first.channelId, amountMsat: route.amountMsat, paymentHash: payment.paymentHash,
          expiryHeight: route.cltvExpiry, onion: onion.packet, attached: [{ kind: 'payment', key: id, value: paymentToJson(started) }], waitForSlot: true,
        })
        .catch((e: unknown) => {
          // Nothing was offered and the attempt is not stored: it failed at our own channel.
          void this.onOutcome(id, attemptId, { kind: 'refused', reason: (e as Error).message }, false);
        });
    });
  }

  /** The switch's report on one of our HTLCs (at least once, after it is durable). */
  onLocalOutcome(paymentId: string, attemptId: string, outcome: OutgoingOutcome): Promise<void> {
    return this.onOutcome(paymentId, attemptId, outcome as AttemptOutcome, true);
  }

  private onOutcome(id: string, attemptId: string, outcome: AttemptOutcome, fromSwitch: boolean): Promise<void> {
    return this.serialize(id, async () => {
      const p = this.payments.get(id);
      if (!p) {
        // Not taken: the switch keeps the outcome and tells it again (it is not ours to drop; a record
        // that could not be read at start is the only way here).
        if (!this.unknownWarned.has(`${id}/${attemptId}`)) {
          this.unknownWarned.add(`${id}/${attemptId}`);
          this.o.log.warn({ payment: id.slice(0, 16), attempt: attemptId }, 'outcome for a payment this node has no record of; left with the switch');
        }
        throw new Error(`no payment ${id.slice(0, 16)} here`);
      }
      const r = applyOutcome(p, attemptId, outcome, this.o.clock.now());
      if (!r.changed) return;
      this.learn(r.scorer);
      if (fromSwitch) {
        await this.commit(r.payment); // a failure here is the switch's to retry
      } else {
        // the attempt was never stored; its failure needs no record unless the payment ends
        this.payments.set(id, r.payment);
        if (r.payment.status !== 'inflight') await this.commit(r.payment);
      }
      this.drive(id);
    });
  }
}
