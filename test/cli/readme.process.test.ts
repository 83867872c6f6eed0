// The README's "Running nodes yourself" runs as written (issue 9, item 8): its shell block is run by
// bash with only the ports and /tmp dirs moved to free ones and `sluice` bound to this checkout's bin/.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/cluster.js';
import { SLUICE_BIN } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

function readmeBlock(heading = 'Running nodes yourself'): string {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf(`## ${heading}`));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error(`README: no \`\`\`sh block under "${heading}"`);
  return m[1]!;
}

/** Run a README block with its ports and /tmp dirs moved, `sluice` on the PATH as `npm link` puts it. */
async function runBlock(script: string, dir: string, ports: string[], names: string[]): Promise<{ code: number | null; out: string }> {
  for (const port of ports) script = script.replaceAll(port, String(await freePort()));
  for (const n of names) script = script.replaceAll(`/tmp/${n}`, join(dir, n));
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'sluice'), `#!/bin/sh\nexec "${process.execPath}" "${SLUICE_BIN}" "$@"\n`, { mode: 0o755 });
  const prelude = ['set -euo pipefail', "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"].join('\n');
  return new Promise((resolve) => {
    const p = spawn('bash', ['-c', `${prelude}\n${script}\nwait`], { env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, SLUICE_HOME: join(dir, 'home') } });
    const timer = setTimeout(() => p.kill('SIGTERM'), 100_000);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('README', () => {
  it('"Running nodes yourself" runs as written', { timeout: 120_000 }, async () => {
    const tmp = await tempDir('sluice-readme-');
    try {
      const r = await runBlock(readmeBlock(), tmp.dir, ['9700', '9735', '9736', '9745', '9746'], ['alice', 'bob']);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/received 2000000 sat in [0-9a-f]{64}/);
      expect(r.out).toMatch(/paid 250 sat to [0-9a-f]{66}/);
      const streamed = /stream [0-9a-f]{32} finished: paid (\d+) msat/.exec(r.out);
      expect(streamed, r.out).not.toBeNull();
      expect(r.out).toMatch(/cooperative close of [0-9a-f]{64}: closed/);
      // bob's ledger balance: the direct payment and the stream, settled
      const bob = BigInt(250_000) + BigInt(streamed![1]!);
      expect(r.out).toContain(`${bob} msat (`);
      expect(r.out.match(/^node [0-9a-f]{66} stopped$/gm)).toHaveLength(2);
    } finally {
      await tmp.cleanup();
    }
  });

  it('"Paying across hops" runs as written', { timeout: 120_000 }, async () => {
    const tmp = await tempDir('sluice-readme-hops-');
    try {
      const r = await runBlock(readmeBlock('Paying across hops'), tmp.dir, ['9700', '9735', '9736', '9745', '9746', '9755', '9756'], ['alice', 'bob', 'carol']);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/2 hop\(s\): 5000 sat to the payee, 1\.5 sat in fees/);
      expect(r.out).toMatch(/^paid 5000 sat to [0-9a-f]{66} over 2 hop\(s\), fee 1\.5 sat, in 1 attempt\(s\)$/m);
      expect(r.out).toMatch(/paid\s+5000 sat \(received 5000 sat\)/);
      expect(r.out).toMatch(/earned 1\.5 sat in fees over 1 settled forward\(s\)/);
      // the stream across bob: five seconds at 1 sat/s, every tick paid
      expect(/stream [0-9a-f]{32} finished: paid (\d+) msat/.exec(r.out)?.[1], r.out).toBe('5000');
      expect(r.out.match(/^node [0-9a-f]{66} stopped$/gm)).toHaveLength(3);
    } finally {
      await tmp.cleanup();
    }
  });
});
