// Real ledger and node processes driven through the CLI, as a newcomer would (issue 9, items 2 and 3):
// a wrong address never replaces a good one, and a ledger that goes away is reported, not waited on.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cluster, freePort, until, type Cluster, type NodeProc } from '../helpers/cluster.js';
import { startSluice } from '../helpers/process.js';
import { processFixture } from './process-fixture.js';

let c: Cluster | undefined;
const fx = processFixture();
const extra = fx.extra;

type PeerJson = { nodeId: string; address?: string; connected: boolean };
type InfoJson = { height: number; ledger: { reachable: boolean; lastSeenAt?: number; unreachableSince?: number } };

const peersOf = (n: NodeProc) => n.cliJson<PeerJson[]>(['peer', 'list']);
const jsonError = (stderr: string) => (JSON.parse(stderr) as { error: { code: string; message: string } }).error;

describe('peer connect proves the address before storing it', () => {
  it('a dead port or another node at the address fails, stores nothing, and keeps the last address that worked', { timeout: 120_000 }, async () => {
    c = fx.use(await cluster());
    const alice = await c.node('alice');
    const bob = await c.node('bob');
    const carol = await c.node('carol');
    expect((await alice.cli(['peer', 'connect', bob.target])).code).toBe(0);
    const good = `127.0.0.1:${bob.port}`;

    const dead = await freePort();
    const toDead = await alice.cli(['peer', 'connect', `${bob.id}@127.0.0.1:${dead}`]);
    expect(toDead.code).not.toBe(0);
    expect(toDead.stderr).toMatch(new RegExp(`^sluice: cannot connect to ${bob.id}@127\\.0\\.0\\.1:${dead}: `));
    expect(toDead.stdout).toBe('');

    // carol answers at that port, but she does not hold bob's key: the handshake proves it is not bob
    const toCarol = await alice.cli(['peer', 'connect', `${bob.id}@127.0.0.1:${carol.port}`, '--json']);
    expect(toCarol.code).not.toBe(0);
    expect(jsonError(toCarol.stderr)).toMatchObject({ code: 'PEER_UNREACHABLE', message: expect.stringContaining(`cannot connect to ${bob.id}@127.0.0.1:${carol.port}`) });

    // a node never reached leaves no entry
    const toNobody = await alice.cli(['peer', 'connect', `${carol.id}@127.0.0.1:${dead}`]);
    expect(toNobody.code).not.toBe(0);

    const peers = await peersOf(alice);
    expect(peers).toEqual([{ nodeId: bob.id, address: good, connected: true, channels: 0 }]);

    // bob restarts: alice redials the address that worked, and finds him
    await c.stop(bob);
    await until(async () => (await peersOf(alice)).every((p) => !p.connected), 20_000, 'alice to see bob gone');
    await c.start(bob);
    await until(async () => (await peersOf(alice)).find((p) => p.nodeId === bob.id)?.connected, 30_000, 'alice to redial bob');
    expect(alice.proc!.output()).toMatch(/cannot reach peer; redialing with backoff/);

    // disconnect: no redial until connect again
    const off = await alice.cli(['peer', 'disconnect', bob.id]);
    expect(off.code).toBe(0);
    expect(off.stdout).toBe(`disconnected from ${bob.id}; it is not redialed until \`sluice peer connect\`\n`);
    // With no channel left to hold it, the entry is forgotten once the session ends (peer tables are
    // bounded: see docs/security.md); a peer with a channel would stay listed, disconnected.
    await until(async () => !(await peersOf(alice)).some((p) => p.nodeId === bob.id && p.connected), 10_000, 'the hang-up');
    expect(await peersOf(alice)).toEqual([]);
    expect((await alice.cli(['peer', 'connect', bob.target])).code).toBe(0);
    expect((await peersOf(alice))[0]).toMatchObject({ nodeId: bob.id, connected: true });
  });
});

describe('a ledger that goes away', () => {
  it('is reported by the node, in info, and by calls that need it; a close says it completes later', { timeout: 150_000 }, async () => {
    c = fx.use(await cluster());
    const alice = await c.node('alice');
    const bob = await c.node('bob');
    expect((await alice.cli(['wallet', 'faucet', '2000000sat'])).code).toBe(0);
    expect((await alice.cli(['peer', 'connect', bob.target])).code).toBe(0);
    const ch = await alice.cliJson<{ channelId: string }>(['channel', 'open', bob.id, '1000000sat']);
    const before = await alice.cliJson<InfoJson>(['info']);
    expect(before.ledger.reachable).toBe(true);

    await c.ledger.kill('SIGKILL');
    const down = await until(async () => {
      const i = await alice.cliJson<InfoJson>(['info']);
      return i.ledger.reachable ? false : i;
    }, 10_000, 'info to show the ledger unreachable');
    expect(down.ledger.lastSeenAt).toBeGreaterThan(0);
    expect(down.ledger.unreachableSince).toBeGreaterThanOrEqual(down.ledger.lastSeenAt!);
    const human = await alice.cli(['info']);
    expect(human.stdout).toMatch(/ledger: {3}ws:\/\/127\.0\.0\.1:\d+ \(chain sluice-simnet\): UNREACHABLE since \d\d:\d\d:\d\d UTC, \d+ s ago; last seen/);
    expect(alice.proc!.output()).toMatch(/warn \[node\] ledger unreachable/);

    const balance = await alice.cli(['wallet', 'balance', '--json']);
    expect(balance.code).toBe(1);
    expect(balance.stdout).toBe('');
    expect(jsonError(balance.stderr)).toMatchObject({ code: 'LEDGER_UNAVAILABLE', message: expect.stringMatching(/^the ledger at ws:\/\/127\.0\.0\.1:\d+ is unreachable since \d\d:\d\d:\d\d UTC/) });
    const human2 = await alice.cli(['wallet', 'balance']);
    expect(human2.stderr).toMatch(/^sluice: the ledger at .* is unreachable since/);
    expect(human2.code).toBe(1);

    const close = await alice.cli(['channel', 'close', ch.channelId]);
    expect(close.code).toBe(0);
    expect(close.stdout).toMatch(new RegExp(`^cooperative close of ${ch.channelId}: closing\nnot done yet: the ledger at .* is unreachable since .*: the close is submitted \\(with retries\\) once it is back\n`));

    // the ledger comes back on its port with its data: the node says so, and the close completes
    const port = new URL(c.ledgerUrl).port;
    const ledger = startSluice(['ledger', 'start', '--data-dir', join(c.root, 'ledger'), '--port', port, '--faucet', '--block-time', '100ms', '--log-level', 'warn']);
    extra.push(ledger);
    await ledger.waitFor(/listening on/);
    await until(async () => (await alice.cliJson<InfoJson>(['info'])).ledger.reachable, 20_000, 'the node to see the ledger back');
    expect(alice.proc!.output()).toMatch(/warn \[node\] ledger reachable again/);
    expect((await alice.cli(['wallet', 'balance'])).code).toBe(0);
    await until(async () => (await alice.cliJson<{ status: string }[]>(['channel', 'list']))[0]?.status === 'closed', 60_000, 'the close to complete');
  });
});
