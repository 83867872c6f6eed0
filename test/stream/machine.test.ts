// The stream machine as tables: every event in every status (for both roles and modes), then one row per
// rule and per refusal, with the effects the shell must run.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { HashChainSecret } from '../../src/stream/hashchain.js';
import { step, type ChainLock, type StreamContext, type StreamEvent } from '../../src/stream/machine.js';
import { admitPayee, openMessage, openPayer, type AdmitContext } from '../../src/stream/open.js';
import { paymentGap } from '../../src/stream/payee-step.js';
import { payerTickIdle } from '../../src/stream/payer-step.js';
import { wakeAt } from '../../src/stream/wake.js';
import { isEnded, type PayeeRecord, type PayerRecord, type StreamRecord, type StreamStatus } from '../../src/stream/record.js';
import { makeTerms, type StreamTerms } from '../../src/stream/terms.js';

const T0 = 1_000_000;
const SEED = new Uint8Array(32).fill(7);
const signed = makeTerms({ rate: { amount: 10n, perMs: 100 }, max: 100n }); // 10 ticks of 10 msat
const chained = makeTerms({ rate: { amount: 10n, perMs: 100 }, max: 100n, mode: 'hashchain' });
const secret = HashChainSecret.create(SEED, 10);
const ctx: StreamContext = { graceMs: 500, checkpointTicks: 4, idleExpiryMs: 60_000, chain: secret };
const ID = '11'.repeat(16);
const CH = '22'.repeat(32);

function payer(terms: StreamTerms, status: StreamStatus, extra: Partial<PayerRecord> = {}): PayerRecord {
  const chain = terms.mode === 'hashchain' ? { seed: toHex(SEED), units: 10, unit: 10n, lockId: 2 } : undefined;
  const r = openPayer({ id: ID, peerId: 'bob', channelId: CH, terms, now: T0, ...(chain ? { chain, budgetHold: 100n } : {}) });
  return { ...r, status, ...(status === 'active' ? { resumedAt: T0 } : {}), ...extra };
}

function payee(terms: StreamTerms, status: StreamStatus, extra: Partial<PayeeRecord> = {}): PayeeRecord {
  const r: PayeeRecord = { id: ID, role: 'payee', peerId: 'alice', channelId: CH, terms, status, startedAt: T0, ticks: 0, paid: 0n, late: false };
  if (terms.mode === 'hashchain') r.chain = { lockId: 2, units: 10, unit: 10n, revealedDepth: 0 };
  return { ...r, ...extra };
}

const lock = (maxUnits = 10, root = secret.root): ChainLock => ({ root, unit: 10n, maxUnits, from: 'A' });

const events: StreamEvent[] = [
  { type: 'accepted', now: T0 + 1 },
  { type: 'rejected', reason: 'no', now: T0 + 1 },
  { type: 'lockCommitted', now: T0 + 1 },
  { type: 'lockRefused', reason: 'no', now: T0 + 1 },
  { type: 'tick', now: T0 + 350, reachable: true, spendable: 1_000_000n },
  { type: 'committed', ticks: 3, now: T0 + 400 },
  { type: 'refused', ticks: 3, reason: 'no', now: T0 + 400 },
  { type: 'holdRefused', ticks: 3, now: T0 + 400 },
  { type: 'paid', amount: 30n, ticks: 3, seq: 5n, gap: false, now: T0 + 400 },
  { type: 'reveal', depth: 3, value: secret.preimageAt(3), lock: lock(), localSide: 'B', now: T0 + 400 },
  { type: 'control', action: 'pause', now: T0 + 400 },
  { type: 'control', action: 'resume', now: T0 + 400 },
  { type: 'control', action: 'stop', now: T0 + 400 },
  { type: 'peerControl', action: 'pause', reason: '', now: T0 + 400 },
  { type: 'peerControl', action: 'resume', reason: '', now: T0 + 400 },
  { type: 'peerControl', action: 'stop', reason: 'bye', now: T0 + 400 },
  { type: 'budgetReturned', now: T0 + 400 },
  { type: 'channelEnded', now: T0 + 400 },
  { type: 'peerConnected', now: T0 + 400 },
];
const statuses: StreamStatus[] = ['opening', 'active', 'paused', 'stopped', 'finished', 'rejected'];
const records: [string, (s: StreamStatus) => StreamRecord][] = [
  ['signed payer', (s) => payer(signed, s)],
  ['hash-chain payer', (s) => payer(chained, s)],
  ['signed payee', (s) => payee(signed, s)],
  ['hash-chain payee', (s) => payee(chained, s)],
];
const label = (e: StreamEvent) => (e.type === 'control' || e.type === 'peerControl' ? `${e.type}:${e.action}` : e.type);

