// How a payee shows a deep hash-chain claim to the ledger: in steps of at most MAX_REVEAL_UNITS_PER_TX
// units past the deepest depth already shown, since the ledger refuses (for free) anything that would
// make it hash more in one request. Pure: the preimage at depth d is sha256^(depth - d)(preimage).
import { hashChain } from '../crypto/hash.js';
import { MAX_REVEAL_UNITS_PER_TX } from './close-rules.js';

export interface RevealStep {
  depth: number;
  preimage: Uint8Array;
}

/** The reveals, shallowest first, that take the ledger from `shownDepth` to `depth`; none if it is already there. */
export function revealSteps(opts: { preimage: Uint8Array; depth: number; shownDepth: number; maxStep?: number }): RevealStep[] {
  const { preimage, depth, shownDepth } = opts;
  const maxStep = opts.maxStep ?? MAX_REVEAL_UNITS_PER_TX;
  if (depth <= shownDepth) return [];
  const depths: number[] = [];
  for (let d = shownDepth + maxStep; d < depth; d += maxStep) depths.push(d);
  depths.push(depth);
  const out: RevealStep[] = new Array<RevealStep>(depths.length);
  let x = preimage;
  let at = depth;
  for (let i = depths.length - 1; i >= 0; i--) {
    x = hashChain(x, at - depths[i]!);
    at = depths[i]!;
    out[i] = { depth: at, preimage: x };
  }
  return out;
}
