// The node commands end to end: the built CLI (`node bin/sluice.js`, needs `npm run build`) against an
// in-process API server with a fake node, found through --api/--token or through --data-dir files.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { loadOrCreateToken } from '../../src/api/token.js';
import { ApiError } from '../../src/api/types.js';
import { writeApiUrl } from '../../src/api/url-file.js';
import { silentLogger } from '../../src/util/log.js';
import { BIG, FakeApi, channelId, nodeId } from '../api/fake-api.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/sluice.js');

let home: string;
let dataDir: string;
let token: string;
let api: FakeApi;
let server: ApiServer;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI without blocking this process's event loop (the server it talks to lives here). */
function sluice(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', SLUICE_HOME: home, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The flags that point the CLI at the test server. */
const at = () => ['--api', server.url, '--token', token];

function expectOneLineError(r: Run, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^sluice: /);
  expect(r.stderr).toMatch(pattern);
}

/** The spawned CLI runs dist/, not src/: refuse to test a build older than the sources under test. */
function assertBuilt(): void {
  const built = join(ROOT, 'dist/cli/node-commands.js');
  if (!existsSync(built)) throw new Error('dist/ is missing the node commands: run `npm run build` first');
  const sources = [...readdirSync(join(ROOT, 'src/api')).map((f) => `src/api/${f}`), 'src/cli/node-commands.ts', 'src/cli/node-connection.ts', 'src/cli/node-format.ts'];
  const newest = Math.max(...sources.map((f) => statSync(join(ROOT, f)).mtimeMs));
  if (statSync(built).mtimeMs < newest) throw new Error('dist/ is older than src/api or src/cli: run `npm run build` first');
}

beforeAll(async () => {
  assertBuilt();
  home = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  dataDir = join(home, 'node');
  token = await loadOrCreateToken(dataDir);
  api = new FakeApi();
  server = await startApiServer({ api, port: 0, token, log: silentLogger() });
  await writeApiUrl(dataDir, server.url);
});

