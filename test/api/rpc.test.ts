// The control API's RPC channel (GET /v1/rpc) against a fake NodeApi: the token, one answer per
// call matched by id, answers out of order, the routes' own rules and errors per call, and the
// bounds on calls in flight, frame size and unread answers.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { ApiClient, ApiClientError } from '../../src/api/client.js';
import { MAX_CALLS_PER_FRAME, MAX_RPC_FRAME_BYTES, RPC_PATH, parseRpcFrame, type RpcLimits } from '../../src/api/rpc-server.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { ApiError, type PaymentResult } from '../../src/api/types.js';
import { silentLogger } from '../../src/util/log.js';
import { BIG, FakeApi, nodeId } from './fake-api.js';
import { until } from '../helpers/until.js';

const TOKEN = randomBytes(32).toString('hex');

/** A FakeApi whose payments of `held` msat wait until released, so calls can be kept in flight. */
class GatedApi extends FakeApi {
  held = -1n;
  private gates: (() => void)[] = [];
  get waiting(): number {
    return this.gates.length;
  }
  release(): void {
    for (const open of this.gates.splice(0)) open();
  }
  override async pay(opts: { peerId: string; amount: bigint }): Promise<PaymentResult> {
    if (opts.amount === this.held) await new Promise<void>((r) => this.gates.push(r));
    return super.pay(opts);
  }
}

let server: ApiServer | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server?.close();
  server = undefined;
});

async function start(rpcLimits: Partial<RpcLimits> = {}): Promise<{ api: GatedApi; client: ApiClient; url: string }> {
  const api = new GatedApi();
  server = await startApiServer({ api, port: 0, token: TOKEN, log: silentLogger(), rpcLimits });
  return { api, client: new ApiClient({ url: server.url, token: TOKEN }), url: server.url };
}

interface Frame {
  id: number | null;
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A bare WebSocket to the RPC channel that collects every answer (an array frame holds several). */
async function raw(url: string): Promise<{ ws: WebSocket; frames: Frame[]; next(n: number): Promise<Frame[]>; closed: Promise<number> }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + RPC_PATH, { headers: { authorization: `Bearer ${TOKEN}` } });
  sockets.push(ws);
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString()) as Frame | Frame[];
    frames.push(...(Array.isArray(f) ? f : [f]));
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  let taken = 0;
  const next = async (n: number) => {
    while (frames.length < taken + n) await new Promise<void>((r) => waiters.push(r));
    taken += n;
    return frames.slice(taken - n, taken);
  };
  return { ws, frames, next, closed };
}

const pay = (id: number, peerId: string, amount: string, extra: object = {}) =>
  JSON.stringify({ id, method: 'POST', path: '/v1/payments', body: { peerId, amount }, ...extra });

describe('the token', () => {
  it.each([['no token', undefined], ['a wrong token', 'f'.repeat(64)], ['a prefix of the token', TOKEN.slice(0, 63)]])(
    'an upgrade with %s is 401 and nothing is called',
    async (_what, token) => {
      const { api, url } = await start();
      const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
      const ws = new WebSocket(url.replace(/^http/, 'ws') + RPC_PATH, { headers });
      ws.on('error', () => undefined); // the refusal ends the handshake
      const status = await new Promise<number>((resolve) => {
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
      });
      expect(status).toBe(401);
      const e = await new ApiClient({ url, token: token ?? '' }).openRpc().catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ApiClientError);
      expect(e).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
      expect(api.calls).toEqual([]);
    },
  );

  it('plain HTTP to the RPC path is 426 (after the token check)', async () => {
    const { url } = await start();
    expect((await fetch(url + RPC_PATH)).status).toBe(401);
    const res = await fetch(url + RPC_PATH, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(426);
  });
});

