// Streams across hops, signed mode (docs/streams.md "Streams across hops"): the payer has no channel with
// the payee. The stream's messages go over a direct BOLT 8 connection to the payee (dialed at the address
// of its gossip node_announcement); its money goes as one keysend HTLC per batch through the payments
// layer, which picks the route and retries failed attempts on others. The pure parts are
// src/stream/batch.ts (the batch record, preimage, schedule and the payee's check); this file runs them.
//
// Safety, in short: the payer stores the batch's tick range (held) before it offers the HTLC, and the
// batch's preimage derives from that range, so a restart finds the same payment hash and the payments
// layer (one payment per hash) never offers it twice. The payee counts a batch only when it settles the
// HTLC (its meter stored in the same batch as the switch's record of the settle), and only if the batch
// starts where its meter is.
import { randomBytes } from 'node:crypto';
import { toHex } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { owedAfter, type StreamTerms } from '../stream/index.js';
import type { StreamEffect, StreamEvent } from '../stream/machine.js';
import {
  batchPreimage, checkBatch, decodeBatchRecord, DEFAULT_BATCH_MS, encodeBatchRecord, MAX_BATCH_MS, MAX_ROUTED_TICK_MS, STREAM_BATCH_TLV_TYPE,
  type BatchRecord, type RoutedPayer,
} from '../stream/batch.js';
import type { PayeeRecord, PayerRecord, StreamRecord } from '../stream/record.js';
import type { OpenStreamRequest } from '../api/types.js';
import type { PaymentView } from '../payments/views.js';
import type { AttachedWrite } from './store.js';
import { MIN_FINAL_CLTV_EXPIRY_DELTA } from '../forward/policy.js';
import { NodeError } from './errors.js';
import { defaultMaxFee, MAX_FINAL_CLTV_MARGIN_BLOCKS, type PaymentManager } from './payments.js';
import type { LocalChannelView } from './htlc-types.js';
import type { StreamShell } from './streams.js';
import { hopsFromQuote, type ChainHop } from '../stream/hop-chain.js';

