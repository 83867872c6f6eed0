import { describe, expect, it } from 'vitest';
import { FEE_INSUFFICIENT, INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, PERMANENT_CHANNEL_FAILURE, PERMANENT_NODE_FAILURE, TEMPORARY_CHANNEL_FAILURE, TEMPORARY_NODE_FAILURE } from '../../src/onion/failure-codes.js';
import { LiquidityScorer, type ScoredHop } from '../../src/routing/scorer.js';

const HALF = 30 * 60_000;
const hop = (scid: string, from: string, to: string, amountMsat: bigint, capacityMsat = 1_000_000n): ScoredHop => ({ shortChannelId: scid, from, to, capacityMsat, amountMsat });
const route = [hop('ab', 'A', 'B', 500_000n), hop('bc', 'B', 'C', 400_000n), hop('cd', 'C', 'D', 300_000n)];

describe('success probability from liquidity bounds', () => {
  const s = new LiquidityScorer();
  const rows: [string, bigint, number][] = [
    ['nothing known: a quarter of the capacity', 250_000n, 750_001 / 1_000_001],
    ['nothing known: all of it', 1_000_000n, 1 / 1_000_001],
    ['nothing known: more than the capacity', 1_000_001n, 0],
  ];
  it.each(rows)('%s', (_name, amountMsat, p) => {
    expect(s.successProbability(hop('x', 'A', 'B', amountMsat), 0)).toBeCloseTo(p, 12);
  });

  it('is 1 at or below a learned lower bound and uniform above it', () => {
    const t = new LiquidityScorer();
    t.recordSuccess([hop('x', 'A', 'B', 600_000n)], 0);
    expect(t.successProbability(hop('x', 'A', 'B', 600_000n), 0)).toBe(1);
    expect(t.successProbability(hop('x', 'A', 'B', 800_000n), 0)).toBeCloseTo(200_001 / 400_001, 12);
  });
});

describe('learning from failures (LND interpretation)', () => {
  const cases: [string, number, number, Record<string, [bigint, bigint]>][] = [
    ['temporary_channel_failure at B bounds B->C below the amount', 0, TEMPORARY_CHANNEL_FAILURE,
      { ab: [500_000n, 1_000_000n], bc: [0n, 399_999n], cd: [0n, 1_000_000n] }],
    ['permanent_channel_failure at C closes C->D', 1, PERMANENT_CHANNEL_FAILURE,
      { ab: [500_000n, 1_000_000n], bc: [400_000n, 1_000_000n], cd: [0n, 0n] }],
    ['fee_insufficient says nothing about liquidity past B', 0, FEE_INSUFFICIENT,
      { ab: [500_000n, 1_000_000n], bc: [0n, 1_000_000n], cd: [0n, 1_000_000n] }],
    ['the payee refusing means every channel carried it', 2, INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS,
      { ab: [500_000n, 1_000_000n], bc: [400_000n, 1_000_000n], cd: [300_000n, 1_000_000n] }],
  ];
  it.each(cases)('%s', (_name, failingHop, code, expected) => {
    const s = new LiquidityScorer();
    s.recordFailure(route, { failingHop, code }, 0);
    for (const h of route) {
      const r = s.liquidity(h, 0);
      expect([r.lowerMsat, r.upperMsat]).toEqual(expected[h.shortChannelId]);
    }
  });

  it('makes the failed amount impossible and a smaller one likely', () => {
    const s = new LiquidityScorer();
    s.recordFailure(route, { failingHop: 0, code: TEMPORARY_CHANNEL_FAILURE }, 0);
    expect(s.successProbability(route[1]!, 0)).toBe(0);
    expect(s.penaltyMsat(route[1]!, 0)).toBe(Infinity);
    expect(s.successProbability({ ...route[1]!, amountMsat: 100_000n }, 0)).toBeCloseTo(300_000 / 400_000, 5);
  });

  it('penalizes a node after a NODE error, permanent ones more, fading with the half-life', () => {
    const s = new LiquidityScorer();
    s.recordFailure(route, { failingHop: 0, code: TEMPORARY_NODE_FAILURE }, 0);
    const temp = s.nodePenaltyMsat('B', 0);
    expect(temp).toBe(s.params.nodeFailurePenaltyMsat);
    expect(s.nodePenaltyMsat('B', HALF)).toBeCloseTo(temp / 2, 6);
    const p = new LiquidityScorer();
    p.recordFailure(route, { failingHop: 0, code: PERMANENT_NODE_FAILURE }, 0);
    expect(p.nodePenaltyMsat('B', 0)).toBeGreaterThan(temp);
    expect(s.nodePenaltyMsat('C', 0)).toBe(0);
  });
});

describe('decay over time', () => {
  const rows: [number, bigint, bigint][] = [
    [0, 600_000n, 300_000n],
    [HALF, 300_000n, 650_000n],
    [2 * HALF, 150_000n, 825_000n],
    [40 * HALF, 0n, 1_000_000n],
  ];
  it.each(rows)('after %d ms the bounds relax towards [0, capacity]', (elapsed, lower, upper) => {
    const s = new LiquidityScorer();
    s.recordSuccess([hop('x', 'A', 'B', 600_000n)], 1_000);
    s.recordFailure([hop('y', 'A', 'B', 300_001n)], { failingHop: -1, code: TEMPORARY_CHANNEL_FAILURE }, 1_000);
    expect(s.liquidity(hop('x', 'A', 'B', 0n), 1_000 + elapsed).lowerMsat).toBe(lower);
    expect(s.liquidity(hop('y', 'A', 'B', 0n), 1_000 + elapsed).upperMsat).toBe(upper);
  });

  it('survives a snapshot and restore', () => {
    const s = new LiquidityScorer();
    s.recordFailure(route, { failingHop: 0, code: TEMPORARY_CHANNEL_FAILURE }, 5);
    const r = LiquidityScorer.restore(structuredClone(s.snapshot()));
    for (const h of route) expect(r.liquidity(h, 99)).toEqual(s.liquidity(h, 99));
  });

  it('is bounded: the least recently learned direction is forgotten first', () => {
    const s = new LiquidityScorer({ maxEntries: 2 });
    s.recordSuccess([hop('1', 'A', 'B', 10n)], 0);
    s.recordSuccess([hop('2', 'A', 'B', 10n)], 0);
    s.recordSuccess([hop('3', 'A', 'B', 10n)], 0);
    expect(s.snapshot().bounds.map(([k]) => k)).toEqual(['2/A', '3/A']);
  });
});
