// Pong amplification against a real node process over a real WebSocket: a fresh key completes the
// handshake, stops reading, and sends 2,000 pings asking for 65,531-byte pongs (131 MB of answers
// for 78 KiB sent). The node must stay small, drop the attacker, and keep serving an honest peer.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHAIN_ID } from '../../src/ledger/service.js';
import { makePing } from '../../src/wire/ping.js';
import { cluster, until, type Cluster, type NodeProc } from '../helpers/cluster.js';
import { HostilePeer } from '../helpers/hostile-peer.js';

let c: Cluster;
let alice: NodeProc;
let bob: NodeProc;

beforeAll(async () => {
  c = await cluster();
  [alice, bob] = [await c.node('alice'), await c.node('bob')];
}, 60_000);
afterAll(async () => {
  await c.shutdown();
});

async function rssBytes(n: NodeProc): Promise<number> {
  const status = await readFile(`/proc/${n.proc!.proc.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

const connectedTo = async (n: NodeProc, id: string) => (await (await n.api()).listPeers()).some((p) => p.nodeId === id && p.connected);

describe('pong amplification against a node process', () => {
  it('a stranger that stops reading and asks for 2,000 large pongs is dropped; RSS stays bounded; honest peers keep working', async () => {
    expect((await alice.cli(['peer', 'connect', bob.target])).code).toBe(0);
    await until(() => connectedTo(bob, alice.id), 20_000, 'alice connected to bob');
    const before = await rssBytes(bob);

    const evil = await HostilePeer.connect({ ws: `ws://127.0.0.1:${bob.port}`, remoteNodeId: bob.id });
    await evil.init({ chainId: DEFAULT_CHAIN_ID });
    evil.stopReading();
    let peak = before;
    const sent = await evil.flood(2000, (i) => {
      if (i % 100 === 0) void rssBytes(bob).then((r) => (peak = Math.max(peak, r)), () => undefined);
      return makePing({ numPongBytes: 65531 });
    });
    // bob forgets the attacker (no channel, no connection) whatever it still has in flight
    await until(async () => !(await (await bob.api()).listPeers()).some((p) => p.nodeId === evil.nodeId), 30_000, 'bob drops the attacker');
    peak = Math.max(peak, await rssBytes(bob));
    evil.resumeReading();
    await evil.disconnected;
    const pongs = evil.received.filter((m) => m.kind === 'pong').length;
    expect(sent).toBeGreaterThan(30);
    expect(pongs).toBeLessThanOrEqual(1);
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);

    // an honest connection is still answered, and alice never lost hers
    const honest = await HostilePeer.connect({ ws: `ws://127.0.0.1:${bob.port}`, remoteNodeId: bob.id });
    await honest.init({ chainId: DEFAULT_CHAIN_ID });
    honest.send(makePing({ numPongBytes: 4 }));
    await honest.waitFor('pong');
    honest.close();
    expect(await connectedTo(bob, alice.id)).toBe(true);
    expect(await connectedTo(alice, bob.id)).toBe(true);
  }, 90_000);
});
