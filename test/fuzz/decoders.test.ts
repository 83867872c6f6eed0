// The fuzzer's property, small enough for CI: 20,000 mutated and random inputs over every decoder
// (`npm run fuzz` runs 10 million). No decoder may throw anything but its typed rejection.
import { describe, expect, it } from 'vitest';
import { runFuzz, type FuzzTarget } from '../helpers/fuzz-mutate.js';
import { fuzzTargets } from '../helpers/fuzz-targets.js';

const SEED = 20261201;

describe('decoders under fuzz', () => {
  it('20,000 inputs over every decoder: none throws', async () => {
    const targets = await fuzzTargets();
    const report = runFuzz({ targets, count: 20_000, seed: SEED });
    const found = report.findings.map((f) => `[${f.target}] x${f.count}: ${f.signature}\n  input: ${f.example.slice(0, 300)}`);
    expect(found, `seed ${SEED}`).toEqual([]);
    expect(report.inputs).toBeGreaterThanOrEqual(19_990);
    for (const t of report.targets) {
      expect(t.inputs, t.name).toBeGreaterThan(0);
      expect(t.rejected, `${t.name}: mutations are refused`).toBeGreaterThan(0);
    }
    // the well-formed seeds get through (else the target tests nothing but its first check)
    for (const t of report.targets.filter((x) => !['BOLT 8 handshake acts', 'BOLT 4 onion packets (peelOnion)'].includes(x.name))) expect(t.accepted, t.name).toBeGreaterThan(0);
  }, 120_000);

  it('reports a decoder that throws something other than its typed error', () => {
    const broken: FuzzTarget = {
      name: 'broken', weight: 1, kind: 'bytes', seeds: [Uint8Array.of(1, 2, 3)],
      run: (b) => {
        if (b.length > 3) throw new TypeError('read past the end');
        return 'rejected';
      },
    };
    const report = runFuzz({ targets: [broken], count: 500, seed: 1 });
    expect(report.findings.length).toBe(1);
    expect(report.findings[0]!.signature).toMatch(/^TypeError/);
    expect(report.findings[0]!.count).toBe(report.targets[0]!.thrown);
  });
});
