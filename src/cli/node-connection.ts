// How node commands find the node: `--api` when given, else `<data-dir>/api-url` (written by `sluice
// node start`). The token, in this order: `--token` (or SLUICE_API_TOKEN, which keeps it out of `ps`
// listings and shell history), `--token-file`, then `<data-dir>/api-token`.
import { readFile } from 'node:fs/promises';
import { ApiClient } from '../api/client.js';
import { readToken } from '../api/token.js';
import { readApiUrl } from '../api/url-file.js';
import type { ConnectionOptions } from './options.js';
import { CliError } from './output.js';
import { checkDataDir } from './parse.js';

export type { ConnectionOptions };

/** Where the node's API is and its token, from the options (see the top of this file). */
export async function nodeAddress(o: ConnectionOptions): Promise<{ url: string; token: string }> {
  if (o.api === undefined || (o.token === undefined && o.tokenFile === undefined)) await checkDataDir(o.dataDir, { mustExist: true, daemon: 'node' });
  const url = o.api ?? (await readApiUrl(o.dataDir));
  const token = o.token ?? (o.tokenFile !== undefined ? await readTokenFile(o.tokenFile) : await readToken(o.dataDir));
  return { url, token };
}

export async function connectToNode(o: ConnectionOptions): Promise<ApiClient> {
  return new ApiClient(await nodeAddress(o));
}

async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (e) {
    throw new CliError('NO_TOKEN', `--token-file: cannot read ${path} (${(e as { code?: string }).code ?? (e as Error).message})`);
  }
  if (text === '' || /\s/.test(text)) throw new CliError('NO_TOKEN', `--token-file: ${path} does not hold a token (one line, no spaces)`);
  return text;
}