describe('calls', () => {
  it('every payment answered with its own result, exact bigints', async () => {
    const { api, client } = await start();
    const peers = [nodeId(), nodeId()];
    const payments = Array.from({ length: 3000 }, (_, i) => ({ peerId: peers[i % 2]!, amount: BIG + BigInt(i) }));
    const out = await client.payMany(payments);
    expect(out).toHaveLength(payments.length);
    out.forEach((o, i) => {
      expect(o.ok).toBe(true);
      if (o.ok) expect(o.payment).toEqual({ paymentId: 'ef'.repeat(16), channelId: api.channel.channelId, peerId: payments[i]!.peerId, amount: BIG + BigInt(i), seq: 19n });
    });
    const paid = api.calls.filter((c) => c.method === 'pay').map((c) => (c.args[0] as { amount: bigint }).amount);
    expect(paid.sort((a, b) => (a < b ? -1 : 1))).toEqual(payments.map((p) => p.amount));
  });

  it('answers come as calls finish, not in the order asked', async () => {
    const { api, url } = await start();
    api.held = 5n;
    const c = await raw(url);
    const peer = nodeId();
    c.ws.send(pay(1, peer, '5'));
    c.ws.send(pay(2, peer, '6'));
    const [first] = await c.next(1);
    expect(first).toMatchObject({ id: 2, status: 200, body: { amount: '6' } });
    api.release();
    const [second] = await c.next(1);
    expect(second).toMatchObject({ id: 1, status: 200, body: { amount: '5' } });
  });

  it('bad items are refused one by one, with the HTTP codes, and the good ones still paid', async () => {
    const { api, client } = await start();
    const peer = nodeId();
    const out = await client.payMany([
      { peerId: peer, amount: 1n },
      { peerId: 'zz', amount: 2n },
      { peerId: peer, amount: 0n },
      { peerId: peer, amount: 4n },
    ]);
    expect(out.map((o) => (o.ok ? 'ok' : `${o.error.status} ${o.error.code} ${o.error.message}`))).toEqual([
      'ok',
      expect.stringMatching(/^400 BAD_REQUEST peerId: expected 66 hex characters/),
      expect.stringMatching(/^400 BAD_REQUEST amount: must be more than 0/),
      'ok',
    ]);
    expect(api.calls.map((c) => (c.args[0] as { amount: bigint }).amount)).toEqual([1n, 4n]);
  });

  it("a node's refusal reaches the one call it refused", async () => {
    const { api, client } = await start();
    const rpc = await client.openRpc();
    api.failWith(new ApiError(409, 'NO_ROUTE', 'no open channel can send it'));
    const e = await rpc.pay({ peerId: nodeId(), amount: 1n }).catch((err: unknown) => err);
    expect(e).toMatchObject({ status: 409, code: 'NO_ROUTE', message: 'no open channel can send it' });
    expect((await rpc.pay({ peerId: api.peer, amount: 2n })).amount).toBe(2n);
    await rpc.close();
  });

  it('answers exactly what the HTTP route answers, for good and bad input alike', async () => {
    const { url } = await start();
    const c = await raw(url);
    const cases: [string, string, unknown?][] = [
      ['GET', '/v1/info'],
      ['GET', '/v1/wallet'],
      ['POST', '/v1/payments', { peerId: nodeId(), amount: '12' }],
      ['POST', '/v1/payments', { peerId: nodeId(), amount: '12', forse: true }],
      ['POST', '/v1/payments', { peerId: nodeId(), amount: 12 }],
      ['POST', '/v1/payments', []],
      ['POST', '/v1/streams', { peerId: nodeId(), rate: '' }],
      ['POST', `/v1/streams/${'ab'.repeat(16)}/pause`],
      ['POST', '/v1/streams/nothex/pause'],
      ['GET', '/v1/payments'],
      ['GET', '/v1/nowhere'],
      ['GET', '/v1/events'],
    ];
    for (const [i, [method, path, body]] of cases.entries()) {
      c.ws.send(JSON.stringify({ id: i, method, path, ...(body === undefined ? {} : { body }) }));
      const [frame] = await c.next(1);
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const http = { status: res.status, body: (await res.json()) as unknown };
      // the two calls each build their own views; only the clock-made startedAt may differ
      const drop = (b: any) => JSON.parse(JSON.stringify(b, (k, v) => (k === 'startedAt' ? 0 : v))); // eslint-disable-line @typescript-eslint/no-explicit-any
      expect({ path, status: frame!.status, body: drop(frame!.body) }).toEqual({ path, status: http.status, body: drop(http.body) });
      expect(frame!.id).toBe(i);
    }
  });
});

