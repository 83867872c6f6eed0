// Unbounded tables on the control API listener: a local process without the token opens sockets and
// never sends a request (or sends it a byte at a time). The sockets are capped, slow headers are
// cut off, and the API keeps answering the real client.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { silentLogger } from '../../src/util/log.js';
import { FakeApi } from './fake-api.js';

const TOKEN = randomBytes(32).toString('hex');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(limits: { maxConnections?: number; headersTimeoutMs?: number }): Promise<ApiServer> {
  const s = await startApiServer({ api: new FakeApi(), port: 0, token: TOKEN, log: silentLogger(), connectionLimits: limits });
  cleanups.push(() => s.close());
  return s;
}

/** A socket that connects and then says nothing; `closed` resolves when the server ends it. */
async function idle(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.resume(); // read, so the server's FIN is seen
  cleanups.push(() => socket.destroy());
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, closed };
}

const info = (s: ApiServer) => fetch(`${s.url}/v1/info`, { headers: { authorization: `Bearer ${TOKEN}`, connection: 'close' } });

describe('control API connection limits', () => {
  it('unbounded tables: sockets past the cap are closed at once; a freed slot serves again', async () => {
    const s = await server({ maxConnections: 4 });
    const held = await Promise.all([1, 2, 3, 4].map(() => idle(s.port)));
    const extra = await idle(s.port);
    await extra.closed; // cut off by the server, without waiting for any timeout
    held[0]!.socket.destroy();
    await held[0]!.closed;
    // the count drops once the server has seen the close; retry until it has
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) status = await info(s).then((r) => r.status, () => 0);
    expect(status).toBe(200);
  });

  it('slow loris: a client that never finishes its headers is dropped at the header deadline', async () => {
    const s = await server({ headersTimeoutMs: 300 });
    const slow = await idle(s.port);
    slow.socket.write('GET /v1/info HTTP/1.1\r\nHost: x\r\n'); // and nothing more
    await slow.closed;
    expect((await info(s)).status).toBe(200);
  });

  it('a burst of 300 calls from one ApiClient stays under the cap: the client queues past its own limit', async () => {
    const s = await server({ maxConnections: 64 });
    const client = new ApiClient({ url: s.url, token: TOKEN, maxInFlight: 16 });
    const infos = await Promise.all(Array.from({ length: 300 }, () => client.info()));
    expect(infos.length).toBe(300);
    expect(new Set(infos.map((i) => i.nodeId)).size).toBe(1);
  });
});