describe.each(records)('every event in every status: %s', (_name, make) => {
  it.each(statuses.flatMap((s) => events.map((e) => [s, label(e), e] as const)))('%s + %s', (status, _l, ev) => {
    const before = make(status);
    const res = step(before, ev, ctx);
    if (!res.ok) {
      expect(['ignore', 'warn', 'conflict']).toContain(res.error.kind);
      expect(res.error.message.length).toBeGreaterThan(0);
      return;
    }
    const after = res.stream;
    // an ended stream stays ended, and nothing it does pays or reveals any more
    if (isEnded(before.status)) {
      expect(after.status).toBe(before.status);
      expect(res.effects.filter((e) => e.type === 'pay' || e.type === 'lock' || (e.type === 'send' && e.message.kind === 'streamTick'))).toEqual([]);
    }
    // a status change is stored at once (or the record is deleted: a payee stream never paid is forgotten)
    if (after.status !== before.status) expect(res.effects.some((e) => (e.type === 'persist' && e.when === 'now') || e.type === 'drop')).toBe(true);
    // the payer's committed total never goes down; the payee's meter never counts more than owed by the terms
    if (after.role === 'payer' && before.role === 'payer') expect(after.ticksPaid).toBeGreaterThanOrEqual(before.ticksPaid);
    if (after.role === 'payee') expect(after.paid).toBeLessThanOrEqual(after.terms.max!);
  });
});

function ok(r: ReturnType<typeof step>) {
  if (!r.ok) throw new Error(`refused: ${r.error.code} ${r.error.message}`);
  return r;
}
const kinds = (r: ReturnType<typeof step>) => ok(r).effects.map((e) => (e.type === 'send' ? `send:${e.message.kind}` : e.type === 'persist' ? `persist:${e.when}` : e.type === 'emit' ? `emit:${e.event}` : e.type));