describe('frames that are not requests', () => {
  it.each([
    ['not JSON', '{"id":', null, 'BAD_JSON'],
    ['an array', '[1]', null, 'BAD_REQUEST'],
    ['no id', '{"method":"GET","path":"/v1/info"}', null, 'BAD_REQUEST'],
    ['a negative id', '{"id":-1,"method":"GET","path":"/v1/info"}', null, 'BAD_REQUEST'],
    ['a fractional id', '{"id":1.5,"method":"GET","path":"/v1/info"}', null, 'BAD_REQUEST'],
    ['another method', '{"id":3,"method":"DELETE","path":"/v1/info"}', 3, 'BAD_REQUEST'],
    ['a path without a slash', '{"id":4,"method":"GET","path":"v1/info"}', 4, 'BAD_REQUEST'],
    ['a GET with a body', '{"id":5,"method":"GET","path":"/v1/info","body":{}}', 5, 'BAD_REQUEST'],
    ['an unknown field', '{"id":6,"method":"GET","path":"/v1/info","token":"x"}', 6, 'BAD_REQUEST'],
  ])('%s is answered 400 and the connection stays usable', async (_what, text, id, code) => {
    const { api, url } = await start();
    const c = await raw(url);
    c.ws.send(text);
    const [frame] = await c.next(1);
    expect(frame).toEqual({ id, status: 400, body: { error: { code, message: expect.any(String) } } });
    c.ws.send(JSON.stringify({ id: 9, method: 'GET', path: '/v1/wallet' }));
    expect((await c.next(1))[0]).toMatchObject({ id: 9, status: 200 });
    expect(api.calls.map((x) => x.method)).toEqual(['wallet']);
  });

  it('parseRpcFrame fills in a POST body and keeps a GET without one', () => {
    expect(parseRpcFrame('{"id":0,"method":"POST","path":"/v1/peers/x/disconnect"}')).toEqual([
      { ok: true, req: { id: 0, method: 'POST', path: '/v1/peers/x/disconnect', body: {} } },
    ]);
    expect(parseRpcFrame(`{"id":${Number.MAX_SAFE_INTEGER},"method":"GET","path":"/v1/info"}`)).toMatchObject([{ ok: true, req: { body: undefined } }]);
    expect(parseRpcFrame(`{"id":${Number.MAX_SAFE_INTEGER + 1},"method":"GET","path":"/v1/info"}`)).toMatchObject([{ ok: false, id: null }]);
  });

  it('a frame of many calls: each checked and answered on its own', async () => {
    const { api, url } = await start();
    const c = await raw(url);
    const peer = nodeId();
    c.ws.send(JSON.stringify([
      { id: 1, method: 'POST', path: '/v1/payments', body: { peerId: peer, amount: '5' } },
      { id: 2, method: 'POST', path: '/v1/payments', body: { peerId: peer, amount: 'five' } },
      { id: 3, method: 'PUT', path: '/v1/payments' },
      'not a call',
      { id: 5, method: 'GET', path: '/v1/wallet' },
    ]));
    const got = await c.next(5);
    const byId = (id: number | null) => got.filter((f) => f.id === id).map((f) => [f.status, f.body.error?.code ?? 'ok']);
    expect(byId(1)).toEqual([[200, 'ok']]);
    expect(byId(2)).toEqual([[400, 'BAD_REQUEST']]);
    expect(byId(3)).toEqual([[400, 'BAD_REQUEST']]);
    expect(byId(null)).toEqual([[400, 'BAD_REQUEST']]);
    expect(byId(5)).toEqual([[200, 'ok']]);
    expect(api.calls.map((x) => x.method)).toEqual(['pay', 'wallet']);
  });

  it.each([['empty', 0], ['too long', MAX_CALLS_PER_FRAME + 1]])('an array frame that is %s is refused whole', async (_what, n) => {
    const { api, url } = await start();
    const c = await raw(url);
    c.ws.send(JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: i, method: 'GET', path: '/v1/info' }))));
    expect(await c.next(1)).toEqual([{ id: null, status: 400, body: { error: { code: 'BAD_REQUEST', message: expect.stringMatching(/array of 1 to 256 calls/) } } }]);
    expect(api.calls).toEqual([]);
  });

  it('a binary frame is refused', async () => {
    const { url } = await start();
    const c = await raw(url);
    c.ws.send(Buffer.from('{"id":1,"method":"GET","path":"/v1/info"}'));
    expect((await c.next(1))[0]).toMatchObject({ id: null, status: 400, body: { error: { code: 'BAD_REQUEST' } } });
  });
});

