// `sluice node start` and the commands around a running node, as real processes (issue 9 items 7
// and 8, the commands users look for; issue 7 item 8): mistakes get a message that says which, the
// ledger URL is set once, the data dir is the owner's alone, and a node can be stopped from the CLI.
import { describe, expect, it } from 'vitest';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cluster, freePort, until, type Cluster } from '../helpers/cluster.js';
import { runSluice, startSluice } from '../helpers/process.js';
import { processFixture } from './process-fixture.js';

let c: Cluster | undefined;
const fx = processFixture();
const extra = fx.extra;

/** A node start that is expected to fail: its exit code and all it printed. */
async function failedStart(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  const p = startSluice(['node', 'start', ...args], env);
  extra.push(p);
  const code = await new Promise<number | null>((resolve) => p.proc.on('exit', resolve));
  return { code, out: p.output() };
}

describe('messages that say what is wrong (issue 9, item 7)', () => {
  it('a data dir in use, a port taken, the CLI at a peer port, a ledger URL that is a node', { timeout: 120_000 }, async () => {
    c = fx.use(await cluster());
    const alice = await c.node('alice');
    const fresh = (name: string) => join(c!.root, name);
    const ports = async () => ['--port', String(await freePort()), '--api-port', String(await freePort())];

    const inUse = await failedStart(['--data-dir', alice.dir, ...(await ports()), '--ledger', c.ledgerUrl]);
    expect(inUse.code).toBe(1);
    expect(inUse.out).toBe(`sluice: data dir ${alice.dir} is used by process ${alice.proc!.proc.pid} (another sluice node?); stop it first or use another --data-dir\n`);

    const peerPortTaken = await failedStart(['--data-dir', fresh('x1'), '--port', String(alice.port), '--api-port', String(await freePort()), '--ledger', c.ledgerUrl]);
    expect(peerPortTaken.code).toBe(1);
    expect(peerPortTaken.out).toBe(`sluice: --port ${alice.port} is already in use on 127.0.0.1 (another node, or another program); pick another port\n`);
    const apiPortTaken = await failedStart(['--data-dir', fresh('x2'), '--port', String(await freePort()), '--api-port', String(alice.apiPort), '--ledger', c.ledgerUrl]);
    expect(apiPortTaken.out).toBe(`sluice: --api-port ${alice.apiPort} is already in use on 127.0.0.1 (another node, or another program); pick another port\n`);

    const atPeerPort = await runSluice(['info', '--api', `http://127.0.0.1:${alice.port}`, '--data-dir', alice.dir]);
    expect(atPeerPort.code).toBe(1);
    expect(atPeerPort.stderr).toBe(`sluice: http://127.0.0.1:${alice.port} answered HTTP 426 but not as a sluice control API (a node's peer port? the API is on --api-port, 9736 by default)\n`);

    const ledgerAtPeerPort = await failedStart(['--data-dir', fresh('x3'), ...(await ports()), '--ledger', `ws://127.0.0.1:${alice.port}`]);
    expect(ledgerAtPeerPort.code).toBe(1);
    expect(ledgerAtPeerPort.out).toMatch(new RegExp(`^sluice: --ledger ws://127\\.0\\.0\\.1:${alice.port} took a WebSocket but does not answer as a sluice ledger \\(a node's peer port\\?\\)`));
    const ledgerAtApi = await failedStart(['--data-dir', fresh('x4'), ...(await ports()), '--ledger', `ws://127.0.0.1:${alice.apiPort}`]);
    expect(ledgerAtApi.out).toMatch(new RegExp(`^sluice: --ledger ws://127\\.0\\.0\\.1:${alice.apiPort} is not a sluice ledger: it answered HTTP 401 \\(a node's control API\\?\\)`));
    for (const r of [inUse, peerPortTaken, apiPortTaken, ledgerAtPeerPort, ledgerAtApi]) expect(r.out).not.toMatch(/node started|peers connect to/);

    const ledgerPort = new URL(c.ledgerUrl).port;
    const ledgerTaken = startSluice(['ledger', 'start', '--data-dir', fresh('l2'), '--port', ledgerPort]);
    extra.push(ledgerTaken);
    expect(await new Promise((resolve) => ledgerTaken.proc.on('exit', resolve))).toBe(1);
    expect(ledgerTaken.output()).toBe(`sluice: --port ${ledgerPort} is already in use on 127.0.0.1 (another node, or another program); pick another port\n`);
  });
});

