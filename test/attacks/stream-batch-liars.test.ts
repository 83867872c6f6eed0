// Attack review of signed streams across hops (docs/streams.md "Streams across hops"): a payer that lies
// about its batches, against the payee's check (RoutedStreams.onBatchHtlc, checkBatch) with the real
// stream machine behind it.
//
// The finding: the meter moves in memory when a batch HTLC is judged, before the switch has stored its
// settle; a settle that is then not stored puts the meter back (releasedBatch). An honest payer offers
// one batch at a time (the next only once the last was fulfilled), but a lying one pipelines: batch
// (0, 5] and at once batch (5, 10], each under its own hash. The second was judged against the meter the
// first had moved, and when the first's settle was not stored (its write failed), the release found the
// second batch's mark on the stream and did nothing: the meter kept counting ticks 1..5 that no HTLC paid.
// Now a batch is refused while the stream's last metered batch has no stored settle yet.
//
// And a hub that lies: one extra msat on the HTLC to the payee (refused, so free) made the payee refuse
// the batch as if the payer had broken the terms, and the payer stopped the stream.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/node/clock.js';
import { RoutedStreams } from '../../src/node/streams-routed.js';
import type { StreamShell } from '../../src/node/streams.js';
import { step, type StreamEvent } from '../../src/stream/machine.js';
import { encodeBatchRecord, MAX_BATCH_MS } from '../../src/stream/batch.js';
import { admitPayee } from '../../src/stream/open.js';
import type { PayeeRecord, StreamRecord } from '../../src/stream/record.js';
import { makeTerms, owedAfter } from '../../src/stream/terms.js';
import { fromHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import type { StreamOpenMessage } from '../../src/wire/stream.js';
import { InvoiceManager } from '../../src/node/invoices.js';
import { STREAM_BATCH_TLV_TYPE } from '../../src/stream/batch.js';
import { randomSecretKey } from '../../src/crypto/keys.js';

const ID = '5a'.repeat(16);
const PAYER = '02' + 'cd'.repeat(32);
const terms = makeTerms({ rate: { amount: 10_000n, perMs: 1000 }, durationMs: 30_000 });
const owed = (from: number, to: number) => owedAfter(terms, to) - owedAfter(terms, from);
const rec = (from: number, to: number) => encodeBatchRecord({ streamId: ID, from, to });

function payee(over: Partial<PayeeRecord> = {}): PayeeRecord {
  return {
    id: ID, role: 'payee', peerId: PAYER, channelId: '00'.repeat(32), terms, status: 'active', startedAt: 0, ticks: 0, paid: 0n, late: false,
    routed: { batchMs: 1000 }, ...over,
  };
}

/** A payee's routed part over an in-memory record store and the real machine; `pending` holds the HTLCs whose settle is not stored yet. */
function setup(r: PayeeRecord = payee()) {
  const records = new Map<string, StreamRecord>([[r.id, r]]);
  const clock = new ManualClock(5000);
  const pending = new Set<string>();
  const shell = {
    o: { log: { error: () => {}, warn: () => {}, info: () => {} }, height: () => 100 },
    clock,
    records: {
      get: (id: string) => records.get(id),
      set: (x: StreamRecord) => void records.set(x.id, x),
      stored: (x: StreamRecord) => ({ id: x.id }),
      all: records,
    },
    stepNow: (x: StreamRecord, ev: StreamEvent) => {
      const res = step(x, ev, { graceMs: 2000, checkpointTicks: 60, idleExpiryMs: 60_000 });
      if (!res.ok) return undefined;
      records.set(res.stream.id, res.stream);
      return res.effects.length > 0 ? res.effects : undefined;
    },
    apply: () => Promise.resolve(),
    run: () => Promise.resolve(),
  } as unknown as StreamShell;
  const routed = new RoutedStreams(shell, {
    payer: {} as never,
    localChannels: () => [],
    addressOf: () => undefined,
    settleStored: (key) => !pending.has(key),
  });
  /** The switch judging a batch HTLC: its settle is pending until `stored` or `released`. */
  const judge = (from: number, to: number, amount: bigint, key: string) => {
    pending.add(key); // the switch holds the HTLC, nothing owed yet, while it asks
    const v = routed.onBatchHtlc(rec(from, to), amount, key);
    if (!('attached' in v)) pending.delete(key); // it owes a fail
    return 'attached' in v ? 'settle' : v.refused;
  };
  const stored = (key: string) => pending.delete(key);
  const pend = (key: string) => pending.add(key);
  const put = (x: StreamRecord) => void records.set(x.id, x);
  const released = (key: string) => (pending.delete(key), routed.releasedBatch(key));
  const meter = () => {
    const x = records.get(ID) as PayeeRecord;
    return { ticks: x.ticks, paid: x.paid };
  };
  return { routed, judge, stored, released, meter, pend, put };
}

describe('a lying payer against the payee of a stream across hops', () => {
  it('pipelines two batches and the first settle is not stored: the second is refused, so the meter goes back to what was paid', () => {
    const t = setup();
    expect(t.judge(0, 5, owed(0, 5), 'c/1')).toBe('settle');
    // the first settle's write is still in flight: a batch on top of it is refused
    expect(t.judge(5, 10, owed(5, 10), 'c/2')).toMatch(/not stored yet/);
    t.released('c/1'); // the write failed
    expect(t.meter()).toEqual({ ticks: 0, paid: 0n });
    // the payer's retry from the meter is taken, and once stored the next batch is too
    expect(t.judge(0, 5, owed(0, 5), 'c/3')).toBe('settle');
    t.stored('c/3');
    expect(t.judge(5, 10, owed(5, 10), 'c/4')).toBe('settle');
    t.stored('c/4');
    expect(t.meter()).toEqual({ ticks: 10, paid: owed(0, 10) });
  });

  it('an honest payer is never refused: each batch comes once the last was settled, whatever its size', () => {
    const t = setup();
    for (const [from, to, key] of [[0, 1, 'c/1'], [1, 7, 'c/2'], [7, 30, 'c/3']] as const) {
      expect(t.judge(from, to, owed(from, to), key)).toBe('settle');
      t.stored(key);
    }
    expect(t.meter()).toEqual({ ticks: 30, paid: owed(0, 30) });
  });

  it('holds a record for a batch only while its settle may not be stored: a thousand streams paid once leave none behind', () => {
    const t = setup();
    const many = Array.from({ length: 1000 }, (_, i) => payee({ id: i.toString(16).padStart(32, '0') }));
    for (const r of many) t.put(r);
    for (const [i, r] of many.entries()) {
      t.pend(`c/${i}`);
      expect(t.routed.onBatchHtlc(encodeBatchRecord({ streamId: r.id, from: 0, to: 1 }), owed(0, 1), `c/${i}`)).toHaveProperty('attached');
      t.stored(`c/${i}`);
    }
    expect(t.routed.pendingBatches()).toBeLessThanOrEqual(1); // the last one, until the next batch looks
    // one still being settled keeps its record (and the release still finds it), whatever comes after
    expect(t.judge(0, 5, owed(0, 5), 'c/x')).toBe('settle');
    t.pend('c/y');
    expect(t.routed.onBatchHtlc(encodeBatchRecord({ streamId: many[0]!.id, from: 1, to: 2 }), owed(1, 2), 'c/y')).toHaveProperty('attached');
    expect(t.routed.pendingBatches()).toBe(2);
    t.released('c/x');
    expect(t.meter()).toEqual({ ticks: 0, paid: 0n });
  });

  it('refuses what the protocol allows a liar to send: off by one msat either way, overlapping or gapped ranges, past the end, a replay under a new hash', () => {
    const t = setup();
    expect(t.judge(0, 5, owed(0, 5) - 1n, 'c/1')).toMatch(/cost/);
    expect(t.judge(0, 5, owed(0, 5) + 1n, 'c/2')).toMatch(/cost/);
    expect(t.judge(1, 5, owed(1, 5), 'c/3')).toMatch(/meter is at 0/); // a gap: ticks 1 not paid
    expect(t.judge(0, 31, owed(0, 31), 'c/4')).toMatch(/would pass/);
    expect(t.judge(0, 0xffffffff, owed(0, 30), 'c/5')).toMatch(/would pass/);
    expect(t.judge(0, 5, owed(0, 5), 'c/6')).toBe('settle');
    t.stored('c/6');
    expect(t.judge(0, 5, owed(0, 5), 'c/7')).toMatch(/meter is at 5/); // the same range again, another HTLC (a new hash)
    expect(t.judge(3, 8, owed(3, 8), 'c/8')).toMatch(/meter is at 5/); // overlapping
    expect(t.meter()).toEqual({ ticks: 5, paid: owed(0, 5) });
  });

  it('refuses a batch for a stream that stopped or finished, or one it never accepted', () => {
    for (const status of ['stopped', 'finished', 'rejected'] as const) {
      const t = setup(payee({ status }));
      expect(t.judge(0, 5, owed(0, 5), 'c/1')).toMatch(new RegExp(`stream is ${status}`));
    }
    const direct = setup(payee({ routed: undefined }));
    expect(direct.judge(0, 5, owed(0, 5), 'c/1')).toMatch(/no routed stream/);
    const t = setup();
    expect(t.routed.onBatchHtlc(encodeBatchRecord({ streamId: '77'.repeat(16), from: 0, to: 5 }), owed(0, 5), 'c/1')).toEqual({ refused: 'no routed stream by that id' });
    expect(t.routed.onBatchHtlc(new Uint8Array(23), owed(0, 5), 'c/1')).toEqual({ refused: 'a malformed stream batch record' });
  });

  it('the open: a huge or zero batch interval, or a channel id, is refused before any record is made', () => {
    const open = (batchMs: number, channelId = new Uint8Array(32)): StreamOpenMessage => ({
      kind: 'streamOpen', channelId, streamId: fromHex(ID), mode: 'signed', rateAmount: 10_000n, ratePerMs: 1000, tickMs: 1000,
      max: 0n, durationMs: 30_000n, hashchainLockId: 0, batchMs,
    });
    const ctx = { peerId: PAYER, now: 0, channelOpen: false, idInUse: false, liveStreams: 0, maxStreams: 64, locksInUse: new Set<number>() };
    expect(admitPayee(open(MAX_BATCH_MS + 1), ctx)).toMatchObject({ ok: false });
    expect(admitPayee(open(0xffffffff), ctx)).toMatchObject({ ok: false });
    expect(admitPayee(open(0), ctx)).toMatchObject({ ok: false });
    expect(admitPayee(open(1000, new Uint8Array(32).fill(1)), ctx)).toMatchObject({ ok: false });
    expect(admitPayee(open(1000), { ...ctx, liveStreams: 64 })).toMatchObject({ ok: false, reason: 'at most 64 streams per peer across hops' });
    expect(admitPayee(open(MAX_BATCH_MS), ctx)).toMatchObject({ ok: true });
  });

  it('a hub that adds 1 msat to a batch HTLC (free: the HTLC is refused, nothing moves) cannot make the payee refuse it and stop the stream', async () => {
    // The payee's final hop: what the onion says the payer sends is what the batch must cost; the HTLC may
    // carry more (the hub's gift, BOLT 4), never less. Judged by the HTLC's amount, the hub's extra msat
    // made the payee refuse with incorrect_or_unknown_payment_details, which the payer takes as the
    // payee's own refusal and stops the stream at once (a hub's own failures are retried elsewhere).
    const t = setup();
    const payee = new InvoiceManager({
      store: { writeRecords: () => Promise.resolve(), loadRecords: () => Promise.resolve([]) },
      switch: { localChannels: () => [] }, secretKey: randomSecretKey(), height: () => 100, clock: new ManualClock(5000),
      log: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as never, emit: () => {},
    });
    payee.setStreamBatches((r, amount, key) => t.routed.onBatchHtlc(r, amount, key), (key) => t.routed.releasedBatch(key));
    const preimage = sha256(new Uint8Array([1, 2, 3]));
    const htlc = (amountMsat: bigint, htlcId: number) => ({ channelId: 'cd'.repeat(32), htlcId, amountMsat, paymentHash: sha256(preimage), expiryHeight: 150 });
    const payload = { amountToForwardMsat: owed(0, 5), outgoingCltvValue: 150n, keysendPreimage: preimage, customRecords: [{ type: STREAM_BATCH_TLV_TYPE, value: rec(0, 5) }] };
    // less than the onion says is refused (the hub cut it)
    const short = await payee.onFinalHtlc(htlc(owed(0, 5) - 1n, 1), payload);
    expect(short.kind).toBe('fail');
    // more is taken, and the meter counts what the batch costs
    const more = await payee.onFinalHtlc(htlc(owed(0, 5) + 1n, 2), payload);
    expect(more.kind).toBe('settle');
    expect(t.meter()).toEqual({ ticks: 5, paid: owed(0, 5) });
  });
});