describe('bounds', () => {
  it('one call past the bound in flight is refused 429 without running; a freed slot is usable again', async () => {
    const { api, url } = await start({ maxInFlight: 4 });
    api.held = 7n;
    const c = await raw(url);
    const peer = nodeId();
    for (let i = 0; i < 6; i++) c.ws.send(pay(i, peer, '7'));
    const refused = await c.next(2);
    expect(refused.map((f) => [f.id, f.status, f.body.error.code])).toEqual([
      [4, 429, 'TOO_MANY_IN_FLIGHT'],
      [5, 429, 'TOO_MANY_IN_FLIGHT'],
    ]);
    expect(api.waiting).toBe(4);
    // a read is a call too: also refused while four payments are held
    c.ws.send(JSON.stringify({ id: 10, method: 'GET', path: '/v1/info' }));
    expect((await c.next(1))[0]).toMatchObject({ id: 10, status: 429 });
    api.release();
    const done = await c.next(4);
    expect(done.map((f) => [f.id, f.status]).sort()).toEqual([[0, 200], [1, 200], [2, 200], [3, 200]]);
    c.ws.send(pay(11, peer, '8'));
    expect((await c.next(1))[0]).toMatchObject({ id: 11, status: 200, body: { amount: '8' } });
    expect(api.calls.filter((x) => x.method === 'pay')).toHaveLength(5);
  });

  it('an id already in flight is refused, the first call still answered', async () => {
    const { api, url } = await start();
    api.held = 7n;
    const c = await raw(url);
    const peer = nodeId();
    c.ws.send(pay(1, peer, '7'));
    c.ws.send(pay(1, peer, '8'));
    expect((await c.next(1))[0]).toMatchObject({ id: 1, status: 400, body: { error: { code: 'DUPLICATE_ID' } } });
    api.release();
    expect((await c.next(1))[0]).toMatchObject({ id: 1, status: 200, body: { amount: '7' } });
    expect(api.calls).toHaveLength(1);
  });

  it("the client's window keeps it under the node's bound: no call refused", async () => {
    const { client } = await start({ maxInFlight: 3 });
    const out = await client.payMany(
      Array.from({ length: 50 }, (_, i) => ({ peerId: nodeId(), amount: BigInt(i + 1) })),
      { maxInFlight: 3 },
    );
    expect(out.every((o) => o.ok)).toBe(true);
  });

  it("RPC connections count against the control API's cap on sockets", async () => {
    const api = new GatedApi();
    server = await startApiServer({ api, port: 0, token: TOKEN, log: silentLogger(), connectionLimits: { maxConnections: 2 } });
    const client = new ApiClient({ url: server.url, token: TOKEN });
    const held = [await client.openRpc(), await client.openRpc()];
    const third = await client.openRpc().then(
      (rpc) => rpc.close().then(() => 'opened'),
      (e: unknown) => e,
    );
    expect(third).toBeInstanceOf(ApiClientError);
    await held[0]!.close();
    // a socket freed is usable again (the server notices the close a moment later)
    const again = await until(() => client.openRpc().catch(() => undefined));
    expect((await again.pay({ peerId: api.peer, amount: 1n })).amount).toBe(1n);
    await Promise.all([again.close(), held[1]!.close()]);
  });

  it('a frame larger than the cap closes the connection (1009) and runs nothing', async () => {
    const { api, url } = await start();
    const c = await raw(url);
    c.ws.send(pay(1, nodeId(), '1', { body: { pad: 'x'.repeat(MAX_RPC_FRAME_BYTES) } }));
    expect(await c.closed).toBe(1009);
    expect(api.calls).toEqual([]);
  });

  it('a call the client stopped waiting for keeps its place in the window until the node answers it', async () => {
    const { api, url } = await start({ maxInFlight: 1 });
    api.held = 7n;
    const rpc = await new ApiClient({ url, token: TOKEN, timeoutMs: 300 }).openRpc({ maxInFlight: 1 });
    const first = rpc.pay({ peerId: api.peer, amount: 7n }).catch((e: unknown) => e);
    const second = rpc.pay({ peerId: api.peer, amount: 8n });
    expect(await first).toMatchObject({ code: 'TIMEOUT' });
    // the node still runs the first call: sending the second now would be refused 429
    expect(rpc.inFlight).toBe(1);
    expect(api.waiting).toBe(1);
    api.release();
    expect((await second).amount).toBe(8n);
    expect(api.calls.map((c) => (c.args[0] as { amount: bigint }).amount)).toEqual([7n, 8n]);
    await rpc.close();
  });

  it('the client refuses a call larger than a frame itself, so the calls beside it survive', async () => {
    const { api, client } = await start();
    const rpc = await client.openRpc();
    const big = rpc.call('POST', '/v1/payments', { pad: 'x'.repeat(MAX_RPC_FRAME_BYTES) });
    const ok = rpc.pay({ peerId: api.peer, amount: 3n });
    expect(await big.catch((e: unknown) => e)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect((await ok).amount).toBe(3n);
    await rpc.close();
  });

  it('a client that does not read its answers is dropped (1013)', async () => {
    const { url } = await start({ maxBufferedBytes: 64 * 1024 });
    const c = await raw(url);
    const socket = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause(); // stop reading: answers pile up in the kernel, then in the server's buffer
    let sent = 0;
    const closedBy = await new Promise<number>((resolve) => {
      void c.closed.then(resolve);
      const push = () => {
        if (c.ws.readyState !== WebSocket.OPEN) return;
        // calls answered at once (GET /v1/channels answers ~1 KB), in rounds within the bound in flight
        for (let i = 0; i < 500; i++) c.ws.send(JSON.stringify({ id: sent++, method: 'GET', path: '/v1/channels' }));
        if (sent < 200_000) setTimeout(push, 5);
        else socket.resume();
      };
      push();
      const watch = setInterval(() => {
        // once the server gave up it sent its close frame; read again to receive it
        if (sent >= 20_000) socket.resume();
        if (c.ws.readyState === WebSocket.CLOSED) clearInterval(watch);
      }, 50);
    });
    expect(closedBy).toBe(1013);
    expect(c.frames.length).toBeLessThan(sent);
  }, 60_000);
});