describe('payer rules', () => {
  it.each([
    ['accepted (signed): active, clock starts', payer(signed, 'opening'), { type: 'accepted', now: T0 + 5 }, 'active', ['persist:now', 'emit:opened']],
    ['accepted (hash chain): lock the budget first', payer(chained, 'opening'), { type: 'accepted', now: T0 + 5 }, 'opening', ['lock']],
    ['lock committed: active, the hold became a spend', payer(chained, 'opening'), { type: 'lockCommitted', now: T0 + 5 }, 'active', ['persist:now', 'emit:opened']],
    ['lock refused: stopped, the budget hold released', payer(chained, 'opening'), { type: 'lockRefused', reason: 'x', now: T0 + 5 }, 'stopped', ['release', 'persist:now', 'send:streamControl']],
    ['rejected: the hold released', payer(chained, 'opening'), { type: 'rejected', reason: 'x', now: T0 + 5 }, 'rejected', ['release', 'persist:now']],
    ['tick with 3 due: hold and pay them in one payment', payer(signed, 'active'), { type: 'tick', now: T0 + 350, reachable: true, spendable: 1000n }, 'active', ['hold', 'pay']],
    ['tick while a payment is held: wait', payer(signed, 'active', { held: { ticks: 1, amount: 10n, at: T0 } }), { type: 'tick', now: T0 + 350, reachable: true, spendable: 1000n }, 'active', []],
    ['tick unreachable: the clock stops, nothing paid', payer(signed, 'active'), { type: 'tick', now: T0 + 350, reachable: false, spendable: 1000n }, 'active', []],
    ['tick past the channel balance: stop', payer(signed, 'active'), { type: 'tick', now: T0 + 350, reachable: true, spendable: 5n }, 'stopped', ['persist:now', 'send:streamControl', 'emit:stopped']],
    ['tick with not one tick within the spending limit: pause', payer(signed, 'active'), { type: 'tick', now: T0 + 350, reachable: true, spendable: 1000n, allowance: 9n }, 'paused', ['persist:now', 'send:streamControl', 'emit:paused']],
    ['tick (hash chain): reveal the depth due', payer(chained, 'active'), { type: 'tick', now: T0 + 350, reachable: true, spendable: 0n }, 'active', ['send:streamTick', 'emit:tick', 'persist:batched']],
    ['committed: the hold is paid', payer(signed, 'active', { held: { ticks: 3, amount: 30n, at: T0 } }), { type: 'committed', ticks: 3, now: T0 + 400 }, 'active', ['emit:tick', 'persist:batched']],
    ['committed to the cap: finished', payer(signed, 'active', { held: { ticks: 10, amount: 100n, at: T0 } }), { type: 'committed', ticks: 10, now: T0 + 1100 }, 'finished', ['emit:tick', 'persist:now', 'send:streamControl', 'emit:finished']],
    ['refused: the hold cancelled, its spend released, stopped', payer(signed, 'active', { held: { ticks: 3, amount: 30n, at: T0 } }), { type: 'refused', ticks: 3, reason: 'x', now: T0 + 400 }, 'stopped', ['release', 'persist:now', 'send:streamControl', 'emit:stopped']],
    ['holdRefused: nothing held is given back, paused at the limit', payer(signed, 'active', { held: { ticks: 3, amount: 30n, at: T0 } }), { type: 'holdRefused', ticks: 3, now: T0 + 400 }, 'paused', ['persist:now', 'send:streamControl', 'emit:paused']],
    ['refused after a stop: released, still stopped', payer(signed, 'stopped', { held: { ticks: 3, amount: 30n, at: T0 } }), { type: 'refused', ticks: 3, reason: 'x', now: T0 + 400 }, 'stopped', ['release', 'persist:now']],
    ['pause', payer(signed, 'active'), { type: 'control', action: 'pause', now: T0 + 400 }, 'paused', ['send:streamControl', 'persist:now', 'emit:paused']],
    ['resume', payer(signed, 'paused'), { type: 'control', action: 'resume', now: T0 + 400 }, 'active', ['send:streamControl', 'persist:now', 'emit:resumed']],
    ['stop', payer(signed, 'active'), { type: 'control', action: 'stop', now: T0 + 400 }, 'stopped', ['send:streamControl', 'persist:now', 'emit:stopped']],
    ['the peer stops it', payer(signed, 'active'), { type: 'peerControl', action: 'stop', reason: 'bye', now: T0 + 400 }, 'stopped', ['persist:now', 'send:streamControl', 'emit:stopped']],
    ['the channel ends', payer(signed, 'paused'), { type: 'channelEnded', now: T0 + 400 }, 'stopped', ['persist:now', 'emit:stopped']],
    ['the channel ends before the budget is locked: its hold released', payer(chained, 'opening'), { type: 'channelEnded', now: T0 + 400 }, 'stopped', ['release', 'persist:now', 'emit:stopped']],
    ['reconnect while paused: repeat the pause', payer(signed, 'paused'), { type: 'peerConnected', now: T0 + 400 }, 'paused', ['send:streamControl']],
    ['reconnect while running: repeat the resume', payer(signed, 'active'), { type: 'peerConnected', now: T0 + 400 }, 'active', ['send:streamControl']],
    ['reconnect soon after the end: repeat the stop', payer(signed, 'stopped', { endedAt: T0 }), { type: 'peerConnected', now: T0 + 400 }, 'stopped', ['send:streamControl']],
    ['reconnect long after the end: nothing', payer(signed, 'stopped', { endedAt: T0 }), { type: 'peerConnected', now: T0 + 3_600_000 }, 'stopped', []],
  ] as [string, StreamRecord, StreamEvent, StreamStatus, string[]][])('%s', (_n, before, ev, status, effects) => {
    const r = ok(step(before, ev, ctx));
    expect(r.stream.status).toBe(status);
    expect(kinds(r)).toEqual(effects);
  });

  it('the last tick is shown as it was, before the end that follows it', () => {
    const r = ok(step(payer(signed, 'active', { held: { ticks: 10, amount: 100n, at: T0 } }), { type: 'committed', ticks: 10, now: T0 + 1100 }, ctx));
    const [tick] = r.effects;
    expect(tick).toMatchObject({ type: 'emit', event: 'tick', at: { status: 'active', ticksPaid: 10 } });
    expect(r.stream.status).toBe('finished');
  });

  it.each([
    ['nothing due yet', payer(signed, 'active'), T0 + 50, true, true],
    ['a tick due', payer(signed, 'active'), T0 + 100, true, false],
    ['a tick due but a payment held', payer(signed, 'active', { held: { ticks: 1, amount: 10n, at: T0 } }), T0 + 500, true, true],
    ['the peer just went away', payer(signed, 'active'), T0 + 50, false, false],
    ['still away', payer(signed, 'active', { offline: true, resumedAt: undefined }), T0 + 500, false, true],
    ['back', payer(signed, 'active', { offline: true, resumedAt: undefined }), T0 + 500, true, false],
    ['paused', payer(signed, 'paused'), T0 + 500, true, true],
  ] as [string, PayerRecord, number, boolean, boolean][])('a tick the shell may skip is one that changes nothing: %s', (_n, r, now, reachable, idle) => {
    expect(payerTickIdle(r, now, reachable)).toBe(idle);
    if (!idle) return;
    const res = ok(step(r, { type: 'tick', now, reachable, spendable: 1000n }, ctx));
    expect(res.effects).toEqual([]);
    expect(res.stream).toEqual(r);
  });

  it('with 3 ticks due and room for 2 under the limit, pays the 2 (then pauses at the next tick)', () => {
    const r = ok(step(payer(signed, 'active'), { type: 'tick', now: T0 + 350, reachable: true, spendable: 1000n, allowance: 25n }, ctx));
    expect(r.effects).toEqual([{ type: 'hold', amount: 20n }, { type: 'pay', amount: 20n, ticks: 2 }]);
  });

  it('holds exactly what the terms owe for the ticks due, as absolute totals', () => {
    const r = ok(step(payer(signed, 'active', { ticksPaid: 2, activeMs: 0 }), { type: 'tick', now: T0 + 550, reachable: true, spendable: 1000n }, ctx));
    expect(r.effects).toEqual([{ type: 'hold', amount: 30n }, { type: 'pay', amount: 30n, ticks: 5 }]);
    expect((r.stream as PayerRecord).held).toEqual({ ticks: 5, amount: 30n, at: T0 + 550 });
    expect((r.stream as PayerRecord).ticksPaid).toBe(2); // not paid until committed
  });

  it.each([
    ['committed with no payment held', payer(signed, 'active'), { type: 'committed', ticks: 3, now: T0 }, 'ignore', 'NOT_HELD'],
    ['committed for another total', payer(signed, 'active', { held: { ticks: 4, amount: 1n, at: T0 } }), { type: 'committed', ticks: 3, now: T0 }, 'ignore', 'NOT_HELD'],
    ['holdRefused with no payment held', payer(signed, 'active'), { type: 'holdRefused', ticks: 3, now: T0 }, 'ignore', 'NOT_HELD'],
    ['refused with no payment held', payer(signed, 'active'), { type: 'refused', ticks: 3, reason: 'x', now: T0 }, 'ignore', 'NOT_HELD'],
    ['accepted twice', payer(signed, 'active'), { type: 'accepted', now: T0 }, 'ignore', 'WRONG_STATUS'],
    ['a user control on an ended stream', payer(signed, 'finished'), { type: 'control', action: 'resume', now: T0 }, 'conflict', 'WRONG_STATUS'],
    ['a user control while opening', payer(signed, 'opening'), { type: 'control', action: 'pause', now: T0 }, 'conflict', 'WRONG_STATUS'],
    ['a peer pausing the payer', payer(signed, 'active'), { type: 'peerControl', action: 'pause', reason: '', now: T0 }, 'ignore', 'NOT_PAYER'],
    ['a payment to the payer', payer(signed, 'active'), { type: 'paid', amount: 1n, ticks: 1, seq: 1n, gap: false, now: T0 }, 'ignore', 'NOT_PAYEE'],
  ] as [string, StreamRecord, StreamEvent, string, string][])('refuses %s', (_n, before, ev, kind, code) => {
    expect(step(before, ev, ctx)).toMatchObject({ ok: false, error: { kind, code } });
  });
});

