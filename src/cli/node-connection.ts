// How node commands find the node: `--api` and `--token` when given, else `<data-dir>/api-url` (written
// by `sluice node start`) and `<data-dir>/api-token`. The token may also come from SLUICE_API_TOKEN,
// which keeps it out of `ps` listings and shell history.
import { Option, type Command } from 'commander';
import { ApiClient } from '../api/client.js';
import { readToken } from '../api/token.js';
import { readApiUrl } from '../api/url-file.js';
import { defaultNodeDir } from './paths.js';

export interface ConnectionOptions {
  dataDir: string;
  api?: string;
  token?: string;
  json?: boolean;
}

/** The options every node command takes: where the node is, and --json. */
export function withConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'node data directory (holds api-url and api-token)', defaultNodeDir())
    .option('--api <url>', 'node API address, e.g. http://127.0.0.1:9736 (instead of <data-dir>/api-url)')
    .addOption(new Option('--token <token>', 'API token (instead of <data-dir>/api-token)').env('SLUICE_API_TOKEN'))
    .option('--json', 'print JSON');
}

export async function connectToNode(o: ConnectionOptions): Promise<ApiClient> {
  const url = o.api ?? (await readApiUrl(o.dataDir));
  const token = o.token ?? (await readToken(o.dataDir));
  return new ApiClient({ url, token });
}
