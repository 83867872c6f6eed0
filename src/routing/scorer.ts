// What past attempts taught about each channel direction's liquidity, in the style of LDK's
// ProbabilisticScorer: the liquidity is somewhere in [lower, upper] ⊆ [0, capacity], assumed
// uniform, so an amount a succeeds with probability (upper - a + 1) / (upper - lower + 1), 1 at or
// below `lower` and 0 above `upper`. What was learned fades with a half-life: the bounds relax back
// towards [0, capacity] as the liquidity may have moved since. Nodes that failed as a whole (NODE
// errors) carry a decaying penalty too.
//
// Failure interpretation (LND's, multihop.md §7.4): every channel before the failing node carried
// the HTLC (lower >= amount); a temporary_channel_failure at node i bounds its outgoing channel
// (upper < amount); a permanent channel failure sets upper to 0 there until it fades.
//
// Pure: time comes in as `nowMs`. Amounts are msat bigints; the decay arithmetic uses doubles,
// which only blurs the scorer's estimate, never a payment amount.

import {
  CHANNEL_DISABLED, NODE, PERM, PERMANENT_CHANNEL_FAILURE, REQUIRED_CHANNEL_FEATURE_MISSING,
  TEMPORARY_CHANNEL_FAILURE, UNKNOWN_NEXT_PEER,
} from '../onion/failure-codes.js';
import type { NodeId } from './graph.js';

export interface ScoredHop {
  readonly shortChannelId: string;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly capacityMsat: bigint;
  /** what the HTLC over this channel carried */
  readonly amountMsat: bigint;
}

export interface ScorerParams {
  /** how fast knowledge fades; default 30 minutes */
  readonly halfLifeMs: number;
  /** cost, in msat, of a hop whose success probability is 10% (the penalty is multiplier · -log10 P) */
  readonly liquidityPenaltyMultiplierMsat: number;
  /** cost, in msat, of every hop: prefers shorter routes when probabilities are alike */
  readonly baseHopPenaltyMsat: number;
  /** penalty for a node that just failed as a whole (fades with the half-life) */
  readonly nodeFailurePenaltyMsat: number;
  /** bound on remembered channel directions and nodes (oldest forgotten first) */
  readonly maxEntries: number;
}

export const DEFAULT_SCORER_PARAMS: ScorerParams = {
  halfLifeMs: 30 * 60_000,
  liquidityPenaltyMultiplierMsat: 30_000,
  baseHopPenaltyMsat: 500,
  nodeFailurePenaltyMsat: 100_000,
  maxEntries: 200_000,
};

interface Bounds {
  /** learned lower bound and how far below capacity the upper bound is, at `updatedMs` */
  lowerMsat: bigint;
  upperOffsetMsat: bigint;
  updatedMs: number;
}

export interface LiquidityRange {
  readonly lowerMsat: bigint;
  readonly upperMsat: bigint;
}

function decay(value: bigint, elapsedMs: number, halfLifeMs: number): bigint {
  if (value === 0n || elapsedMs <= 0) return value;
  const factor = Math.pow(0.5, elapsedMs / halfLifeMs);
  return BigInt(Math.floor(Number(value) * factor));
}

const key = (scid: string, from: NodeId) => `${scid}/${from}`;

export class LiquidityScorer {
  readonly params: ScorerParams;
  private readonly bounds = new Map<string, Bounds>();
  private readonly nodePenalties = new Map<NodeId, { penaltyMsat: number; updatedMs: number }>();

  constructor(params: Partial<ScorerParams> = {}) {
    this.params = { ...DEFAULT_SCORER_PARAMS, ...params };
  }

  /** The liquidity range believed now for the direction `from` over the channel. */
  liquidity(hop: Pick<ScoredHop, 'shortChannelId' | 'from' | 'capacityMsat'>, nowMs: number): LiquidityRange {
    const b = this.bounds.get(key(hop.shortChannelId, hop.from));
    if (!b) return { lowerMsat: 0n, upperMsat: hop.capacityMsat };
    const elapsed = nowMs - b.updatedMs;
    const lower = decay(b.lowerMsat, elapsed, this.params.halfLifeMs);
    const upper = hop.capacityMsat - decay(b.upperOffsetMsat, elapsed, this.params.halfLifeMs);
    // bounds learned from one capacity stay inside a later, smaller one
    const upperMsat = upper < 0n ? 0n : upper;
    return { lowerMsat: lower > upperMsat ? upperMsat : lower, upperMsat };
  }

  successProbability(hop: Pick<ScoredHop, 'shortChannelId' | 'from' | 'capacityMsat' | 'amountMsat'>, nowMs: number): number {
    const { lowerMsat, upperMsat } = this.liquidity(hop, nowMs);
    if (hop.amountMsat <= lowerMsat) return 1;
    if (hop.amountMsat > upperMsat) return 0;
    return Number(upperMsat - hop.amountMsat + 1n) / Number(upperMsat - lowerMsat + 1n);
  }

