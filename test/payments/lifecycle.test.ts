// The payment lifecycle's branches, one table row or case each: which failure ends a payment, which
// is retried on another route and what that route must avoid, the fee and time limits, success, and
// outcomes delivered twice. Error packets are real BOLT 4 packets built with each hop's shared secret.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { createErrorPacket, wrapErrorPacket } from '../../src/onion/failure.js';
import { buildFailure } from '../../src/onion/failure-details.js';
import {
  FEE_INSUFFICIENT, FINAL_INCORRECT_HTLC_AMOUNT, INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, PERMANENT_CHANNEL_FAILURE, TEMPORARY_CHANNEL_FAILURE,
  TEMPORARY_NODE_FAILURE, UNKNOWN_NEXT_PEER,
} from '../../src/onion/failure-codes.js';
import { ChannelGraph, type ChannelPolicy } from '../../src/routing/graph.js';
import { LiquidityScorer } from '../../src/routing/scorer.js';
import { attemptSecrets } from '../../src/payments/interpret.js';
import { addAttempt, applyOutcome, createPayment, nextStep, type NewPayment } from '../../src/payments/lifecycle.js';
import { paymentFromJson, paymentToJson } from '../../src/payments/record.js';
import type { LocalChannel, RouteContext } from '../../src/payments/route-plan.js';
import type { Attempt, Payment } from '../../src/payments/types.js';
import { hintEdges } from '../../src/payments/hints.js';

const key = () => toHex(publicKeyOf(randomSecretKey()));
const A = key(); // the payer
const B = key(); // the cheap forwarder
const C = key(); // the detour
const Z = key(); // the payee
const scid = (n: number) => n.toString(16).padStart(16, '0');
const AB = scid(0xab), AC = scid(0xac), BZ = scid(0xb2), CZ = scid(0xc2);
const policy = (feeBaseMsat: bigint, p: Partial<ChannelPolicy> = {}): ChannelPolicy => ({ feeBaseMsat, feePpm: 0n, cltvExpiryDelta: 10, htlcMinimumMsat: 1n, htlcMaximumMsat: 10n ** 12n, ...p });

/** B charges 1000 msat to forward to Z, C 5000: the first route goes through B, the detour through C. */
function graph(): ChannelGraph {
  const g = new ChannelGraph();
  g.addChannel({ shortChannelId: BZ, node1: B, node2: Z, capacityMsat: 10n ** 9n });
  g.setPolicy(BZ, B, policy(1000n));
  g.addChannel({ shortChannelId: CZ, node1: C, node2: Z, capacityMsat: 10n ** 9n });
  g.setPolicy(CZ, C, policy(5000n));
  return g;
}

const local = (over: Partial<Record<'ab' | 'ac', Partial<LocalChannel>>> = {}): LocalChannel[] => [
  { shortChannelId: AB, peer: B, active: true, spendableMsat: 10n ** 8n, capacityMsat: 10n ** 9n, ...over.ab },
  { shortChannelId: AC, peer: C, active: true, spendableMsat: 10n ** 8n, capacityMsat: 10n ** 9n, ...over.ac },
];

const NOW = 1_000_000;
const ctx = (over: Partial<RouteContext> = {}): RouteContext => ({ graph: graph(), source: A, localChannels: local(), currentHeight: 100, nowMs: NOW, ...over });

const preimage = new Uint8Array(32).fill(7);
const newPayment = (over: Partial<NewPayment> = {}): Payment =>
  createPayment({ paymentHash: sha256(preimage), payee: Z, amountMsat: 1_000_000n, maxFeeMsat: 10_000n, timeoutMs: 60_000, finalCltvExpiryDelta: 18, ...over }, NOW);

/** Start the payment's next attempt (as the shell would, minus the onion), asserting one is planned. */
function start(p: Payment, c: RouteContext = ctx()): { payment: Payment; attempt: Attempt } {
  const { payment, next } = nextStep(p, c);
  if (next.kind !== 'attempt') throw new Error(`expected an attempt, got ${next.kind}: ${payment.failure?.message}`);
  const started = addAttempt(payment, { attemptId: `a${payment.attempts.length + 1}`, route: next.route, sessionKey: randomSecretKey(), nowMs: c.nowMs });
  return { payment: started, attempt: started.attempts.at(-1)! };
}

