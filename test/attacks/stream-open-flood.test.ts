// Attack review of streams across hops: a flood of routed streamOpen messages (TLV 0x534C5543, the
// all-zero channel id). A routed stream needs no channel with the payee, only a BOLT 8 identity, so the
// per-peer bound (64 live streams) is no bound on what strangers with fresh keys can leave behind: each
// open is a stored record that stays until it expires as never paid, which is after its first tick plus a
// minute, up to 49 days with an interval of 2^32 - 1 ms. The payee now holds at most
// MAX_ROUTED_PAYEE_STREAMS live routed streams from all peers together (past it a never-paid stream of
// the peer with the most of them makes room; none never paid, the open is refused); and a routed
// stream ticks at least once a minute, so a never-paid one leaves its place within two minutes (else
// strangers could hold every place for 49 days and no honest routed stream would be taken).
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/node/clock.js';
import { StreamPayee } from '../../src/node/streams-payee.js';
import type { StreamShell } from '../../src/node/streams.js';
import { MAX_ROUTED_PAYEE_STREAMS } from '../../src/stream/batch.js';
import { isEnded, type StreamRecord } from '../../src/stream/record.js';
import type { StreamOpenMessage } from '../../src/wire/stream.js';
import { fromHex } from '../../src/crypto/bytes.js';
import { step, type StreamEffect, type StreamEvent } from '../../src/stream/machine.js';
import { MAX_ROUTED_TICK_MS } from '../../src/stream/batch.js';

const NO_CHANNEL = '00'.repeat(32);
const ctx = { graceMs: 2000, checkpointTicks: 60, idleExpiryMs: 60_000 };

function payee() {
  const records = new Map<string, StreamRecord>();
  const sent: { peerId: string; kind: string; reason?: string }[] = [];
  const shell = {
    o: {
      channels: { channels: new Map() },
      peers: { send: (peerId: string, m: { kind: string; reason?: string }) => void sent.push({ peerId, kind: m.kind, ...(m.reason ? { reason: m.reason } : {}) }) },
      policy: {},
      log: { info: () => {}, warn: () => {}, error: () => {} },
    },
    clock: new ManualClock(1000),
    records: {
      get: (id: string) => records.get(id),
      *onChannel(channelId: string) {
        for (const r of records.values()) if (r.channelId === channelId) yield r;
      },
      payeeStreamsOn: () => ({ live: 0, locks: new Set<number>() }),
      pruneEnded: () => Promise.resolve(),
    },
    stepNow: (r: StreamRecord, ev: StreamEvent) => {
      const res = step(r, ev, ctx);
      if (!res.ok) return undefined;
      records.set(res.stream.id, res.stream);
      return res.effects;
    },
    // the effects that matter here: the record is taken (persist), a message goes out, a record is dropped
    apply: (r: StreamRecord, effects: readonly StreamEffect[]) => {
      records.set(r.id, r);
      for (const e of effects) {
        if (e.type === 'send') sent.push({ peerId: r.peerId, kind: e.message.kind, ...('reason' in e.message && e.message.reason ? { reason: e.message.reason } : {}) });
        if (e.type === 'drop') records.delete(r.id);
      }
      return Promise.resolve();
    },
  } as unknown as StreamShell;
  return { p: new StreamPayee(shell), records, sent };
}

let n = 0;
/** A routed open paying 1 msat per interval (interval billing), by default the longest a routed stream may tick. */
function open(tickMs = MAX_ROUTED_TICK_MS): StreamOpenMessage {
  const id = (++n).toString(16).padStart(32, '0');
  return {
    kind: 'streamOpen', channelId: fromHex(NO_CHANNEL), streamId: fromHex(id), mode: 'signed', rateAmount: 1n, ratePerMs: tickMs, tickMs,
    max: 0n, durationMs: 0n, hashchainLockId: 0, batchMs: 60_000,
  };
}

