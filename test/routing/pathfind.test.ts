import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChannelGraph, type ChannelPolicy, type NodeId } from '../../src/routing/graph.js';
import { findRoute, type Route } from '../../src/routing/pathfind.js';
import { LiquidityScorer } from '../../src/routing/scorer.js';
import { TEMPORARY_CHANNEL_FAILURE } from '../../src/onion/failure-codes.js';

const node = (i: number): NodeId => `02${i.toString(16).padStart(64, '0')}`;
const scid = (i: number) => i.toString(16).padStart(16, '0');
/** BOLT 7 "HTLC Fees", written out here rather than imported, so the tests check the code's arithmetic. */
const feeFor = (p: ChannelPolicy, amountMsat: bigint) => p.feeBaseMsat + (amountMsat * p.feePpm) / 1_000_000n;
const policy = (p: Partial<ChannelPolicy> = {}): ChannelPolicy => ({
  feeBaseMsat: 1000n, feePpm: 100n, cltvExpiryDelta: 12, htlcMinimumMsat: 1n, htlcMaximumMsat: 10n ** 12n, ...p,
});

interface Spec { a: number; b: number; capacity: bigint; p1: ChannelPolicy; p2: ChannelPolicy }

function graphOf(specs: readonly Spec[]): ChannelGraph {
  const g = new ChannelGraph();
  specs.forEach((s, i) => {
    if (s.a === s.b) return;
    g.addChannel({ shortChannelId: scid(i), node1: node(s.a), node2: node(s.b), capacityMsat: s.capacity });
    g.setPolicy(scid(i), node(s.a), s.p1);
    g.setPolicy(scid(i), node(s.b), s.p2);
  });
  return g;
}

/** Every check a forwarding node would make, replayed on the route. */
function assertRouteValid(g: ChannelGraph, route: Route, o: { source: NodeId; target: NodeId; amountMsat: bigint; finalCltvExpiry: number; maxFeeMsat?: bigint }): void {
  const hops = route.hops;
  expect(hops[0]!.from).toBe(o.source);
  expect(hops.at(-1)!.to).toBe(o.target);
  expect(hops.at(-1)!.amountMsat).toBe(o.amountMsat);
  expect(hops.at(-1)!.cltvExpiry).toBe(o.finalCltvExpiry);
  expect(new Set(hops.map((h) => h.to)).size).toBe(hops.length);
  for (const [i, hop] of hops.entries()) {
    if (i > 0) expect(hop.from).toBe(hops[i - 1]!.to);
    const edge = g.edge(hop.shortChannelId, hop.from)!;
    expect(edge.to).toBe(hop.to);
    expect(edge.policy.disabled).not.toBe(true);
    expect(hop.amountMsat >= edge.policy.htlcMinimumMsat && hop.amountMsat <= edge.policy.htlcMaximumMsat).toBe(true);
    expect(hop.amountMsat <= edge.capacityMsat).toBe(true);
    const next = hops[i + 1];
    if (next) {
      // the node at the end of this hop forwards `next` under its own policy for next's channel
      const out = g.edge(next.shortChannelId, next.from)!.policy;
      expect(hop.amountMsat).toBe(next.amountMsat + feeFor(out, next.amountMsat));
      expect(hop.cltvExpiry).toBe(next.cltvExpiry + out.cltvExpiryDelta);
    }
  }
  expect(route.amountMsat).toBe(hops[0]!.amountMsat);
  expect(route.feeMsat).toBe(route.amountMsat - o.amountMsat);
  if (o.maxFeeMsat !== undefined) expect(route.feeMsat <= o.maxFeeMsat).toBe(true);
}

/** The cheapest fee over all simple paths, by brute force (small graphs only). */
function cheapestFee(g: ChannelGraph, source: NodeId, target: NodeId, amountMsat: bigint): bigint | undefined {
  let best: bigint | undefined;
  const walk = (v: NodeId, amt: bigint, seen: Set<NodeId>) => {
    for (const e of g.incoming(v)) {
      if (seen.has(e.from) || e.policy.disabled || amt < e.policy.htlcMinimumMsat || amt > e.policy.htlcMaximumMsat || amt > e.capacityMsat) continue;
      if (e.from === source) {
        if (best === undefined || amt - amountMsat < best) best = amt - amountMsat;
        continue;
      }
      walk(e.from, amt + feeFor(e.policy, amt), new Set([...seen, e.from]));
    }
  };
  walk(target, amountMsat, new Set([target]));
  return best;
}

