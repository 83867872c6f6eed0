// Starting a stream. The payer builds its record and the streamOpen it sends; the payee admits a
// streamOpen only within its bounds: terms it can check, its price, a cap on streams per channel, and a
// hash-chain lock that is new and backs no other stream (one lock, one meter).
import { fromHex, toHex } from '../crypto/bytes.js';
import type { StreamOpenMessage } from '../wire/stream.js';
import type { StreamEffect } from './events.js';
import { hashchainUnits, makeTerms, type StreamTerms } from './terms.js';
import type { PayeeRecord, PayerChain, PayerRecord } from './record.js';
import { MAX_BATCH_MS, MAX_ROUTED_TICK_MS } from './batch.js';

export function openPayer(o: { id: string; peerId: string; channelId: string; terms: StreamTerms; now: number; chain?: PayerChain; budgetHold?: bigint }): PayerRecord {
  const r: PayerRecord = { id: o.id, role: 'payer', peerId: o.peerId, channelId: o.channelId, terms: o.terms, status: 'opening', startedAt: o.now, activeMs: 0, ticksPaid: 0 };
  if (o.chain) r.chain = o.chain;
  if (o.budgetHold !== undefined) r.budgetHold = { amount: o.budgetHold, at: o.now };
  return r;
}

export function openMessage(r: PayerRecord): StreamOpenMessage {
  const t = r.terms;
  return {
    kind: 'streamOpen', channelId: fromHex(r.channelId), streamId: fromHex(r.id), mode: t.mode, rateAmount: t.rate.amount,
    ratePerMs: t.rate.perMs, tickMs: t.tickMs, max: t.max ?? 0n, durationMs: BigInt(t.durationMs ?? 0), hashchainLockId: r.chain?.lockId ?? 0,
    ...(r.routed ? { batchMs: r.routed.batchMs } : {}),
    ...(r.hopChain ? { channelId: new Uint8Array(32), chainRoot: fromHex(r.hopChain.root), hashchainLockId: 0 } : {}),
  };
}

export interface AdmitContext {
  peerId: string;
  now: number;
  /** The channel named is open, and it is with this peer. */
  channelOpen: boolean;
  idInUse: boolean;
  /** Payee streams this peer runs on the channel now, and the most it may. */
  liveStreams: number;
  maxStreams: number;
  /** Lock ids in the channel (signed or proposed) or named by another stream on it. */
  locksInUse: ReadonlySet<number>;
  minRatePerSec?: bigint;
}

export type Admission = { ok: true; stream: PayeeRecord; effects: StreamEffect[] } | { ok: false; reason: string };

export function admitPayee(m: StreamOpenMessage, ctx: AdmitContext): Admission {
  const no = (reason: string): Admission => ({ ok: false, reason });
  if (ctx.idInUse) return no('stream id in use');
  // The terms and the price first: they need no state, and their refusal is the same whatever the channel.
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
    return no(`bad terms: ${(e as Error).message}`);
  }
  if (terms.tickMs !== m.tickMs) return no('tick interval does not match the billing');
  const perSec = (terms.rate.amount * 1000n) / BigInt(terms.rate.perMs);
  if (ctx.minRatePerSec !== undefined && perSec < ctx.minRatePerSec) return no(`rate below this node's price of ${ctx.minRatePerSec} msat/s`);
  const hopChain = m.chainRoot !== undefined;
  const routed = m.batchMs !== undefined || hopChain;
  if (hopChain) {
    // A hash-chain stream across hops: the lock that backs it is the last hop's, found by its root (hop-chain.ts).
    if (m.batchMs !== undefined || terms.mode !== 'hashchain') return no('a chain root is for hash-chain streams across hops only');
    if (m.channelId.some((x) => x !== 0)) return no('a stream across hops names no channel');
    if (terms.tickMs > MAX_ROUTED_TICK_MS) return no(`a stream across hops ticks at least every ${MAX_ROUTED_TICK_MS} ms`);
  } else if (routed) {
    // A stream across hops: no channel between us; one routed HTLC pays each batch (batch.ts).
    if (m.channelId.some((x) => x !== 0)) return no('a stream across hops names no channel');
    if (m.batchMs! < 1 || m.batchMs! > MAX_BATCH_MS) return no(`batch interval: 1 ms to ${MAX_BATCH_MS} ms`);
    if (terms.mode === 'hashchain') return no('a hash-chain stream across hops is paid by chain locks, not batches');
    if (terms.tickMs > MAX_ROUTED_TICK_MS) return no(`a stream across hops ticks at least every ${MAX_ROUTED_TICK_MS} ms`);
  } else if (!ctx.channelOpen) return no('no open channel with you by that id');
  if (ctx.liveStreams >= ctx.maxStreams) return no(`at most ${ctx.maxStreams} streams per ${routed ? 'peer across hops' : 'channel'}`);
  const id = toHex(m.streamId);
  const stream: PayeeRecord = {
    id, role: 'payee', peerId: ctx.peerId, channelId: toHex(m.channelId), terms, status: 'active',
    startedAt: ctx.now, ticks: 0, paid: 0n, late: false,
  };
  if (m.batchMs !== undefined) stream.routed = { batchMs: m.batchMs };
  if (hopChain) {
    const { units, unit } = hashchainUnits(terms);
    stream.hopChain = { root: toHex(m.chainRoot!) };
    stream.chain = { lockId: 0, units, unit, revealedDepth: 0 }; // the lock id is the last hop's, known once its lock comes
  } else if (terms.mode === 'hashchain') {
    if (m.hashchainLockId === 0 || ctx.locksInUse.has(m.hashchainLockId)) return no('that lock id is in use');
    const { units, unit } = hashchainUnits(terms);
    stream.chain = { lockId: m.hashchainLockId, units, unit, revealedDepth: 0 };
  }
  return { ok: true, stream, effects: [{ type: 'persist', when: 'now' }, { type: 'send', message: { kind: 'streamAccept', streamId: m.streamId } }, { type: 'emit', event: 'opened' }] };
}
