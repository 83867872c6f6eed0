// A routed stream (signed mode across hops) as pure machines: a payer and a payee joined by a model of a
// 3-hop route (payer → H1 → H2 → payee, each hub charging base + ppm) and of the payments layer (one
// payment per hash, a failed one may be paid again, an attempt fails at a hop or reaches the payee).
// Under random time, pauses, disconnects, hop failures and crashes of either side (each reloads what it
// last stored, as the node does): the payee's meter never counts more than reached it, every hub ends
// with exactly its fees (never out of pocket), no tick range is paid twice, and the payer never pays more
// than the ticks owed plus each batch's fee (each within the quoted limit).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { batchPreimage, checkBatch, type RoutedPayer } from '../../src/stream/batch.js';
import { step, type StreamContext, type StreamEffect, type StreamEvent } from '../../src/stream/machine.js';
import { admitPayee, openMessage, openPayer } from '../../src/stream/open.js';
import { maxTicks, makeTerms, owedAfter, type StreamTerms } from '../../src/stream/terms.js';
import type { PayeeRecord, PayerRecord, StreamRecord } from '../../src/stream/record.js';

const ctx: StreamContext = { graceMs: 2000, checkpointTicks: 60, idleExpiryMs: 10 ** 12 };
const ID = 'ab'.repeat(16);
const SECRET = 'cd'.repeat(32);
const NO_CHANNEL = '00'.repeat(32);
const HUBS = [{ base: 1000n, ppm: 100n }, { base: 500n, ppm: 2000n }];
const MAX_FEE = 5_000n;

const feeOf = (hub: { base: bigint; ppm: bigint }, amount: bigint) => hub.base + (amount * hub.ppm) / 1_000_000n;

/** What each hop is paid to forward `amount` to the payee (H2 forwards it, H1 forwards amount + H2's fee). */
function routeFees(amount: bigint): bigint[] {
  const f2 = feeOf(HUBS[1]!, amount);
  const f1 = feeOf(HUBS[0]!, amount + f2);
  return [f1, f2];
}

const termsArb = fc
  .record({ amount: fc.bigInt({ min: 1n, max: 40_000n }), perMs: fc.constantFrom(1000, 60_000), ticks: fc.integer({ min: 1, max: 40 }) })
  .map(({ amount, perMs, ticks }): StreamTerms => makeTerms({ rate: { amount, perMs }, durationMs: ticks * 1000 }));

type Action = { advance: number } | 'deliver' | 'replay' | 'hopFail' | 'pause' | 'resume' | 'disconnect' | 'reconnect' | 'crashPayer' | 'crashPayee';
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 50, max: 2500 }).map((ms) => ({ advance: ms })) },
  { weight: 4, arbitrary: fc.constant('deliver' as const) },
  { weight: 2, arbitrary: fc.constant('hopFail' as const) },
  { weight: 1, arbitrary: fc.constant('replay' as const) },
  { weight: 1, arbitrary: fc.constantFrom('pause', 'resume', 'disconnect', 'reconnect', 'crashPayer', 'crashPayee') },
);

interface Payment { hash: string; from: number; to: number; amount: bigint; status: 'inflight' | 'succeeded' | 'failed'; attempts: number }

/** A range paid again under another hash (a buggy or hostile payer): the payee must refuse it. */
function replayCheck(payee: PayeeRecord | undefined, settled: readonly [number, number][], terms: StreamTerms): void {
  const last = settled.at(-1);
  if (!last) return;
  const [from, to] = last;
  const c = checkBatch(payee, { streamId: ID, from, to }, owedAfter(terms, to) - owedAfter(terms, from), 'htlc-forged');
  expect(c.kind).toBe('fail');
}