describe('payee rules', () => {
  const reveal = (depth: number, l: ChainLock | null = lock(), value = secret.preimageAt(depth)): StreamEvent => ({ type: 'reveal', depth, value, localSide: 'B', now: T0 + 500, ...(l ? { lock: l } : {}) });
  it.each([
    ['a payment of exactly what is owed', payee(signed, 'active'), { type: 'paid', amount: 30n, ticks: 3, seq: 4n, gap: false, now: T0 + 400 }, 'active', 30n, ['emit:tick', 'persist:batched']],
    ['a payment while paused counts, and does not resume it (it may have been in flight at the pause)', payee(signed, 'paused'), { type: 'paid', amount: 30n, ticks: 3, seq: 4n, gap: false, now: T0 + 400 }, 'paused', 30n, ['emit:tick', 'persist:batched']],
    ['the last payment: finished', payee(signed, 'active', { ticks: 9, paid: 90n }), { type: 'paid', amount: 10n, ticks: 10, seq: 4n, gap: false, now: T0 + 400 }, 'finished', 100n, ['emit:tick', 'persist:now', 'emit:finished']],
    ['underpaid: stop it', payee(signed, 'active', { ticks: 1, paid: 10n }), { type: 'paid', amount: 19n, ticks: 3, seq: 4n, gap: false, now: T0 + 400 }, 'stopped', 10n, ['send:streamControl', 'persist:now', 'emit:stopped']],
    ['underpaid before any payment: stop it and forget it', payee(signed, 'active'), { type: 'paid', amount: 29n, ticks: 3, seq: 4n, gap: false, now: T0 + 400 }, 'stopped', 0n, ['send:streamControl', 'emit:stopped', 'drop']],
    ['short after a gap: only its amount counts', payee(signed, 'active', { ticks: 2, paid: 20n }), { type: 'paid', amount: 1n, ticks: 9, seq: 9n, gap: true, now: T0 + 400 }, 'active', 21n, ['emit:tick', 'persist:batched']],
    ['a reveal one deeper', payee(chained, 'active'), reveal(3), 'active', 30n, ['emit:tick', 'persist:batched']],
    ['a reveal at the checkpoint: claim', payee(chained, 'active'), reveal(4), 'active', 40n, ['emit:tick', 'persist:batched', 'claim']],
    ['a reveal against a claimed lock state', payee(chained, 'active', { ticks: 4, paid: 40n, chain: { lockId: 2, units: 10, unit: 10n, revealedDepth: 4, revealedValue: toHex(secret.preimageAt(4)) } }), reveal(5, lock(6, secret.preimageAt(4))), 'active', 50n, ['emit:tick', 'persist:batched']],
    ['the last reveal: finished, settle the chain', payee(chained, 'active'), reveal(10), 'finished', 100n, ['emit:tick', 'persist:batched', 'persist:now', 'settleChain', 'emit:finished']],
    ['a wrong preimage: stop it (its work is never asked twice)', payee(chained, 'active', { ticks: 2, paid: 20n, chain: { lockId: 2, units: 10, unit: 10n, revealedDepth: 2, revealedValue: toHex(secret.preimageAt(2)) } }), reveal(3, lock(), secret.preimageAt(2)), 'stopped', 20n, ['send:streamControl', 'persist:now', 'settleChain', 'emit:stopped']],
    ['stop by this node', payee(chained, 'active', { ticks: 2, paid: 20n, chain: { lockId: 2, units: 10, unit: 10n, revealedDepth: 2, revealedValue: toHex(secret.preimageAt(2)) } }), { type: 'control', action: 'stop', now: T0 + 400 }, 'stopped', 20n, ['send:streamControl', 'persist:now', 'settleChain', 'emit:stopped']],
    ['stop by this node before any reveal: forgotten (the drop gives a locked budget back)', payee(chained, 'active'), { type: 'control', action: 'stop', now: T0 + 400 }, 'stopped', 0n, ['send:streamControl', 'emit:stopped', 'drop']],
    ['the payer stops it before paying: forgotten', payee(signed, 'active'), { type: 'peerControl', action: 'stop', reason: 'bye', now: T0 + 400 }, 'stopped', 0n, ['emit:stopped', 'drop']],
    ['the payer pauses', payee(signed, 'active'), { type: 'peerControl', action: 'pause', reason: '', now: T0 + 400 }, 'paused', 0n, ['persist:now', 'emit:paused']],
    ['the payer resumes', payee(signed, 'paused'), { type: 'peerControl', action: 'resume', reason: '', now: T0 + 400 }, 'active', 0n, ['persist:now', 'emit:resumed']],
    ['a resume repeated on reconnect: nothing', payee(signed, 'active'), { type: 'peerControl', action: 'resume', reason: '', now: T0 + 400 }, 'active', 0n, []],
    ['a pause repeated on reconnect: nothing', payee(signed, 'paused'), { type: 'peerControl', action: 'pause', reason: '', now: T0 + 400 }, 'paused', 0n, []],
    ['the channel ends: no settling in the channel', payee(chained, 'active'), { type: 'channelEnded', now: T0 + 400 }, 'stopped', 0n, ['persist:now', 'emit:stopped']],
    ['late', payee(signed, 'active'), { type: 'tick', now: T0 + 700, reachable: true, spendable: 0n }, 'active', 0n, ['emit:late']],
    ['never paid for too long past its first tick: dropped', payee(signed, 'active'), { type: 'tick', now: T0 + 100 + 60_001, reachable: true, spendable: 0n }, 'active', 0n, ['send:streamControl', 'drop']],
  ] as [string, PayeeRecord, StreamEvent, StreamStatus, bigint, string[]][])('%s', (_n, before, ev, status, paid, effects) => {
    const r = ok(step(before, ev, ctx));
    expect(r.stream.status).toBe(status);
    expect((r.stream as PayeeRecord).paid).toBe(paid);
    expect(kinds(r)).toEqual(effects);
  });

  it.each([
    ['an overpayment', payee(signed, 'active'), { type: 'paid', amount: 31n, ticks: 3, seq: 4n, gap: false, now: T0 }, 'warn', 'overpaid'],
    ['an overpayment after a gap', payee(signed, 'active'), { type: 'paid', amount: 31n, ticks: 3, seq: 4n, gap: true, now: T0 }, 'warn', 'overpaid'],
    ['a replayed payment', payee(signed, 'active', { ticks: 3, paid: 30n }), { type: 'paid', amount: 30n, ticks: 3, seq: 4n, gap: false, now: T0 }, 'ignore', 'stale'],
    ['ticks past the end', payee(signed, 'active'), { type: 'paid', amount: 110n, ticks: 11, seq: 4n, gap: false, now: T0 }, 'warn', 'too-many-ticks'],
    ['a payment once stopped', payee(signed, 'stopped'), { type: 'paid', amount: 10n, ticks: 1, seq: 4n, gap: false, now: T0 }, 'warn', 'NOT_RUNNING'],
    ['a signed payment for a hash chain', payee(chained, 'active'), { type: 'paid', amount: 10n, ticks: 1, seq: 4n, gap: false, now: T0 }, 'warn', 'WRONG_MODE'],
    ['a reveal before the lock is signed', payee(chained, 'active'), reveal(3, null), 'ignore', 'NOT_LOCKED'],
    ['a reveal against a lock of another unit', payee(chained, 'active'), reveal(3, { ...lock(), unit: 11n }), 'warn', 'BAD_LOCK'],
    ['a reveal against our own lock', payee(chained, 'active'), reveal(3, { ...lock(), from: 'B' }), 'warn', 'BAD_LOCK'],
    ['a reveal no deeper', payee(chained, 'active', { chain: { lockId: 2, units: 10, unit: 10n, revealedDepth: 3, revealedValue: toHex(secret.preimageAt(3)) } }), reveal(3), 'ignore', 'not-deeper'],
    ['a user pause', payee(signed, 'active'), { type: 'control', action: 'pause', now: T0 }, 'conflict', 'NOT_PAYER'],
    ['a user stop once finished', payee(signed, 'finished'), { type: 'control', action: 'stop', now: T0 }, 'conflict', 'WRONG_STATUS'],
    ['a payer-side event', payee(signed, 'active'), { type: 'committed', ticks: 1, now: T0 }, 'ignore', 'NOT_PAYER'],
  ] as [string, PayeeRecord, StreamEvent, string, string][])('refuses %s', (_n, before, ev, kind, code) => {
    expect(step(before, ev, ctx)).toMatchObject({ ok: false, error: { kind, code } });
  });

  it('a payment may be short only when states were signed since the last one counted', () => {
    expect(paymentGap(payee(signed, 'active', { countedSeq: '7' }), 8n)).toBe(false);
    expect(paymentGap(payee(signed, 'active', { countedSeq: '7' }), 9n)).toBe(true);
    expect(paymentGap(payee(signed, 'active'), 1n)).toBe(true);
  });
});

