// Small parsers, checks and waits the command handlers share.
import { stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { CliError } from './output.js';

/**
 * A --data-dir that is a file is a typo a person makes (the api-token file, say); say so, not ENOTDIR.
 * `mustExist`: the command reads from the dir, so a missing one means no node ever ran there.
 */
export async function checkDataDir(dir: string, o: { mustExist: boolean; daemon: string }): Promise<void> {
  const st = await stat(dir).catch((e: { code?: string }) => {
    if (e.code === 'ENOENT') return undefined;
    if (e.code === 'ENOTDIR') throw new CliError('BAD_DATA_DIR', `--data-dir ${dir}: a part of that path is a file, not a directory`);
    throw e;
  });
  if (st === undefined) {
    if (o.mustExist) throw new CliError('NO_DATA_DIR', `--data-dir ${dir} does not exist: no ${o.daemon} has run there (give the --data-dir it was started with)`);
    return;
  }
  if (!st.isDirectory()) throw new CliError('BAD_DATA_DIR', `--data-dir ${dir} is a file, not a directory`);
}

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
