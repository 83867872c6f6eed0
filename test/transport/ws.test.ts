import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { concatBytes, toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { NoiseLink } from '../../src/transport/link.js';
import { MAX_ENCRYPTED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from '../../src/transport/primitives.js';
import { PeerConnectError, type PeerSession } from '../../src/transport/session.js';
import { connectPeer, listenPeers, type HandshakeFailure, type PeerListener } from '../../src/transport/ws.js';
import { closedWith, msg, nextSession, opened, rawHandshake, record, toBytes } from './ws-helpers.js';

const serverKey = randomSecretKey();
const serverId = publicKeyOf(serverKey);
const clientKey = randomSecretKey();
const clientId = publicKeyOf(clientKey);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(extra: { handshakeTimeoutMs?: number } = {}) {
  const { onSession, session } = nextSession();
  const failures: HandshakeFailure[] = [];
  const listener: PeerListener = await listenPeers({
    port: 0,
    localSecretKey: serverKey,
    onSession,
    onHandshakeFailure: (f) => failures.push(f),
    ...extra,
  });
  cleanups.push(() => listener.close());
  return { listener, url: `ws://127.0.0.1:${listener.port}`, session, failures };
}

async function connect(url: string): Promise<PeerSession> {
  const session = await connectPeer({ url, localSecretKey: clientKey, remoteNodeId: serverId });
  cleanups.push(() => session.close());
  return session;
}

describe('WebSocket carrier', () => {
  it('binds an ephemeral port, handshakes, and carries messages both ways', async () => {
    const { listener, url, session } = await listen();
    expect(listener.port).toBeGreaterThan(0);
    const client = await connect(url);
    const server = await session;
    expect(toHex(client.remoteNodeId)).toBe(toHex(serverId));
    expect(toHex(server.remoteNodeId)).toBe(toHex(clientId));

    const atServer = record(server);
    const atClient = record(client);
    client.send(msg(16, 1, 2, 3));
    server.send(msg(18, 0, 4));
    await Promise.all([atServer.received(1), atClient.received(1)]);
    expect(toHex(atServer.messages[0]!)).toBe('0010010203');
    expect(toHex(atClient.messages[0]!)).toBe('00120004');
  });

  it('buffers messages that arrive before a listener is attached', async () => {
    const listener = await listenPeers({
      port: 0,
      localSecretKey: serverKey,
      // The responder speaks first, inside onSession, before the client's await has even resumed.
      onSession: (s) => [1, 2, 3].forEach((n) => s.send(msg(16, n))),
    });
    cleanups.push(() => listener.close());
    const client = await connect(`ws://127.0.0.1:${listener.port}`);
    await new Promise((r) => setTimeout(r, 50));
    const atClient = record(client);
    await atClient.received(3);
    expect(atClient.messages.map(toHex)).toEqual(['001001', '001002', '001003']);
  });

  it('carries 1200 messages each way in order, across key rotations, up to the maximum size', async () => {
    const { url, session } = await listen();
    const client = await connect(url);
    const server = await session;
    const atServer = record(server);
    const atClient = record(client);
    const count = 1200;
    const payload = (i: number) => {
      const size = i % 400 === 7 ? MAX_MESSAGE_LENGTH : 2 + (i % 50);
      const m = new Uint8Array(size);
      m[0] = i >> 8;
      m[1] = i & 0xff;
      return m;
    };
    for (let i = 0; i < count; i++) {
      client.send(payload(i));
      server.send(payload(i));
    }
    await Promise.all([atServer.received(count), atClient.received(count)]);
    for (const received of [atServer.messages, atClient.messages]) {
      received.forEach((m, i) => {
        expect(m.length).toBe(payload(i).length);
        expect((m[0]! << 8) | m[1]!).toBe(i);
      });
    }
  });

  it('handles acts and messages split and merged across frames', async () => {
    const { url, session } = await listen();
    const ws = new WebSocket(url);
    cleanups.push(() => ws.terminate());
    const { link, actOne } = NoiseLink.initiator({
      localSecretKey: clientKey,
      remoteStaticKey: serverId,
      ephemeralSecretKey: randomSecretKey(),
    });
    const actTwo = new Promise<Uint8Array>((resolve) => ws.once('message', (data) => resolve(toBytes(data))));
    await opened(ws);
    ws.send(actOne.subarray(0, 1));
    ws.send(actOne.subarray(1));
    const out = link.receive(await actTwo);
    if (!out.ok || !out.established) throw new Error('handshake failed');
    const stream = concatBytes(...out.outbound, link.encrypt(msg(16)), link.encrypt(msg(17, 9)), link.encrypt(msg(18)));
    for (let i = 0; i < stream.length; i += 7) ws.send(stream.subarray(i, i + 7));
    const atServer = record(await session);
    await atServer.received(3);
    expect(atServer.messages.map(toHex)).toEqual(['0010', '001109', '0012']);
  });

  it('rejects a connection whose expected remote key is wrong', async () => {
    const { url, failures } = await listen();
    const wrongId = publicKeyOf(randomSecretKey());
    const attempt = connectPeer({ url, localSecretKey: clientKey, remoteNodeId: wrongId });
    await expect(attempt).rejects.toBeInstanceOf(PeerConnectError);
    await expect(attempt).rejects.toThrow(/closed during handshake/);
    expect(failures.map((f) => f.reason)).toEqual(['act 1: bad MAC']);
  });

  it('closes the connection on garbage after the handshake', async () => {
    const { url, session } = await listen();
    const raw = await rawHandshake({ url, localSecretKey: clientKey, remoteNodeId: serverId });
    const atServer = record(await session);
    const rawClosed = closedWith(raw.ws);
    raw.ws.send(new Uint8Array(40).fill(0xab));
    expect(await atServer.closed).toEqual({ origin: 'protocol', reason: 'bad MAC on message length' });
    expect((await rawClosed).code).toBe(1002);
  });

  it('closes the connection on a bad MAC in a message body', async () => {
    const { url, session } = await listen();
    const raw = await rawHandshake({ url, localSecretKey: clientKey, remoteNodeId: serverId });
    const atServer = record(await session);
    const wire = raw.link.encrypt(msg(16, 1, 2, 3));
    wire[wire.length - 1]! ^= 1;
    raw.ws.send(wire);
    expect(await atServer.closed).toEqual({ origin: 'protocol', reason: 'bad MAC on message body' });
  });

  it('closes the connection on a frame larger than one encrypted message', async () => {
    const { url, session } = await listen();
    const raw = await rawHandshake({ url, localSecretKey: clientKey, remoteNodeId: serverId });
    const atServer = record(await session);
    const rawClosed = closedWith(raw.ws);
    raw.ws.send(new Uint8Array(MAX_ENCRYPTED_MESSAGE_LENGTH + 1));
    const closed = await atServer.closed;
    expect(closed.origin).toBe('protocol');
    expect(closed.reason).toMatch(/max payload size exceeded/i);
    expect((await rawClosed).code).toBe(1009);
  });

  it('closes the connection on a text frame', async () => {
    const { url, session } = await listen();
    const raw = await rawHandshake({ url, localSecretKey: clientKey, remoteNodeId: serverId });
    const atServer = record(await session);
    const rawClosed = closedWith(raw.ws);
    raw.ws.send('hello');
    expect(await atServer.closed).toEqual({ origin: 'protocol', reason: 'text frame on a BOLT 8 connection' });
    expect((await rawClosed).code).toBe(1002);
  });

  it('drops a client that stays silent past the handshake timeout', async () => {
    const { url, failures } = await listen({ handshakeTimeoutMs: 200 });
    const ws = new WebSocket(url);
    const closed = closedWith(ws);
    await opened(ws);
    const started = Date.now();
    expect((await closed).code).toBe(1002);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(3000);
    expect(failures.map((f) => f.reason)).toEqual(['handshake did not complete within 200 ms']);
  });

  it('gives up on a server that never answers Act One', async () => {
    const silent = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => silent.once('listening', r));
    cleanups.push(() => new Promise((r) => silent.close(r)));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const attempt = connectPeer({
      url: `ws://127.0.0.1:${port}`,
      localSecretKey: clientKey,
      remoteNodeId: serverId,
      handshakeTimeoutMs: 200,
    });
    await expect(attempt).rejects.toThrow(/handshake did not complete within 200 ms/);
  });

  it('rejects when nothing listens', async () => {
    const { listener } = await listen();
    const url = `ws://127.0.0.1:${listener.port}`;
    await listener.close();
    await expect(connectPeer({ url, localSecretKey: clientKey, remoteNodeId: serverId })).rejects.toBeInstanceOf(
      PeerConnectError,
    );
  });

  it('reports a local close to one side and a remote close to the other', async () => {
    const { url, session } = await listen();
    const client = await connect(url);
    const atServer = record(await session);
    const atClient = record(client);
    client.close('bye');
    expect(await atClient.closed).toEqual({ origin: 'local', reason: 'bye' });
    expect(await atServer.closed).toEqual({ origin: 'remote', reason: 'websocket closed (1000 bye)' });
    expect(client.closed).toBe(true);
    client.send(msg(16)); // dropped, not thrown
  });

  it('closing the listener closes its sessions', async () => {
    const { listener, url, session } = await listen();
    const client = await connect(url);
    const atServer = record(await session);
    const atClient = record(client);
    await listener.close();
    expect(await atServer.closed).toEqual({ origin: 'local', reason: 'listener closing' });
    expect((await atClient.closed).origin).toBe('remote');
  });
});
