// How stream records reach the store at scale: saveNow gathers a burst into one write (each caller
// still resolves only once its record is stored; a record dropped meanwhile is not written back), the
// once-a-second flush goes in chunks (a failed chunk is tried again), the payee counts an open asks for
// are kept per channel (the same answer as walking every record), and the stored form is what a JSON
// round trip gives.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryNodeStore } from '../../src/node/memory-store.js';
import { FLUSH_CHUNK, StreamRecords } from '../../src/node/streams-records.js';
import { toStored } from '../../src/node/stream-record.js';
import { makeTerms } from '../../src/stream/terms.js';
import { isEnded, type PayeeRecord, type PayerRecord, type StreamRecord } from '../../src/stream/record.js';
import { silentLogger } from '../../src/util/log.js';

const terms = makeTerms({ rate: { amount: 1000n, perMs: 1000 } });
const T0 = 1_000_000;

const payee = (id: string, extra: Partial<PayeeRecord> = {}): PayeeRecord => ({
  id, role: 'payee', peerId: 'a', channelId: 'c', terms, status: 'active', startedAt: T0, ticks: 0, paid: 0n, late: false, ...extra,
});
const payer = (id: string, extra: Partial<PayerRecord> = {}): PayerRecord => ({
  id, role: 'payer', peerId: 'b', channelId: 'c', terms, status: 'active', startedAt: T0, activeMs: 0, ticksPaid: 0, ...extra,
});

/** A memory store whose stream writes are counted and can be held until released. */
function gatedStore() {
  const mem = new MemoryNodeStore();
  const writes: string[][] = [];
  let gate: Promise<void> | undefined;
  let failNext = 0;
  const save = mem.saveStreams.bind(mem);
  mem.saveStreams = async (entries) => {
    writes.push(entries.map((e) => e.key));
    if (gate) await gate;
    if (failNext > 0) {
      failNext--;
      throw new Error('disk full');
    }
    await save(entries);
  };
  return {
    mem, writes,
    hold(): () => void {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => {
        gate = undefined;
        open();
      };
    },
    failNextWrite: () => failNext++,
    stored: async () => new Set((await mem.loadStreams()).map((v) => String(v['id']))),
  };
}

/** A channel queue double: tasks run one after the other, as the channel manager runs them. */
function channelQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  let tasks = 0;
  return {
    tasks: () => tasks,
    afterPending: <T>(_id: string, fn: () => Promise<T>): Promise<T> => {
      tasks++;
      const run = tail.then(fn);
      tail = run.catch(() => undefined);
      return run;
    },
    channels: new Map(),
  };
}

