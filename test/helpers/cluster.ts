// Real processes for node end-to-end tests: a ledger and nodes started through the CLI, each with its
// own data dir and fixed ports (so a restarted node is found where it was), driven like a user would.
import { cp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ApiClient } from '../../src/api/client.js';
import { runSluice, startSluice, type Running } from './process.js';
import { tempDir } from './tmp.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface NodeProc {
  name: string;
  dir: string;
  port: number;
  apiPort: number;
  id: string;
  target: string; // id@127.0.0.1:port
  proc?: Running;
  /** More `node start` options (e.g. --metrics-port), on every start. */
  extraArgs: string[];
  api(): Promise<ApiClient>;
  cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  cliJson<T = Record<string, unknown>>(args: string[]): Promise<T>;
}

export interface Cluster {
  root: string;
  ledgerUrl: string;
  ledger: Running;
  node(name: string, extraArgs?: string[]): Promise<NodeProc>;
  start(n: NodeProc): Promise<void>;
  stop(n: NodeProc, signal?: NodeJS.Signals): Promise<void>;
  backup(n: NodeProc, to: string): Promise<void>;
  restore(n: NodeProc, from: string): Promise<void>;
  ledgerCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  shutdown(): Promise<void>;
}

export async function cluster(opts: { blockTime?: string; disputeBlocks?: number; fee?: string } = {}): Promise<Cluster> {
  const tmp = await tempDir('sluice-e2e-');
  const ledgerPort = await freePort();
  const ledgerUrl = `ws://127.0.0.1:${ledgerPort}`;
  const ledger = startSluice(['ledger', 'start', '--data-dir', join(tmp.dir, 'ledger'), '--port', String(ledgerPort), '--faucet',
    '--block-time', opts.blockTime ?? '100ms', '--dispute-blocks', String(opts.disputeBlocks ?? 10), '--fee', opts.fee ?? '200sat', '--log-level', 'warn']);
  await ledger.waitFor(/listening on/);
  const nodes: NodeProc[] = [];
  const c: Cluster = {
    root: tmp.dir,
    ledgerUrl,
    ledger,
    async node(name, extraArgs = []) {
      const dir = join(tmp.dir, name);
      const n: NodeProc = {
        name, dir, port: await freePort(), apiPort: await freePort(), id: '', target: '', extraArgs,
        async api() {
          return new ApiClient({ url: (await readFile(join(dir, 'api-url'), 'utf8')).trim(), token: (await readFile(join(dir, 'api-token'), 'utf8')).trim() });
        },
        cli: (args) => runSluice([...args, '--data-dir', dir]),
        async cliJson(args) {
          const r = await runSluice([...args, '--data-dir', dir, '--json']);
          if (r.code !== 0) throw new Error(`sluice ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
          return JSON.parse(r.stdout) as never;
        },
      };
      nodes.push(n);
      await c.start(n);
      return n;
    },
    async start(n) {
      n.proc = startSluice(['node', 'start', '--data-dir', n.dir, '--port', String(n.port), '--api-port', String(n.apiPort), '--ledger', ledgerUrl, '--alias', n.name, '--log-level', 'warn', ...n.extraArgs]);
      const m = await n.proc.waitFor(/peers connect to (([0-9a-f]{66})@\S+)/);
      n.target = m[1]!;
      n.id = m[2]!;
    },
    async stop(n, signal = 'SIGTERM') {
      await n.proc?.kill(signal);
      n.proc = undefined;
    },
    async backup(n, to) {
      await cp(n.dir, to, { recursive: true });
    },
    async restore(n, from) {
      // replace the whole directory: LevelDB files newer than the backup must not survive next to it
      await rm(n.dir, { recursive: true, force: true });
      await cp(from, n.dir, { recursive: true });
    },
    ledgerCli: (args) => runSluice([...args, '--ledger', ledgerUrl]),
    async shutdown() {
      for (const n of nodes) await n.proc?.kill('SIGKILL');
      await ledger.kill('SIGKILL');
      await tmp.cleanup();
    },
  };
  return c;
}

/** alice and bob as real processes, alice funded with 2,000,000 sat and a 1,000,000 sat channel to bob. */
export async function channelPair(c: Cluster, opts: { aliceArgs?: string[] } = {}) {
  const alice = await c.node('alice', opts.aliceArgs);
  const bob = await c.node('bob');
  const aliceApi = await alice.api();
  const bobApi = await bob.api();
  await aliceApi.faucet(2_000_000_000n);
  await aliceApi.connectPeer(bob.target);
  await aliceApi.openChannel({ peerId: bob.id, capacity: 1_000_000_000n, push: 0n });
  return { alice, bob, aliceApi, bobApi };
}

export { until } from './until.js';