/** The error packet hop `i` of the attempt's route sends back, wrapped by every hop before it. */
function errorFrom(attempt: Attempt, i: number, code: number): Uint8Array {
  const secrets = attemptSecrets(attempt);
  const details = { channelUpdate: new Uint8Array(0), htlcMsat: 1n, height: 100 };
  let packet = createErrorPacket({ sharedSecret: secrets[i]!, failure: buildFailure(code, details) });
  for (let j = i - 1; j >= 0; j--) packet = wrapErrorPacket({ sharedSecret: secrets[j]!, packet });
  return packet;
}

const via = (p: Payment) => p.attempts.map((a) => a.route.hops.map((h) => h.to === Z ? 'Z' : h.to === B ? 'B' : h.to === C ? 'C' : '?').join(''));

describe('routes', () => {
  it('the first route is the cheapest, and the payee gets exactly the amount', () => {
    const { attempt } = start(newPayment());
    expect(attempt.route.hops.map((h) => h.shortChannelId)).toEqual([AB, BZ]);
    expect(attempt.route.hops.at(-1)!.amountMsat).toBe(1_000_000n);
    expect(attempt.route.feeMsat).toBe(1000n);
    expect(attempt.route.amountMsat).toBe(1_001_000n);
    expect(attempt.route.hops.at(-1)!.cltvExpiry).toBe(118);
    expect(attempt.route.cltvExpiry).toBe(128);
  });

  it.each([
    ['a local channel whose balance cannot carry amount + fee', { ab: { spendableMsat: 1_000_500n } }],
    ['an inactive local channel', { ab: { active: false } }],
  ])('%s is not used for the first hop', (_name, over) => {
    const { attempt } = start(newPayment(), ctx({ localChannels: local(over) }));
    expect(attempt.route.hops.map((h) => h.shortChannelId)).toEqual([AC, CZ]);
  });

  it('a local channel the gossip graph knows is still checked against its balance now', () => {
    const g = graph();
    g.addChannel({ shortChannelId: AB, node1: A, node2: B, capacityMsat: 10n ** 9n });
    g.setPolicy(AB, A, policy(0n));
    const { attempt } = start(newPayment(), ctx({ graph: g, localChannels: local({ ab: { spendableMsat: 10n } }) }));
    expect(attempt.route.hops[0]!.shortChannelId).toBe(AC);
  });

  it('route hints reach a payee the graph does not know', () => {
    const hinted = createPayment({
      paymentHash: sha256(preimage), payee: Z, amountMsat: 1_000_000n, maxFeeMsat: 10_000n, timeoutMs: 60_000, finalCltvExpiryDelta: 18,
      hintEdges: hintEdges(Z, [[{ nodeId: Buffer.from(B, 'hex'), shortChannelId: Buffer.from(BZ, 'hex'), feeBaseMsat: 2000, feeProportionalMillionths: 0, cltvExpiryDelta: 12 }]]),
    }, NOW);
    const { attempt } = start(hinted, ctx({ graph: new ChannelGraph() }));
    expect(attempt.route.hops.map((h) => h.shortChannelId)).toEqual([AB, BZ]);
    expect(attempt.route.feeMsat).toBe(2000n);
  });

  it('a hinted channel gossip knows is priced by its announced policy, not the payee\'s guess', () => {
    const hinted = createPayment({
      paymentHash: sha256(preimage), payee: Z, amountMsat: 1_000_000n, maxFeeMsat: 10_000n, timeoutMs: 60_000, finalCltvExpiryDelta: 18,
      hintEdges: hintEdges(Z, [[{ nodeId: Buffer.from(C, 'hex'), shortChannelId: Buffer.from(CZ, 'hex'), feeBaseMsat: 1, feeProportionalMillionths: 0, cltvExpiryDelta: 1 }]]),
    }, NOW);
    const { attempt } = start(hinted);
    expect(attempt.route.hops.map((h) => h.shortChannelId)).toEqual([AB, BZ]);
  });

  it('no route at all fails with no_route', () => {
    const { payment, next } = nextStep(newPayment(), ctx({ graph: new ChannelGraph() }));
    expect(next.kind).toBe('done');
    expect(payment.status).toBe('failed');
    expect(payment.failure?.reason).toBe('no_route');
  });
});

