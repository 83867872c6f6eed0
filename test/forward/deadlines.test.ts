// A hop's deadlines: which incoming HTLCs to fail back and which preimages to register, at the exact
// heights, and the next height to wake at.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hopDeadlines, type HopForward } from '../../src/forward/deadlines.js';

const f = (over: Partial<HopForward> & { key: string }): HopForward => ({
  incomingExpiry: 200,
  outgoing: { expiryHeight: 188, state: 'pending' },
  preimageKnown: false,
  preimageRegistered: false,
  upstreamResolved: false,
  ...over,
});

describe('hopDeadlines', () => {
  // [name, forward, height, failBack why | 'register' | 'nothing']
  it.each<[string, HopForward, number, string]>([
    ['pending outgoing, one block before its expiry', f({ key: 'k' }), 187, 'nothing'],
    ['pending outgoing at its expiry height, no preimage: fail back', f({ key: 'k' }), 188, 'outgoing_expired'],
    ['pending outgoing past its expiry', f({ key: 'k' }), 195, 'outgoing_expired'],
    ['downstream failed it: fail back at once', f({ key: 'k', outgoing: { expiryHeight: 188, state: 'failed' } }), 100, 'outgoing_failed'],
    ['never forwarded, 7 blocks left', f({ key: 'k', outgoing: undefined }), 193, 'nothing'],
    ['never forwarded, 6 blocks left: fail back', f({ key: 'k', outgoing: undefined }), 194, 'not_forwarded'],
    ['preimage known, 7 blocks left: wait for the upstream fulfil', f({ key: 'k', preimageKnown: true, outgoing: { expiryHeight: 188, state: 'fulfilled' } }), 193, 'nothing'],
    ['preimage known, 6 blocks left: register it', f({ key: 'k', preimageKnown: true, outgoing: { expiryHeight: 188, state: 'fulfilled' } }), 194, 'register'],
    ['preimage known from the registry while the outgoing is past expiry: register, never fail', f({ key: 'k', preimageKnown: true }), 199, 'register'],
    ['preimage already registered', f({ key: 'k', preimageKnown: true, preimageRegistered: true }), 199, 'nothing'],
    ['upstream already resolved', f({ key: 'k', upstreamResolved: true }), 300, 'nothing'],
  ])('%s', (_name, forward, height, want) => {
    const d = hopDeadlines([forward], height);
    const got = d.registerPreimage.length ? 'register' : d.failBack.length ? d.failBack[0]!.why : 'nothing';
    expect(got).toBe(want);
    expect(d.registerPreimage.length + d.failBack.length).toBeLessThanOrEqual(1);
  });

  it('reports the next height to wake at', () => {
    const d = hopDeadlines([
      f({ key: 'a' }), // wakes at 188
      f({ key: 'b', outgoing: undefined, incomingExpiry: 190 }), // wakes at 184
      f({ key: 'c', preimageKnown: true, incomingExpiry: 195 }), // wakes at 189
    ], 150);
    expect(d).toEqual({ failBack: [], registerPreimage: [], nextHeight: 184 });
    expect(hopDeadlines([f({ key: 'a', upstreamResolved: true })], 150)).toEqual({ failBack: [], registerPreimage: [] });
  });

  it('honours the margins it is given', () => {
    expect(hopDeadlines([f({ key: 'k', preimageKnown: true })], 190, { registerMarginBlocks: 10 }).registerPreimage).toEqual(['k']);
    expect(hopDeadlines([f({ key: 'k', preimageKnown: true })], 189, { registerMarginBlocks: 10 }).registerPreimage).toEqual([]);
    expect(hopDeadlines([f({ key: 'k', outgoing: undefined })], 198, { unforwardedFailMarginBlocks: 2 }).failBack).toEqual([{ key: 'k', why: 'not_forwarded' }]);
  });

  it('property: a forward whose preimage is known is never failed back; one is never both failed and registered', () => {
    const forward = fc.record({
      key: fc.string({ minLength: 1, maxLength: 4 }),
      incomingExpiry: fc.integer({ min: 0, max: 400 }),
      outgoing: fc.option(fc.record({ expiryHeight: fc.integer({ min: 0, max: 400 }), state: fc.constantFrom('pending' as const, 'fulfilled' as const, 'failed' as const) }), { nil: undefined }),
      preimageKnown: fc.boolean(),
      preimageRegistered: fc.boolean(),
      upstreamResolved: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.uniqueArray(forward, { selector: (x) => x.key, maxLength: 20 }), fc.integer({ min: 0, max: 400 }), (forwards, height) => {
        const d = hopDeadlines(forwards, height);
        const failed = new Set(d.failBack.map((x) => x.key));
        for (const x of forwards) {
          if (x.preimageKnown || x.upstreamResolved) expect(failed.has(x.key)).toBe(false);
          if (failed.has(x.key)) expect(d.registerPreimage).not.toContain(x.key);
          // an outgoing HTLC that has not expired, with no preimage, is never failed back early
          if (x.outgoing?.state === 'pending' && height < x.outgoing.expiryHeight) expect(failed.has(x.key)).toBe(false);
        }
        if (d.nextHeight !== undefined) expect(d.nextHeight).toBeGreaterThan(height);
      }),
      { numRuns: 500 },
    );
  });
});