afterAll(async () => {
  await server?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

beforeEach(() => {
  api.calls.length = 0;
});

describe('reading', () => {
  it('info: human and --json, via --api/--token', async () => {
    const human = await sluice(['info', ...at()]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`node:     ${api.self} (fake)`);
    expect(human.stdout).toContain('height 42');
    const json = await sluice(['info', '--json', ...at()]);
    expect(JSON.parse(json.stdout)).toMatchObject({ nodeId: api.self, chainId: 'sluice-test', height: 42 });
  });

  it('finds the node through --data-dir (api-url and api-token files)', async () => {
    const r = await sluice(['wallet', 'balance', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`on ledger:   ${BIG} msat`);
    expect(r.stdout).toContain('in channels: 1500 msat (1.5 sat)');
  });

  it('defaults --data-dir to $SLUICE_HOME/node', async () => {
    const r = await sluice(['wallet', 'balance', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ address: api.self, balance: BIG.toString(), nonce: 7, inChannels: '1500' });
  });

  it('takes the token from SLUICE_API_TOKEN', async () => {
    const r = await sluice(['peer', 'list', '--api', server.url], { SLUICE_API_TOKEN: token });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^${api.peer}\\s+connected\\s+1 channel\\s+127.0.0.1:9735$`));
    expect(r.stdout).toContain('disconnected');
  });

  it('channel list: one line per channel; --json keeps exact amounts', async () => {
    const r = await sluice(['channel', 'list', ...at()]);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${api.channel.channelId}\\s+open\\s+local `));
    expect(lines[1]).toContain('closed');
    const json = JSON.parse((await sluice(['channel', 'list', '--json', ...at()])).stdout);
    expect(json[0].capacity).toBe(BIG.toString());
    expect(json[0].seq).toBe('18446744073709551615');
  });
});

describe('acting', () => {
  it('wallet faucet reads human amounts and sends exact msat', async () => {
    const r = await sluice(['wallet', 'faucet', '10sat', ...at()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`received 10 sat in ${'ab'.repeat(32)}`);
    expect(api.calls).toEqual([{ method: 'faucet', args: [10_000n] }]);
    const json = await sluice(['wallet', 'faucet', '1500msat', '--json', ...at()]);
    expect(JSON.parse(json.stdout)).toEqual({ txid: 'ab'.repeat(32), balance: '1501', amount: '1500' });
  });

  it('peer connect', async () => {
    const id = nodeId();
    const r = await sluice(['peer', 'connect', `${id}@127.0.0.1:9735`, ...at()]);
    expect(r.stdout.trim()).toBe(`connected to ${id} at 127.0.0.1:9735`);
    expect(api.calls).toEqual([{ method: 'connectPeer', args: [`${id}@127.0.0.1:9735`] }]);
  });

  it('channel open with --push', async () => {
    const id = nodeId();
    const r = await sluice(['channel', 'open', id, '1000', '--push', '100sat', ...at()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^opened channel [0-9a-f]{64} \\(open\\) with ${id}\n`));
    expect(r.stdout).toContain('local 900 sat, remote 100 sat, capacity 1000 sat\n');
    expect(api.calls).toEqual([{ method: 'openChannel', args: [{ peerId: id, capacity: 1_000_000n, push: 100_000n }] }]);
  });

  it('channel close, cooperative and --force', async () => {
    const id = channelId();
    const r = await sluice(['channel', 'close', id, ...at()]);
    expect(r.stdout).toBe(`cooperative close of ${id}: closing, settles after height 52\ntx ${'cd'.repeat(32)}\n`);
    await sluice(['channel', 'close', id, '--force', '--json', ...at()]);
    expect(api.calls.map((c) => c.args[0])).toEqual([
      { channelId: id, force: false },
      { channelId: id, force: true },
    ]);
  });

  it('pay', async () => {
    const id = nodeId();
    const r = await sluice(['pay', id, '1500msat', ...at()]);
    expect(r.stdout.trim()).toBe(`paid 1.5 sat to ${id} (channel ${api.channel.channelId}, state 19)`);
    const json = JSON.parse((await sluice(['pay', id, '2', '--json', ...at()])).stdout);
    expect(json).toMatchObject({ amount: '2000', seq: '19' });
  });
});

describe('errors are one line on stderr and a non-zero exit', () => {
  it('a bad amount, before anything is sent', async () => {
    expectOneLineError(await sluice(['pay', nodeId(), '1.5sat', ...at()]), /amount: '1.5sat' is not an amount/);
    expectOneLineError(await sluice(['channel', 'open', nodeId(), '10', '--push', 'lots', ...at()]), /--push: 'lots'/);
    expect(api.calls).toEqual([]);
  });

  it('a bad node id or channel id', async () => {
    expectOneLineError(await sluice(['pay', 'abc', '10', ...at()]), /node id: expected 66 hex characters, got 3/);
    expectOneLineError(await sluice(['peer', 'connect', nodeId(), ...at()]), /target: expected NODEID@HOST:PORT/);
    expectOneLineError(await sluice(['channel', 'close', 'xyz', ...at()]), /channel id: expected 64 hex characters/);
    expect(api.calls).toEqual([]);
  });

  it('the node refusing the request', async () => {
    api.failWith(new ApiError(422, 'INSUFFICIENT_FUNDS', 'local balance 1 sat is less than 10 sat'));
    expectOneLineError(await sluice(['pay', nodeId(), '10', ...at()]), /^sluice: local balance 1 sat is less than 10 sat\n$/);
  });

  it('a wrong token', async () => {
    expectOneLineError(await sluice(['info', '--api', server.url, '--token', 'f'.repeat(64)]), /missing or wrong API token.*--token/);
  });

  it('no node running', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    await new Promise((r) => s.close(r));
    expectOneLineError(await sluice(['info', '--api', url, '--token', token]), /no node answering at http:\/\/127\.0\.0\.1:\d+; is `sluice node start` running\?/);
  });

  it('a data dir without a node', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'sluice-empty-'));
    expectOneLineError(await sluice(['info', '--data-dir', empty]), /no node API address at .*api-url/);
    expectOneLineError(await sluice(['info', '--data-dir', empty, '--api', server.url]), /no API token at .*api-token/);
    await rm(empty, { recursive: true, force: true });
  });
});

describe('help', () => {
  it.each([
    [['info'], /the node's id/],
    [['wallet', 'balance'], /ledger balance/],
    [['wallet', 'faucet'], /<amount>/],
    [['peer', 'connect'], /NODEID@HOST:PORT/],
    [['peer', 'list'], /known peers/],
    [['channel', 'open'], /--push <amount>/],
    [['channel', 'list'], /all channels/],
    [['channel', 'close'], /--force/],
    [['pay'], /<nodeid>/],
    [['events'], /until Ctrl-C/],
  ])('sluice %s --help', { concurrent: true }, async (cmd, pattern) => {
    const r = await sluice([...cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(pattern);
    expect(r.stdout).toContain('--data-dir <dir>');
    expect(r.stdout).toContain('--json');
  });
});

describe('events', () => {
  function follow(args: string[], url = server.url) {
    const child = spawn(process.execPath, [BIN, 'events', ...args, '--api', url, '--token', token], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', SLUICE_HOME: home } });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    return { child, out, exited };
  }

  it('prints one line per event until Ctrl-C, then exits 0', async () => {
    const f = follow([]);
    await vi.waitFor(() => expect(api.listenerCount).toBe(1), { timeout: 5000 });
    api.emit({ type: 'ledger', height: 43 });
    api.emit({ type: 'payment', direction: 'received', channelId: api.channel.channelId, peerId: api.peer, amount: 2500n, seq: 20n });
    await vi.waitFor(() => expect(f.out.stdout.trimEnd().split('\n')).toHaveLength(2), { timeout: 5000 });
    const [first, second] = f.out.stdout.trimEnd().split('\n');
    expect(first).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ledger height 43$/);
    expect(second).toContain(`payment received 2.5 sat from ${api.peer}`);
    f.child.kill('SIGINT');
    expect(await f.exited).toBe(0);
    await vi.waitFor(() => expect(api.listenerCount).toBe(0));
  });

  it('--json prints one JSON document per line', async () => {
    const f = follow(['--json']);
    await vi.waitFor(() => expect(api.listenerCount).toBe(1), { timeout: 5000 });
    api.emit({ type: 'peer', nodeId: api.peer, connected: true });
    api.emit({ type: 'channel', channel: api.channel });
    await vi.waitFor(() => expect(f.out.stdout.trimEnd().split('\n')).toHaveLength(2), { timeout: 5000 });
    const lines = f.out.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ type: 'peer', nodeId: api.peer, connected: true });
    expect(lines[1]).toMatchObject({ type: 'channel', channel: { capacity: BIG.toString() } });
    expect(f.out.stderr).toBe('');
    f.child.kill('SIGINT');
    expect(await f.exited).toBe(0);
  });

  it('exits non-zero with one line when the node goes away', async () => {
    const other = await startApiServer({ api: new FakeApi(), port: 0, token, log: silentLogger() });
    const f = follow([], other.url);
    await vi.waitFor(() => expect(f.out.stderr).toContain('following events'), { timeout: 5000 });
    await other.close();
    expect(await f.exited).toBe(1);
    const lines = f.out.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(`sluice: the node at ${other.url} closed the event feed (1001 node stopping)`);
  });
});
