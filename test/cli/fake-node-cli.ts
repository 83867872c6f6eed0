// The built CLI (`node bin/sluice.js`, needs `npm run build`) against an in-process API server with a
// fake node, found through --api/--token or through --data-dir files. `useFakeNodeCli()` sets it up
// around a test file and hands back what the tests read.
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { loadOrCreateToken } from '../../src/api/token.js';
import { writeApiUrl } from '../../src/api/url-file.js';
import { silentLogger } from '../../src/util/log.js';
import { FakeApi } from '../api/fake-api.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin/sluice.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface FakeNodeCli {
  home: string;
  dataDir: string;
  token: string;
  api: FakeApi;
  server: ApiServer;
  /** Run the CLI without blocking this process's event loop (the server it talks to lives here). */
  sluice(args: string[], env?: Record<string, string>): Promise<Run>;
  /** The flags that point the CLI at the test server. */
  at(): string[];
}

export function expectOneLineError(r: Run, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^sluice: /);
  expect(r.stderr).toMatch(pattern);
}

/** The spawned CLI runs dist/, not src/: refuse to test a build older than the sources under test. */
function assertBuilt(): void {
  const built = join(ROOT, 'dist/cli/node-commands.js');
  if (!existsSync(built)) throw new Error('dist/ is missing the node commands: run `npm run build` first');
  const sources = [...readdirSync(join(ROOT, 'src/api')).map((f) => `src/api/${f}`), ...readdirSync(join(ROOT, 'src/cli')).map((f) => `src/cli/${f}`), 'src/money.ts'];
  const newest = Math.max(...sources.map((f) => statSync(join(ROOT, f)).mtimeMs));
  if (statSync(built).mtimeMs < newest) throw new Error('dist/ is older than src/api or src/cli: run `npm run build` first');
}

export function useFakeNodeCli(): FakeNodeCli {
  const ctx = {
    sluice(args: string[], env: Record<string, string> = {}): Promise<Run> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', SLUICE_HOME: ctx.home, ...env } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    },
    at: () => ['--api', ctx.server.url, '--token', ctx.token],
  } as FakeNodeCli;
  beforeAll(async () => {
    assertBuilt();
    ctx.home = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    ctx.dataDir = join(ctx.home, 'node');
    ctx.token = await loadOrCreateToken(ctx.dataDir);
    ctx.api = new FakeApi();
    ctx.server = await startApiServer({ api: ctx.api, port: 0, token: ctx.token, log: silentLogger() });
    await writeApiUrl(ctx.dataDir, ctx.server.url);
  });
  afterAll(async () => {
    await ctx.server?.close();
    if (ctx.home) await rm(ctx.home, { recursive: true, force: true });
  });
  beforeEach(() => {
    ctx.api.calls.length = 0;
  });
  return ctx;
}