describe('a failed attempt', () => {
  // [name, failing hop index, code, what the next attempt goes through (or the failure reason)]
  it.each([
    ['unknown_next_peer at B excludes the edge B->Z', 0, UNKNOWN_NEXT_PEER, { retry: 'CZ', excludedEdge: `${BZ}/${B}` }],
    ['temporary_channel_failure at B excludes B->Z', 0, TEMPORARY_CHANNEL_FAILURE, { retry: 'CZ', excludedEdge: `${BZ}/${B}` }],
    ['permanent_channel_failure at B (PERM at a forwarder) is retried elsewhere', 0, PERMANENT_CHANNEL_FAILURE, { retry: 'CZ', excludedEdge: `${BZ}/${B}` }],
    ['fee_insufficient at B is retried elsewhere', 0, FEE_INSUFFICIENT, { retry: 'CZ', excludedEdge: `${BZ}/${B}` }],
    ['temporary_node_failure at B excludes the node B', 0, TEMPORARY_NODE_FAILURE, { retry: 'CZ', excludedNode: B }],
    ['a PERM failure at the payee ends the payment at once', 1, INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, { final: 'incorrect_or_unknown_payment_details' }],
    ['a non-PERM failure at the payee ends it too', 1, FINAL_INCORRECT_HTLC_AMOUNT, { final: 'final_incorrect_htlc_amount' }],
  ] as const)('%s', (_name, hop, code, expected) => {
    const { payment, attempt } = start(newPayment());
    const r = applyOutcome(payment, attempt.attemptId, { kind: 'failed', reason: errorFrom(attempt, hop, code) }, NOW + 10);
    expect(r.changed).toBe(true);
    const failure = r.payment.attempts[0]!.failure!;
    expect(failure.failingHop).toBe(hop);
    expect(failure.code).toBe(code);
    expect(failure.failingNode).toBe(hop === 0 ? B : Z);
    expect(r.scorer).toEqual({ kind: 'failure', route: attempt.route, failingHop: hop, code });
    if ('final' in expected) {
      expect(r.payment.status).toBe('failed');
      expect(r.payment.failure?.reason).toBe('rejected_by_payee');
      expect(r.payment.failure?.lastFailure?.codeName).toBe(expected.final);
      expect(nextStep(r.payment, ctx()).next.kind).toBe('done');
      return;
    }
    expect(r.payment.status).toBe('inflight');
    if ('excludedEdge' in expected) expect(r.payment.excludedEdges).toContain(expected.excludedEdge);
    if ('excludedNode' in expected) expect(r.payment.excludedNodes).toContain(expected.excludedNode);
    const retried = start(r.payment);
    expect(via(retried.payment)).toEqual(['BZ', expected.retry]);
  });

  it('a refusal by our own node avoids that first channel', () => {
    const { payment, attempt } = start(newPayment());
    const r = applyOutcome(payment, attempt.attemptId, { kind: 'refused', reason: 'peer offline' }, NOW);
    expect(r.payment.attempts[0]!.failure).toMatchObject({ failingHop: -1, codeName: 'refused' });
    expect(r.payment.excludedEdges).toEqual([`${AB}/${A}`]);
    expect(r.scorer).toBeUndefined(); // our own balances are known exactly: nothing for the scorer
    expect(via(start(r.payment).payment)).toEqual(['BZ', 'CZ']);
  });

  it('a malformed onion at the first peer avoids that channel', () => {
    const { payment, attempt } = start(newPayment());
    const r = applyOutcome(payment, attempt.attemptId, { kind: 'malformed', failureCode: 0xc005, sha256OfOnion: new Uint8Array(32) }, NOW);
    expect(r.payment.attempts[0]!.failure).toMatchObject({ failingHop: -1, failingNode: B, codeName: 'invalid_onion_hmac' });
    expect(r.payment.excludedEdges).toEqual([`${AB}/${A}`]);
  });

  it('an error packet nobody authenticated avoids every forwarder of the route', () => {
    const { payment, attempt } = start(newPayment());
    const r = applyOutcome(payment, attempt.attemptId, { kind: 'failed', reason: new Uint8Array(292).fill(1) }, NOW);
    expect(r.payment.attempts[0]!.failure).toMatchObject({ codeName: 'unattributable', final: false });
    expect(r.payment.excludedNodes).toEqual([B]);
    expect(r.scorer).toBeUndefined();
    expect(via(start(r.payment).payment)).toEqual(['BZ', 'CZ']);
  });

  it('when every route failed the payment fails with no_route and the last failure', () => {
    let { payment, attempt } = start(newPayment());
    payment = applyOutcome(payment, attempt.attemptId, { kind: 'failed', reason: errorFrom(attempt, 0, UNKNOWN_NEXT_PEER) }, NOW).payment;
    ({ payment, attempt } = start(payment));
    payment = applyOutcome(payment, attempt.attemptId, { kind: 'failed', reason: errorFrom(attempt, 0, UNKNOWN_NEXT_PEER) }, NOW).payment;
    const end = nextStep(payment, ctx());
    expect(end.payment.status).toBe('failed');
    expect(end.payment.failure?.reason).toBe('no_route');
    expect(end.payment.failure?.lastFailure).toMatchObject({ failingNode: C, codeName: 'unknown_next_peer' });
  });

  it('fee limit reached: the detour costs more than maxFee', () => {
    let { payment, attempt } = start(newPayment({ maxFeeMsat: 3000n }));
    payment = applyOutcome(payment, attempt.attemptId, { kind: 'failed', reason: errorFrom(attempt, 0, TEMPORARY_CHANNEL_FAILURE) }, NOW).payment;
    const end = nextStep(payment, ctx());
    expect(end.next.kind).toBe('done');
    expect(end.payment.failure?.reason).toBe('fee_limit');
    expect(end.payment.failure?.message).toMatch(/5000 msat.*3000 msat/);
  });

  it('fee limit reached before any attempt', () => {
    const end = nextStep(newPayment({ maxFeeMsat: 999n }), ctx());
    expect(end.payment.failure?.reason).toBe('fee_limit');
    expect(end.payment.attempts).toHaveLength(0);
  });

  it('time limit reached: no attempt starts after the deadline', () => {
    let { payment, attempt } = start(newPayment({ timeoutMs: 5000 }));
    payment = applyOutcome(payment, attempt.attemptId, { kind: 'failed', reason: errorFrom(attempt, 0, TEMPORARY_CHANNEL_FAILURE) }, NOW + 5000).payment;
    expect(nextStep(payment, ctx({ nowMs: NOW + 4999 })).next.kind).toBe('attempt');
    const end = nextStep(payment, ctx({ nowMs: NOW + 5000 }));
    expect(end.payment.failure?.reason).toBe('timeout');
    expect(end.payment.failure?.lastFailure?.codeName).toBe('temporary_channel_failure');
  });

  it('the invoice expiring ends the payment', () => {
    const end = nextStep(newPayment({ invoiceExpiresAtMs: NOW }), ctx());
    expect(end.payment.failure?.reason).toBe('invoice_expired');
  });

  it('maxAttempts bounds the attempts', () => {
    let { payment, attempt } = start(newPayment({ maxAttempts: 1 }));
    payment = applyOutcome(payment, attempt.attemptId, { kind: 'failed', reason: errorFrom(attempt, 0, TEMPORARY_CHANNEL_FAILURE) }, NOW).payment;
    expect(nextStep(payment, ctx()).payment.failure?.reason).toBe('attempts_exhausted');
  });

  it('no second attempt while one is in flight', () => {
    const { payment } = start(newPayment());
    expect(nextStep(payment, ctx()).next.kind).toBe('wait');
  });
});

