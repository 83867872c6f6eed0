// `npm start` as a new user runs it: the demo process, without a terminal, start to finish.
import { describe, expect, it } from 'vitest';
import { runSluice } from '../helpers/process.js';

describe('the demo', () => {
  it('runs the whole story and exits 0, with plain lines when there is no terminal', async () => {
    const r = await runSluice(['demo', '--duration', '3s']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/channel [0-9a-f]{16}… open/);
    expect(r.stdout).toMatch(/3 ticks, bob received 30 sat/);
    expect(r.stdout).toMatch(/bob: +30 sat {2}\(= what the stream paid\)/);
    expect(r.stdout).toMatch(/alice: +999570 sat/); // 1,000,000 - 200 (open) - 30 - 200 (close)
    expect(r.stdout).toMatch(/ledger audit: ok/);
    expect(r.stdout).not.toMatch(/\r/); // no redrawn bar without a terminal
  }, 60_000);

  it('refuses a bad rate with one line and a non-zero exit', async () => {
    const r = await runSluice(['demo', '--rate', 'lots']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
