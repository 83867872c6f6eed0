// The README's examples run end to end as a newcomer runs them (`npx tsx examples/<file>`, which resolves
// `sluice` to this package's dist/: needs `npm run build`), and print what they say they do.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function runExample(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', `examples/${file}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('examples', () => {
  it('iot-sensor: ten paid readings, the sensor earns what was paid', { timeout: 90_000 }, async () => {
    const r = await runExample('iot-sensor.ts');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => /^reading #\d+: /.test(l))).toHaveLength(10);
    expect(lines.at(-1)).toBe('10 readings sold for 50000 msat, no ledger transaction per reading');
  });

  it('vr-session: the server claims the revealed seconds into its channel balance; plain lines off a terminal', { timeout: 90_000 }, async () => {
    const r = await runExample('vr-session.ts');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('session started at 60 sat/min for up to 60 s');
    for (const l of lines.slice(1, -1)) {
      const t = /^session time (\d+)s, paid (\d+) msat$/.exec(l);
      expect(t, l).not.toBeNull();
      expect(t![2]).toBe(`${t![1]}000`); // 60 sat/min billed each second: 1000 msat a second
    }
    const m = /^session over: (\d+) s billed, (\d+) msat; the server's channel balance is now (\d+) msat$/.exec(lines.at(-1)!);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(m![2]).toBe(`${m![1]}000`);
    expect(m![3]).toBe(m![2]); // before the fix the example read the balance before the claim: 0 msat
  });
});
