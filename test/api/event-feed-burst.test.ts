// The event feed under bursts: a channel state that pays thousands of streams emits thousands of tick
// events at once. A client that reads gets every one, in order, however they were grouped into socket
// writes; a client that stops reading is dropped (1013) once its backlog passes the bound, and the
// burst the feed holds back for one write does not count as backlog.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { ApiClient } from '../../src/api/client.js';
import { MAX_BUFFERED_BYTES } from '../../src/api/event-feed.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import type { NodeEvent } from '../../src/api/types.js';
import { silentLogger } from '../../src/util/log.js';
import { FakeApi } from './fake-api.js';

const TOKEN = randomBytes(32).toString('hex');
let api: FakeApi;
let server: ApiServer;

beforeEach(async () => {
  api = new FakeApi();
  server = await startApiServer({ api, port: 0, token: TOKEN, log: silentLogger() });
});

afterEach(async () => {
  await server.close();
});

const tick = (n: number): NodeEvent => ({ type: 'stream', event: 'tick', stream: { ...api.stream, ticks: n, lastTickAt: 1_700_000_000_000 + n } });

describe('the event feed under bursts', () => {
  it('a reading client gets every event of a burst far larger than one write, in order', async () => {
    const got: number[] = [];
    const feed = new ApiClient({ url: server.url, token: TOKEN }).events((e) => {
      if (e.type === 'stream') got.push(e.stream.ticks);
    });
    await feed.ready;
    const n = 5_000; // ~2 MB of frames, more than the bound, emitted in one go
    for (let i = 1; i <= n; i++) api.emit(tick(i));
    await vi.waitFor(() => expect(got).toHaveLength(n), { timeout: 20_000 });
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    feed.close();
    expect(await feed.done).toBeUndefined();
  });

  it('a client that stops reading is dropped with 1013 once its backlog passes the bound', async () => {
    const ws = new WebSocket(server.url.replace(/^http/, 'ws') + '/v1/events', { headers: { authorization: `Bearer ${TOKEN}` } });
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    (ws as unknown as { _socket: { pause(): void } })._socket.pause(); // reads nothing more
    let sent = 0;
    // ~30 MB offered in bursts: far more than the kernel's socket buffers and the bound together.
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 500; i++) api.emit(tick(++sent));
      await new Promise((r) => setImmediate(r));
    }
    expect(sent * 300).toBeGreaterThan(20 * MAX_BUFFERED_BYTES);
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toBe(1013);
  });
});
