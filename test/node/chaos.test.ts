// A few seeds of the chaos run in CI (fast); `npm run chaos` runs 1,000 rounds (scripts/chaos.ts).
import { describe, expect, it } from 'vitest';
import { chaosRun } from '../helpers/chaos.js';

describe('chaos: 4 nodes, one hostile, random payments, disconnects, restarts, junk and stale closes', () => {
  let stale = 0;
  let restarts = 0;
  it.each([1, 2, 3])('seed %i: every honest side is paid at least its latest both-signed balance, its account moves only by its own transactions, the ledger audit holds', async (seed) => {
    const r = await chaosRun({ seed, rounds: 40 });
    expect(r.violations).toEqual([]);
    expect(r.auditOk).toBe(true);
    // both sides of each honest channel, the honest side of each of the hostile node's two
    expect(r.checks.length).toBe(2 * (r.channels - 2) + 2);
    expect(r.payments.paid).toBeGreaterThan(0);
    stale += r.stale;
    restarts += r.restarts;
  }, 120_000);

  it('the seeds reached the interesting cases', () => {
    expect(stale).toBeGreaterThan(0);
    expect(restarts).toBeGreaterThan(0);
  });
});