function run(terms: StreamTerms, batchMs: number, actions: Action[]): { payer: PayerRecord; payee: PayeeRecord | undefined; batches: number } {
  let now = 1_000_000;
  const routed: RoutedPayer = { batchMs, maxFeeMsat: MAX_FEE, secret: SECRET, route: ['h1', 'h2', 'payee'], quotedFeeMsat: 0n, feesPaid: 0n };
  let payer: PayerRecord = { ...openPayer({ id: ID, peerId: 'payee', channelId: NO_CHANNEL, terms, now }), routed };
  const admitted = admitPayee(openMessage(payer), { peerId: 'payer', now, channelOpen: false, idInUse: false, liveStreams: 0, maxStreams: 64, locksInUse: new Set() });
  if (!admitted.ok) throw new Error(admitted.reason);
  let payee: PayeeRecord | undefined = admitted.stream;
  let payerStored = payer;
  let payeeStored: PayeeRecord | undefined = payee;
  let connected = true;
  const payments = new Map<string, Payment>();
  // Money, per party: what each hub and the payee received net, what the payer sent.
  let payerSent = 0n;
  let payeeGot = 0n;
  const hubNet = [0n, 0n];
  const hubFees = [0n, 0n];
  const settledRanges: [number, number][] = [];

  const onPayer = (ev: StreamEvent) => apply('payer', ev);
  const onPayee = (ev: StreamEvent) => apply('payee', ev);

  function apply(side: 'payer' | 'payee', ev: StreamEvent): void {
    const r: StreamRecord | undefined = side === 'payer' ? payer : payee;
    if (!r) return;
    const res = step(r, ev, ctx);
    if (!res.ok) return;
    if (side === 'payer') payer = res.stream as PayerRecord;
    else payee = res.stream as PayeeRecord;
    for (const e of res.effects) effect(side, e);
  }

  function effect(side: 'payer' | 'payee', e: StreamEffect): void {
    switch (e.type) {
      case 'persist':
        if (side === 'payer') payerStored = payer;
        else payeeStored = payee; // a routed payee's progress is also stored with each fulfil (below)
        return;
      case 'drop':
        if (side === 'payee') payee = payeeStored = undefined;
        return;
      case 'send':
        if (!connected || e.message.kind !== 'streamControl') return;
        {
          const m = e.message;
          const ev: StreamEvent = { type: 'peerControl', action: m.action, reason: m.reason, now };
          if (side === 'payer') onPayee(ev);
          else onPayer(ev);
        }
        return;
      case 'payBatch':
        offer(e.from, e.ticks, e.amount);
        return;
      default:
        return;
    }
  }

  /** The payments layer: one payment per hash; a failed one may be paid again. */
  function offer(from: number, to: number, amount: bigint): void {
    const hash = toHex(sha256(batchPreimage(SECRET, { streamId: ID, from, to })));
    const known = payments.get(hash);
    if (known && known.status !== 'failed') {
      if (known.status === 'succeeded') onPayer({ type: 'committed', ticks: to, feeMsat: routeFees(amount).reduce((a, b) => a + b, 0n), now });
      return;
    }
    const fee = routeFees(amount).reduce((a, b) => a + b, 0n);
    if (fee > MAX_FEE) {
      payments.set(hash, { hash, from, to, amount, status: 'failed', attempts: 0 });
      onPayer({ type: 'refused', ticks: to, reason: 'fee limit', now });
      return;
    }
    payments.set(hash, { hash, from, to, amount, status: 'inflight', attempts: 1 });
  }

  const inflight = () => [...payments.values()].find((p) => p.status === 'inflight');

  function deliver(): void {
    const p = inflight();
    if (!p) return;
    const fees = routeFees(p.amount);
    const check = checkBatch(payee, { streamId: ID, from: p.from, to: p.to }, p.amount, `htlc-${p.hash}`);
    if (check.kind === 'fail') {
      p.status = 'failed';
      onPayer({ type: 'refused', ticks: p.to, reason: check.reason, final: true, now });
      return;
    }
    if (check.kind === 'meter') {
      onPayee({ type: 'paid', amount: check.amount, ticks: check.to, seq: 0n, gap: false, now });
      payee = { ...payee!, routed: { ...payee!.routed!, lastHtlc: `htlc-${p.hash}`, lastFrom: p.from } };
      payeeStored = payee; // stored with the fulfil
      settledRanges.push([p.from, p.to]);
    }
    // The preimage goes back hop by hop: each hub is paid what it forwarded plus its fee.
    payeeGot += p.amount;
    hubNet[1]! += fees[1]!;
    hubNet[0]! += fees[0]!;
    hubFees[0]! += fees[0]!;
    hubFees[1]! += fees[1]!;
    payerSent += p.amount + fees[0]! + fees[1]!;
    p.status = 'succeeded';
    onPayer({ type: 'committed', ticks: p.to, feeMsat: fees[0]! + fees[1]!, now });
  }

  function hopFail(): void {
    const p = inflight();
    if (!p) return;
    // The HTLC failed back before the payee: nothing moved. The payments layer retries once on another route.
    if (p.attempts < 2) {
      p.attempts++;
      return;
    }
    p.status = 'failed';
    onPayer({ type: 'refused', ticks: p.to, reason: 'temporary_channel_failure', now });
  }

  function crashPayer(): void {
    const s = payerStored;
    const { resumedAt: _r, ...rest } = s;
    const held = s.held ? Math.max(s.ticksPaid, s.held.ticks) : s.ticksPaid;
    payer = s.status === 'active' || s.status === 'paused' ? { ...rest, activeMs: held * s.terms.tickMs, offline: true } : s;
    // resume (streams-routed.ts): a stored batch is found again by its hash
    if (payer.held) {
      const hash = toHex(sha256(batchPreimage(SECRET, { streamId: ID, from: payer.ticksPaid, to: payer.held.ticks })));
      const known = payments.get(hash);
      if (!known) offer(payer.ticksPaid, payer.held.ticks, payer.held.amount);
      else if (known.status === 'succeeded') onPayer({ type: 'committed', ticks: known.to, feeMsat: routeFees(known.amount).reduce((a, b) => a + b, 0n), now });
      else if (known.status === 'failed') onPayer({ type: 'refused', ticks: known.to, reason: 'failed', now });
    }
  }

  onPayer({ type: 'accepted', now });
  for (const a of actions) {
    if (typeof a === 'object') {
      now += a.advance;
      onPayer({ type: 'tick', now, reachable: connected, spendable: 10n ** 12n });
      onPayee({ type: 'tick', now, reachable: true, spendable: 0n });
    } else if (a === 'deliver') deliver();
    else if (a === 'replay') replayCheck(payee, settledRanges, terms);
    else if (a === 'hopFail') hopFail();
    else if (a === 'pause' || a === 'resume') apply('payer', { type: 'control', action: a, now });
    else if (a === 'disconnect') connected = false;
    else if (a === 'reconnect') {
      connected = true;
      onPayer({ type: 'peerConnected', now });
      onPayee({ type: 'peerConnected', now });
    } else if (a === 'crashPayer') crashPayer();
    else if (a === 'crashPayee') payee = payeeStored;
  }
  // Drain: every HTLC still out reaches the payee.
  for (let i = 0; i < 10 && inflight(); i++) deliver();

  // The meter counts exactly what reached the payee, and nothing for a range twice.
  expect(payee?.paid ?? payeeStored?.paid ?? 0n).toBeLessThanOrEqual(payeeGot);
  if (payee) expect(payee.paid).toBe(payeeGot);
  for (let i = 1; i < settledRanges.length; i++) expect(settledRanges[i]![0]).toBe(settledRanges[i - 1]![1]);
  // Every hub is paid exactly its fees: what it forwarded came back to it from upstream.
  expect(hubNet).toEqual(hubFees);
  for (const n of hubNet) expect(n).toBeGreaterThanOrEqual(0n);
  // The payer sent the ticks it owed, plus each batch's fee, each within its limit.
  const end = maxTicks(terms)!;
  expect(payerSent - hubFees[0]! - hubFees[1]!).toBe(payeeGot);
  expect(payeeGot).toBeLessThanOrEqual(owedAfter(terms, end));
  const batches = [...payments.values()].filter((p) => p.status === 'succeeded');
  for (const b of batches) expect(routeFees(b.amount).reduce((x, y) => x + y, 0n)).toBeLessThanOrEqual(MAX_FEE);
  expect(payer.ticksPaid).toBeLessThanOrEqual(end);
  expect(owedAfter(terms, payer.ticksPaid)).toBe(payeeGot);
  expect(payer.routed!.feesPaid).toBe(hubFees[0]! + hubFees[1]!);
  return { payer, payee, batches: batches.length };
}

