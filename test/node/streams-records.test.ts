// What a restart brings back: running payers resume offline (downtime never billed), a paid total stored
// with a channel state wins over an older record, an open that never finished is over, and records in
// the shape stored before the stream machine still load.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LevelNodeStore } from '../../src/node/store.js';
import type { NodeStore } from '../../src/node/store-port.js';
import { StreamRecords } from '../../src/node/streams-records.js';
import { toStored } from '../../src/node/stream-record.js';
import { makeTerms } from '../../src/stream/terms.js';
import type { PayeeRecord, PayerRecord } from '../../src/stream/record.js';
import { silentLogger } from '../../src/util/log.js';
import { tempDir } from '../helpers/tmp.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function store(): Promise<NodeStore> {
  const tmp = await tempDir();
  const s = new LevelNodeStore(join(tmp.dir, 'db'));
  await s.open();
  cleanups.push(tmp.cleanup, () => s.close());
  return s;
}

const records = (s: NodeStore) => new StreamRecords({ store: s, channels: { afterPending: (_id, fn) => fn(), channels: new Map() }, log: silentLogger() });
const terms = makeTerms({ rate: { amount: 10n, perMs: 100 } });
const T0 = 1_000_000;

describe('stream records after a restart', () => {
  it('a running payer comes back offline with its clock at the ticks paid, and a paid total stored with a state wins', async () => {
    const s = await store();
    const r: PayerRecord = { id: 'p1', role: 'payer', peerId: 'b', channelId: 'c', terms, status: 'active', startedAt: T0, activeMs: 5000, resumedAt: T0, ticksPaid: 4, held: { ticks: 6, amount: 20n, at: T0 } };
    const a = records(s);
    await a.saveNow(r); // stored with the payment in flight counted
    await s.saveStreams([{ key: 'p1/paid', value: a.paidWrite(r, 9).value }]);
    const b = records(s);
    await b.load(T0 + 99_999);
    const back = b.get('p1') as PayerRecord;
    expect(back).toMatchObject({ status: 'active', ticksPaid: 9, activeMs: 9 * 100, offline: true });
    expect(back.resumedAt).toBeUndefined();
    expect(back.held).toBeUndefined();
  });

  it('an open the node stopped in the middle of is over', async () => {
    const s = await store();
    await records(s).saveNow({ id: 'p2', role: 'payer', peerId: 'b', channelId: 'c', terms, status: 'opening', startedAt: T0, activeMs: 0, ticksPaid: 0 });
    const b = records(s);
    await b.load(T0 + 5);
    expect(b.get('p2')).toMatchObject({ status: 'rejected', endedAt: T0 + 5 });
  });

  it('loads records stored before the stream machine', async () => {
    const s = await store();
    const chained = makeTerms({ rate: { amount: 10n, perMs: 100 }, max: 100n, mode: 'hashchain' });
    await s.saveStreams([
      { key: 'old1', value: toStored({ id: 'old1', role: 'payer', peerId: 'b', channelId: 'c', terms: chained, status: 'finished', startedAt: T0, payer: { activeMs: 1000, ticksPaid: 10, paid: 100n, status: 'finished' }, seed: 'aa'.repeat(32), lockId: 4, units: 10, unit: 10n }) },
      { key: 'old2', value: toStored({ id: 'old2', role: 'payee', peerId: 'a', channelId: 'c', terms: chained, status: 'stopped', startedAt: T0, meter: { ticks: 7, paid: 70n, late: false, lastTickAt: T0 + 700 }, lockId: 5, units: 10, unit: 10n, revealedDepth: 7, revealedValue: 'bb'.repeat(32) }) },
    ]);
    const b = records(s);
    await b.load(T0);
    expect(b.get('old1')).toMatchObject({ role: 'payer', ticksPaid: 10, activeMs: 1000, chain: { seed: 'aa'.repeat(32), lockId: 4, units: 10, unit: 10n } });
    expect((b.get('old1') as unknown as { payer?: unknown }).payer).toBeUndefined();
    expect(b.get('old2') as PayeeRecord).toMatchObject({ ticks: 7, paid: 70n, lastTickAt: T0 + 700, chain: { lockId: 5, revealedDepth: 7, revealedValue: 'bb'.repeat(32) } });
  });
});