describe('when a stream next needs a tick', () => {
  const tickAt = (r: StreamRecord, now: number) => step(r, { type: 'tick', now, reachable: true, spendable: 1000n }, ctx);
  it.each([
    ['a payer: its next tick', payer(signed, 'active', { ticksPaid: 2 }), T0 + 300],
    ['a payer with a payment held: none (its outcome wakes it)', payer(signed, 'active', { held: { ticks: 1, amount: 10n, at: T0 } }), undefined],
    ['a payer offline: none (the peer coming back wakes it)', payer(signed, 'active', { offline: true, resumedAt: undefined }), undefined],
    ['a payee never paid: its late deadline first', payee(signed, 'active'), T0 + 100 + 500 + 1],
    ['a payee: late a tick and the grace after its last payment', payee(signed, 'active', { paid: 10n, ticks: 1, lastTickAt: T0 + 1000 }), T0 + 1000 + 100 + 500 + 1],
    ['a payee already late: none until a payment', payee(signed, 'active', { paid: 10n, ticks: 1, late: true }), undefined],
    ['a paused payee: none', payee(signed, 'paused'), undefined],
  ] as [string, StreamRecord, number | undefined][])('%s', (_n, r, at) => {
    const now = T0 + 2000;
    expect(wakeAt(r, ctx, r.role === 'payee' && !r.late ? T0 : now)).toBe(at);
    // nothing changes before that time
    if (at !== undefined && r.role === 'payer') {
      const early = ok(tickAt(r, at - 1));
      expect(early.effects).toEqual([]);
      expect(ok(tickAt(r, at)).effects.length).toBeGreaterThan(0);
    }
    if (at !== undefined && r.role === 'payee') {
      expect(ok(tickAt(r, at - 1)).effects).toEqual([]);
      expect(ok(tickAt(r, at)).effects).toContainEqual({ type: 'emit', event: 'late' });
    }
  });
  it('a late payee just paid is woken at once, to be on time again', () => {
    const r = payee(signed, 'active', { paid: 10n, ticks: 1, late: true, lastTickAt: T0 + 1000 });
    expect(wakeAt(r, ctx, T0 + 1001)).toBe(T0 + 1001);
    expect(ok(tickAt(r, T0 + 1001)).effects).toEqual([{ type: 'emit', event: 'onTime' }]);
  });
});

