// The control API's bearer token: 32 random bytes, hex, in `<dataDir>/api-token`, readable by the
// owner only. Whoever can read this file can move the node's money, so the file is created 0600 in
// one step (written under a temporary name, then hard-linked into place, so a crash never leaves an
// empty or half-written token and two starting processes agree on one token), and a looser mode
// found on an existing file is repaired.
import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const TOKEN_FILE = 'api-token';
const TOKEN_RE = /^[0-9a-f]{64}$/;
/** POSIX modes mean nothing on Windows; there the file inherits the directory's ACL. */
const CHECK_MODES = process.platform !== 'win32';

export function tokenPath(dataDir: string): string {
  return join(dataDir, TOKEN_FILE);
}

/** The node's token, created on first start. Throws if an existing file is not a token we made. */
export async function loadOrCreateToken(dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = tokenPath(dataDir);
  const existing = await readTokenFile(path, { repairMode: true });
  if (existing !== undefined) return existing;

  const token = randomBytes(32).toString('hex');
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, token + '\n', { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, path); // fails with EEXIST if another process won the race: use its token
  } catch (e) {
    if (!isErrno(e, 'EEXIST')) throw e;
    const theirs = await readTokenFile(path, { repairMode: true });
    if (theirs === undefined) throw e;
    return theirs;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return token;
}

/** The token for a client (the CLI), with a message that says what to do when there is none. */
export async function readToken(dataDir: string): Promise<string> {
  const path = tokenPath(dataDir);
  const token = await readTokenFile(path, { repairMode: false });
  if (token === undefined) {
    throw new Error(`no API token at ${path}; start the node once with this --data-dir (or pass --token)`);
  }
  return token;
}

async function readTokenFile(path: string, opts: { repairMode: boolean }): Promise<string | undefined> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
  // A symlink could point the chmod (and the secret) somewhere we did not mean.
  if (!st.isFile()) throw new Error(`${path} is not a regular file; remove it so a new token can be made`);
  if (CHECK_MODES && opts.repairMode && (st.mode & 0o077) !== 0) await chmod(path, 0o600);
  const text = (await readFile(path, 'utf8')).trim();
  if (!TOKEN_RE.test(text)) throw new Error(`${path} does not hold an API token (64 hex characters); remove it so a new one can be made`);
  return text;
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}