const policyArb = fc.record({
  feeBaseMsat: fc.bigInt({ min: 0n, max: 5000n }),
  feePpm: fc.bigInt({ min: 0n, max: 5000n }),
  cltvExpiryDelta: fc.integer({ min: 1, max: 144 }),
  htlcMinimumMsat: fc.constantFrom(0n, 1n, 1000n, 50_000n),
  htlcMaximumMsat: fc.constantFrom(10n ** 5n, 10n ** 6n, 10n ** 9n),
});

function graphArb(nodes: number, zeroMinimum: boolean) {
  return fc.array(
    fc.record({
      a: fc.nat(nodes - 1), b: fc.nat(nodes - 1),
      capacity: fc.bigInt({ min: 10_000n, max: 10n ** 8n }),
      p1: policyArb.map((p) => (zeroMinimum ? { ...p, htlcMinimumMsat: 0n } : p)),
      p2: policyArb.map((p) => (zeroMinimum ? { ...p, htlcMinimumMsat: 0n } : p)),
      off: fc.boolean(),
    }).map(({ off, ...s }) => ({ ...s, p2: off ? { ...s.p2, disabled: true } : s.p2 })),
    { minLength: 1, maxLength: nodes * 3 },
  );
}

describe('findRoute (properties)', () => {
  it('any route it finds satisfies every policy, with fees and expiries exactly computed', () => {
    fc.assert(
      fc.property(graphArb(8, false), fc.bigInt({ min: 1n, max: 2_000_000n }), fc.option(fc.bigInt({ min: 0n, max: 20_000n }), { nil: undefined }), (specs, amountMsat, maxFeeMsat) => {
        const g = graphOf(specs);
        const o = { source: node(0), target: node(7), amountMsat, finalCltvExpiry: 1000, ...(maxFeeMsat !== undefined ? { maxFeeMsat } : {}) };
        const r = findRoute({ graph: g, scorer: new LiquidityScorer(), currentHeight: 990, nowMs: 0, ...o });
        if (r.ok) assertRouteValid(g, r.route, o);
      }),
      { numRuns: 300 },
    );
  });

  it('finds the cheapest route when only fees count, and finds one whenever one exists', () => {
    fc.assert(
      fc.property(graphArb(6, true), fc.bigInt({ min: 1n, max: 90_000n }), (specs, amountMsat) => {
        const g = graphOf(specs);
        const best = cheapestFee(g, node(0), node(5), amountMsat);
        const r = findRoute({ graph: g, source: node(0), target: node(5), amountMsat, finalCltvExpiry: 100, currentHeight: 0, nowMs: 0, riskFactorPpb: 0, maxCltvExpiryDelta: 10_000 });
        expect(r.ok).toBe(best !== undefined);
        if (r.ok) expect(r.route.feeMsat).toBe(best);
      }),
      { numRuns: 300 },
    );
  });
});