describe('routed stream (signed across hops) under random events', () => {
  it('meter ≤ what reached the payee; hubs keep exactly their fees; no range paid twice; the payer pays owed + fees', () => {
    fc.assert(
      fc.property(termsArb, fc.constantFrom(1000, 3000, 60_000), fc.array(actionArb, { maxLength: 120 }), (terms, batchMs, actions) => {
        run(terms, batchMs, actions);
      }),
      { numRuns: 400 },
    );
  });

  it('a plain run pays every tick, in one batch a second', () => {
    const terms = makeTerms({ rate: { amount: 10_000n, perMs: 1000 }, durationMs: 5000 });
    const actions: Action[] = [];
    for (let i = 0; i < 6; i++) actions.push({ advance: 1000 }, 'deliver');
    const r = run(terms, 1000, actions);
    expect(r.payer).toMatchObject({ status: 'finished', ticksPaid: 5 });
    expect(r.payee).toMatchObject({ status: 'finished', ticks: 5, paid: 50_000n });
    expect(r.batches).toBe(5);
    expect(r.payer.routed!.feesPaid).toBe(5n * routeFees(10_000n).reduce((a, b) => a + b, 0n));
  });

  it('with a one-minute batch, ticks gather into few HTLCs', () => {
    const terms = makeTerms({ rate: { amount: 1000n, perMs: 1000 }, durationMs: 150_000 });
    const actions: Action[] = [];
    for (let i = 0; i < 160; i++) actions.push({ advance: 1000 }, 'deliver');
    const r = run(terms, 60_000, actions);
    expect(r.payee).toMatchObject({ status: 'finished', ticks: 150, paid: 150_000n });
    expect(r.batches).toBe(3); // at 60 s, 120 s, and the last 30 ticks at the end
  });
});
