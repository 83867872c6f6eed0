// The demo options the README shows run as written, and a rate a hash chain cannot pay is refused before
// anything starts (it used to fail after the faucet and the channel open: README's own example did).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runSluice } from '../helpers/process.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

describe('demo options', () => {
  it("README's `npm start -- …` options line runs to a settled ledger", { timeout: 120_000 }, async () => {
    const m = /^Options: `npm start -- ([^`]+)`/m.exec(readFileSync(README, 'utf8'));
    expect(m, 'README has an "Options: `npm start -- …`" line').not.toBeNull();
    const args = m![1]!.split(/\s+/);
    const r = await runSluice(['demo', ...args, '--no-tty']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stream finished: \d+ payments/);
    expect(r.stdout).toMatch(/ledger audit: ok/);
  });

  it('a hash-chain rate that does not divide into whole-msat ticks fails first, with the rates that would', async () => {
    const r = await runSluice(['demo', '--duration', '30s', '--rate', '2sat/min', '--mode', 'hashchain']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(''); // nothing started: no ledger line, no faucet, no channel
    expect(r.stderr).toBe(
      'sluice: rate: 2 sat/min does not divide into whole-msat ticks of 1000ms, which hashchain mode needs (every tick pays the same unit); use e.g. 33msat/s or 34msat/s, or interval billing\n',
    );
  });
});