describe('findRoute (cases)', () => {
  // 0 -> 1 -> 3 is cheap; 0 -> 2 -> 3 costs more
  const specs: Spec[] = [
    { a: 0, b: 1, capacity: 10n ** 7n, p1: policy(), p2: policy() },
    { a: 1, b: 3, capacity: 10n ** 7n, p1: policy({ feeBaseMsat: 10n }), p2: policy() },
    { a: 0, b: 2, capacity: 10n ** 7n, p1: policy(), p2: policy() },
    { a: 2, b: 3, capacity: 10n ** 7n, p1: policy({ feeBaseMsat: 2000n }), p2: policy() },
  ];
  const base = { source: node(0), target: node(3), amountMsat: 1_000_000n, finalCltvExpiry: 500, currentHeight: 480, nowMs: 0 };

  it('takes the cheap route, and the payer pays no fee on its own channel', () => {
    const r = findRoute({ graph: graphOf(specs), ...base });
    expect(r.ok && r.route.hops.map((h) => h.to)).toEqual([node(1), node(3)]);
    expect(r.ok && r.route.feeMsat).toBe(10n + 100n);
    expect(r.ok && r.route.cltvExpiry).toBe(512);
  });

  it('routes around a channel the scorer learned cannot carry the amount', () => {
    const g = graphOf(specs);
    const scorer = new LiquidityScorer();
    const first = findRoute({ graph: g, scorer, ...base });
    if (!first.ok) throw new Error('no first route');
    scorer.recordFailure(first.route.hops, { failingHop: 0, code: TEMPORARY_CHANNEL_FAILURE }, 0);
    const second = findRoute({ graph: g, scorer, ...base });
    expect(second.ok && second.route.hops.map((h) => h.to)).toEqual([node(2), node(3)]);
    // once the lesson has faded, the cheap route is back
    const later = findRoute({ graph: g, scorer, ...base, nowMs: 24 * 3600_000 });
    expect(later.ok && later.route.hops.map((h) => h.to)).toEqual([node(1), node(3)]);
  });

  it('respects the fee limit, the expiry limit, the hop limit and exclusions', () => {
    const g = graphOf(specs);
    expect(findRoute({ graph: g, ...base, maxFeeMsat: 109n }).ok).toBe(false);
    // the route expires at 512 = 480 + 32: exactly at the limit is allowed (the payer adds no delta of its own)
    expect(findRoute({ graph: g, ...base, maxCltvExpiryDelta: 32 }).ok).toBe(true);
    expect(findRoute({ graph: g, ...base, maxCltvExpiryDelta: 31 }).ok).toBe(false);
    expect(findRoute({ graph: g, ...base, maxFeeMsat: 110n }).ok).toBe(true);
    expect(findRoute({ graph: g, ...base, maxHops: 1 }).ok).toBe(false);
    const r = findRoute({ graph: g, ...base, excludeEdges: new Set([`${scid(1)}/${node(1)}`]) });
    expect(r.ok && r.route.hops.map((h) => h.to)).toEqual([node(2), node(3)]);
  });

  it('rounds the proportional fee down', () => {
    const r = findRoute({ graph: graphOf(specs), ...base, amountMsat: 1_009_999n });
    // 1_009_999 * 100 / 10^6 = 100.9999: the hop charges 10 + 100
    expect(r.ok && r.route.feeMsat).toBe(110n);
  });

  it('uses invoice route hints as extra edges', () => {
    const g = graphOf(specs);
    const hint = { shortChannelId: scid(99), from: node(3), to: node(9), capacityMsat: 10n ** 7n, policy: policy({ feeBaseMsat: 1n, feePpm: 0n }) };
    const r = findRoute({ graph: g, ...base, target: node(9), extraEdges: [hint] });
    expect(r.ok && r.route.hops.map((h) => h.to)).toEqual([node(1), node(3), node(9)]);
    expect(r.ok && r.route.feeMsat).toBe(1n + feeFor(policy({ feeBaseMsat: 10n }), 1_000_001n));
  });
});

describe('ChannelGraph', () => {
  it('is bounded and forgets removed channels', () => {
    const g = new ChannelGraph({ maxChannels: 1 });
    expect(g.addChannel({ shortChannelId: scid(1), node1: node(1), node2: node(2), capacityMsat: 5n })).toBe('added');
    expect(g.addChannel({ shortChannelId: scid(1), node1: node(1), node2: node(2), capacityMsat: 5n })).toBe('exists');
    expect(g.addChannel({ shortChannelId: scid(2), node1: node(1), node2: node(3), capacityMsat: 5n })).toBe('full');
    expect(g.setPolicy(scid(1), node(3), policy())).toBe(false);
    expect(g.setPolicy(scid(1), node(1), policy())).toBe(true);
    expect(g.incoming(node(2))).toHaveLength(1);
    g.removeChannel(scid(1));
    expect(g.incoming(node(2))).toHaveLength(0);
    expect(g.channelCount).toBe(0);
  });
});
