import { describe, expect, it } from 'vitest';
import { SpendLedger } from '../../src/stream/limits.js';

const H = 3_600_000;
const T0 = 1000 * H; // on an hour boundary

describe('SpendLedger', () => {
  it('without limits everything is allowed and nothing remains to count', () => {
    const l = new SpendLedger().record('node', 5n, T0);
    expect(l.allowed('node', 10n ** 15n, T0, {})).toBe(true);
    expect(l.remaining('node', T0, {})).toBeUndefined();
  });

  it('counts each key on its own', () => {
    const l = new SpendLedger();
    l.record('node', 700n, T0);
    l.record('peerA', 700n, T0);
    expect(l.allowed('node', 400n, T0, { perDay: 1000n })).toBe(false);
    expect(l.allowed('node', 300n, T0, { perDay: 1000n })).toBe(true);
    expect(l.allowed('peerB', 1000n, T0, { perDay: 1000n })).toBe(true);
  });

  it('perDay is a rolling window: a spend leaves it 24-25 h later, never earlier', () => {
    const l = new SpendLedger().record('node', 900n, T0 + 30 * 60_000);
    const limits = { perDay: 1000n };
    expect(l.remaining('node', T0 + 23 * H, limits)).toBe(100n);
    expect(l.remaining('node', T0 + 24 * H + 59 * 60_000, limits)).toBe(100n);
    expect(l.remaining('node', T0 + 25 * H, limits)).toBe(1000n);
    expect(l.allowed('node', 1000n, T0 + 25 * H, limits)).toBe(true);
  });

  it('total is lifetime and the tighter limit wins', () => {
    const l = new SpendLedger();
    for (let day = 0; day < 5; day++) l.record('node', 400n, T0 + day * 30 * H);
    const limits = { perDay: 500n, total: 2100n };
    expect(l.spentTotal('node')).toBe(2000n);
    expect(l.remaining('node', T0 + 200 * H, limits)).toBe(100n);
    expect(l.remaining('node', T0 + 4 * 30 * H, limits)).toBe(100n);
    expect(l.remaining('node', T0 + 200 * H, { total: 1000n })).toBe(0n); // saturates, never negative
  });

  it('round-trips through JSON, and keeps only buckets still in a window', () => {
    const l = new SpendLedger().record('node', 1n, T0).record('node', 2n, T0 + 26 * H).record('peer', 3n, T0 + 26 * H + 1);
    const back = SpendLedger.fromJSON(JSON.parse(JSON.stringify(l)));
    expect(back.toJSON()).toEqual(l.toJSON());
    expect(back.spentTotal('node')).toBe(3n);
    expect(back.spentToday('node', T0 + 26 * H)).toBe(2n);
    expect(l.toJSON().keys.find((k) => k.key === 'node')?.hours).toEqual([[1026, '2']]);
  });

  it.each([
    [null, /expected an object/],
    [{ version: 2, keys: [] }, /version/],
    [{ version: 1, keys: [{ key: 'a', total: '-1', hours: [] }] }, /total/],
    [{ version: 1, keys: [{ key: 'a', total: '1', hours: [[1.5, '1']] }] }, /pairs/],
    [{ version: 1, keys: [{ key: 'a', total: '1', hours: [[1, 1]] }] }, /hour 1/],
    [{ version: 1, keys: [{ key: 'a', total: '1', hours: [] }, { key: 'a', total: '1', hours: [] }] }, /repeated/],
  ])('fromJSON refuses %j', (json, message) => {
    expect(() => SpendLedger.fromJSON(json)).toThrow(message);
  });

  it('validates its arguments', () => {
    const l = new SpendLedger();
    expect(() => l.record('', 1n, T0)).toThrow(/key/);
    expect(() => l.record('node', -1n, T0)).toThrow(/amount/);
    expect(() => l.allowed('node', 1n, Number.NaN, {})).toThrow(/now/);
    expect(() => l.allowed('node', 1n, T0, { perDay: -1n })).toThrow(/perDay/);
  });
});

describe('SpendLedger holds', () => {
  it('reserve counts under every key only when all allow it', () => {
    const l = new SpendLedger();
    const keys = [{ key: 'node', limits: { total: 1000n } }, { key: 'peer', limits: { total: 500n } }];
    expect(l.reserve(keys, 400n, T0)).toBe(true);
    expect(l.reserve(keys, 400n, T0)).toBe(false); // the peer's limit is in the way
    expect(l.spentTotal('node')).toBe(400n); // the refused hold counted nowhere
    expect(l.spentTotal('peer')).toBe(400n);
  });

  it('release gives a hold back in its hour and in the total, never below zero', () => {
    const l = new SpendLedger().record('node', 700n, T0);
    l.release('node', 300n, T0 + 10);
    expect(l.spentTotal('node')).toBe(400n);
    expect(l.spentToday('node', T0 + H)).toBe(400n);
    l.release('node', 10_000n, T0);
    expect(l.spentTotal('node')).toBe(0n);
    expect(l.spentToday('node', T0)).toBe(0n);
    expect(() => l.release('node', -1n, T0)).toThrow(/amount/);
  });
});

describe('SpendLedger stays small however long it runs', () => {
  const hoursKept = (l: SpendLedger) => l.toJSON().keys.map((k) => k.hours.length);

  it('keeps at most the 25 hour buckets of one rolling day per key, so what a tick asks of it is a bounded sum', () => {
    const l = new SpendLedger();
    for (let h = 0; h < 1000; h++) l.record('node', 1n, T0 + h * H);
    expect(hoursKept(l)).toEqual([25]);
    expect(l.spentToday('node', T0 + 999 * H)).toBe(25n);
    expect(l.spentTotal('node')).toBe(1000n);
  });

  it('a ledger stored with older hours loads with them forgotten, and counts the same', () => {
    const json = { version: 1 as const, keys: [{ key: 'node', total: '1000', hours: Array.from({ length: 1000 }, (_, h): [number, string] => [1000 + h, '1']) }] };
    const l = SpendLedger.fromJSON(json);
    expect(hoursKept(l)).toEqual([25]);
    expect(l.spentToday('node', (1000 + 999) * H)).toBe(25n);
  });
});
