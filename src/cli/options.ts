// What the command tree needs to describe itself: defaults, help texts and the options many commands
// share. This module (and the command tree that uses it) imports nothing heavy — no ws, no crypto, no
// node — so `sluice --help` and a plain query start fast; each command loads its handler when it runs.
// The defaults below mirror the constants of the modules that own them; test/cli/defaults.test.ts
// keeps them equal.
import { Option, type Command } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULTS = {
  ledgerPort: 9700,
  peerPort: 9735,
  apiPort: 9736,
  chainId: 'sluice-simnet',
  disputeBlocks: 10,
  feeMsat: 200_000n,
} as const;

export const DEFAULT_LEDGER_URL = `ws://127.0.0.1:${DEFAULTS.ledgerPort}`;

/** Everything under ~/.sluice unless SLUICE_HOME or --data-dir says otherwise. */
export function sluiceHome(): string {
  return process.env['SLUICE_HOME'] ?? join(homedir(), '.sluice');
}
export const defaultLedgerDir = () => join(sluiceHome(), 'ledger');
export const defaultNodeDir = () => join(sluiceHome(), 'node');

export const AMOUNT_HELP = 'amount: 1500msat, 10sat, 1.5sat, 0.001btc, or a bare number of sat';
export const NODE_ID_HELP = 'node id (66 hex characters)';
export const CHANNEL_ID_HELP = 'channel id (64 hex characters), as `sluice channel list` shows';
export const STREAM_ID_HELP = 'stream id (32 hex characters), as `sluice stream list` shows';

export interface ConnectionOptions {
  dataDir: string;
  api?: string;
  token?: string;
  tokenFile?: string;
  json?: boolean;
}

/** The options every command that talks to a running node takes: where the node is, its token, and --json. */
export function withConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'node data directory (holds api-url and api-token)', defaultNodeDir())
    .option('--api <url>', 'node API address, e.g. http://127.0.0.1:9736 (instead of <data-dir>/api-url)')
    .addOption(
      new Option('--token <token>', 'API token (shows in `ps`: prefer SLUICE_API_TOKEN or --token-file)').env('SLUICE_API_TOKEN'),
    )
    .option('--token-file <file>', 'read the API token from this file (instead of <data-dir>/api-token)')
    .option('--json', 'print JSON (errors too: {"error":{"code","message"}} on stderr)');
}

/** `--ledger <url>`, also read from SLUICE_LEDGER so it is set once per shell. */
export function ledgerOption(description = 'ledger API address'): Option {
  return new Option('--ledger <url>', description).env('SLUICE_LEDGER').default(DEFAULT_LEDGER_URL);
}

export function jsonOption(): Option {
  return new Option('--json', 'print JSON (errors too: {"error":{"code","message"}} on stderr)');
}
