// `npm run chaos [-- --rounds N] [--seeds S] [--first SEED]`: the randomized chaos run of
// test/helpers/chaos.ts over many rounds (1,000 by default: 10 runs of 100), a script, not part of CI.
// Prints each run's figures and the totals; exits 1 if any run broke an invariant.
import { chaosRun, type ChaosReport } from '../test/helpers/chaos.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const totalRounds = arg('rounds', 1000);
const seeds = arg('seeds', 10);
const first = arg('first', 1000);
const perRun = Math.ceil(totalRounds / seeds);
const reports: ChaosReport[] = [];
for (let s = 0; s < seeds; s++) {
  const r = await chaosRun({ seed: first + s, rounds: perRun });
  reports.push(r);
  const p = r.payments;
  console.log(`seed ${r.seed}: ${r.rounds} rounds in ${(r.ms / 1000).toFixed(1)} s; payments ${p.paid}/${p.tried} paid (${p.refused} refused); ` +
    `${r.restarts} restarts, ${r.restores} hostile restores from old backups, ${r.disconnects} disconnects, ${r.junk} junk messages, ${r.staleCloses} hostile closes (${r.stale} stale, ${r.penalized} penalized); ` +
    `${r.checks.length} payouts checked; audit ${r.auditOk ? 'ok' : 'FAILED'}; ${r.violations.length ? `VIOLATIONS: ${r.violations.join('; ')}` : 'no violations'}`);
}
const sum = (f: (r: ChaosReport) => number) => reports.reduce((n, r) => n + f(r), 0);
const why: Record<string, number> = {};
for (const r of reports) for (const [k, v] of Object.entries(r.payments.why)) why[k] = (why[k] ?? 0) + v;
console.log(`\ntotal: ${sum((r) => r.rounds)} rounds in ${(sum((r) => r.ms) / 1000).toFixed(1)} s; ` +
  `${sum((r) => r.payments.paid)}/${sum((r) => r.payments.tried)} payments paid (refused: ${Object.entries(why).map(([k, v]) => `${k} ${v}`).join(', ')}); ${sum((r) => r.restarts)} restarts; ${sum((r) => r.restores)} hostile restores; ` +
  `${sum((r) => r.disconnects)} disconnects; ${sum((r) => r.junk)} junk; ${sum((r) => r.staleCloses)} hostile closes, ${sum((r) => r.stale)} of them stale, ${sum((r) => r.penalized)} penalized; ` +
  `${sum((r) => r.checks.length)} payouts checked; ${sum((r) => r.violations.length)} violations; audits ${reports.every((r) => r.auditOk) ? 'all ok' : 'FAILED'}`);
process.exit(reports.some((r) => r.violations.length > 0 || !r.auditOk) ? 1 : 0);