describe('a flood of routed stream opens from strangers with fresh keys', () => {
  it('is held to MAX_ROUTED_PAYEE_STREAMS live streams in all: past it a never-paid one (the most idle peer\'s, oldest) makes room, a paid one never does', async () => {
    const t = payee();
    const peer = (k: number) => '02' + k.toString(16).padStart(64, '0');
    const squatters = Math.ceil(MAX_ROUTED_PAYEE_STREAMS / 64) + 4; // more identities than the bound needs
    for (let k = 0; k < squatters; k++) for (let i = 0; i < 64; i++) await t.p.admit(peer(k), open());
    const live = () => [...t.records.values()].filter((r) => !isEnded(r.status));
    expect(live().length).toBe(MAX_ROUTED_PAYEE_STREAMS);
    expect(t.records.size).toBe(MAX_ROUTED_PAYEE_STREAMS); // the ones that made room were never paid: forgotten
    // an honest payer's stream is taken, and once paid it keeps its place whatever comes after
    const honest = '03' + 'ee'.repeat(32);
    await t.p.admit(honest, open());
    expect(t.sent.at(-1)).toMatchObject({ peerId: honest, kind: 'streamAccept' });
    const mine = live().find((r) => r.peerId === honest)!;
    t.records.set(mine.id, { ...mine, ticks: 1, paid: 1n } as StreamRecord);
    for (let i = 0; i < 2 * MAX_ROUTED_PAYEE_STREAMS; i++) await t.p.admit(peer(squatters + (i % 64)), open());
    expect(live().length).toBe(MAX_ROUTED_PAYEE_STREAMS);
    expect(t.records.get(mine.id)?.status).toBe('active');
    // the streams that made room were told (streamControl stop)
    expect(t.sent.filter((x) => x.kind === 'streamControl').length).toBeGreaterThanOrEqual(2 * MAX_ROUTED_PAYEE_STREAMS);
    // an open that would be refused anyway (bad terms, or its peer at its own bound) makes no room
    for (let i = 0; i < 63; i++) {
      await t.p.admit(honest, open()); // the honest peer runs 64 streams, all paid
      const r = t.records.get([...t.records.keys()].at(-1)!)!;
      t.records.set(r.id, { ...r, ticks: 1, paid: 1n } as StreamRecord);
    }
    const before = new Set(live().map((r) => r.id));
    await t.p.admit(peer(9998), { ...open(), rateAmount: 0n });
    expect(t.sent.at(-1)).toMatchObject({ kind: 'streamReject', reason: expect.stringMatching(/bad terms/) as unknown });
    await t.p.admit(honest, open());
    expect(t.sent.at(-1)).toMatchObject({ kind: 'streamReject', reason: 'at most 64 streams per peer across hops' });
    expect(new Set(live().map((r) => r.id))).toEqual(before);
    // every place paid: nothing can make room, and an open is refused
    for (const r of live()) t.records.set(r.id, { ...r, ticks: 1, paid: 1n } as StreamRecord);
    await t.p.admit(peer(9999), open());
    expect(t.sent.at(-1)).toMatchObject({ kind: 'streamReject', reason: `at most ${MAX_ROUTED_PAYEE_STREAMS} streams across hops at once` });
    expect(live().length).toBe(MAX_ROUTED_PAYEE_STREAMS);
  });

  it('the per-peer bound still holds below the total: a 65th stream from one peer is refused', async () => {
    const t = payee();
    for (let i = 0; i < 65; i++) await t.p.admit('02' + 'aa'.repeat(32), open());
    expect(t.sent.filter((s) => s.kind === 'streamAccept').length).toBe(64);
    expect(t.sent.at(-1)).toMatchObject({ kind: 'streamReject', reason: 'at most 64 streams per peer across hops' });
  });

  it('a routed stream that would tick less than once a minute is refused (never paid, a 2^32 ms tick held its place 49 days); one that ticks once a minute and is never paid goes within two minutes', async () => {
    const t = payee();
    await t.p.admit('02' + 'bb'.repeat(32), open(0xffffffff));
    await t.p.admit('02' + 'bb'.repeat(32), open(MAX_ROUTED_TICK_MS + 1));
    expect(t.sent.map((s) => s.reason)).toEqual([`a stream across hops ticks at least every ${MAX_ROUTED_TICK_MS} ms`, `a stream across hops ticks at least every ${MAX_ROUTED_TICK_MS} ms`]);
    await t.p.admit('02' + 'bb'.repeat(32), open());
    const r = [...t.records.values()][0]!;
    const res = step(r, { type: 'tick', now: r.startedAt + 2 * 60_000 + 1, reachable: true, spendable: 0n }, ctx);
    expect(res.ok && res.effects.map((e) => e.type)).toContain('drop');
  });
});
