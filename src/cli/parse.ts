// Small parsers, checks and waits the command handlers share.
import { createServer } from 'node:net';
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

/** Bind and release the port, so a taken one is reported before a daemon logs that it started. */
export async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new CliError('PORT_IN_USE', `${what} ${port} is already in use on ${host} (another node, or another program); pick another port`));
      else if (e.code === 'EACCES') reject(new CliError('PORT_IN_USE', `${what} ${port}: not allowed to listen on it (ports below 1024 need privileges)`));
      else reject(e);
    });
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}