/** The channel id a routed stream's record and streamOpen carry: there is no channel. */
export const NO_CHANNEL = '00'.repeat(32);
/** How long a batch's payment may look for a route. */
const BATCH_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * The blocks a batch's HTLC gets above the payee's minimum final expiry (a payment's default is 3): at
 * least 12, and at least the batch's time limit (30 s) in blocks. Two things need the room. The payee
 * must refuse an HTLC whose expiry is too near, and on a fast chain (the simnet's 100 ms blocks in the
 * process tests) 3 blocks are 300 ms: batches reached the payee with none of the 3 left. And a hub that
 * stops with a batch in flight must be back before the payer's HTLC to it expires, or the payer takes the
 * batch back on the ledger while the payee, paid by the hub, metered it: seen in the process test (100 ms
 * blocks, the payer's HTLC 36 blocks from expiry): after a 2 s SIGKILL of the hub the payee had metered
 * 50 000 msat, the payer paid 40 000, and the payer–hub channel was closed.
 * The longer lock only matters for a batch that fails, and then for seconds.
 */
export function batchCltvMargin(blockTimeMs: number | undefined): number {
  const forTimeout = blockTimeMs && blockTimeMs > 0 ? Math.ceil(BATCH_TIMEOUT_MS / blockTimeMs) : 0;
  return Math.min(MAX_FINAL_CLTV_MARGIN_BLOCKS, Math.max(12, forTimeout));
}

export interface RoutedDeps {
  payer: Pick<PaymentManager, 'payNode' | 'queryRoute' | 'get'>;
  /** Our channels as the switch sees them (for reachability and what a batch can spend). */
  localChannels(): readonly LocalChannelView[];
  /** An address (host:port) the payee announced in gossip, if any. */
  addressOf(nodeId: string): string | undefined;
  /** The ledger's time between blocks, if known (batchCltvMargin). */
  blockTimeMs?: number;
  /**
   * The payee: whether the switch has stored the settle of this incoming HTLC (its fulfil is owed, or the
   * HTLC is resolved). Absent, every settle counts as stored.
   */
  settleStored?(htlcKey: string): boolean;
}

/** A payment's end as the payer's view or the node's event shows it. */
export interface BatchOutcome {
  paymentHash: string;
  status: PaymentView['status'];
  feeMsat: bigint;
  failure?: { message: string; reason?: string };
  /** the attempts and their routes (the payer's record has them; an event may not) */
  attempts?: PaymentView['attempts'];
}

export class RoutedStreams {
  /** Batches whose payment outcome we wait for, by payment hash: the stream id. */
  private readonly waiting = new Map<string, string>();
  /**
   * The payee: each stream's record from before its last metered batch, by stream id (one per stream),
   * so a settle the switch could not store puts the meter back (releasedBatch).
   */
  private readonly beforeBatch = new Map<string, { htlcKey: string; before: PayeeRecord }>();

  constructor(private readonly s: StreamShell, private readonly d: RoutedDeps) {}

  /**
   * Before a routed (signed) stream opens: quote the route's fee for one batch against
   * the limit, and make sure the payee is connected (dialing its announced address).
   */
  async prepare(req: OpenStreamRequest, terms: StreamTerms, peerId: string): Promise<RoutedPayer> {
    if (terms.tickMs > MAX_ROUTED_TICK_MS) throw new NodeError('invalid', 'BAD_TERMS', `a stream across hops ticks at least every ${MAX_ROUTED_TICK_MS} ms (this one every ${terms.tickMs} ms): use pro-rata billing, or a shorter interval`);
    const batchMs = req.batchMs ?? DEFAULT_BATCH_MS;
    if (!Number.isInteger(batchMs) || batchMs < 1 || batchMs > MAX_BATCH_MS) throw new NodeError('invalid', 'BAD_TERMS', `batch: 1 ms to ${MAX_BATCH_MS} ms`);
    const batch = batchAmount(terms, batchMs);
    const maxFeeMsat = req.maxFeeMsat ?? defaultMaxFee(batch);
    const quote = this.d.payer.queryRoute(peerId, batch, { maxFeeMsat });
    if (quote.feeMsat > maxFeeMsat) throw new NodeError('conflict', 'FEE_LIMIT', `the route's fee for one batch is ${quote.feeMsat} msat, over the limit of ${maxFeeMsat} msat`);
    await this.connect(peerId);
    return {
      batchMs, maxFeeMsat, secret: toHex(randomBytes(32)), route: quote.route.map((h) => h.nodeId), quotedFeeMsat: quote.feeMsat, feesPaid: 0n,
    };
  }

  /**
   * A hash-chain stream across hops: the route for one tick, quoted at the open. Each hop's fee is per
   * tick, so the limit is per tick (by default 5% of a tick, at least 10 sat, as a batch's).
   */
  quoteChain(peerId: string, unit: bigint, maxFeeMsat: bigint | undefined): { hops: ChainHop[]; feePerTick: bigint; maxFeePerTick: bigint } {
    const maxFeePerTick = maxFeeMsat ?? defaultMaxFee(unit);
    const quote = this.d.payer.queryRoute(peerId, unit, { maxFeeMsat: maxFeePerTick });
    const { hops, feePerTick } = hopsFromQuote(quote.route, unit);
    if (feePerTick > maxFeePerTick) throw new NodeError('conflict', 'FEE_LIMIT', `the route's fee per tick is ${feePerTick} msat, over the limit of ${maxFeePerTick} msat`);
    if (hops.length < 2) throw new NodeError('conflict', 'NO_ROUTE', `no route to ${peerId} through a hop`);
    return { hops, feePerTick, maxFeePerTick };
  }

  /** The payee connected directly (dialed at its announced address if need be): the stream's terms go over it. */
  ensureConnected(peerId: string): Promise<void> {
    return this.connect(peerId);
  }

  private async connect(peerId: string): Promise<void> {
    const { peers } = this.s.o;
    if (peers.isConnected(peerId)) return;
    const address = this.d.addressOf(peerId);
    if (!address) throw new NodeError('conflict', 'NO_ADDRESS', `not connected to ${peerId}, and its gossip announces no address: run \`sluice peer connect ${peerId}@HOST:PORT\` first`);
    const connected = peers.connect(peerId, address).then(() => true, () => false);
    const ok = await Promise.race([connected, this.s.clock.sleep(CONNECT_TIMEOUT_MS).then(() => false)]);
    if (!ok) throw new NodeError('conflict', 'PEER_NOT_CONNECTED', `cannot connect to ${peerId} at ${address}`);
    // Redialed while the stream runs. Only once connected: `keep` dials a peer that has no session yet,
    // and a dial next to connect's own would replace the session the streamOpen is about to go out on
    // (the open was then lost, and timed out after 15 s).
    peers.keep(peerId, address);
  }

  /** The scheduler's inputs: the payee connected and one of our channels able to carry a batch. */
  reach(r: PayerRecord): { reachable: boolean; spendable: bigint } {
    const fee = r.routed?.maxFeeMsat ?? 0n;
    let best = -1n;
    for (const c of this.d.localChannels()) if (c.active && c.spendableMsat > best) best = c.spendableMsat;
    const reachable = best >= 0n && this.s.o.peers.isConnected(r.peerId);
    return { reachable, spendable: best > fee ? best - fee : 0n };
  }

  private batchOf(r: PayerRecord, from: number, to: number): BatchRecord {
    return { streamId: r.id, from, to };
  }

  /** Pay one batch (the record with it held is stored already); its outcome goes back into the machine. */
  payBatch(r: StreamRecord, e: Extract<StreamEffect, { type: 'payBatch' }>): void {
    if (r.role !== 'payer' || !r.routed) return;
    this.offer(r, this.batchOf(r, e.from, e.ticks), e.amount);
  }

  private offer(r: PayerRecord, b: BatchRecord, amount: bigint): void {
    const rt = r.routed!;
    const preimage = batchPreimage(rt.secret, b);
    const hash = toHex(sha256(preimage));
    this.waiting.set(hash, r.id);
    this.d.payer
      .payNode(r.peerId, amount, {
        maxFeeMsat: rt.maxFeeMsat, timeoutMs: BATCH_TIMEOUT_MS, preimage, finalCltvMarginBlocks: batchCltvMargin(this.d.blockTimeMs),
        customRecords: [{ type: STREAM_BATCH_TLV_TYPE, value: encodeBatchRecord(b) }],
      })
      .then((v) => this.outcome(v), (err: unknown) => {
        // Already known (a restart): its outcome comes, or came, by the payment's record.
        const known = this.d.payer.get(hash);
        if (known) return this.outcome(known);
        this.waiting.delete(hash);
        this.report(r.id, { type: 'refused', ticks: b.to, reason: (err as Error).message, now: this.s.clock.now() });
      });
  }

  /** A payment ended (or its caller's wait did): a batch of ours goes back into its stream. */
  outcome(seen: BatchOutcome): void {
    const id = this.waiting.get(seen.paymentHash);
    if (!id || seen.status === 'inflight') return;
    const v = this.d.payer.get(seen.paymentHash) ?? seen; // the full record says who refused
    this.waiting.delete(v.paymentHash);
    const r = this.s.records.get(id);
    if (r?.role !== 'payer' || !r.held) return;
    const now = this.s.clock.now();
    if (v.status === 'succeeded') this.report(id, { type: 'committed', ticks: r.held.ticks, feeMsat: v.feeMsat, now });
    else this.report(id, { type: 'refused', ticks: r.held.ticks, reason: v.failure?.message ?? 'the batch payment failed', now, final: v.failure?.reason === 'rejected_by_payee' && !arrivedLate(v, this.s.o.height()) });
  }

  private report(id: string, ev: StreamEvent): void {
    void this.s.run(id, ev).catch((err: unknown) => this.s.o.log.error({ err, stream: id }, 'stream event failed'));
  }

  /**
   * After a restart: a batch stored as held is found again by its hash. Paid or failed: the stream learns
   * it. In flight: its outcome comes. Never offered (the node stopped between storing it and paying):
   * it is offered now, under the same hash.
   */
  resume(): void {
    this.redialPayees();
    for (const r of this.s.records.all.values()) {
      if (r.role !== 'payer' || !r.routed || !r.held) continue;
      const b = this.batchOf(r, r.ticksPaid, r.held.ticks);
      const hash = toHex(sha256(batchPreimage(r.routed.secret, b)));
      const known = this.d.payer.get(hash);
      this.waiting.set(hash, r.id);
      if (known) this.outcome(known);
      else this.offer(r, b, r.held.amount);
    }
  }

  /**
   * After a start: the payees of our running streams across hops (either mode) are kept connected again,
   * at their announced addresses, as `connect` did when the stream opened: the stream's controls go
   * straight to the payee, and without this a restarted payer never dialed it (the payee only waits).
   */
  private redialPayees(): void {
    for (const r of this.s.records.notEnded()) {
      if (r.role !== 'payer' || (!r.routed && !r.hopChain)) continue;
      const address = this.d.addressOf(r.peerId);
      if (address) this.s.o.peers.keep(r.peerId, address);
    }
  }

  // ---- the payee ----

  /**
   * A batch HTLC that ends here (its payload carries our TLV record): undefined to refuse it; else settle,
   * with the meter already moved in memory and its stored record attached to the switch's write of this answer.
   */
  onBatchHtlc(value: Uint8Array, amountMsat: bigint, htlcKey: string): { attached: AttachedWrite[] } | { refused: string } {
    const b = decodeBatchRecord(value);
    if (!b) return { refused: 'a malformed stream batch record' };
    const r = this.s.records.get(b.streamId);
    const check = checkBatch(r?.role === 'payee' ? r : undefined, b, amountMsat, htlcKey);
    if (check.kind === 'fail') return { refused: check.reason };
    if (check.kind === 'meter') {
      // One batch at a time, as an honest payer offers them: a batch judged while the last one's settle is
      // not stored would be metered on top of it, and if that settle then failed, its ticks could not be
      // taken back from under this one (the meter would count ticks no HTLC paid).
      const last = this.beforeBatch.get(b.streamId);
      if (last && last.htlcKey !== htlcKey && this.d.settleStored && !this.d.settleStored(last.htlcKey)) {
        return { refused: `the last batch's settle (${last.htlcKey}) is not stored yet` };
      }
      const now = this.s.clock.now();
      const effects = this.s.stepNow(r!, { type: 'paid', amount: check.amount, ticks: check.to, seq: 0n, gap: false, now });
      const after = this.s.records.get(b.streamId);
      if (after?.role !== 'payee' || after.ticks !== check.to) return { refused: 'the meter did not take the batch' };
      this.beforeBatch.delete(b.streamId); // set again at the end: the map is oldest first
      this.beforeBatch.set(b.streamId, { htlcKey, before: r as PayeeRecord });
      this.forgetStored();
      const marked = { ...after, routed: { ...after.routed!, lastHtlc: htlcKey, lastFrom: b.from } };
      this.s.records.set(marked);
      if (effects) void this.s.apply(marked, effects, now).catch((e: unknown) => this.s.o.log.warn({ err: e, stream: b.streamId }, 'stream batch effects failed'));
    }
    const rec = this.s.records.get(b.streamId)!;
    return { attached: [{ kind: 'stream', key: rec.id, value: this.s.records.stored(rec) }] };
  }

  /**
   * Bound: an entry is needed only until its settle is stored, and a stream's last batch would otherwise
   * keep one (a whole record) for as long as the node runs, one per routed stream ever paid. The oldest
   * entries whose settle is stored go (each entry is looked at once, when it is the oldest), so the map
   * holds the batches still being settled and at most the few behind the oldest of them.
   */
  private forgetStored(): void {
    if (!this.d.settleStored) return;
    for (const [id, e] of this.beforeBatch) {
      if (this.d.settleStored && !this.d.settleStored(e.htlcKey)) return;
      this.beforeBatch.delete(id);
    }
  }

  /** Batches whose settle may not be stored yet (a bound's test looks). */
  pendingBatches(): number {
    return this.beforeBatch.size;
  }

  /**
   * The switch did not store the settle of this batch HTLC (its write failed, or the HTLC was failed at
   * its deadline first): the meter moved in memory for a batch that is not paid, so it goes back to where
   * it was. Asked again, the HTLC is metered again; failed, its ticks come again in the payer's next
   * batch, from the meter as it was (before, the meter stayed ahead, and that batch was refused).
   */
  releasedBatch(htlcKey: string): void {
    for (const [id, e] of this.beforeBatch) {
      if (e.htlcKey !== htlcKey) continue;
      this.beforeBatch.delete(id);
      const now = this.s.records.get(id);
      if (now?.role === 'payee' && now.routed?.lastHtlc === htlcKey) {
        this.s.records.set(e.before);
        this.s.o.log.warn({ stream: id, htlc: htlcKey }, 'a stream batch settle was not stored: the meter is back where it was');
      }
      return;
    }
  }
}

/**
 * Did the payee refuse this batch only because its HTLC came too late (its expiry too near the payee's
 * height)? Any payee must refuse such an HTLC, and says so with the same incorrect_or_unknown_payment_details
 * as a refusal of the stream, so the failure alone cannot tell them apart; the attempt's own expiry can.
 * A hub that held the batch a while (a restart, a slow machine, fast blocks) does that, and it is no
 * reason to stop the stream: nothing moved, so the ticks go into the next batch with a fresh expiry.
 * One block more than the payee's minimum allows for the payee seeing a block before we do.
 */
export function arrivedLate(p: Pick<BatchOutcome, 'attempts'>, height: number): boolean {
  const last = p.attempts?.at(-1)?.route.at(-1);
  return last !== undefined && last.expiryHeight < height + MIN_FINAL_CLTV_EXPIRY_DELTA + 1;
}

/**
 * What one batch pays, for the fee quote: the ticks of one batch interval (at least one tick). A rate so
 * low that this rounds to 0 msat is quoted at 1 msat (a batch is sent only once it is worth something).
 */
export function batchAmount(terms: StreamTerms, batchMs: number): bigint {
  const a = owedAfter(terms, Math.max(1, Math.floor(batchMs / terms.tickMs)));
  return a > 0n ? a : 1n;
}
