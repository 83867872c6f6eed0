// The pure parts of streams across hops: the batch record in the payee's payload, the preimage derived
// per tick range, when a batch is due, the payee's check before it settles, and streamOpen's batchMs TLV.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import {
  batchDue, batchPreimage, checkBatch, decodeBatchRecord, encodeBatchRecord, lateGrace, nextBatchAt, STREAM_BATCH_TLV_TYPE, type RoutedPayer,
} from '../../src/stream/batch.js';
import { step } from '../../src/stream/machine.js';
import { payerWakeAt } from '../../src/stream/wake.js';
import { admitPayee, openMessage, openPayer } from '../../src/stream/open.js';
import type { PayeeRecord, PayerRecord } from '../../src/stream/record.js';
import { makeTerms } from '../../src/stream/terms.js';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';

const ID = '11'.repeat(16);
const SECRET = '22'.repeat(32);
const T0 = 1_000_000;
const terms = makeTerms({ rate: { amount: 10n, perMs: 1000 }, durationMs: 10_000 }); // 10 ticks of 10 msat
const routed: RoutedPayer = { batchMs: 3000, maxFeeMsat: 5000n, secret: SECRET, route: ['h', 'p'], quotedFeeMsat: 1001n, feesPaid: 0n };
const ctx = { graceMs: 2000, checkpointTicks: 60, idleExpiryMs: 60_000 };

function payer(extra: Partial<PayerRecord> = {}): PayerRecord {
  return { ...openPayer({ id: ID, peerId: 'p', channelId: '00'.repeat(32), terms, now: T0 }), status: 'active', resumedAt: T0, routed, ...extra };
}
function payee(extra: Partial<PayeeRecord> = {}): PayeeRecord {
  return { id: ID, role: 'payee', peerId: 'a', channelId: '00'.repeat(32), terms, status: 'active', startedAt: T0, ticks: 0, paid: 0n, late: false, routed: { batchMs: 3000 }, ...extra };
}

describe('batch record and preimage', () => {
  it('round-trips, is odd and in the custom range, and refuses a wrong length or an empty range', () => {
    expect(STREAM_BATCH_TLV_TYPE % 2n).toBe(1n);
    expect(STREAM_BATCH_TLV_TYPE >= 65537n).toBe(true);
    const b = { streamId: ID, from: 3, to: 7 };
    expect(decodeBatchRecord(encodeBatchRecord(b))).toEqual(b);
    expect(decodeBatchRecord(new Uint8Array(23))).toBeUndefined();
    expect(decodeBatchRecord(encodeBatchRecord({ streamId: ID, from: 7, to: 7 }))).toBeUndefined();
  });

  it('gives each tick range its own preimage, and the same one again for the same range', () => {
    const p = (from: number, to: number) => toHex(batchPreimage(SECRET, { streamId: ID, from, to }));
    expect(p(0, 3)).toBe(p(0, 3));
    expect(new Set([p(0, 3), p(0, 4), p(1, 3), toHex(batchPreimage('33'.repeat(32), { streamId: ID, from: 0, to: 3 }))]).size).toBe(4);
  });
});

describe('the payer pays one batch per interval', () => {
  it('holds ticks until the batch is due, then pays them in one HTLC stored before it is offered', () => {
    const at2 = step(payer(), { type: 'tick', now: T0 + 2000, reachable: true, spendable: 10n ** 9n }, ctx);
    expect(at2.ok && at2.effects).toEqual([]);
    const at3 = step(payer(), { type: 'tick', now: T0 + 3000, reachable: true, spendable: 10n ** 9n }, ctx);
    if (!at3.ok) throw new Error(at3.error.message);
    expect(at3.effects.map((e) => e.type)).toEqual(['hold', 'persist', 'payBatch']);
    expect(at3.effects[2]).toEqual({ type: 'payBatch', amount: 30n, from: 0, ticks: 3 });
    expect(at3.stream).toMatchObject({ held: { ticks: 3, amount: 30n }, routed: { lastBatchAt: T0 + 3000 } });
  });

  it('keeps one tick per batch when every batch is made late: the interval counts from its slot, not from when it was made', () => {
    // a tick and a batch every second; each pass comes 250 ms after the wake asked for, and each batch
    // settles 150 ms after it is offered (a loaded machine). Counted from `now`, the lateness would add
    // up and a batch of two ticks would come by the fourth.
    const perSecond: RoutedPayer = { ...routed, batchMs: 1000 };
    let r: PayerRecord = payer({ routed: perSecond });
    const batches: number[] = [];
    for (let pass = 0; pass < 200 && r.status === 'active'; pass++) {
      const now = payerWakeAt(r)! + 250;
      const out = step(r, { type: 'tick', now, reachable: true, spendable: 10n ** 9n }, ctx);
      if (!out.ok) throw new Error(out.error.message);
      r = out.stream as PayerRecord;
      const pay = out.effects.find((e) => e.type === 'payBatch');
      if (!pay || pay.type !== 'payBatch') continue;
      batches.push(pay.ticks - pay.from);
      const settled = step(r, { type: 'committed', ticks: pay.ticks, feeMsat: 1n, now: now + 150 }, ctx);
      if (!settled.ok) throw new Error(settled.error.message);
      r = settled.stream as PayerRecord;
    }
    expect(r).toMatchObject({ status: 'finished', ticksPaid: 10 });
    expect(batches).toEqual(Array(10).fill(1));
  });

  it('sends the last ticks at once, wakes at the batch time, and adds each batch fee when fulfilled', () => {
    const r = payer({ ticksPaid: 9, activeMs: 9000, resumedAt: T0 + 9000, routed: { ...routed, lastBatchAt: T0 + 9000 } });
    expect(batchDue(r, 10, T0 + 10_000)).toBe(true); // the end is not held back
    expect(batchDue(r, 9, T0 + 10_000)).toBe(false);
    expect(nextBatchAt(r, T0 + 10_000)).toBe(T0 + 12_000);
    const held = { ...r, held: { ticks: 10, amount: 10n, at: T0 + 10_000 } };
    const done = step(held, { type: 'committed', ticks: 10, feeMsat: 1001n, now: T0 + 10_100 }, ctx);
    expect(done.ok && done.stream).toMatchObject({ status: 'finished', ticksPaid: 10, routed: { feesPaid: 1001n } });
  });

  it('keeps going after a failed batch (its ticks go in the next), stops after 30 s of failures or when the payee refuses', () => {
    const held = payer({ held: { ticks: 3, amount: 30n, at: T0 + 3000 } });
    const once = step(held, { type: 'refused', ticks: 3, reason: 'no route', now: T0 + 3100 }, ctx);
    if (!once.ok) throw new Error(once.error.message);
    expect(once.stream).toMatchObject({ status: 'active', ticksPaid: 0, routed: { failingSince: T0 + 3100 } });
    expect(once.effects.map((e) => e.type)).toEqual(['release', 'persist']);
    const late = step({ ...once.stream as PayerRecord, held: { ticks: 30, amount: 300n, at: T0 } }, { type: 'refused', ticks: 30, reason: 'no route', now: T0 + 33_100 }, ctx);
    expect(late.ok && late.stream).toMatchObject({ status: 'stopped', reason: expect.stringContaining('no batch went through for 30 s') });
    const final = step(held, { type: 'refused', ticks: 3, reason: 'incorrect_or_unknown_payment_details', final: true, now: T0 + 3100 }, ctx);
    expect(final.ok && final.stream).toMatchObject({ status: 'stopped' });
  });
});

