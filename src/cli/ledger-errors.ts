// What went wrong, in the user's terms, when a --ledger URL does not lead to a ledger: the CLI and the
// node both dial it, and the usual mistake is a node's control API or peer port in its place.
import { CliError } from './output.js';

/** A CliError that names the mistake, or undefined when `e` is not a ledger connection failure. */
export function explainLedgerFailure(e: unknown, ledgerUrl: string): CliError | undefined {
  const err = e as { name?: string; message?: string };
  if (err.name !== 'LedgerUnavailableError' && err.name !== 'LedgerRpcError') return undefined;
  const msg = err.message ?? String(e);
  const http = /Unexpected server response: (\d+)/.exec(msg);
  if (http) return new CliError('NOT_A_LEDGER', `--ledger ${ledgerUrl} is not a sluice ledger: it answered HTTP ${http[1]} (a node's control API?); the ledger listens on ws://127.0.0.1:9700 by default`);
  if (/connection lost|did not answer|not valid JSON|Invalid WebSocket frame/i.test(msg)) {
    return new CliError('NOT_A_LEDGER', `--ledger ${ledgerUrl} took a WebSocket but does not answer as a sluice ledger (a node's peer port?); the ledger listens on ws://127.0.0.1:9700 by default`);
  }
  if (/cannot reach the ledger/.test(msg)) return new CliError('LEDGER_UNAVAILABLE', msg);
  return undefined;
}
