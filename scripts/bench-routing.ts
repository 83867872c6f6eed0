// Route finding on a synthetic graph of 10,000 nodes and 50,000 channels (the size issue 10 asks
// about): a random spanning tree, so every pair is connected, plus random channels that favour
// low-numbered nodes so hubs appear, as on Lightning. Seeded, so every run measures the same graph.
import { ChannelGraph, type NodeId } from '../src/routing/graph.js';
import { findRoute } from '../src/routing/pathfind.js';
import { LiquidityScorer } from '../src/routing/scorer.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface RoutingBench {
  buildMs: number;
  queries: number;
  found: number;
  p50Ms: number;
  p99Ms: number;
  meanHops: number;
}

export function benchRouteFinding(opts: { nodes?: number; channels?: number; queries?: number } = {}): RoutingBench {
  const nodes = opts.nodes ?? 10_000;
  const channels = opts.channels ?? 50_000;
  const queries = opts.queries ?? 30;
  const rand = lcg(42);
  const id = (i: number): NodeId => `02${i.toString(16).padStart(64, '0')}`;
  const t0 = performance.now();
  const g = new ChannelGraph();
  const add = (a: number, b: number, n: number) => {
    const scid = n.toString(16).padStart(16, '0');
    const capacityMsat = BigInt(Math.floor(10 ** (6 + rand() * 4)));
    g.addChannel({ shortChannelId: scid, node1: id(a), node2: id(b), capacityMsat });
    for (const from of [a, b]) {
      g.setPolicy(scid, id(from), {
        feeBaseMsat: BigInt(Math.floor(rand() * 2000)),
        feePpm: BigInt(Math.floor(rand() * 2000)),
        cltvExpiryDelta: 10 + Math.floor(rand() * 134),
        htlcMinimumMsat: 1n,
        htlcMaximumMsat: capacityMsat,
      });
    }
  };
  let n = 0;
  for (let i = 1; i < nodes; i++) add(i, Math.floor(rand() * i), n++);
  while (n < channels) {
    const a = Math.floor(nodes * rand() ** 2);
    const b = Math.floor(nodes * rand());
    if (a !== b) add(a, b, n++);
  }
  const buildMs = performance.now() - t0;

  const scorer = new LiquidityScorer();
  const times: number[] = [];
  let found = 0;
  let hops = 0;
  for (let q = 0; q < queries; q++) {
    const source = id(Math.floor(rand() * nodes));
    const target = id(Math.floor(rand() * nodes));
    if (source === target) continue;
    const t = performance.now();
    const r = findRoute({ graph: g, scorer, source, target, amountMsat: 10_000_000n, finalCltvExpiry: 1_018, currentHeight: 1_000, nowMs: q * 1000 });
    times.push(performance.now() - t);
    if (r.ok) {
      found++;
      hops += r.route.hops.length;
      // teach the scorer something, as real attempts would
      scorer.recordSuccess(r.route.hops, q * 1000);
    }
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    buildMs,
    queries: times.length,
    found,
    p50Ms: sorted[Math.floor(sorted.length / 2)]!,
    p99Ms: sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]!,
    meanHops: found ? hops / found : 0,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(benchRouteFinding())}\n`);
}
