// The control API server against a fake NodeApi, spoken to with plain fetch and ws so the wire
// format itself is what gets checked.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { ApiError } from '../../src/api/types.js';
import { NodeError } from '../../src/node/errors.js';
import { createLogger } from '../../src/util/log.js';
import { BIG, FakeApi, channelId, nodeId, streamId } from './fake-api.js';

const TOKEN = randomBytes(32).toString('hex');
let api: FakeApi;
let server: ApiServer;
let logs: string[];

beforeEach(async () => {
  api = new FakeApi();
  logs = [];
  const log = createLogger({ level: 'trace', json: true, stream: { write: (s) => logs.push(s) } });
  server = await startApiServer({ api, port: 0, token: TOKEN, log });
});

afterEach(async () => {
  await server.close();
});

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

async function call(method: string, path: string, body?: unknown, opts: { token?: string | null; raw?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  const res = await fetch(server.url + path, {
    method,
    headers,
    body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const ROUTES: [string, string, unknown?][] = [
  ['GET', '/v1/info'],
  ['GET', '/v1/wallet'],
  ['POST', '/v1/wallet/faucet', { amount: '1000' }],
  ['POST', '/v1/peers', { target: `${nodeId()}@127.0.0.1:9735` }],
  ['GET', '/v1/peers'],
  ['POST', '/v1/channels', { peerId: nodeId(), capacity: '1000000' }],
  ['GET', '/v1/channels'],
  ['POST', `/v1/channels/${channelId()}/close`, {}],
  ['POST', '/v1/payments', { peerId: nodeId(), amount: '1' }],
  ['POST', '/v1/streams', { peerId: nodeId(), rate: '10msat/s' }],
  ['GET', '/v1/streams'],
  ['POST', `/v1/streams/${streamId()}/pause`],
  ['POST', `/v1/streams/${streamId()}/resume`],
  ['POST', `/v1/streams/${streamId()}/stop`, {}],
  ['GET', '/v1/nowhere'],
];

describe('authorization', () => {
  it.each(ROUTES)('%s %s without a token is 401 and the node is not called', async (method, path, body) => {
    for (const token of [null, 'f'.repeat(64), TOKEN.slice(0, 63), '']) {
      const r = await call(method, path, body, { token });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(api.calls).toEqual([]);
  });

  it('rejects another scheme carrying the right token', async () => {
    const res = await fetch(`${server.url}/v1/info`, { headers: { authorization: `Basic ${TOKEN}` } });
    expect(res.status).toBe(401);
    expect(api.calls).toEqual([]);
  });

  it('refuses the event feed upgrade without the token', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/events`, { headers: { authorization: 'Bearer nope' } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('opened')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(401);
    expect(api.listenerCount).toBe(0);
  });

  it('never logs the token or the Authorization header', async () => {
    await call('GET', '/v1/info');
    await call('GET', '/v1/info', undefined, { token: 'wrong-token-value' });
    api.failWith(new Error(`boom ${'x'}`));
    await call('GET', '/v1/wallet');
    const all = logs.join('');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('wrong-token-value');
    expect(all.toLowerCase()).not.toContain('bearer');
  });
});

describe('routes', () => {
  it('GET /v1/info', async () => {
    const r = await call('GET', '/v1/info');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ nodeId: api.self, height: 42, channels: { open: 1, closed: 2 }, peers: { connected: 1, known: 2 } });
  });

  it('GET /v1/wallet sends amounts as exact decimal strings', async () => {
    const r = await call('GET', '/v1/wallet');
    expect(r.body).toEqual({ address: api.self, balance: BIG.toString(), nonce: 7, inChannels: '1500' });
  });

  it('POST /v1/wallet/faucet', async () => {
    const r = await call('POST', '/v1/wallet/faucet', { amount: BIG.toString() });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ txid: 'ab'.repeat(32), balance: (BIG + 1n).toString() });
    expect(api.calls).toEqual([{ method: 'faucet', args: [BIG] }]);
  });

  it('POST /v1/peers normalizes the target', async () => {
    const id = nodeId();
    const r = await call('POST', '/v1/peers', { target: `${id.toUpperCase()}@localhost:9735` });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ nodeId: id, address: 'localhost:9735', connected: true, channels: 0 });
    expect(api.calls[0]).toEqual({ method: 'connectPeer', args: [`${id}@localhost:9735`] });
  });

  it('GET /v1/peers', async () => {
    const r = await call('GET', '/v1/peers');
    expect(r.body).toHaveLength(2);
    expect(r.body[0]).toEqual({ nodeId: api.peer, address: '127.0.0.1:9735', connected: true, channels: 1 });
    expect(r.body[1]).not.toHaveProperty('address');
  });

  it('POST /v1/channels with and without push', async () => {
    const peerId = nodeId();
    const r = await call('POST', '/v1/channels', { peerId, capacity: '5000000', push: '1000' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ peerId, capacity: '5000000', localBalance: '4999000', remoteBalance: '1000', seq: '0', status: 'open' });
    await call('POST', '/v1/channels', { peerId, capacity: '7' });
    expect(api.calls.map((c) => c.args[0])).toEqual([
      { peerId, capacity: 5_000_000n, push: 1000n },
      { peerId, capacity: 7n, push: 0n },
    ]);
  });

  it('GET /v1/channels', async () => {
    const r = await call('GET', '/v1/channels');
    expect(r.body[0]).toEqual({
      channelId: api.channel.channelId,
      peerId: api.peer,
      side: 'A',
      status: 'open',
      capacity: BIG.toString(),
      localBalance: (BIG - 1000n).toString(),
      remoteBalance: '1000',
      seq: '18446744073709551615',
      pendingUpdates: 0,
      reserve: (BIG / 100n).toString(),
      localSpendable: (BIG - 1000n - BIG / 100n).toString(),
      remoteSpendable: '0',
    });
    expect(r.body[1]).toMatchObject({ status: 'closed', settleHeight: 40, payout: { local: BIG.toString(), remote: '0' } });
  });

  it('POST /v1/channels/:id/close, cooperative by default, force on request, empty body allowed', async () => {
    const id = channelId();
    const r = await call('POST', `/v1/channels/${id}/close`, {});
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ channelId: id, status: 'closing', settleHeight: 52, txid: 'cd'.repeat(32) });
    await call('POST', `/v1/channels/${id.toUpperCase()}/close`, { force: true });
    await call('POST', `/v1/channels/${id}/close`);
    expect(api.calls.map((c) => c.args[0])).toEqual([
      { channelId: id, force: false },
      { channelId: id, force: true },
      { channelId: id, force: false },
    ]);
  });

  it('POST /v1/payments', async () => {
    const peerId = nodeId();
    const r = await call('POST', '/v1/payments', { peerId, amount: '1500' });
    expect(r.body).toEqual({ paymentId: 'ef'.repeat(16), channelId: api.channel.channelId, peerId, amount: '1500', seq: '19' });
    expect(api.calls[0]).toEqual({ method: 'pay', args: [{ peerId, amount: 1500n }] });
  });
});

describe('stream routes', () => {
  it('POST /v1/streams with every option, amounts as exact decimal strings', async () => {
    const peerId = nodeId();
    const r = await call('POST', '/v1/streams', {
      peerId: peerId.toUpperCase(),
      rate: ' 10msat/s ',
      max: BIG.toString(),
      durationMs: 60_000,
      mode: 'hashchain',
      billing: 'interval',
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      streamId: api.stream.streamId,
      peerId,
      channelId: api.channel.channelId,
      role: 'payer',
      mode: 'hashchain',
      status: 'active',
      rate: '10 msat/s',
      rateAmount: '10',
      ratePerMs: 0.01,
      tickMs: 1000,
      max: BIG.toString(),
      durationMs: 60_000,
      ticks: 0,
      paid: '0',
      startedAt: expect.any(Number),
      remaining: BIG.toString(),
      late: false,
    });
    expect(api.calls).toEqual([
      { method: 'openStream', args: [{ peerId, rate: '10msat/s', max: BIG, durationMs: 60_000, mode: 'hashchain', billing: 'interval' }] },
    ]);
  });

  it('POST /v1/streams with only peerId and rate passes no options and omits absent fields', async () => {
    const peerId = nodeId();
    const r = await call('POST', '/v1/streams', { peerId, rate: '2sat/min' });
    expect(r.status).toBe(200);
    expect(r.body).not.toHaveProperty('max');
    expect(r.body).not.toHaveProperty('remaining');
    expect(r.body).not.toHaveProperty('durationMs');
    expect(r.body).not.toHaveProperty('reason');
    expect(api.calls[0]!.args[0]).toStrictEqual({ peerId, rate: '2sat/min' });
  });

  it('GET /v1/streams', async () => {
    const r = await call('GET', '/v1/streams');
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(2);
    expect(r.body[0]).toMatchObject({
      streamId: api.stream.streamId,
      max: BIG.toString(),
      paid: '30',
      remaining: (BIG - 30n).toString(),
      late: false,
      startedAt: api.stream.startedAt,
    });
    expect(r.body[1]).toEqual({
      streamId: 'ab'.repeat(16),
      peerId: api.peer,
      channelId: api.channel.channelId,
      role: 'payee',
      mode: 'hashchain',
      status: 'finished',
      rate: '2 sat/min',
      rateAmount: '2000',
      ratePerMs: 2_000 / 60_000,
      tickMs: 1000,
      ticks: 60,
      paid: BIG.toString(),
      startedAt: 1_700_000_000_000,
      reason: 'duration reached',
    });
  });

  it.each([
    ['pause', 'paused'],
    ['resume', 'active'],
    ['stop', 'stopped'],
  ] as const)('POST /v1/streams/:id/%s', async (action, status) => {
    const id = streamId();
    const r = await call('POST', `/v1/streams/${id.toUpperCase()}/${action}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ streamId: id, status, paid: '30' });
    await call('POST', `/v1/streams/${id}/${action}`, {});
    expect(api.calls).toEqual([
      { method: 'controlStream', args: [{ streamId: id, action }] },
      { method: 'controlStream', args: [{ streamId: id, action }] },
    ]);
  });

  it('an unknown stream action is 404, GET of an action 405, DELETE of /v1/streams 405', async () => {
    expect((await call('POST', `/v1/streams/${streamId()}/explode`, {})).status).toBe(404);
    expect((await call('POST', `/v1/streams/${streamId()}`, {})).status).toBe(404);
    const r = await call('GET', `/v1/streams/${streamId()}/stop`);
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    expect((await call('DELETE', '/v1/streams')).headers.get('allow')).toBe('POST, GET');
    expect(api.calls).toEqual([]);
  });

  it('a refusal from the node keeps its status and code', async () => {
    // (a rate that does not parse never gets this far: the request rules refuse it with a 400)
    api.failWith(new ApiError(422, 'BAD_RATE', 'the payee does not sell at 10 msat/s'));
    const r = await call('POST', '/v1/streams', { peerId: nodeId(), rate: '10msat/s' });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({ error: { code: 'BAD_RATE', message: 'the payee does not sell at 10 msat/s' } });
  });

  it.each([
    ['invalid', 400], ['notFound', 404], ['conflict', 409], ['refused', 422], ['unavailable', 503],
  ] as const)('a node error of kind %s is HTTP %s, with its code', async (kind, status) => {
    api.failWith(new NodeError(kind, 'SOME_CODE', 'what happened'));
    const r = await call('POST', '/v1/streams', { peerId: nodeId(), rate: '10msat/s' });
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ error: { code: 'SOME_CODE', message: 'what happened' } });
  });
});