describe('admitting a stream', () => {
  const base: AdmitContext = { peerId: 'alice', now: T0, channelOpen: true, idInUse: false, liveStreams: 0, maxStreams: 2, locksInUse: new Set() };
  const msg = (terms: StreamTerms) => openMessage({ ...payer(terms, 'opening') });
  it('accepts terms it can check: store, accept, tell the node', () => {
    const a = admitPayee(msg(chained), base);
    expect(a.ok && a.effects.map((e) => e.type)).toEqual(['persist', 'send', 'emit']);
    expect(a.ok && a.stream.chain).toEqual({ lockId: 2, units: 10, unit: 10n, revealedDepth: 0 });
  });
  it.each([
    ['an id in use', { idInUse: true }, /id in use/],
    ['no open channel with that peer', { channelOpen: false }, /no open channel/],
    ['a price below ours', { minRatePerSec: 101n }, /price/],
    ['more streams than a channel may run', { liveStreams: 2 }, /at most 2 streams/],
    ['a lock that backs another stream', { locksInUse: new Set([2]) }, /lock id is in use/],
  ] as [string, Partial<AdmitContext>, RegExp][])('refuses %s', (_n, over, reason) => {
    const a = admitPayee(msg(chained), { ...base, ...over });
    expect(a.ok).toBe(false);
    expect(!a.ok && a.reason).toMatch(reason);
  });
  it('refuses lock id 0 and a tick that does not match the billing', () => {
    expect(admitPayee({ ...msg(chained), hashchainLockId: 0 }, base)).toMatchObject({ ok: false });
    expect(admitPayee({ ...msg(signed), tickMs: 1000 }, base)).toMatchObject({ ok: false, reason: /tick interval/ });
  });
});