describe('the payee checks a batch HTLC before it settles', () => {
  const rows: [string, PayeeRecord | undefined, { from: number; to: number }, bigint, string][] = [
    ['the next batch, exact', payee(), { from: 0, to: 3 }, 30n, 'meter'],
    ['no such stream', undefined, { from: 0, to: 3 }, 30n, 'fail'],
    ['a direct stream', payee({ routed: undefined }), { from: 0, to: 3 }, 30n, 'fail'],
    ['a range already metered', payee({ ticks: 3, paid: 30n }), { from: 0, to: 3 }, 30n, 'fail'],
    ['a gap', payee({ ticks: 3, paid: 30n }), { from: 4, to: 5 }, 10n, 'fail'],
    ['underpaid', payee(), { from: 0, to: 3 }, 29n, 'fail'],
    ['overpaid', payee(), { from: 0, to: 3 }, 31n, 'fail'],
    ['past the end', payee({ ticks: 9, paid: 90n }), { from: 9, to: 11 }, 20n, 'fail'],
    ['a stopped stream', payee({ status: 'stopped' }), { from: 0, to: 3 }, 30n, 'fail'],
    ['a paused stream (the batch was in flight)', payee({ status: 'paused' }), { from: 0, to: 3 }, 30n, 'meter'],
    ['the same HTLC asked again', payee({ ticks: 3, paid: 30n, routed: { batchMs: 3000, lastHtlc: 'c/1', lastFrom: 0 } }), { from: 0, to: 3 }, 30n, 'again'],
  ];
  for (const [name, r, b, amount, kind] of rows) {
    it(name, () => expect(checkBatch(r, { streamId: ID, ...b }, amount, 'c/1').kind).toBe(kind));
  }

  it('is late only after a batch interval plus the grace', () => {
    expect(lateGrace(payee(), 2000)).toBe(4000);
    expect(lateGrace(payee({ routed: undefined }), 2000)).toBe(2000);
  });
});

describe('streamOpen across hops', () => {
  it('carries batchMs in its TLV and a zero channel id; the payee admits it without a channel, refuses hash chains', () => {
    const m = openMessage(payer({ status: 'opening' }));
    expect(m.batchMs).toBe(3000);
    const back = decodeMessage(encodeMessage(m));
    expect(back.ok && back.value).toMatchObject({ kind: 'streamOpen', batchMs: 3000, channelId: new Uint8Array(32) });
    const ctxA = { peerId: 'a', now: T0, channelOpen: false, idInUse: false, liveStreams: 0, maxStreams: 64, locksInUse: new Set<number>() };
    const a = admitPayee(m, ctxA);
    expect(a.ok && a.stream.routed).toEqual({ batchMs: 3000 });
    expect(admitPayee({ ...m, mode: 'hashchain', max: 100n, hashchainLockId: 5 }, ctxA)).toMatchObject({ ok: false, reason: expect.stringContaining('paid by chain locks, not batches') });
    expect(admitPayee({ ...m, batchMs: 60_001 }, ctxA)).toMatchObject({ ok: false });
    expect(admitPayee({ ...m, channelId: new Uint8Array(32).fill(1) }, ctxA)).toMatchObject({ ok: false });
    // the bound on a peer's streams (maxStreamsPerChannel) applies per peer across hops
    expect(admitPayee(m, { ...ctxA, liveStreams: 64 })).toMatchObject({ ok: false, reason: 'at most 64 streams per peer across hops' });
    const { batchMs: _b, ...direct } = m;
    expect(admitPayee(direct, ctxA)).toMatchObject({ ok: false, reason: 'no open channel with you by that id' });
    expect(decodeMessage(encodeMessage(direct)).ok && (decodeMessage(encodeMessage(direct)) as { value: { batchMs?: number } }).value.batchMs).toBeUndefined();
  });
});
