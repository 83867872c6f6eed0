// The wallet's reveal steps at the ledger's per-request bound: every step the rules accept, none of
// them refused for TOO_MUCH_WORK, and as few as the bound allows.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { hashChain } from '../../src/crypto/hash.js';
import { applyTx, MAX_REVEAL_UNITS_PER_TX as M } from '../../src/ledger/rules.js';
import { revealSteps } from '../../src/ledger/reveal-steps.js';
import { ctx, signed } from '../helpers/ledger-fixture.js';
import { CAP, closing, nextNonce, world } from './world.js';

describe('reveal steps at the per-request bound', () => {
  const N = 2 * M + 10;
  it.each([
    ['exactly the bound from nothing shown', 0, M, [M]],
    ['one past the bound', 0, M + 1, [M, M + 1]],
    ['the bound past an already-shown depth', 7, 7 + M, [7 + M]],
    ['one past the bound from an already-shown depth', 7, 8 + M, [7 + M, 8 + M]],
    ['twice the bound', 0, 2 * M, [M, 2 * M]],
    ['the lock\'s whole depth', 0, N, [M, 2 * M, N]],
    ['one unit past what is shown', M, M + 1, [M + 1]],
    ['what is already shown', M, M, []],
    ['less than what is shown', M, 3, []],
  ] as const)('%s', (_name, shown, depth, want) => {
    const w = world();
    w.nonce.set(w.a, 1);
    const seed = randomBytes(32);
    const at = (k: number) => hashChain(seed, N - k);
    closing(w, w.a, 3n, CAP - BigInt(N), 0n, 5, [{ kind: 'hashchain', id: 1, from: 'A', root: at(0), unit: 1n, maxUnits: N }]);
    if (shown > 0) {
      for (const s of revealSteps({ preimage: at(shown), depth: shown, shownDepth: 0 })) {
        const r = applyTx(w.st, signed(w.b, nextNonce(w, w.b), { kind: 'reveal', channelId: w.id, lockId: 1, preimage: s.preimage, depth: s.depth }), ctx(6));
        if (!r.ok) throw new Error(r.error.message);
        w.st.apply(r.writes);
      }
    }
    const steps = revealSteps({ preimage: at(depth), depth, shownDepth: shown });
    expect(steps.map((s) => s.depth)).toEqual(want);
    for (const s of steps) {
      expect(s.preimage).toEqual(at(s.depth));
      const r = applyTx(w.st, signed(w.b, nextNonce(w, w.b), { kind: 'reveal', channelId: w.id, lockId: 1, preimage: s.preimage, depth: s.depth }), ctx(6));
      expect(r.ok ? 'accepted' : r.error.code).toBe('accepted');
      if (r.ok) w.st.apply(r.writes);
    }
    expect(w.st.channel(w.id)!.reveals[1]?.depth ?? 0).toBe(Math.max(shown, depth));
  });
});
