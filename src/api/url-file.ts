// `<dataDir>/api-url`: where a running node's control API listens (e.g. `http://127.0.0.1:9736`).
// The node writes it once it listens (the port may have been 0, i.e. picked by the OS) and removes
// it when it stops, so the CLI finds the node from the data directory alone.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const URL_FILE = 'api-url';

export function apiUrlPath(dataDir: string): string {
  return join(dataDir, URL_FILE);
}

/** Write atomically (temp file + rename) so a reader never sees half a URL. */
export async function writeApiUrl(dataDir: string, url: string): Promise<void> {
  const path = apiUrlPath(dataDir);
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, url + '\n', { mode: 0o644 });
  await rename(tmp, path);
}

export async function removeApiUrl(dataDir: string): Promise<void> {
  await rm(apiUrlPath(dataDir), { force: true });
}

export async function readApiUrl(dataDir: string): Promise<string> {
  const path = apiUrlPath(dataDir);
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') {
      throw new Error(`no node API address at ${path}; is \`sluice node start\` running with this --data-dir? (or pass --api)`);
    }
    throw e;
  }
  if (!/^https?:\/\/\S+$/.test(text)) throw new Error(`${path} does not hold an http:// URL`);
  return text;
}
