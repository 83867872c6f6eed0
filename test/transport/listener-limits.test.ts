// Unbounded tables at the peer listener: stalled handshakes, too many connections, sockets that
// never even send the WebSocket upgrade. Each is bounded, and the listener keeps serving.
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import type { PeerSession } from '../../src/transport/session.js';
import { listenPeers, type ListenPeersOptions, type PeerListener } from '../../src/transport/ws.js';
import { HostilePeer } from '../helpers/hostile-peer.js';
import { until } from '../helpers/until.js';

const serverKey = randomSecretKey();
const serverId = publicKeyOf(serverKey);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(extra: Partial<ListenPeersOptions>): Promise<{ listener: PeerListener; url: string; sessions: PeerSession[] }> {
  const sessions: PeerSession[] = [];
  const listener = await listenPeers({ port: 0, localSecretKey: serverKey, onSession: (s) => sessions.push(s), ...extra });
  cleanups.push(() => listener.close());
  return { listener, url: `ws://127.0.0.1:${listener.port}`, sessions };
}

/** A WebSocket that opens and then never speaks: a stalled handshake. */
async function stalled(url: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(url);
  cleanups.push(() => ws.terminate());
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return { ws, closed };
}

async function hostile(url: string): Promise<HostilePeer> {
  const h = await HostilePeer.connect({ ws: url, remoteNodeId: serverId });
  cleanups.push(() => h.close());
  return h;
}

describe('peer listener limits', () => {
  it('unfinished handshakes are capped (HTTP 503 past the cap) and dropped at the handshake timeout', async () => {
    const { url, listener } = await listen({ maxPendingHandshakes: 3, handshakeTimeoutMs: 500 });
    const stalls = await Promise.all([1, 2, 3].map(() => stalled(url)));
    await expect(stalled(url)).rejects.toThrow(/HTTP 503/);
    // every stalled one is dropped by the deadline, as a protocol failure
    expect(await Promise.all(stalls.map((s) => s.closed))).toEqual([1002, 1002, 1002]);
    expect(listener.connections).toBe(0);
    const h = await hostile(url); // room again
    expect(h.closed).toBe(false);
  });

  it('connections are capped in all, handshaken or not', async () => {
    const { url, sessions, listener } = await listen({ maxConnections: 4 });
    await Promise.all([1, 2, 3, 4].map(() => hostile(url)));
    expect(listener.connections).toBe(4);
    await expect(HostilePeer.connect({ ws: url, remoteNodeId: serverId })).rejects.toThrow(/HTTP 503/);
    await until(() => sessions.length === 4);
    sessions[0]!.close();
    await until(() => listener.connections === 3);
    await hostile(url);
    expect(listener.connections).toBe(4);
  });

  it('raw TCP sockets that never send the upgrade are bounded too, and dropped at the timeout', async () => {
    const { url, listener } = await listen({ maxConnections: 2, maxPendingHandshakes: 2, handshakeTimeoutMs: 500 });
    const port = listener.port;
    const sockets: Socket[] = [];
    const closes: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      const s = tcpConnect(port, '127.0.0.1');
      s.on('error', () => {});
      s.resume(); // read, so that the server's FIN is seen
      sockets.push(s);
      closes.push(new Promise((r) => s.on('close', () => r())));
      cleanups.push(() => s.destroy());
    }
    // the 4 the server holds (2 + 2) wait for the header timeout, the rest are cut off at once;
    // all 10 end by themselves
    await Promise.all(closes);
    await hostile(url); // the listener still serves
  });
});