describe('saveNow at scale', () => {
  it('a burst of records goes in one write after the one in flight, and each caller resolves once its record is stored', async () => {
    const s = gatedStore();
    const records = new StreamRecords({ store: s.mem, channels: channelQueue() as never, log: silentLogger() });
    const release = s.hold();
    const first = records.saveNow(payee('p0'));
    await Promise.resolve(); // the first write is now in flight (held)
    const resolved = new Set<string>();
    const burst = Array.from({ length: 300 }, (_, i) => {
      const r = payee(`p${i + 1}`);
      return records.saveNow(r).then(async () => {
        // resolved only once stored
        expect((await s.stored()).has(r.id)).toBe(true);
        resolved.add(r.id);
      });
    });
    await Promise.resolve();
    expect(resolved.size).toBe(0);
    release();
    await Promise.all([first, ...burst]);
    expect(resolved.size).toBe(300);
    expect(s.writes).toHaveLength(2); // the one in flight, then the whole burst
    expect(s.writes[1]).toHaveLength(300);
  });

  it('a record forgotten while its write waits is not written back', async () => {
    const s = gatedStore();
    const records = new StreamRecords({ store: s.mem, channels: channelQueue() as never, log: silentLogger() });
    const release = s.hold();
    const inFlight = records.saveNow(payee('x0'));
    await Promise.resolve();
    records.set(payee('gone'));
    const waiting = records.saveNow(payee('gone'));
    const dropped = records.drop('gone');
    release();
    await Promise.all([inFlight, waiting, dropped]);
    expect(await s.stored()).toEqual(new Set(['x0']));
  });

  it('a signed payer is written in its channel queue, once per burst, as the record is when its turn comes', async () => {
    const s = gatedStore();
    const q = channelQueue();
    const records = new StreamRecords({ store: s.mem, channels: q as never, log: silentLogger() });
    for (let i = 0; i < 50; i++) records.set(payer(`q${i}`));
    const saves = Array.from({ length: 50 }, (_, i) => records.saveNow(payer(`q${i}`)));
    records.set(payer('q7', { ticksPaid: 9 })); // changed before the write's turn
    await Promise.all(saves);
    expect(q.tasks()).toBe(1);
    expect(s.writes).toHaveLength(1);
    const q7 = (await s.mem.loadStreams()).find((v) => v['id'] === 'q7');
    expect(q7?.['ticksPaid']).toBe(9);
  });

  it('a failed write fails every caller in it, and the next burst is written', async () => {
    const s = gatedStore();
    const records = new StreamRecords({ store: s.mem, channels: channelQueue() as never, log: silentLogger() });
    s.failNextWrite();
    const failed = await Promise.allSettled([records.saveNow(payee('f1')), records.saveNow(payee('f2'))]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await records.saveNow(payee('f3'));
    expect(await s.stored()).toEqual(new Set(['f3']));
  });
});

describe('the progress flush', () => {
  it('writes every marked record in chunks, and a chunk that fails is written by the next flush', async () => {
    const s = gatedStore();
    const records = new StreamRecords({ store: s.mem, channels: channelQueue() as never, log: silentLogger() });
    const n = 2 * FLUSH_CHUNK + 7;
    for (let i = 0; i < n; i++) {
      const r = payee(`m${i}`, { ticks: 1 });
      records.set(r);
      records.saveLater(r);
    }
    s.failNextWrite();
    await expect(records.flush()).rejects.toThrow('disk full');
    expect(s.writes).toHaveLength(1);
    await records.flush();
    expect(s.writes.slice(1).map((w) => w.length)).toEqual([FLUSH_CHUNK, FLUSH_CHUNK, 7]);
    expect((await s.stored()).size).toBe(n);
  });
});

describe('the payee counts a stream open asks for', () => {
  it('match a walk over every record, whatever was set, ended, moved or dropped', async () => {
    const op = fc.record({
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      what: fc.constantFrom('run', 'end', 'chain', 'payer', 'move', 'drop'),
      lock: fc.integer({ min: 1, max: 4 }),
    });
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
      const records = new StreamRecords({ store: new MemoryNodeStore(), channels: channelQueue() as never, log: silentLogger() });
      for (const o of ops) {
        if (o.what === 'drop') {
          await records.drop(o.id);
          continue;
        }
        const r: StreamRecord = o.what === 'payer' ? payer(o.id)
          : o.what === 'move' ? payee(o.id, { channelId: 'other' })
          : o.what === 'end' ? payee(o.id, { status: 'stopped', endedAt: T0 })
          : o.what === 'chain' ? payee(o.id, { chain: { lockId: o.lock, units: 10, unit: 1n, revealedDepth: 0 } })
          : payee(o.id);
        records.set(r);
      }
      for (const channel of ['c', 'other']) {
        const all = [...records.all.values()].filter((r) => r.channelId === channel && r.role === 'payee') as PayeeRecord[];
        const want = { live: all.filter((r) => !isEnded(r.status)).length, locks: new Set(all.flatMap((r) => (r.chain ? [r.chain.lockId] : []))) };
        expect(records.payeeStreamsOn(channel)).toEqual(want);
      }
    }));
  });
});

describe('the stored form', () => {
  it('is what a JSON round trip with tagged bigints gives', () => {
    const json = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? { $n: x.toString() } : x)));
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.bigInt(), fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.constant(undefined)),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(fc.property(fc.dictionary(fc.string(), value, { maxKeys: 6 }), (v) => {
      expect(toStored(v)).toEqual(json(v));
    }));
    const r = payer('p', { held: { ticks: 3, amount: 3000n, at: T0 } });
    expect(toStored(r)).toEqual(json(r));
  });
});