  /** Cost in msat of trying `hop`; Infinity when it cannot succeed. Additive along a route. */
  penaltyMsat(hop: Pick<ScoredHop, 'shortChannelId' | 'from' | 'capacityMsat' | 'amountMsat'>, nowMs: number): number {
    const p = this.successProbability(hop, nowMs);
    if (p <= 0) return Infinity;
    return this.params.baseHopPenaltyMsat + this.params.liquidityPenaltyMultiplierMsat * -Math.log10(p) + this.nodePenaltyMsat(hop.from, nowMs);
  }

  nodePenaltyMsat(node: NodeId, nowMs: number): number {
    const n = this.nodePenalties.get(node);
    if (!n) return 0;
    return n.penaltyMsat * Math.pow(0.5, Math.max(0, nowMs - n.updatedMs) / this.params.halfLifeMs);
  }

  /** Every channel of a route that paid carried its amount. */
  recordSuccess(route: readonly ScoredHop[], nowMs: number): void {
    for (const hop of route) this.raiseLower(hop, hop.amountMsat, nowMs);
  }

  /**
   * A failure reported by the node at the end of `route[failingHop]` (the index unwrapErrorPacket
   * gave) with BOLT 4 `code`. `route[failingHop + 1]`, if any, is the channel it could not use;
   * -1 is the payer itself (its own first channel could not take the HTLC).
   */
  recordFailure(route: readonly ScoredHop[], failure: { failingHop: number; code: number }, nowMs: number): void {
    const { failingHop, code } = failure;
    for (let i = 0; i <= Math.min(failingHop, route.length - 1); i++) this.raiseLower(route[i]!, route[i]!.amountMsat, nowMs);
    const outgoing = route[failingHop + 1];
    if (code === TEMPORARY_CHANNEL_FAILURE && outgoing) {
      this.lowerUpper(outgoing, outgoing.amountMsat - 1n, nowMs);
    } else if (outgoing && [PERMANENT_CHANNEL_FAILURE, UNKNOWN_NEXT_PEER, CHANNEL_DISABLED, REQUIRED_CHANNEL_FEATURE_MISSING].includes(code)) {
      this.lowerUpper(outgoing, 0n, nowMs);
    }
    const node = route[failingHop]?.to;
    if (node !== undefined && (code & NODE) !== 0) {
      const permanent = (code & PERM) !== 0 ? 10 : 1;
      this.nodePenalties.set(node, { penaltyMsat: this.nodePenaltyMsat(node, nowMs) + permanent * this.params.nodeFailurePenaltyMsat, updatedMs: nowMs });
      this.trim(this.nodePenalties);
    }
  }

  /** What to persist; `restore` takes it back. */
  snapshot(): { bounds: [string, Bounds][]; nodes: [NodeId, { penaltyMsat: number; updatedMs: number }][] } {
    return { bounds: [...this.bounds].map(([k, b]) => [k, { ...b }]), nodes: [...this.nodePenalties].map(([k, n]) => [k, { ...n }]) };
  }

  static restore(snapshot: ReturnType<LiquidityScorer['snapshot']>, params: Partial<ScorerParams> = {}): LiquidityScorer {
    const s = new LiquidityScorer(params);
    for (const [k, b] of snapshot.bounds) s.bounds.set(k, { ...b });
    for (const [k, n] of snapshot.nodes) s.nodePenalties.set(k, { ...n });
    return s;
  }

  private store(hop: ScoredHop, range: LiquidityRange, nowMs: number): void {
    const k = key(hop.shortChannelId, hop.from);
    this.bounds.delete(k); // re-insert: Map order is then "least recently learned first"
    this.bounds.set(k, { lowerMsat: range.lowerMsat, upperOffsetMsat: hop.capacityMsat - range.upperMsat, updatedMs: nowMs });
    this.trim(this.bounds);
  }

  private raiseLower(hop: ScoredHop, atLeast: bigint, nowMs: number): void {
    const r = this.liquidity(hop, nowMs);
    const lowerMsat = atLeast > r.lowerMsat ? (atLeast > hop.capacityMsat ? hop.capacityMsat : atLeast) : r.lowerMsat;
    // new evidence wins over old: an upper bound below the new lower bound is stale
    this.store(hop, { lowerMsat, upperMsat: r.upperMsat < lowerMsat ? hop.capacityMsat : r.upperMsat }, nowMs);
  }

  private lowerUpper(hop: ScoredHop, atMost: bigint, nowMs: number): void {
    const r = this.liquidity(hop, nowMs);
    const upperMsat = atMost < 0n ? 0n : atMost < r.upperMsat ? atMost : r.upperMsat;
    this.store(hop, { lowerMsat: r.lowerMsat > upperMsat ? 0n : r.lowerMsat, upperMsat }, nowMs);
  }

  private trim<V>(map: Map<string, V>): void {
    while (map.size > this.params.maxEntries) map.delete(map.keys().next().value!);
  }
}
