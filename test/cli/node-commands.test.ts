// The node commands (stream commands included) end to end: the built CLI (`node bin/sluice.js`, needs `npm run build`) against an
// in-process API server with a fake node, found through --api/--token or through --data-dir files.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { loadOrCreateToken } from '../../src/api/token.js';
import { ApiError } from '../../src/api/types.js';
import { writeApiUrl } from '../../src/api/url-file.js';
import { formatMsat } from '../../src/money.js';
import { silentLogger } from '../../src/util/log.js';
import { BIG, FakeApi, channelId, nodeId, streamId } from '../api/fake-api.js';

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
  const sources = [...readdirSync(join(ROOT, 'src/api')).map((f) => `src/api/${f}`), ...readdirSync(join(ROOT, 'src/cli')).map((f) => `src/cli/${f}`), 'src/money.ts'];
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
    expect(r.stdout).toBe(`cooperative close of ${id}: closing\ntx ${'cd'.repeat(32)}\n`);
    const force = await sluice(['channel', 'close', id, '--force', ...at()]);
    expect(force.stdout).toBe(
      `unilateral close submitted of ${id}: closing\nthe funds settle after the dispute window, at height 52; \`sluice channel info ${id}\` shows when\ntx ${'cd'.repeat(32)}\n`,
    );
    await sluice(['channel', 'close', id, '--force', '--json', ...at()]);
    expect(api.calls.map((c) => c.args[0])).toEqual([
      undefined, // listStreams: any stream on the channel is warned about first
      { channelId: id, force: false },
      undefined,
      { channelId: id, force: true },
      undefined,
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

describe('streams', () => {
  it('stream start reads human amounts and durations and sends exact msat and ms', async () => {
    const id = nodeId();
    const r = await sluice(['stream', 'start', id, '--rate', '10msat/s', '--max', '5sat', '--duration', '2min', '--mode', 'hashchain', '--billing', 'interval', ...at()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `stream ${api.stream.streamId} active: paying 10 msat/s to ${id}
` + `channel ${api.channel.channelId}, hashchain, a tick every 1s, max 5 sat, for 2min
`,
    );
    expect(api.calls).toEqual([
      { method: 'openStream', args: [{ peerId: id, rate: '10msat/s', max: 5_000n, durationMs: 120_000, mode: 'hashchain', billing: 'interval' }] },
    ]);
  });

  it('stream start --json sends only the options given', async () => {
    const id = nodeId();
    const r = await sluice(['stream', 'start', id, '--rate', '2sat/min', '--json', ...at()]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ streamId: api.stream.streamId, peerId: id, role: 'payer', status: 'active', paid: '0', rateAmount: '10' });
    expect(json).not.toHaveProperty('max');
    expect(api.calls[0]!.args[0]).toStrictEqual({ peerId: id, rate: '2sat/min' });
  });

  it('stream list: one line per stream, oldest first with its start; --json keeps exact amounts', async () => {
    const r = await sluice(['stream', 'list', ...at()]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').reverse(); // the payee's stream started first
    expect(lines).toHaveLength(2);
    const short = api.peer.slice(0, 12);
    expect(lines[1]).toMatch(/^[0-9a-f]{32}  started 2023-11-14 22:13:20  payee/);
    expect(lines[0]).toMatch(new RegExp(`^${api.stream.streamId}\\s+started \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+payer\\s+peer ${short}…\\s+signed\\s+active\\s+10 msat/s\\s+ticks 3\\s+paid 0\\.03 sat\\s+remaining \\d`));
    expect(lines[1]).toMatch(new RegExp(`^${'ab'.repeat(16)}\\s+started [0-9: -]+\\s+payee\\s+peer ${short}…\\s+hashchain\\s+finished\\s+2 sat/min\\s+ticks 60\\s+paid ${BIG / 1000n}\\.\\d+ sat\\s+remaining no cap\\s+\\(duration reached\\)$`));
    const json = JSON.parse((await sluice(['stream', 'list', '--json', ...at()])).stdout);
    expect(json[1]).toMatchObject({ max: BIG.toString(), remaining: (BIG - 30n).toString(), paid: '30' });
    expect(json[0].paid).toBe(BIG.toString());
    expect(json[0]).not.toHaveProperty('remaining');
  });

  it('stream pause, resume and stop', async () => {
    const id = streamId();
    const paused = await sluice(['stream', 'pause', id.toUpperCase(), ...at()]);
    expect(paused.stdout).toMatch(new RegExp(`^stream ${id} paused: 3 ticks, paid 0\\.03 sat, \\d+(\\.\\d+)? sat left of the cap\n$`));
    expect((await sluice(['stream', 'resume', id, ...at()])).stdout).toMatch(new RegExp(`^stream ${id} active: `));
    const stop = await sluice(['stream', 'stop', id, ...at()]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/ \(stopped by the payer\)\n$/);
    const json = JSON.parse((await sluice(['stream', 'stop', id, '--json', ...at()])).stdout);
    expect(json).toMatchObject({ streamId: id, status: 'stopped', paid: '30', max: BIG.toString() });
    expect(api.calls.map((c) => c.args[0])).toEqual(['pause', 'resume', 'stop', 'stop'].map((action) => ({ streamId: id, action })));
  });

  it('bad input fails before anything is sent', async () => {
    const id = nodeId();
    expectOneLineError(await sluice(['stream', 'start', 'abc', '--rate', '1msat/s', ...at()]), /node id: expected 66 hex characters, got 3/);
    expectOneLineError(await sluice(['stream', 'start', id, '--rate', '1msat/s', '--max', '1.5msat', ...at()]), /--max: '1\.5msat' is finer than 1 msat/);
    expectOneLineError(await sluice(['stream', 'start', id, '--rate', '1msat/s', '--max', '0', ...at()]), /--max: must be more than 0/);
    expectOneLineError(await sluice(['stream', 'start', id, '--rate', '1msat/s', '--duration', 'forever', ...at()]), /--duration: 'forever' is not a duration/);
    expectOneLineError(await sluice(['stream', 'stop', 'xyz', ...at()]), /stream id: expected 32 hex characters/);
    const noRate = await sluice(['stream', 'start', id, ...at()]);
    expect(noRate.code).not.toBe(0);
    expect(noRate.stderr).toMatch(/required option '--rate <rate>'/);
    const badMode = await sluice(['stream', 'start', id, '--rate', '1msat/s', '--mode', 'trust', ...at()]);
    expect(badMode.code).not.toBe(0);
    expect(badMode.stderr).toMatch(/Allowed choices are signed, hashchain/);
    expect(api.calls).toEqual([]);
  });

  it('a rate that does not parse is refused before the node sees it', async () => {
    expectOneLineError(await sluice(['stream', 'start', nodeId(), '--rate', '10 bananas/s', ...at()]), /^sluice: rate: '10 bananas' is not a whole msat or sat amount/);
    expect(api.calls).toEqual([]);
  });

  it('the node refusing the rate', async () => {
    api.failWith(new ApiError(422, 'BAD_RATE', 'the payee does not sell at 10 msat/s'));
    expectOneLineError(await sluice(['stream', 'start', nodeId(), '--rate', '10msat/s', ...at()]), /^sluice: the payee does not sell at 10 msat\/s\n$/);
  });
});

describe('stream start --follow', () => {
  function start(args: string[]) {
    const child = spawn(process.execPath, [BIN, 'stream', 'start', nodeId(), '--rate', '10msat/s', '--follow', ...args, ...at()], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', SLUICE_HOME: home },
    });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    return { child, out, exited };
  }

  /** Wait until the CLI both follows the feed and has asked for the stream. */
  async function opened(): Promise<void> {
    await vi.waitFor(
      () => {
        expect(api.calls.map((c) => c.method)).toContain('openStream');
        expect(api.listenerCount).toBe(1);
      },
      { timeout: 5000 },
    );
  }

  /** The opened stream (no cap: the start commands give no --max) as it moves on. */
  const view = (patch: Partial<typeof api.stream>) => ({ ...api.stream, max: undefined, remaining: undefined, ticks: 0, paid: 0n, startedAt: Date.now(), ...patch });

  it('without a terminal prints plain lines and exits 0 when the stream finishes', async () => {
    const f = start([]);
    await opened();
    // Sent as soon as the node has the call, maybe before the CLI has its answer: kept until it does.
    api.emit({ type: 'stream', event: 'tick', stream: view({ ticks: 1, paid: 10n }) });
    api.emit({ type: 'stream', event: 'tick', stream: view({ streamId: streamId(), ticks: 7, paid: 70n }) }); // another stream
    await vi.waitFor(() => expect(f.out.stdout).toContain('ticks 1  paid 0.01 sat'), { timeout: 5000 });
    api.emit({ type: 'stream', event: 'paused', stream: view({ ticks: 1, paid: 10n, status: 'paused' }) });
    api.emit({ type: 'stream', event: 'finished', stream: view({ ticks: 2, paid: 20n, status: 'finished', reason: 'duration reached' }) });
    expect(await f.exited).toBe(0);
    const lines = f.out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^stream ${api.stream.streamId} active: paying 10 msat/s to [0-9a-f]{66}$`));
    expect(lines.slice(2)).toEqual([
      expect.stringMatching(/^0:0\d  ticks 1  paid 0\.01 sat  rate 10 msat\/s  remaining no cap$/),
      expect.stringMatching(/^paused  0:0\d  ticks 1  paid 0\.01 sat  .*  paused$/),
      expect.stringMatching(/^finished  0:0\d  ticks 2  paid 0\.02 sat  .*  finished$/),
      expect.stringMatching(new RegExp(`^stream ${api.stream.streamId} finished: paid 20 msat \\(0\\.02 sat\\) in 2 ticks over 0:0\\d \\(duration reached\\)$`)),
    ]);
    expect(f.out.stdout).not.toContain('\r');
    expect(f.out.stdout).not.toContain('ticks 7');
    expect(f.out.stderr).toBe('');
    await vi.waitFor(() => expect(api.listenerCount).toBe(0));
  });

  it('--json prints the stream, then one JSON event per line', async () => {
    const f = start(['--json']);
    await opened();
    api.emit({ type: 'stream', event: 'tick', stream: view({ ticks: 1, paid: BIG }) });
    api.emit({ type: 'stream', event: 'stopped', stream: view({ ticks: 1, paid: BIG, status: 'stopped', reason: 'stopped by the payee' }) });
    expect(await f.exited).toBe(0);
    const lines = f.out.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ streamId: api.stream.streamId, status: 'active', paid: '0' });
    expect(lines[1]).toMatchObject({ type: 'stream', event: 'tick', stream: { paid: BIG.toString() } });
    expect(lines[2]).toMatchObject({ type: 'stream', event: 'stopped', stream: { status: 'stopped', reason: 'stopped by the payee' } });
    expect(f.out.stderr).toBe('');
    await vi.waitFor(() => expect(api.listenerCount).toBe(0));
  });

  it('Ctrl-C stops following, not the stream', async () => {
    const f = start([]);
    await opened();
    api.emit({ type: 'stream', event: 'tick', stream: view({ ticks: 1, paid: 10n }) });
    await vi.waitFor(() => expect(f.out.stdout).toContain('ticks 1'), { timeout: 5000 });
    f.child.kill('SIGINT');
    expect(await f.exited).toBe(0);
    expect(f.out.stderr).toBe(`stopped following; stream ${api.stream.streamId} goes on (\`sluice stream stop ${api.stream.streamId}\` ends it)\n`);
    expect(api.calls.map((c) => c.method)).toEqual(['openStream']);
    await vi.waitFor(() => expect(api.listenerCount).toBe(0));
  });

  it('a refused open ends with one line and does not linger on the feed', async () => {
    api.failWith(new ApiError(409, 'NO_CHANNEL', 'no open channel with that peer'));
    const f = start([]);
    expect(await f.exited).toBe(1);
    expect(f.out.stderr).toBe('sluice: no open channel with that peer\n');
    expect(f.out.stdout).toBe('');
    await vi.waitFor(() => expect(api.listenerCount).toBe(0));
  });
});

describe('stream status --follow', () => {
  it('follows an existing stream until it ends', async () => {
    const child = spawn(process.execPath, [BIN, 'stream', 'status', api.stream.streamId, '--follow', ...at()], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', SLUICE_HOME: home } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await vi.waitFor(() => {
      expect(api.listenerCount).toBe(1);
      expect(api.calls.map((c) => c.method)).toContain('listStreams');
    }, { timeout: 5000 });
    await vi.waitFor(() => expect(stdout).toContain(`stream ${api.stream.streamId} active`), { timeout: 5000 });
    api.emit({ type: 'stream', event: 'stopped', stream: { ...api.stream, ticks: 4, paid: 40n, status: 'stopped', reason: 'the channel is closing' } });
    expect(await exited).toBe(0);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^stream ${api.stream.streamId} stopped: paid 40 msat \\(0\\.04 sat\\) in 4 ticks over \\d+:\\d\\d \\(the channel is closing\\)$`));
  });
});

describe('events show streams', () => {
  it('sluice events prints a stream event line', async () => {
    const child = spawn(process.execPath, [BIN, 'events', ...at()], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', SLUICE_HOME: home } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await vi.waitFor(() => expect(api.listenerCount).toBe(1), { timeout: 5000 });
    api.emit({ type: 'stream', event: 'tick', stream: { ...api.stream, ticks: 4, paid: 40n } });
    await vi.waitFor(() => expect(stdout).toContain('\n'), { timeout: 5000 });
    expect(stdout).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} stream ${api.stream.streamId} tick  payer to ${api.peer}  10 msat/s  ticks 4  paid 0\\.04 sat  remaining `));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

describe('errors are one line on stderr and a non-zero exit', () => {
  it('a bad amount, before anything is sent', async () => {
    expectOneLineError(await sluice(['pay', nodeId(), '0.0001sat', ...at()]), /amount: '0.0001sat' is finer than 1 msat/);
    expectOneLineError(await sluice(['pay', nodeId(), '1,5sat', ...at()]), /amount: '1,5sat' is not an amount/);
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
    [['stream', 'start'], /--rate <rate>[\s\S]*--max <amount>[\s\S]*--duration <duration>[\s\S]*hashchain[\s\S]*interval[\s\S]*--follow/],
    [['stream', 'list'], /one line each/],
    [['stream', 'pause'], /<id>/],
    [['stream', 'resume'], /<id>/],
    [['stream', 'stop'], /payer or payee/],
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

  it('prints one line per event until Ctrl-C, then exits 0; ledger heights only with --blocks', async () => {
    const f = follow(['--blocks']);
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

  it('--json prints one JSON document per line, without the ledger height unless --blocks', async () => {
    const f = follow(['--json']);
    await vi.waitFor(() => expect(api.listenerCount).toBe(1), { timeout: 5000 });
    api.emit({ type: 'ledger', height: 44 });
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

describe('--json errors are JSON on stderr with the same exit code (issue 9, item 6)', () => {
  const jsonError = (r: Run) => {
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    return JSON.parse(r.stderr) as { error: { code: string; message: string } };
  };

  it.each([
    ['a bad amount', ['pay', nodeId(), '0.0001sat'], 'BAD_AMOUNT', "amount: '0.0001sat' is finer than 1 msat, the smallest amount"],
    ['a bad id', ['channel', 'close', 'xyz'], 'BAD_INPUT', 'channel id: expected 64 hex characters'],
    ['a missing argument', ['pay', nodeId()], 'USAGE', "missing required argument 'amount'"],
    ['an unknown option', ['peer', 'list', '--frobnicate'], 'USAGE', "unknown option '--frobnicate'"],
  ])('%s', async (_what, args, code, message) => {
    const human = await sluice([...args, ...at()]);
    const json = await sluice([...args, '--json', ...at()]);
    expect(json.code).toBe(human.code);
    expect(json.code).not.toBe(0);
    expect(jsonError(json)).toEqual({ error: { code, message } });
    expect(api.calls).toEqual([]);
  });

  it('the node refusing, and no node at all', async () => {
    api.failWith(new ApiError(409, 'NO_ROUTE', 'no open channel can send that'));
    const refused = await sluice(['pay', nodeId(), '10', '--json', ...at()]);
    expect(refused.code).toBe(1);
    expect(jsonError(refused)).toEqual({ error: { code: 'NO_ROUTE', message: 'no open channel can send that' } });
    const empty = await mkdtemp(join(tmpdir(), 'sluice-empty-'));
    const none = await sluice(['info', '--json', '--data-dir', empty]);
    expect(jsonError(none).error.message).toMatch(/^no node API address at /);
    await rm(empty, { recursive: true, force: true });
  });
});

describe('amounts as people write them (issue 9, item 5)', () => {
  it.each([
    ['1.5sat', 1_500n],
    ['1.5 sat', 1_500n],
    ['0.001SAT', 1n],
    ['2500MSAT', 2_500n],
    ['0.00000001btc', 1_000n],
  ])('pay %s sends %s msat', async (typed, msat) => {
    const r = await sluice(['pay', api.peer, typed, '--json', ...at()]);
    expect(r.code).toBe(0);
    expect(api.calls).toEqual([{ method: 'pay', args: [{ peerId: api.peer, amount: msat }] }]);
  });

  it('what the CLI prints is read back: an amount copied from `channel list`', async () => {
    const line = (await sluice(['pay', api.peer, '1.234sat', ...at()])).stdout;
    const printed = /paid (\S+ sat)/.exec(line)![1]!;
    api.calls.length = 0;
    expect((await sluice(['pay', api.peer, printed, ...at()])).code).toBe(0);
    expect(api.calls[0]!.args[0]).toEqual({ peerId: api.peer, amount: 1_234n });
  });

  it.each([
    ['1.5sat', 'ledger balance 1 sat is short of capacity + fee (1000200.5 sat)'],
    ['1500msat', 'ledger balance 1000 msat is short of capacity + fee (1000200500 msat)'],
    ['0.01btc', 'ledger balance 0.00000001 btc is short of capacity + fee (0.010002005 btc)'],
  ])('a refusal shows amounts in the unit typed (%s)', async (typed, message) => {
    api.failWith(new ApiError(409, 'INSUFFICIENT_FUNDS', 'ledger balance 1000 msat is short of capacity + fee (1000200500 msat)'));
    expectOneLineError(await sluice(['channel', 'open', api.peer, typed, ...at()]), new RegExp(`^sluice: ${message.replace(/[.()+]/g, '\\$&')}\n$`));
  });
});

describe('channel and stream views (issue 9, item 4 and the commands users look for)', () => {
  it('channel list shows what each side can spend now and the reserve; channel info shows one in full', async () => {
    const list = await sluice(['channel', 'list', ...at()]);
    const spend = formatMsat(BIG - 1_000n - BIG / 100n);
    expect(list.stdout.split('\n')[0]).toContain(`(can send ${spend})  remote 1 sat (can send 0 sat)  capacity ${formatMsat(BIG)}  reserve ${formatMsat(BIG / 100n)}`);
    const one = await sluice(['channel', 'info', api.channel.channelId, ...at()]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`channel:   ${api.channel.channelId}\nstatus:    open\n`);
    expect(one.stdout).toContain(`can send:  ${BIG - 1_000n - BIG / 100n} msat`);
    expect(one.stdout).toContain(`reserve:   ${BIG / 100n} msat`);
    const json = JSON.parse((await sluice(['channel', 'info', api.channel.channelId, '--json', ...at()])).stdout);
    expect(json).toMatchObject({ channelId: api.channel.channelId, reserve: (BIG / 100n).toString(), remoteSpendable: '0' });
    expectOneLineError(await sluice(['channel', 'info', channelId(), ...at()]), /^sluice: no channel [0-9a-f]{64} on the node at /);
  });

  it('closing a channel with a stream running warns first', async () => {
    api.streams = [api.stream];
    try {
      const r = await sluice(['channel', 'close', api.channel.channelId, ...at()]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`sluice: warning: closing this channel ends 1 running stream (${api.stream.streamId}); they stop with "the channel is closing"\n`);
    } finally {
      api.streams = undefined;
    }
  });

  it('stream status: one stream in full; an unknown id is an error', async () => {
    const r = await sluice(['stream', 'status', api.stream.streamId, ...at()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^stream ${api.stream.streamId} active: paying 10 msat/s to ${api.peer}\n.*\nstarted:   \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\nticks:     3, paid 30 msat \\(0\\.03 sat\\)\n`));
    expectOneLineError(await sluice(['stream', 'status', streamId(), ...at()]), /^sluice: no stream [0-9a-f]{32} on the node at /);
  });

  it('wallet send and peer disconnect', async () => {
    const to = nodeId();
    const sent = await sluice(['wallet', 'send', to, '2.5sat', ...at()]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toBe(`sent 2.5 sat to ${to} in block 43 (fee 200 sat)\ntx ${'12'.repeat(32)}\nbalance ${BIG - 2_500n - 200_000n} msat (${formatMsat(BIG - 2_500n - 200_000n)})\n`);
    const off = await sluice(['peer', 'disconnect', api.peer, '--json', ...at()]);
    expect(JSON.parse(off.stdout)).toMatchObject({ nodeId: api.peer, connected: false });
    expect(api.calls).toEqual([
      { method: 'send', args: [{ to, amount: 2_500n }] },
      { method: 'disconnectPeer', args: [{ nodeId: api.peer }] },
    ]);
    expectOneLineError(await sluice(['wallet', 'send', 'nobody', '1', ...at()]), /address: expected 66 hex characters/);
  });

  it('version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await sluice(['version']);
    expect(r.stdout).toBe(`sluice ${pkg.version} (Node.js ${process.version})\n`);
    expect(JSON.parse((await sluice(['version', '--json'])).stdout)).toEqual({ version: pkg.version, node: process.version });
    expect((await sluice(['--version'])).stdout).toBe(`${pkg.version}\n`);
  });
});

describe('the token out of `ps` (issue 7, item 8)', () => {
  it('--token-file reads it from a file; a bad file says so', async () => {
    const file = join(home, 'token');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    const r = await sluice(['info', '--api', server.url, '--token-file', file, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ nodeId: api.self });
    expectOneLineError(await sluice(['info', '--api', server.url, '--token-file', join(home, 'missing')]), /--token-file: cannot read .*missing \(ENOENT\)/);
  });
});

describe("a newcomer's mistakes say what is wrong", () => {
  it('`sluice wallet` alone is `wallet balance` (it was "unknown option --data-dir")', async () => {
    const alone = await sluice(['wallet', '--data-dir', dataDir]);
    expect(alone.code).toBe(0);
    expect(alone.stdout).toBe((await sluice(['wallet', 'balance', '--data-dir', dataDir])).stdout);
    expect(alone.stdout).toContain('in channels: 1500 msat (1.5 sat)');
  });

  it('a --data-dir that is a file or does not exist (it was ENOTDIR or "no node API address")', async () => {
    const file = join(dataDir, 'api-token');
    expectOneLineError(await sluice(['info', '--data-dir', file]), new RegExp(`^sluice: --data-dir ${file} is a file, not a directory\\n$`));
    expectOneLineError(await sluice(['pay', nodeId(), '1', '--data-dir', join(file, 'x')]), /--data-dir .*api-token\/x: a part of that path is a file, not a directory/);
    const missing = join(home, 'no-such-node');
    expectOneLineError(await sluice(['info', '--data-dir', missing]), new RegExp(`^sluice: --data-dir ${missing} does not exist: no node has run there`));
    const json = await sluice(['info', '--data-dir', file, '--json']);
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'BAD_DATA_DIR', message: `--data-dir ${file} is a file, not a directory` } });
    // with --api and a token the data dir is not read, so it is not checked
    expect((await sluice(['info', '--data-dir', missing, ...at()])).code).toBe(0);
    for (const daemon of [['node', 'start'], ['ledger', 'start']]) {
      expectOneLineError(await sluice([...daemon, '--data-dir', file, '--port', '0']), new RegExp(`^sluice: --data-dir ${file} is a file, not a directory\\n$`));
    }
    expect(api.calls).toEqual([{ method: 'info', args: [] }]);
  });

  it('info --wait waits for a data dir the node has not created yet (as README runs it right after node start)', async () => {
    const later = join(home, 'created-later');
    const waiting = sluice(['info', '--data-dir', later, '--wait', '20s', '--json']);
    await loadOrCreateToken(later).then(() => writeFileSync(join(later, 'api-token'), `${token}\n`, { mode: 0o600 }));
    await writeApiUrl(later, server.url);
    const r = await waiting;
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ nodeId: api.self });
    const gone = await sluice(['info', '--data-dir', join(home, 'never'), '--wait', '300ms', '--json']);
    expect(JSON.parse(gone.stderr)).toMatchObject({ error: { code: 'NO_DATA_DIR' } });
  });

  it('a negative amount is not reported as an unknown option', async () => {
    const r = await sluice(['pay', nodeId(), '-5sat', ...at()]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe("error: '-5sat' is not an option, and amounts, counts and durations cannot be negative");
    const json = await sluice(['pay', nodeId(), '-5sat', '--json', ...at()]);
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'USAGE', message: "'-5sat' is not an option, and amounts, counts and durations cannot be negative" } });
    expect(api.calls).toEqual([]);
  });

  it('a ledger address of the wrong length, and --ledger at a node instead of the ledger', async () => {
    expectOneLineError(await sluice(['ledger', 'balance', 'nothex']), /^sluice: address: expected 66 hex characters, got 6\n$/);
    const wsUrl = server.url.replace(/^http/, 'ws');
    expectOneLineError(await sluice(['ledger', 'info', '--ledger', wsUrl]), new RegExp(`^sluice: --ledger ${wsUrl} is not a sluice ledger: it answered HTTP 401 \\(a node's control API\\?\\)`));
  });
});

describe('a failed channel says why in the unit the list uses', () => {
  it('channel list and channel info show the failure amounts in sat (they were raw msat beside sat balances)', async () => {
    api.channel.failure = 'peer refused: channel refused: capacity below our minimum of 10000000 msat';
    try {
      const list = await sluice(['channel', 'list', ...at()]);
      expect(list.stdout.split('\n')[0]).toContain('(peer refused: channel refused: capacity below our minimum of 10000 sat)');
      const info = await sluice(['channel', 'info', api.channel.channelId, ...at()]);
      expect(info.stdout).toMatch(/^status: +open \(peer refused: channel refused: capacity below our minimum of 10000 sat\)$/m);
      const json = JSON.parse((await sluice(['channel', 'list', '--json', ...at()])).stdout) as { failure?: string }[];
      expect(json[0]!.failure).toBe('peer refused: channel refused: capacity below our minimum of 10000000 msat'); // exact for programs
    } finally {
      delete api.channel.failure;
    }
  });
});
