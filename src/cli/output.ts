// How commands print: --json gives one JSON document on stdout; otherwise short human lines.
// Errors are one line on stderr and a non-zero exit.
import { InputError } from '../crypto/bytes.js';

export interface OutputOptions {
  json?: boolean;
}

export class UsageError extends Error {}

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
  if (e instanceof InputError || e instanceof UsageError) return e.message;
  if (e instanceof Error) {
    if (process.env['SLUICE_DEBUG']) return e.stack ?? e.message;
    return e.message;
  }
  return String(e);
}
