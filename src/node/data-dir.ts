// A node's data dir holds its key and API token: it must be the owner's alone, and one node at a time.
// On start the dir is created 0700, an existing dir that others can read or enter is tightened to
// 0700 (with a warning), and a dir owned by another user is refused. `node.pid` names the process
// using the dir, so a second node on it is told who holds it before LevelDB's lock says only "LOCK".
import { chmod, lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../util/log.js';

export const PID_FILE = 'node.pid';
/** POSIX modes mean nothing on Windows; there the directory's ACL decides. */
const CHECK_MODES = process.platform !== 'win32';

export class DataDirError extends Error {
  constructor(
    readonly code: 'DATA_DIR_IN_USE' | 'DATA_DIR_UNSAFE',
    message: string,
  ) {
    super(message);
    this.name = 'DataDirError';
  }
}

/** Make the dir safe to hold secrets and claim it for this process; returns a release for stop(). */
export async function claimDataDir(dir: string, log: Logger): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new DataDirError('DATA_DIR_UNSAFE', `data dir ${dir} is not a directory`);
  if (CHECK_MODES) {
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
      throw new DataDirError('DATA_DIR_UNSAFE', `data dir ${dir} belongs to another user (uid ${st.uid}); a node keeps its key there, so it must be yours`);
    }
    const mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      await chmod(dir, 0o700);
      log.warn({ dir, was: mode.toString(8).padStart(4, '0') }, 'data dir was open to other users; tightened to 0700');
    }
  }
  const pidPath = join(dir, PID_FILE);
  const holder = await readPid(pidPath);
  if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
    throw new DataDirError('DATA_DIR_IN_USE', `data dir ${dir} is used by process ${holder} (another sluice node?); stop it first or use another --data-dir`);
  }
  await writeFile(pidPath, `${process.pid}\n`, { mode: 0o600 });
  return async () => {
    if ((await readPid(pidPath)) === process.pid) await rm(pidPath, { force: true });
  };
}

/** The pid in a lock-error message, when LevelDB refuses a dir another process holds. */
export async function dataDirHolder(dir: string): Promise<number | undefined> {
  const pid = await readPid(join(dir, PID_FILE));
  return pid !== undefined && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: unknown }).code === 'EPERM'; // alive, but another user's
  }
}
