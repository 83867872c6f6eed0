// ApiClient reuses its connection for calls made one after another (Node's keep-alive agent):
// a CLI command makes one call, but a program on the client makes thousands, and a new TCP
// connection each time would cost a handshake per call.
import { afterEach, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from '../../src/api/client.js';
import { nodeInfoCodec } from '../../src/api/codec.js';
import { FakeApi } from './fake-api.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

it('sequential calls reuse their connections', async () => {
  const info = nodeInfoCodec.encode(await new FakeApi().info());
  let connections = 0;
  let requests = 0;
  server = createServer((_req, res) => {
    requests++;
    const text = JSON.stringify(info);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const client = new ApiClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'x'.repeat(64) });
  for (let i = 0; i < 20; i++) expect((await client.info()).alias).toBe('fake');
  expect(requests).toBe(20);
  // A client may open a second socket for the call right after the first (the first not yet back in
  // its pool when the answer resolves; Node 20's fetch does), then reuses them: not one per call.
  expect(connections).toBeLessThanOrEqual(2);
});
