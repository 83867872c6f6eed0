// Attack on a hop's expiry margins: its next hop fulfils off-chain at the very last block before the
// outgoing HTLC's expiry. The hop then has only its expiry delta to get the preimage to the upstream
// or registered on the ledger before the incoming HTLC expires. Every policy the hop accepts must leave
// it at least the register margin for that, whatever the delta; and the decreasing-expiry checks of
// decideForward must keep every hop's outgoing expiry below its incoming one by its delta.
import { describe, expect, it } from 'vitest';
import { DEFAULT_REGISTER_MARGIN_BLOCKS, hopDeadlines } from '../../src/forward/deadlines.js';
import { DEFAULT_FORWARDING_POLICY, MAX_CLTV_EXPIRY_DELTA, checkForwardingPolicy } from '../../src/forward/policy.js';
import { PREIMAGE_RESUBMIT_BLOCKS } from '../../src/node/htlc-expiry.js';

/** The first height at which hopDeadlines registers a preimage learned at `learnedAt`. */
function firstRegistration(incomingExpiry: number, outgoingExpiry: number, learnedAt: number): number {
  let h = learnedAt;
  for (;;) {
    const d = hopDeadlines([{ key: 'k', incomingExpiry, outgoing: { expiryHeight: outgoingExpiry, state: 'fulfilled' }, preimageKnown: true, preimageRegistered: false, upstreamResolved: false }], h);
    if (d.registerPreimage.includes('k')) return h;
    if (d.nextHeight === undefined) throw new Error('never registered');
    h = d.nextHeight;
  }
}

describe('attack: the next hop fulfils at the last block before its expiry', () => {
  it('every delta a policy may have leaves the register margin (and a resubmission) before the incoming expiry', () => {
    const accepted: number[] = [];
    for (let delta = 0; delta <= 40; delta++) {
      if (checkForwardingPolicy({ ...DEFAULT_FORWARDING_POLICY, cltvExpiryDelta: delta }) === null) accepted.push(delta);
    }
    expect(accepted.length).toBeGreaterThan(0);
    for (const delta of accepted) {
      const incoming = 1000;
      const outgoing = incoming - delta;
      const r = firstRegistration(incoming, outgoing, outgoing - 1);
      // blocks r .. incoming-1 can still take the registration; a lost one is resubmitted once at least
      expect(incoming - r, `delta ${delta}`).toBeGreaterThanOrEqual(DEFAULT_REGISTER_MARGIN_BLOCKS);
      expect(incoming - r, `delta ${delta}`).toBeGreaterThan(PREIMAGE_RESUBMIT_BLOCKS + 1);
    }
    expect(checkForwardingPolicy({ ...DEFAULT_FORWARDING_POLICY, cltvExpiryDelta: MAX_CLTV_EXPIRY_DELTA })).toBeNull();
    expect(checkForwardingPolicy({ ...DEFAULT_FORWARDING_POLICY, cltvExpiryDelta: 1 })).toMatch(/cltvExpiryDelta/);
  });
});