describe('starting, using and stopping a node', () => {
  it('SLUICE_LEDGER, a loose data dir tightened, --log-file, wallet send, ledger tx/block/channel, --force close, node stop', { timeout: 150_000 }, async () => {
    c = fx.use(await cluster());
    const bob = await c.node('bob');
    const dir = join(c.root, 'alice');
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    const logFile = join(c.root, 'alice.log');
    const [port, apiPort] = [await freePort(), await freePort()];
    // the ledger URL from the environment, once, instead of --ledger on every command
    const env = { SLUICE_LEDGER: c.ledgerUrl };
    const alice = startSluice(['node', 'start', '--data-dir', dir, '--port', String(port), '--api-port', String(apiPort), '--log-file', logFile], env);
    extra.push(alice);
    const id = (await alice.waitFor(/peers connect to ([0-9a-f]{66})@/))[1]!;
    const cli = (args: string[]) => runSluice([...args, '--data-dir', dir], env);
    const json = async <T>(args: string[]): Promise<T> => {
      const r = await cli([...args, '--json']);
      if (r.code !== 0) throw new Error(`sluice ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    };

    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await json<{ ledgerUrl: string }>(['info'])).ledgerUrl).toBe(c.ledgerUrl);
    const log = await readFile(logFile, 'utf8');
    expect(log).toMatch(/warn \[node\] data dir was open to other users; tightened to 0700 dir=.* was=0755/);
    expect(log).toMatch(/info \[node\] node started/);
    expect(alice.output()).not.toMatch(/\[node\]/); // the log went to the file

    expect((await cli(['wallet', 'faucet', '2000000sat'])).code).toBe(0);
    const sent = await json<{ txid: string; height: number; balance: string }>(['wallet', 'send', bob.id, '1000sat']);
    expect((await runSluice(['ledger', 'balance', bob.id, '--json'], env)).stdout).toContain('"balance": "1000000"');
    const tx = await runSluice(['ledger', 'tx', sent.txid], env);
    expect(tx.stdout).toMatch(new RegExp(`^tx ${sent.txid}: confirmed in block ${sent.height} \\(index \\d+\\)\nkind: {3}transfer\nfrom: {3}${id} \\(nonce \\d+\\)\nto: {5}${bob.id}\namount: 1000000 msat \\(1000 sat\\)`));
    const block = await runSluice(['ledger', 'block', String(sent.height)], env);
    expect(block.stdout).toMatch(new RegExp(`^block ${sent.height}: [0-9a-f]{64}\n[\\s\\S]*\n  ${sent.txid}`));
    const noBlock = await runSluice(['ledger', 'block', '999999', '--json'], env);
    expect(JSON.parse(noBlock.stderr)).toEqual({ error: { code: 'NOT_FOUND', message: `the ledger at ${c.ledgerUrl} has no block at height 999999` } });

    expect((await cli(['peer', 'connect', bob.target])).code).toBe(0);
    const ch = await json<{ channelId: string }>(['channel', 'open', bob.id, '100000sat']);
    const onLedger = await runSluice(['ledger', 'channel', ch.channelId], env);
    expect(onLedger.stdout).toMatch(new RegExp(`^channel ${ch.channelId}: open \\(opened in block \\d+\\)\na \\(opener\\): ${id}\nb: {10}${bob.id}\ncapacity: {3}100000000 msat`));

    const forced = await cli(['channel', 'close', ch.channelId, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(new RegExp(`^unilateral close submitted of ${ch.channelId}: closing\nthe funds settle after the dispute window, at height \\d+;`));

    const stopped = await cli(['node', 'stop']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toBe(`node ${id} stopped\n`);
    expect(await new Promise((resolve) => (alice.proc.exitCode !== null ? resolve(alice.proc.exitCode) : alice.proc.on('exit', resolve)))).toBe(0);
    await until(async () => !(await readFile(join(dir, 'api-url'), 'utf8').catch(() => '')), 5_000, 'api-url removed');
  });
});