describe('ended payee streams kept per channel', () => {
  it('forgets the oldest past the bound, but never a hash-chain stream whose lock (and so its unclaimed reveals) is still in the channel', async () => {
    const s = await store();
    const chained = makeTerms({ rate: { amount: 10n, perMs: 100 }, max: 100n, mode: 'hashchain' });
    const lockedChannel = { signed: { state: { locks: [{ kind: 'hashchain', id: 3 }] } } };
    const a = new StreamRecords({ store: s, channels: { afterPending: (_id, fn) => fn(), channels: new Map([['c', lockedChannel]]) as never }, log: silentLogger() });
    const ended = (id: string, endedAt: number, extra: Partial<PayeeRecord> = {}): PayeeRecord => ({
      id, role: 'payee', peerId: 'a', channelId: 'c', terms, status: 'stopped', startedAt: T0, endedAt, ticks: 1, paid: 10n, late: false, ...extra,
    });
    const locked = ended('e0', T0, { terms: chained, chain: { lockId: 3, units: 10, unit: 10n, revealedDepth: 4, revealedValue: '00'.repeat(32) } });
    for (const r of [locked, ended('e1', T0 + 1), ended('e2', T0 + 2), ended('e3', T0 + 3)]) {
      a.set(r);
      await a.saveNow(r);
    }
    await a.pruneEnded('c', 2);
    expect([...a.all.keys()].sort()).toEqual(['e0', 'e2', 'e3']);
    expect((await s.loadStreams()).map((v) => v['id']).sort()).toEqual(['e0', 'e2', 'e3']);
  });
});

describe('the per-channel and running indexes', () => {
  it('are kept in step with the table on insert, change and delete', async () => {
    const a = records(await store());
    const payer = (id: string, channelId: string, status: PayerRecord['status'] = 'active'): PayerRecord =>
      ({ id, role: 'payer', peerId: 'b', channelId, terms, status, startedAt: T0, activeMs: 0, ticksPaid: 0 });
    const ids = (it: Iterable<{ id: string }>) => [...it].map((r) => r.id).sort();
    a.set(payer('p1', 'c1'));
    a.set(payer('p2', 'c1'));
    a.set(payer('p3', 'c2', 'paused'));
    expect(ids(a.onChannel('c1'))).toEqual(['p1', 'p2']);
    expect(ids(a.onChannel('c2'))).toEqual(['p3']);
    expect(ids(a.onChannel('c3'))).toEqual([]);
    expect(ids(a.notEnded())).toEqual(['p1', 'p2', 'p3']);
    a.set(payer('p1', 'c1', 'stopped')); // ended: still the channel's, no longer running
    expect(ids(a.onChannel('c1'))).toEqual(['p1', 'p2']);
    expect(ids(a.notEnded())).toEqual(['p2', 'p3']);
    await a.drop('p2');
    a.forget('p3');
    expect(ids(a.onChannel('c1'))).toEqual(['p1']);
    expect(ids(a.onChannel('c2'))).toEqual([]);
    expect(ids(a.notEnded())).toEqual([]);
    expect([...a.all.keys()]).toEqual(['p1']);
  });

  it('are rebuilt by a load', async () => {
    const s = await store();
    const a = records(s);
    const r: PayeeRecord = { id: 'e1', role: 'payee', peerId: 'a', channelId: 'c9', terms, status: 'stopped', startedAt: T0, endedAt: T0, ticks: 1, paid: 10n, late: false };
    await a.saveNow(r);
    const b = records(s);
    await b.load(T0);
    expect([...b.onChannel('c9')].map((x) => x.id)).toEqual(['e1']);
    expect([...b.notEnded()]).toEqual([]);
  });
});
