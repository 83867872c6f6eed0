// A hop's lock downstream expires at least a dispute window (and the blocks a registration needs)
// before the one it was paid with: past one window after its expiry the ledger refuses a reveal, so a
// nearer gap could let the payee be paid downstream when the hop can no longer show it upstream.
import { describe, expect, it } from 'vitest';
import { CHAIN_REGISTER_BLOCKS, MIN_CHAIN_EXPIRY_DELTA, chainExpiryDelta } from '../../src/stream/hop-chain.js';

describe('chainExpiryDelta', () => {
  it('is the policy delta when that is the larger', () => {
    expect(chainExpiryDelta(40, 10)).toBe(40);
  });
  it('is never below the minimum', () => {
    expect(chainExpiryDelta(1, 0)).toBe(MIN_CHAIN_EXPIRY_DELTA);
  });
  it('grows with the ledger dispute window', () => {
    expect(chainExpiryDelta(12, 20)).toBe(20 + CHAIN_REGISTER_BLOCKS);
    expect(chainExpiryDelta(12, 1000)).toBe(1000 + CHAIN_REGISTER_BLOCKS);
  });
});
