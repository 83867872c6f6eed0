// Small parsers and waits the command handlers share.
import { CliError } from './output.js';

export function parsePort(text: string, what = 'port'): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new CliError('BAD_INPUT', `${what}: '${text}' is not a port number (0-65535)`);
  return n;
}

export function parseCount(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new CliError('BAD_INPUT', `${what}: '${text}' is not a whole number`);
  return n;
}

/** Resolves on Ctrl-C (SIGINT) or SIGTERM. */
export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