describe('bad input', () => {
  const id = nodeId();
  const cases: [string, string, unknown, RegExp][] = [
    ['/v1/wallet/faucet', 'number amount', { amount: 1000 }, /^amount: /],
    ['/v1/wallet/faucet', 'human amount', { amount: '10sat' }, /^amount: /],
    ['/v1/wallet/faucet', 'negative amount', { amount: '-5' }, /^amount: /],
    ['/v1/wallet/faucet', 'zero amount', { amount: '0' }, /^amount: must be more than 0/],
    ['/v1/wallet/faucet', 'too large', { amount: '9223372036854775808' }, /^amount: /],
    ['/v1/wallet/faucet', 'missing amount', {}, /^amount: /],
    ['/v1/wallet/faucet', 'not an object', ['1000'], /^body: /],
    ['/v1/peers', 'no @', { target: id }, /^target: expected NODEID@HOST:PORT/],
    ['/v1/peers', 'short node id', { target: `${id.slice(2)}@h:1` }, /^target node id: /],
    ['/v1/peers', 'no port', { target: `${id}@host` }, /^target: /],
    ['/v1/peers', 'port 0', { target: `${id}@host:0` }, /^target: /],
    ['/v1/peers', 'port too big', { target: `${id}@host:65536` }, /^target: /],
    ['/v1/channels', 'peerId not hex', { peerId: 'z'.repeat(66), capacity: '1' }, /^peerId: /],
    ['/v1/channels', 'peerId not a point', { peerId: '04' + '00'.repeat(32), capacity: '1' }, /^peerId: /],
    ['/v1/channels', 'capacity float', { peerId: id, capacity: '1.5' }, /^capacity: /],
    ['/v1/channels', 'push past capacity', { peerId: id, capacity: '10', push: '11' }, /^push: /],
    ['/v1/channels', 'unknown field', { peerId: id, capacity: '10', pushh: '1' }, /^pushh: unknown field/],
    [`/v1/channels/${'ab'.repeat(31)}/close`, 'short channel id', {}, /^channelId: /],
    [`/v1/channels/${'zz'.repeat(32)}/close`, 'channel id not hex', {}, /^channelId: /],
    [`/v1/channels/${'ab'.repeat(32)}/close`, 'force a string', { force: 'yes' }, /^force: /],
    ['/v1/payments', 'missing peerId', { amount: '1' }, /^peerId: /],
    ['/v1/payments', 'amount null', { peerId: id, amount: null }, /^amount: /],
    ['/v1/streams', 'missing peerId', { rate: '10msat/s' }, /^peerId: /],
    ['/v1/streams', 'short peerId', { peerId: id.slice(2), rate: '10msat/s' }, /^peerId: /],
    ['/v1/streams', 'missing rate', { peerId: id }, /^rate: /],
    ['/v1/streams', 'rate a number', { peerId: id, rate: 10 }, /^rate: /],
    ['/v1/streams', 'rate empty', { peerId: id, rate: '  ' }, /^rate: /],
    ['/v1/streams', 'rate too long', { peerId: id, rate: '1'.repeat(65) + 'msat/s' }, /^rate: longer than 64/],
    ['/v1/streams', 'rate with control characters', { peerId: id, rate: '10msat/s\u001b[2J' }, /^rate: /],
    ['/v1/streams', 'max human', { peerId: id, rate: '1msat/s', max: '10sat' }, /^max: /],
    ['/v1/streams', 'max a number', { peerId: id, rate: '1msat/s', max: 1000 }, /^max: /],
    ['/v1/streams', 'max zero', { peerId: id, rate: '1msat/s', max: '0' }, /^max: must be more than 0/],
    ['/v1/streams', 'max null', { peerId: id, rate: '1msat/s', max: null }, /^max: /],
    ['/v1/streams', 'durationMs a string', { peerId: id, rate: '1msat/s', durationMs: '60s' }, /^durationMs: /],
    ['/v1/streams', 'durationMs a fraction', { peerId: id, rate: '1msat/s', durationMs: 1.5 }, /^durationMs: /],
    ['/v1/streams', 'durationMs zero', { peerId: id, rate: '1msat/s', durationMs: 0 }, /^durationMs: must be more than 0/],
    ['/v1/streams', 'durationMs negative', { peerId: id, rate: '1msat/s', durationMs: -1 }, /^durationMs: /],
    ['/v1/streams', 'durationMs past a year', { peerId: id, rate: '1msat/s', durationMs: 366 * 86_400_000 }, /^durationMs: /],
    ['/v1/streams', 'unknown mode', { peerId: id, rate: '1msat/s', mode: 'trust' }, /^mode: expected one of signed, hashchain/],
    ['/v1/streams', 'unknown billing', { peerId: id, rate: '1msat/s', billing: 'monthly' }, /^billing: expected one of prorata, interval/],
    ['/v1/streams', 'unknown field', { peerId: id, rate: '1msat/s', maximum: '5' }, /^maximum: unknown field/],
    ['/v1/streams', 'not an object', 'go', /^body: /],
    [`/v1/streams/${'ab'.repeat(15)}/stop`, 'short stream id', {}, /^streamId: expected 32 hex characters/],
    [`/v1/streams/${'zz'.repeat(16)}/pause`, 'stream id not hex', {}, /^streamId: /],
    [`/v1/streams/${'ab'.repeat(32)}/resume`, 'a channel id for a stream id', {}, /^streamId: /],
    [`/v1/streams/${'ab'.repeat(16)}/stop`, 'a body with fields', { force: true }, /^force: unknown field \(this call takes no fields\)/],
  ];

  it.each(cases)('%s: %s -> 400 naming the field', async (path, _name, body, message) => {
    const r = await call('POST', path, body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('BAD_REQUEST');
    expect(r.body.error.message).toMatch(message);
    expect(api.calls).toEqual([]);
  });

  it('malformed JSON -> 400 BAD_JSON', async () => {
    const r = await call('POST', '/v1/payments', undefined, { raw: '{"peerId": ' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('BAD_JSON');
    expect(api.calls).toEqual([]);
  });

  it('a body past 64 KiB -> 413', async () => {
    const r = await call('POST', '/v1/payments', { peerId: 'a'.repeat(70_000), amount: '1' });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(api.calls).toEqual([]);
  });

  it('a chunked body past 64 KiB -> 413', async () => {
    const big = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < 10; i++) ctl.enqueue(new Uint8Array(10_000).fill(0x20));
        ctl.close();
      },
    });
    const res = await fetch(`${server.url}/v1/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: big,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(api.calls).toEqual([]);
  });

  it('unknown route -> 404, wrong method -> 405, plain GET of the feed -> 426', async () => {
    expect((await call('GET', '/v1/nowhere')).status).toBe(404);
    expect((await call('GET', '/v1/info/')).status).toBe(404);
    const r = await call('DELETE', '/v1/channels');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST, GET');
    expect((await call('GET', '/v1/events')).status).toBe(426);
    expect(api.calls).toEqual([]);
  });
});

describe('errors from the node', () => {
  it('ApiError keeps its status, code and message', async () => {
    api.failWith(new ApiError(409, 'CHANNEL_BUSY', 'channel is closing'));
    const r = await call('POST', '/v1/payments', { peerId: nodeId(), amount: '1' });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({ error: { code: 'CHANNEL_BUSY', message: 'channel is closing' } });
  });

  it('anything else is a generic 500, logged', async () => {
    api.failWith(new Error('database is on fire at /secret/path'));
    const r = await call('GET', '/v1/channels');
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('INTERNAL');
    expect(r.body.error.message).not.toContain('fire');
    expect(logs.join('')).toContain('database is on fire');
  });
});

describe('event feed', () => {
  function open(): Promise<{ ws: WebSocket; events: unknown[] }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const events: unknown[] = [];
      ws.on('message', (d) => events.push(JSON.parse(d.toString())));
      ws.on('open', () => resolve({ ws, events }));
      ws.on('error', reject);
    });
  }

  it('streams events as JSON text frames and unsubscribes on close', async () => {
    const { ws, events } = await open();
    expect(api.listenerCount).toBe(1);
    api.emit({ type: 'ledger', height: 7 });
    api.emit({ type: 'payment', direction: 'received', channelId: api.channel.channelId, peerId: api.peer, amount: BIG, seq: 3n });
    api.emit({ type: 'channel', channel: api.channel });
    api.emit({ type: 'peer', nodeId: api.peer, connected: false });
    await vi.waitFor(() => expect(events).toHaveLength(4));
    expect(events[0]).toEqual({ type: 'ledger', height: 7 });
    expect(events[1]).toMatchObject({ type: 'payment', amount: BIG.toString(), seq: '3' });
    expect(events[2]).toMatchObject({ type: 'channel', channel: { channelId: api.channel.channelId, seq: '18446744073709551615' } });
    expect(events[3]).toEqual({ type: 'peer', nodeId: api.peer, connected: false });
    ws.close();
    await vi.waitFor(() => expect(api.listenerCount).toBe(0));
  });

  it('carries stream events with the stream view encoded', async () => {
    const { ws, events } = await open();
    api.emit({ type: 'stream', event: 'tick', stream: { ...api.stream, ticks: 4, paid: BIG } });
    const finished = { ...api.stream, status: 'finished' as const, reason: 'max reached' };
    delete finished.remaining;
    api.emit({ type: 'stream', event: 'finished', stream: finished });
    await vi.waitFor(() => expect(events).toHaveLength(2));
    expect(events[0]).toMatchObject({ type: 'stream', event: 'tick', stream: { streamId: api.stream.streamId, ticks: 4, paid: BIG.toString() } });
    expect(events[1]).toMatchObject({ type: 'stream', event: 'finished', stream: { status: 'finished', reason: 'max reached' } });
    expect((events[1] as { stream: object }).stream).not.toHaveProperty('remaining');
    ws.close();
  });

  it('server close ends the feed with 1001', async () => {
    const { ws } = await open();
    const code = new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    await server.close();
    expect(await code).toBe(1001);
  });
});

describe('listening', () => {
  it('a wildcard bind reports a loopback URL that works', async () => {
    const wild = await startApiServer({ api, host: '0.0.0.0', port: 0, token: TOKEN, log: createLogger({ level: 'silent' }) });
    expect(wild.url).toBe(`http://127.0.0.1:${wild.port}`);
    const res = await fetch(`${wild.url}/v1/info`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    await wild.close();
  });

  it('refuses a token too short to be a secret', async () => {
    await expect(startApiServer({ api, port: 0, token: 'abc', log: createLogger({ level: 'silent' }) })).rejects.toThrow(/too short/);
  });
});
