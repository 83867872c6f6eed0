// The payer's liquidity scorer as a stored record: what past attempts taught about each channel must
// survive a restart, or every restart would send the first payments into channels known to be empty.
// One record under the payments kind; bigints as decimal strings.
import { LiquidityScorer, type ScorerParams } from '../routing/scorer.js';
import type { JsonObject } from '../util/json-fields.js';

/** The key of the scorer's record in the payments sublevel (payment records are 64-hex keys). */
export const SCORER_RECORD_KEY = 'scorer';

/**
 * The payer's scorer remembers at most this many channel directions and nodes (the routing core's
 * default is 200,000): the whole scorer is one record rewritten each time it is stored, and one payer's
 * own attempts touch far fewer channels than that.
 */
export const PAYER_SCORER_MAX_ENTRIES = 20_000;

export function scorerToJson(s: LiquidityScorer): JsonObject {
  const snap = s.snapshot();
  return {
    bounds: snap.bounds.map(([k, b]) => [k, b.lowerMsat.toString(), b.upperOffsetMsat.toString(), b.updatedMs]),
    nodes: snap.nodes.map(([k, n]) => [k, n.penaltyMsat, n.updatedMs]),
  };
}

/** A damaged record gives a fresh scorer: it only makes the first routes less informed, never wrong. */
export function scorerFromJson(v: JsonObject | undefined, params: Partial<ScorerParams> = { maxEntries: PAYER_SCORER_MAX_ENTRIES }): LiquidityScorer {
  if (!v) return new LiquidityScorer(params);
  try {
    const bounds = (v['bounds'] as [string, string, string, number][]).map(([k, lower, upper, updatedMs]) => {
      if (typeof k !== 'string' || typeof updatedMs !== 'number') throw new Error('bad scorer entry');
      return [k, { lowerMsat: BigInt(lower), upperOffsetMsat: BigInt(upper), updatedMs }] as [string, { lowerMsat: bigint; upperOffsetMsat: bigint; updatedMs: number }];
    });
    const nodes = (v['nodes'] as [string, number, number][]).map(([k, penaltyMsat, updatedMs]) => {
      if (typeof k !== 'string' || typeof penaltyMsat !== 'number' || typeof updatedMs !== 'number') throw new Error('bad scorer entry');
      return [k, { penaltyMsat, updatedMs }] as [string, { penaltyMsat: number; updatedMs: number }];
    });
    return LiquidityScorer.restore({ bounds, nodes }, params);
  } catch {
    return new LiquidityScorer(params);
  }
}
