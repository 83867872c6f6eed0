// npm run fuzz [-- --count N --seed S --target text]: mutated and random inputs for every decoder
// (test/helpers/fuzz-targets.ts), 10 million by default. A decoder may accept or reject with its
// typed error; any other throw is a finding. Prints inputs/s per target and each distinct finding
// with an input that reproduces it; exits 1 if there were any. Not part of CI (a small run is:
// test/fuzz/decoders.test.ts).
import { Command } from 'commander';
import { runFuzz, type FuzzReport } from '../test/helpers/fuzz-mutate.js';
import { fuzzTargets } from '../test/helpers/fuzz-targets.js';

const opts = new Command()
  .option('--count <n>', 'inputs in all, spread over the targets by weight', '10000000')
  .option('--seed <n>', 'PRNG seed (the same seed replays the same inputs)', String(Date.now() % 2 ** 31))
  .option('--target <text>', 'only targets whose name contains this')
  .parse()
  .opts<{ count: string; seed: string; target?: string }>();

const count = Number(opts.count);
const seed = Number(opts.seed);
if (!Number.isSafeInteger(count) || count <= 0 || !Number.isSafeInteger(seed)) throw new Error('--count and --seed take whole numbers');

const targets = (await fuzzTargets()).filter((t) => !opts.target || t.name.includes(opts.target));
console.log(`fuzzing ${targets.length} targets with ${count.toLocaleString('en')} inputs, seed ${seed}`);
const report = runFuzz({
  targets, count, seed,
  onProgress: (done, r) => process.stderr.write(`\r${done.toLocaleString('en')} inputs, ${r.findings.length} findings, ${Math.round(done / (r.ms / 1000)).toLocaleString('en')}/s   `),
});
process.stderr.write('\n');
print(report);
process.exit(report.findings.length > 0 ? 1 : 0);

function print(r: FuzzReport): void {
  const rate = (n: number, ms: number) => Math.round(n / Math.max(ms, 1) * 1000).toLocaleString('en');
  console.log('\n| target | inputs | accepted | rejected | thrown | inputs/s |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const t of r.targets) {
    console.log(`| ${t.name} | ${t.inputs.toLocaleString('en')} | ${t.accepted.toLocaleString('en')} | ${t.rejected.toLocaleString('en')} | ${t.thrown} | ${rate(t.inputs, t.ms)} |`);
  }
  console.log(`\n${r.inputs.toLocaleString('en')} inputs in ${(r.ms / 1000).toFixed(1)} s (${rate(r.inputs, r.ms)}/s), seed ${r.seed}: ${r.findings.length} distinct findings`);
  for (const f of r.findings) {
    console.log(`\n[${f.target}] x${f.count}: ${f.signature}\n  input: ${f.example.slice(0, 400)}\n  ${f.stack.split('\n').slice(0, 6).join('\n  ')}`);
  }
}
