// The API token file: created 0600, stable across starts, mode repaired, refused when odd.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateToken, readToken, tokenPath } from '../../src/api/token.js';
import { readApiUrl, removeApiUrl, writeApiUrl } from '../../src/api/url-file.js';

const posix = process.platform !== 'win32';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-token-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('api-token', () => {
  it.runIf(posix)('is 32 random bytes in hex, in a file only the owner can read', async () => {
    const token = await loadOrCreateToken(join(dir, 'node'));
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(tokenPath(join(dir, 'node')))).mode & 0o777).toBe(0o600);
    expect(await readToken(join(dir, 'node'))).toBe(token);
  });

  it('is the same on the next start', async () => {
    const a = await loadOrCreateToken(dir);
    expect(await loadOrCreateToken(dir)).toBe(a);
  });

  it('concurrent starts agree on one token', async () => {
    const tokens = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateToken(dir)));
    expect(new Set(tokens).size).toBe(1);
    expect((await readFile(tokenPath(dir), 'utf8')).trim()).toBe(tokens[0]);
  });

  it.runIf(posix)('repairs a looser mode', async () => {
    const token = await loadOrCreateToken(dir);
    await chmod(tokenPath(dir), 0o644);
    expect(await loadOrCreateToken(dir)).toBe(token);
    expect((await stat(tokenPath(dir))).mode & 0o777).toBe(0o600);
  });

  it('refuses a file that does not hold a token', async () => {
    await writeFile(tokenPath(dir), 'hunter2\n');
    await expect(loadOrCreateToken(dir)).rejects.toThrow(/does not hold an API token/);
  });

  it.runIf(posix)('refuses a symlink', async () => {
    await writeFile(join(dir, 'elsewhere'), 'a'.repeat(64));
    await symlink(join(dir, 'elsewhere'), tokenPath(dir));
    await expect(loadOrCreateToken(dir)).rejects.toThrow(/not a regular file/);
  });

  it('readToken says what to do when there is none', async () => {
    await expect(readToken(dir)).rejects.toThrow(/no API token at .*api-token; start the node once/);
  });
});

describe('api-url', () => {
  it('round-trips, and says what to do when missing', async () => {
    await expect(readApiUrl(dir)).rejects.toThrow(/is `sluice node start` running/);
    await writeApiUrl(dir, 'http://127.0.0.1:9736');
    expect(await readApiUrl(dir)).toBe('http://127.0.0.1:9736');
    await removeApiUrl(dir);
    await expect(readApiUrl(dir)).rejects.toThrow(/no node API address/);
  });
});
