// The payee: issues BOLT 11 invoices signed by the node key and answers the HTLCs that end here (the
// switch's FinalHopReceiver). The checks themselves are src/forward's decideReceive; this shell keeps
// the records and makes the answers durable.
//
// Durability: an invoice's preimage is stored before the invoice is handed out (an invoice whose
// preimage is lost could be paid and never settled). The invoice is marked paid in the same synced
// batch as the channel state that fulfils its HTLC (FinalHopAnswer.attached), so a crash can neither
// leave a fulfilled HTLC with an open invoice nor a paid invoice with no fulfil. A second HTLC for a
// paid invoice is refused (incorrect_or_unknown_payment_details); the HTLC that paid it, asked again
// after a restart, gets the same answer.
import { randomBytes } from 'node:crypto';
import { fromHex, toHex, utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { decideReceive } from '../forward/receive.js';
import { DEFAULT_FORWARDING_POLICY, MIN_FINAL_CLTV_EXPIRY_DELTA } from '../forward/policy.js';
import { createInvoice as writeInvoice, DEFAULT_EXPIRY_SECONDS } from '../invoice/invoice.js';
import type { RouteHintHop } from '../invoice/fields.js';
import { encodeFailureMessage } from '../onion/failure.js';
import type { HopPayload } from '../onion/payload.js';
import type { Logger } from '../util/log.js';
import type { Clock } from './clock.js';
import { NodeError } from './errors.js';
import type { FinalHopAnswer, FinalHopReceiver, HtlcSwitchApi, IncomingHtlc } from './htlc-types.js';
import { invoiceFromJson, invoiceToJson, invoiceView, type InvoiceRecord, type InvoiceView } from './invoices-record.js';
import type { NodeStore } from './store-port.js';
import type { AttachedWrite } from './store.js';
import { STREAM_BATCH_TLV_TYPE } from '../stream/batch.js';
import type { CreatedInvoice, CreateInvoiceRequest } from '../payments/views.js';

export interface InvoiceLimits {
  /** unpaid, unexpired invoices at once (each holds a stored preimage); createInvoice refuses past it */
  maxOpenInvoices: number;
  /** keysend receipts kept (peers create them by paying us); past it, keysend HTLCs are refused */
  maxKeysendReceipts: number;
  /** route hints per invoice (each costs 51 bytes of a 4296-character invoice) */
  maxRouteHints: number;
}

export const DEFAULT_INVOICE_LIMITS: InvoiceLimits = { maxOpenInvoices: 10_000, maxKeysendReceipts: 100_000, maxRouteHints: 8 };

/** BOLT 11's `d` field: 10 bits of 5-bit words, 639 bytes. */
export const MAX_DESCRIPTION_BYTES = 639;
/** A year: an invoice open longer is a mistake (its preimage is held all that time). */
export const MAX_EXPIRY_SECONDS = 365 * 24 * 3600;

export interface InvoiceEvent {
  type: 'invoicePaid';
  invoice: InvoiceView;
}

export interface InvoiceManagerOptions {
  store: Pick<NodeStore, 'writeRecords' | 'loadRecords'>;
  switch: Pick<HtlcSwitchApi, 'localChannels'>;
  secretKey: Uint8Array;
  height(): number;
  clock: Clock;
  log: Logger;
  emit(e: InvoiceEvent): void;
  /** take spontaneous payments (keysend); off by default, as LND */
  acceptKeysend?: boolean;
  limits?: Partial<InvoiceLimits>;
}

/**
 * Streams across hops: the stream layer's verdict on a batch HTLC (its payload carries the stream batch
 * record): settle, with these writes stored with the fulfil, or refuse. `amountMsat` is what the onion says
 * the payer sent (the HTLC carries at least that).
 */
export type StreamBatchJudge = (record: Uint8Array, amountMsat: bigint, htlcKey: string) => { attached: AttachedWrite[] } | { refused: string };

const NO_SECRET = new Uint8Array(32); // the switch builds the error packet; decideReceive's is not used

export class InvoiceManager implements FinalHopReceiver {
  private readonly invoices = new Map<string, InvoiceRecord>();
  /** keysend receipts held (counted as they come: a peer's HTLC must not cost a scan of every record) */
  private keysendReceipts = 0;
  private streamBatches?: StreamBatchJudge;
  /** A batch's settle was not stored: the stream layer puts its meter back. */
  private streamBatchReleased?: (htlcKey: string) => void;
  readonly limits: InvoiceLimits;

  constructor(private readonly o: InvoiceManagerOptions) {
    this.limits = { ...DEFAULT_INVOICE_LIMITS, ...o.limits };
  }

  async load(): Promise<void> {
    for (const { key, value } of await this.o.store.loadRecords('invoice')) {
      try {
        const r = invoiceFromJson(value);
        this.invoices.set(r.paymentHash, r);
        if (r.keysend) this.keysendReceipts++;
      } catch (e) {
        this.o.log.error({ key, err: (e as Error).message }, 'invoice record unreadable; left as it is');
      }
    }
  }

  list(): InvoiceView[] {
    const now = this.o.clock.now();
    return [...this.invoices.values()].sort((a, b) => a.createdAt - b.createdAt).map((r) => invoiceView(r, now));
  }

  get(paymentHash: string): InvoiceView | undefined {
    const r = this.invoices.get(paymentHash.toLowerCase());
    return r && invoiceView(r, this.o.clock.now());
  }

  /** Unpaid, unexpired invoices (asked only by createInvoice, a local call). */
  private openCount(): number {
    const now = this.o.clock.now();
    let open = 0;
    for (const r of this.invoices.values()) if (!r.keysend && r.status === 'open' && now < r.expiresAt) open++;
    return open;
  }

  /**
   * Route hints: one per channel a payer could reach us over, most receivable first. Until gossip
   * announces channels, every channel is private, so every active one is hinted. The fee and delta
   * are the peer's for forwarding to us, which we do not know without gossip: the defaults every
   * sluice node starts with stand in (a peer with other fees answers fee_insufficient).
   */
  private routeHints(amountMsat: bigint | undefined): RouteHintHop[][] {
    return this.o.switch
      .localChannels()
      .filter((c) => c.active && !c.announced && (amountMsat === undefined ? c.receivableMsat > 0n : c.receivableMsat >= amountMsat))
      .sort((a, b) => (b.receivableMsat > a.receivableMsat ? 1 : b.receivableMsat < a.receivableMsat ? -1 : 0))
      .slice(0, this.limits.maxRouteHints)
      .map((c) => [{
        nodeId: fromHex(c.peerNodeId, 'peer node id', 33),
        shortChannelId: fromHex(c.shortChannelId ?? c.channelId.slice(0, 16), 'short channel id', 8),
        feeBaseMsat: Number(DEFAULT_FORWARDING_POLICY.feeBaseMsat),
        feeProportionalMillionths: Number(DEFAULT_FORWARDING_POLICY.feePpm),
        cltvExpiryDelta: DEFAULT_FORWARDING_POLICY.cltvExpiryDelta,
      }]);
  }

  async createInvoice(req: CreateInvoiceRequest): Promise<CreatedInvoice> {
    if (req.amountMsat !== undefined && req.amountMsat <= 0n) throw new NodeError('invalid', 'BAD_AMOUNT', 'amount must be positive (or absent for any amount)');
    if (typeof req.description !== 'string' || utf8(req.description).length > MAX_DESCRIPTION_BYTES) {
      throw new NodeError('invalid', 'BAD_DESCRIPTION', `the description must be text of at most ${MAX_DESCRIPTION_BYTES} bytes`);
    }
    const expirySeconds = req.expirySeconds ?? DEFAULT_EXPIRY_SECONDS;
    if (!Number.isInteger(expirySeconds) || expirySeconds <= 0 || expirySeconds > MAX_EXPIRY_SECONDS) {
      throw new NodeError('invalid', 'BAD_EXPIRY', `the expiry must be 1 to ${MAX_EXPIRY_SECONDS} seconds`);
    }
    if (this.openCount() >= this.limits.maxOpenInvoices) {
      throw new NodeError('conflict', 'TOO_MANY_INVOICES', `${this.limits.maxOpenInvoices} invoices are open; wait for some to be paid or expire`);
    }
    const preimage = randomBytes(32);
    const paymentSecret = randomBytes(32);
    const paymentHash = sha256(preimage);
    const nowMs = this.o.clock.now();
    const timestamp = Math.floor(nowMs / 1000);
    const invoice = writeInvoice({
      timestamp, paymentHash, paymentSecret, description: req.description, expirySeconds,
      minFinalCltvExpiryDelta: MIN_FINAL_CLTV_EXPIRY_DELTA, routeHints: this.routeHints(req.amountMsat), nodeSecretKey: this.o.secretKey,
      ...(req.amountMsat !== undefined ? { amountMsat: req.amountMsat } : {}),
    });
    const record: InvoiceRecord = {
      paymentHash: toHex(paymentHash), preimage, paymentSecret, description: req.description, invoice,
      createdAt: nowMs, expiresAt: (timestamp + expirySeconds) * 1000, minFinalCltvExpiryDelta: MIN_FINAL_CLTV_EXPIRY_DELTA,
      status: 'open', keysend: false,
      ...(req.amountMsat !== undefined ? { amountMsat: req.amountMsat } : {}),
    };
    try {
      await this.o.store.writeRecords([{ kind: 'invoice', key: record.paymentHash, value: invoiceToJson(record) }]);
    } catch (e) {
      throw new NodeError('unavailable', 'STORE_FAILED', `no invoice was made: ${(e as Error).message}`);
    }
    this.invoices.set(record.paymentHash, record);
    return {
      invoice, paymentHash: record.paymentHash, paymentSecret: toHex(paymentSecret), expiresAt: record.expiresAt,
      ...(req.amountMsat !== undefined ? { amountMsat: req.amountMsat } : {}),
    };
  }

  /** Streams across hops: batch HTLCs go to the stream layer, not to keysend (which may stay off). */
  setStreamBatches(judge: StreamBatchJudge, released?: (htlcKey: string) => void): void {
    this.streamBatches = judge;
    this.streamBatchReleased = released;
  }

  async onFinalHtlc(htlc: IncomingHtlc, payload: HopPayload): Promise<FinalHopAnswer> {
    const hash = toHex(htlc.paymentHash);
    const htlcKey = `${htlc.channelId}/${htlc.htlcId}`;
    const batch = this.streamBatches && payload.customRecords.find((r) => r.type === STREAM_BATCH_TLV_TYPE);
    if (batch) return this.onStreamBatch(htlc, payload, batch.value, htlcKey);
    const known = this.invoices.get(hash);
    if (known?.status === 'paid' && known.paidBy === htlcKey) return this.settle(known);
    const nowMs = this.o.clock.now();
    const decision = decideReceive({
      htlc, payload, sharedSecret: NO_SECRET, currentHeight: this.o.height(), nowSeconds: Math.floor(nowMs / 1000),
      keysend: { accepted: this.o.acceptKeysend === true && this.keysendReceipts < this.limits.maxKeysendReceipts },
      // a keysend receipt is a paid invoice: a second HTLC under its hash is refused like one
      invoice: known
        ? { paymentSecret: known.paymentSecret, expiresAtSeconds: Math.floor(known.expiresAt / 1000), minFinalCltvExpiryDelta: known.minFinalCltvExpiryDelta, state: known.status, preimage: known.preimage, ...(known.amountMsat !== undefined ? { amountMsat: known.amountMsat } : {}) }
        : undefined,
    });
    if (decision.kind === 'fail') {
      this.o.log.info({ hash: hash.slice(0, 16), code: decision.codeName, why: decision.message }, 'refused an HTLC paying this node');
      return { kind: 'fail', failureMessage: encodeFailureMessage(decision.failureMessage) };
    }
    const paid: InvoiceRecord = known && decision.via === 'invoice'
      ? { ...known, status: 'paid', paidAt: nowMs, receivedMsat: decision.amountMsat, paidBy: htlcKey }
      : {
          paymentHash: hash, preimage: decision.preimage!, paymentSecret: new Uint8Array(32), description: 'keysend',
          createdAt: nowMs, expiresAt: nowMs, minFinalCltvExpiryDelta: MIN_FINAL_CLTV_EXPIRY_DELTA, status: 'paid',
          paidAt: nowMs, receivedMsat: decision.amountMsat, paidBy: htlcKey, keysend: true,
        };
    // Marked now, in memory, so a second HTLC for it is refused even before the fulfil is stored. If that
    // write fails (or the HTLC is failed at its deadline first), the switch calls `released` and the
    // invoice is open again; asked again, this same HTLC gets the same answer. (The event is not unsent.)
    this.invoices.set(hash, paid);
    if (paid.keysend) this.keysendReceipts++;
    this.o.emit({ type: 'invoicePaid', invoice: invoiceView(paid, nowMs) });
    this.o.log.info({ hash: hash.slice(0, 16), amount: decision.amountMsat.toString(), via: decision.via }, 'paid');
    return this.settle(paid);
  }

  /**
   * A stream batch: the HTLC's own checks first (amount and expiry against the onion, the preimage against
   * the hash), as for keysend; then the stream's. No keysend receipt is kept: the stream's meter, stored
   * with the fulfil, is what refuses a second HTLC for the same ticks.
   */
  private onStreamBatch(htlc: IncomingHtlc, payload: HopPayload, record: Uint8Array, htlcKey: string): FinalHopAnswer {
    const base = { htlc, payload, sharedSecret: NO_SECRET, currentHeight: this.o.height(), nowSeconds: Math.floor(this.o.clock.now() / 1000), invoice: undefined };
    const htlcCheck = decideReceive({ ...base, keysend: { accepted: true } });
    // The batch is judged by what the payer's onion says it sends (decideReceive checked the HTLC carries at
    // least that): a hub adding a msat to an HTLC it knows will be refused made the payee refuse the batch
    // as the payer's, and the payer stop the stream, for free (test/attacks/stream-batch-liars.test.ts).
    const verdict = htlcCheck.kind === 'settle' ? this.streamBatches!(record, payload.amountToForwardMsat, htlcKey) : { refused: htlcCheck.message };
    if (htlcCheck.kind === 'settle' && 'attached' in verdict) return { kind: 'settle', preimage: htlcCheck.preimage!, attached: verdict.attached };
    this.o.log.info({ hash: toHex(htlc.paymentHash).slice(0, 16), why: 'refused' in verdict ? verdict.refused : '' }, 'refused a stream batch HTLC');
    // The same PERM|15 failure as any unknown payment (decideReceive's, with keysend off), so no prober learns why.
    const no = htlcCheck.kind === 'fail' ? htlcCheck : decideReceive({ ...base, keysend: { accepted: false } });
    if (no.kind !== 'fail') throw new Error('unreachable: a refused keysend settled');
    return { kind: 'fail', failureMessage: encodeFailureMessage(no.failureMessage) };
  }

  /** The settle for this HTLC was not stored: the invoice it marked paid is open again (a keysend receipt is dropped). */
  released(htlc: IncomingHtlc): void {
    this.streamBatchReleased?.(`${htlc.channelId}/${htlc.htlcId}`);
    const hash = toHex(htlc.paymentHash);
    const r = this.invoices.get(hash);
    if (r?.status !== 'paid' || r.paidBy !== `${htlc.channelId}/${htlc.htlcId}`) return;
    if (r.keysend) {
      this.invoices.delete(hash);
      this.keysendReceipts--;
    } else {
      const { paidAt: _a, receivedMsat: _r, paidBy: _b, ...open } = r;
      this.invoices.set(hash, { ...open, status: 'open' });
    }
    this.o.log.warn({ hash: hash.slice(0, 16) }, 'an invoice marked paid was not stored as paid: it is open again');
  }

  private settle(r: InvoiceRecord): FinalHopAnswer {
    return { kind: 'settle', preimage: r.preimage, attached: [{ kind: 'invoice', key: r.paymentHash, value: invoiceToJson(r) }] };
  }
}