describe('success and repeated outcomes', () => {
  it('records the preimage and the route fee, and tells the scorer', () => {
    const { payment, attempt } = start(newPayment());
    const r = applyOutcome(payment, attempt.attemptId, { kind: 'fulfilled', preimage }, NOW + 5);
    expect(r.payment).toMatchObject({ status: 'succeeded', feeMsat: 1000n, resolvedMs: NOW + 5 });
    expect(toHex(r.payment.preimage!)).toBe(toHex(preimage));
    expect(r.scorer).toEqual({ kind: 'success', route: attempt.route });
    expect(nextStep(r.payment, ctx()).next.kind).toBe('done');
  });

  it('a fulfil with the wrong preimage changes nothing', () => {
    const { payment, attempt } = start(newPayment());
    const r = applyOutcome(payment, attempt.attemptId, { kind: 'fulfilled', preimage: new Uint8Array(32) }, NOW);
    expect(r.changed).toBe(false);
    expect(r.payment.status).toBe('inflight');
  });

  it.each([
    ['a fulfil delivered twice', { kind: 'fulfilled', preimage } as const],
    ['a failure delivered twice', { kind: 'refused', reason: 'x' } as const],
  ])('%s counts once', (_name, outcome) => {
    const { payment, attempt } = start(newPayment());
    const once = applyOutcome(payment, attempt.attemptId, outcome, NOW);
    const twice = applyOutcome(once.payment, attempt.attemptId, outcome, NOW + 1);
    expect(twice.changed).toBe(false);
    expect(twice.payment).toBe(once.payment);
  });

  it('an outcome for an attempt the payment does not have changes nothing', () => {
    const { payment } = start(newPayment());
    expect(applyOutcome(payment, 'nope', { kind: 'fulfilled', preimage }, NOW).changed).toBe(false);
  });
});

