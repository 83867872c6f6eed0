import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { equalBytes, InputError } from '../../src/crypto/bytes.js';
import * as hash from '../../src/crypto/hash.js';
import { hashChain, sha256 } from '../../src/crypto/hash.js';
import { HashChainSecret, verifyReveal } from '../../src/stream/hashchain.js';

const seed = new Uint8Array(32).fill(7);
const chain = HashChainSecret.create(seed, 200, 16);
const root = chain.root;

describe('HashChainSecret', () => {
  it('root is sha256^length(seed) and preimageAt(k) hashes to it in k steps', () => {
    expect(equalBytes(root, hashChain(seed, 200))).toBe(true);
    expect(equalBytes(chain.preimageAt(200), seed)).toBe(true);
    expect(equalBytes(sha256(chain.preimageAt(1)), root)).toBe(true);
  });

  it('preimageAt matches hashChain for random k (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (k) => {
        expect(chain.preimageAt(k)).toEqual(hashChain(seed, 200 - k));
        expect(hashChain(chain.preimageAt(k), k)).toEqual(root);
      }),
    );
  });

  it('hands out copies: mutating one does not corrupt the chain', () => {
    chain.preimageAt(200).fill(0);
    expect(chain.preimageAt(200)).toEqual(seed);
  });

  it.each([0, 201, -1, 1.5])('preimageAt(%s) is refused', (k) => {
    expect(() => chain.preimageAt(k)).toThrow(InputError);
    expect(() => chain.preimageAt(k)).toThrow(/depth/);
  });

  it.each([
    [new Uint8Array(16), 10, 64, /seed: expected 32 bytes/],
    [seed, 0, 64, /length/],
    [seed, 1_000_001, 64, /length: at most/],
    [seed, 10, 0, /checkpointEvery/],
  ])('create refuses bad arguments (%#)', (s, length, every, message) => {
    expect(() => HashChainSecret.create(s, length, every)).toThrow(message);
  });
});

describe('verifyReveal', () => {
  const at = (k: number) => chain.preimageAt(k);
  const base = { root, maxUnits: 200, prevDepth: 0 };

  it.each([
    ['first tick', { depth: 1, value: at(1) }, { ok: true }],
    ['next tick', { prevDepth: 5, prevValue: at(5), depth: 6, value: at(6) }, { ok: true }],
    ['skipped ticks', { prevDepth: 5, prevValue: at(5), depth: 8, value: at(8) }, { ok: true }],
    ['last unit (the seed)', { prevDepth: 199, prevValue: at(199), depth: 200, value: at(200) }, { ok: true }],
    ['wrong preimage', { depth: 1, value: at(2) }, { ok: false, error: 'wrong-preimage' }],
    ['value of the wrong length', { depth: 1, value: new Uint8Array(31) }, { ok: false, error: 'wrong-preimage' }],
    ['the previous value again', { prevDepth: 5, prevValue: at(5), depth: 5, value: at(5) }, { ok: false, error: 'not-deeper' }],
    ['shallower', { prevDepth: 5, prevValue: at(5), depth: 4, value: at(4) }, { ok: false, error: 'not-deeper' }],
    ['beyond maxUnits', { maxUnits: 10, depth: 11, value: at(11) }, { ok: false, error: 'beyond-max' }],
    ['step too large', { maxStep: 2, depth: 3, value: at(3) }, { ok: false, error: 'step-too-large' }],
  ])('%s', (_name, over, expected) => {
    expect(verifyReveal({ ...base, ...over })).toEqual(expected);
  });

  it('a skipped-tick reveal costs one hash per tick, not the chain length', () => {
    const spy = vi.spyOn(hash, 'hashChain');
    verifyReveal({ ...base, prevDepth: 100, prevValue: at(100), depth: 103, value: at(103) });
    expect(spy).toHaveBeenCalledWith(expect.anything(), 3);
    spy.mockRestore();
  });

  it('refuses malformed state from the caller', () => {
    expect(() => verifyReveal({ ...base, prevDepth: 3, depth: 4, value: at(4) })).toThrow(/prevValue/);
    expect(() => verifyReveal({ ...base, root: new Uint8Array(3), depth: 1, value: at(1) })).toThrow(/root/);
    expect(() => verifyReveal({ ...base, maxStep: 0, depth: 1, value: at(1) })).toThrow(/maxStep/);
  });
});
