// How commands print: --json gives one JSON document on stdout; otherwise short human lines.
// Errors are one line on stderr and a non-zero exit; with --json the line is a JSON document
// `{ "error": { "code", "message" } }`, with the same exit code.
import { InputError } from '../crypto/bytes.js';

export interface OutputOptions {
  json?: boolean;
}

/** A mistake in what was typed that no parser of a field catches (a missing combination, a bad choice). */
export class UsageError extends Error {}

/** A failure with a code of the CLI's own (the API's codes come with its errors). */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function print(opts: OutputOptions, data: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(JSON.stringify(data, jsonReplacer, 2) + '\n');
  else process.stdout.write(human() + '\n');
}

export function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}

/** Turn any failure into one line; stack traces only with SLUICE_DEBUG set. */
export function describeError(e: unknown): string {
  if (e instanceof InputError || e instanceof UsageError || e instanceof CliError) return e.message;
  if (e instanceof Error) {
    if (process.env['SLUICE_DEBUG']) return e.stack ?? e.message;
    return e.message;
  }
  return String(e);
}

/** A stable code for a failure, for `--json` callers to branch on. */
export function errorCode(e: unknown): string {
  const x = e as { name?: unknown; code?: unknown; reason?: unknown };
  if (e instanceof CliError) return e.code;
  if (e instanceof UsageError) return 'USAGE';
  if (e instanceof InputError) return x.name === 'AmountError' ? 'BAD_AMOUNT' : 'BAD_INPUT';
  switch (x.name) {
    case 'ApiClientError':
      return String(x.code);
    case 'LedgerRpcError':
      return typeof x.reason === 'string' ? x.reason : 'LEDGER_REFUSED';
    case 'LedgerUnavailableError':
      return 'LEDGER_UNAVAILABLE';
    case 'CommanderError':
      return 'USAGE';
  }
  return typeof x.code === 'string' && /^[A-Z_]+$/.test(x.code) ? x.code : 'ERROR';
}

/** Write a failure the way the caller asked for: one line, or a JSON document. */
export function writeError(e: unknown, json: boolean, message = describeError(e)): void {
  if (json) process.stderr.write(JSON.stringify({ error: { code: errorCode(e), message } }) + '\n');
  else process.stderr.write(`sluice: ${message}\n`);
}
