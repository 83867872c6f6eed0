// `npm start -- --dashboard`: the demo prints its dashboards' login links, keeps its nodes running
// after the story until Ctrl-C, and then stops and cleans up.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSluice, startSluice } from '../helpers/process.js';

describe('the demo with --dashboard', () => {
  it('serves both dashboards until Ctrl-C, and a fresh link can be had with sluice dashboard', async () => {
    const demo = startSluice(['demo', '--duration', '2s', '--dashboard']);
    try {
      await demo.waitFor(/press Ctrl-C/, 60_000);
      const out = demo.output();
      const links = [...out.matchAll(/^ {3}(alice|bob) +(http:\/\/127\.0\.0\.1:\d+\/login\?code=\S+)$/gm)];
      expect(links.map((m) => m[1])).toEqual(['alice', 'bob', 'alice', 'bob']); // at the start, and once the story is told
      // the links printed last are still unused: each logs a browser in
      for (const m of links.slice(2)) {
        const res = await fetch(m[2]!, { redirect: 'manual' });
        expect(res.status).toBe(303);
        expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
      }
      const dataDir = /sluice dashboard --data-dir (\S+)\)/.exec(out)![1]!;
      const again = await runSluice(['dashboard', '--data-dir', dataDir]);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login\?code=[A-Za-z0-9_-]{43}$/m);
      expect(await demo.kill('SIGINT')).toBe(0);
      expect(existsSync(dirname(dataDir))).toBe(false);
    } finally {
      await demo.kill('SIGKILL');
    }
  }, 90_000);
});
