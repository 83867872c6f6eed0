// PayWord hash chains. The payer commits to root = sha256^length(seed); the k-th unit is paid by
// revealing x with sha256^k(x) == root. Checkpoints every `checkpointEvery` links bound the cost of
// any reveal, and verifyReveal bounds the cost of checking one, so neither side can be made to hash
// a million times for one tick.
import { assertBytes, equalBytes } from '../crypto/bytes.js';
import { InputError } from '../util/errors.js';
import { hashChain, sha256 } from '../crypto/hash.js';
import { checkCount } from './check.js';
import { MAX_CHAIN_UNITS } from './terms.js';
import type { Result } from '../util/result.js';

/** Seeds, preimages and roots are sha256 sized; the channel's claim op carries exactly 32 bytes. */
export const CHAIN_VALUE_LENGTH = 32;

export class HashChainSecret {
  private constructor(
    readonly root: Uint8Array,
    readonly length: number,
    private readonly every: number,
    /** checkpoints[i] = sha256^(i * every)(seed) */
    private readonly checkpoints: Uint8Array[],
  ) {}

  /** Costs `length` hashes once. The seed must be 32 secret random bytes (it is the last unit's preimage). */
  static create(seed: Uint8Array, length: number, checkpointEvery = 64): HashChainSecret {
    assertBytes(seed, 'seed', CHAIN_VALUE_LENGTH);
    checkCount(length, 'length', 1);
    if (length > MAX_CHAIN_UNITS) throw new InputError(`length: at most ${MAX_CHAIN_UNITS} units, got ${length}`);
    checkCount(checkpointEvery, 'checkpointEvery', 1);
    const checkpoints: Uint8Array[] = [];
    let h: Uint8Array = seed.slice();
    for (let i = 0; i < length; i++) {
      if (i % checkpointEvery === 0) checkpoints.push(h);
      h = sha256(h);
    }
    return new HashChainSecret(h, length, checkpointEvery, checkpoints);
  }

  /** x with sha256^depth(x) == root, depth in 1..length; at most checkpointEvery - 1 hashes. */
  preimageAt(depth: number): Uint8Array {
    checkCount(depth, 'depth', 1);
    if (depth > this.length) throw new InputError(`depth: ${depth} is past the chain's ${this.length} units`);
    const index = this.length - depth; // distance from the seed
    const base = Math.floor(index / this.every);
    return hashChain(this.checkpoints[base]!, index - base * this.every).slice();
  }
}

export type RevealError = 'wrong-preimage' | 'not-deeper' | 'beyond-max' | 'step-too-large';
export type RevealResult = Result<object, RevealError>;

export interface RevealCheck {
  root: Uint8Array;
  maxUnits: number;
  /** Depth of the last accepted reveal; 0 = none yet (check against the root). */
  prevDepth: number;
  /** The last accepted value; required when prevDepth > 0. */
  prevValue?: Uint8Array;
  depth: number;
  value: Uint8Array;
  /** Most ticks one reveal may cover: bounds the hashes it costs. */
  maxStep?: number;
}

/**
 * Check a reveal against the previous one, costing (depth - prevDepth) hashes: one per tick, however
 * deep the chain. The cheap checks come first, so a bad reveal costs no hashing at all.
 */
export function verifyReveal(opts: RevealCheck): RevealResult {
  const { root, maxUnits, prevDepth, prevValue, depth, value } = opts;
  assertBytes(root, 'root', CHAIN_VALUE_LENGTH);
  checkCount(maxUnits, 'maxUnits', 1);
  checkCount(prevDepth, 'prevDepth');
  if (prevDepth > maxUnits) throw new InputError(`prevDepth: ${prevDepth} is past maxUnits ${maxUnits}`);
  if (prevDepth > 0) assertBytes(prevValue, 'prevValue', CHAIN_VALUE_LENGTH);
  const maxStep = checkCount(opts.maxStep ?? 1000, 'maxStep', 1);
  if (!Number.isSafeInteger(depth) || depth <= prevDepth) return { ok: false, error: 'not-deeper' };
  if (depth > maxUnits) return { ok: false, error: 'beyond-max' };
  if (depth - prevDepth > maxStep) return { ok: false, error: 'step-too-large' };
  if (!(value instanceof Uint8Array) || value.length !== CHAIN_VALUE_LENGTH) return { ok: false, error: 'wrong-preimage' };
  const anchor = prevDepth === 0 ? root : prevValue!;
  return equalBytes(hashChain(value, depth - prevDepth), anchor) ? { ok: true } : { ok: false, error: 'wrong-preimage' };
}