describe('the scorer learns from what the lifecycle reports', () => {
  it('a temporary failure at B makes B->Z less likely for the same amount', () => {
    const scorer = new LiquidityScorer();
    const { payment, attempt } = start(newPayment(), ctx({ scorer }));
    const r = applyOutcome(payment, attempt.attemptId, { kind: 'failed', reason: errorFrom(attempt, 0, TEMPORARY_CHANNEL_FAILURE) }, NOW);
    const hop = attempt.route.hops[1]!;
    const before = scorer.successProbability(hop, NOW);
    if (r.scorer?.kind === 'failure') scorer.recordFailure(r.scorer.route.hops, { failingHop: r.scorer.failingHop, code: r.scorer.code }, NOW);
    expect(before).toBeGreaterThan(0.99);
    expect(scorer.successProbability(hop, NOW)).toBe(0);
  });
});

describe('record', () => {
  it('a payment with attempts, failures and a preimage survives the JSON round trip', () => {
    let { payment, attempt } = start(newPayment({ paymentSecret: new Uint8Array(32).fill(3), invoice: 'lnsb1x', invoiceExpiresAtMs: NOW + 1 }));
    payment = applyOutcome(payment, attempt.attemptId, { kind: 'failed', reason: errorFrom(attempt, 0, UNKNOWN_NEXT_PEER) }, NOW).payment;
    ({ payment, attempt } = start(payment));
    payment = applyOutcome(payment, attempt.attemptId, { kind: 'fulfilled', preimage }, NOW).payment;
    const back = paymentFromJson(JSON.parse(JSON.stringify(paymentToJson(payment))));
    expect(back).toEqual(payment);
  });

  it('a damaged record is refused with the field named', () => {
    const json = paymentToJson(newPayment());
    expect(() => paymentFromJson({ ...json, amountMsat: 'ten' })).toThrow(/amountMsat/);
    expect(() => paymentFromJson({ ...json, status: 'maybe' })).toThrow(/status/);
  });
});
