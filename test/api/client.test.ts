// ApiClient against the real server and a fake NodeApi: exact bigints both ways, typed errors.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ApiClient, ApiClientError } from '../../src/api/client.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { ApiError, type NodeEvent } from '../../src/api/types.js';
import { silentLogger } from '../../src/util/log.js';
import { BIG, FakeApi, channelId, nodeId, streamId } from './fake-api.js';

const TOKEN = randomBytes(32).toString('hex');
let api: FakeApi;
let server: ApiServer;
let client: ApiClient;

beforeEach(async () => {
  api = new FakeApi();
  server = await startApiServer({ api, port: 0, token: TOKEN, log: silentLogger() });
  client = new ApiClient({ url: server.url, token: TOKEN });
});

afterEach(async () => {
  await server.close();
});

/** A port nothing listens on: bind one, note it, release it. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function rejection(p: Promise<unknown>): Promise<ApiClientError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ApiClientError);
  return e as ApiClientError;
}

describe('round trips', () => {
  it('decodes every view with exact bigints', async () => {
    const info = await client.info();
    expect(info).toEqual(await api.info());
    expect(await client.wallet()).toEqual({ address: api.self, balance: BIG, nonce: 7, inChannels: 1500n });
    expect(await client.faucet(BIG)).toEqual({ txid: 'ab'.repeat(32), balance: BIG + 1n });
    const chans = await client.listChannels();
    expect(chans[0]).toEqual(api.channel);
    expect(chans[0]!.seq).toBe(18_446_744_073_709_551_615n);
    expect(chans[1]!.payout).toEqual({ local: BIG, remote: 0n });
    expect((await client.listPeers())[0]).toEqual({ nodeId: api.peer, address: '127.0.0.1:9735', connected: true, channels: 1 });
  });

  it('sends exact bigints', async () => {
    const peerId = nodeId();
    const id = channelId();
    await client.openChannel({ peerId, capacity: BIG, push: BIG - 1n });
    await client.openChannel({ peerId, capacity: 5n });
    const paid = await client.pay({ peerId, amount: BIG });
    expect(paid.amount).toBe(BIG);
    const closed = await client.closeChannel({ channelId: id, force: true });
    expect(closed.txid).toBe('cd'.repeat(32));
    expect(await client.connectPeer(`${peerId}@[::1]:9735`)).toMatchObject({ nodeId: peerId, connected: true });
    expect(api.calls.map((c) => c.args[0])).toEqual([
      { peerId, capacity: BIG, push: BIG - 1n },
      { peerId, capacity: 5n, push: 0n },
      { peerId, amount: BIG },
      { channelId: id, force: true },
      `${peerId}@[::1]:9735`,
    ]);
  });
});

describe('streams', () => {
  it('listStreams decodes every field, exact bigints, absent optionals left out', async () => {
    const [ours, theirs] = await client.listStreams();
    expect(ours).toEqual(api.stream);
    expect(ours!.max).toBe(BIG);
    expect(ours!.remaining).toBe(BIG - 30n);
    expect(theirs).toStrictEqual((await api.listStreams())[1]);
    expect(theirs!.paid).toBe(BIG);
    expect(theirs!.ratePerMs).toBe(2_000 / 60_000);
    expect(Object.keys(theirs!)).not.toContain('max');
  });

  it('openStream sends exact bigints and only the options given', async () => {
    const peerId = nodeId();
    const s = await client.openStream({ peerId, rate: '10msat/s', max: BIG, durationMs: 90_000, mode: 'hashchain', billing: 'prorata' });
    expect(s).toMatchObject({ streamId: api.stream.streamId, peerId, mode: 'hashchain', max: BIG, remaining: BIG, durationMs: 90_000, paid: 0n });
    await client.openStream({ peerId, rate: '1sat/min' });
    expect(api.calls.map((c) => c.args[0])).toStrictEqual([
      { peerId, rate: '10msat/s', max: BIG, durationMs: 90_000, mode: 'hashchain', billing: 'prorata' },
      { peerId, rate: '1sat/min' },
    ]);
  });

  it('controlStream', async () => {
    const id = streamId();
    expect(await client.controlStream({ streamId: id, action: 'pause' })).toMatchObject({ streamId: id, status: 'paused', paid: 30n });
    expect(await client.controlStream({ streamId: id, action: 'resume' })).toMatchObject({ status: 'active' });
    expect(await client.controlStream({ streamId: id, action: 'stop' })).toMatchObject({ status: 'stopped', reason: 'stopped by the payer' });
    expect(api.calls.map((c) => c.args[0])).toEqual(['pause', 'resume', 'stop'].map((action) => ({ streamId: id, action })));
  });

  it('a bad stream id is a 400 naming the field', async () => {
    const e = await rejection(client.controlStream({ streamId: 'nope', action: 'stop' }));
    expect([e.status, e.code]).toEqual([400, 'BAD_REQUEST']);
    expect(e.message).toMatch(/^streamId: expected 32 hex characters/);
    expect(api.calls).toEqual([]);
  });
});

describe('errors', () => {
  it('an ApiError arrives as ApiClientError with status, code and message', async () => {
    api.failWith(new ApiError(422, 'INSUFFICIENT_FUNDS', 'local balance 10 sat is less than 20 sat'));
    const e = await rejection(client.pay({ peerId: nodeId(), amount: 20_000n }));
    expect([e.status, e.code, e.message]).toEqual([422, 'INSUFFICIENT_FUNDS', 'local balance 10 sat is less than 20 sat']);
  });

  it('a 400 names the field', async () => {
    const e = await rejection(client.pay({ peerId: 'nope', amount: 1n }));
    expect([e.status, e.code]).toEqual([400, 'BAD_REQUEST']);
    expect(e.message).toMatch(/^peerId: /);
  });

  it('a wrong token says where the token comes from', async () => {
    const bad = new ApiClient({ url: server.url, token: 'f'.repeat(64) });
    const e = await rejection(bad.info());
    expect([e.status, e.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(e.message).toMatch(/--token/);
  });

  it('nothing listening -> UNREACHABLE with a hint', async () => {
    const url = `http://127.0.0.1:${await deadPort()}`;
    const e = await rejection(new ApiClient({ url, token: TOKEN }).info());
    expect([e.status, e.code]).toEqual([0, 'UNREACHABLE']);
    expect(e.message).toBe(`no node answering at ${url}; is \`sluice node start\` running?`);
  });

  it('a bad URL is refused up front', () => {
    expect(() => new ApiClient({ url: 'ftp://x', token: TOKEN })).toThrow(ApiClientError);
    expect(() => new ApiClient({ url: 'not a url', token: TOKEN })).toThrow(/not a URL/);
  });

  it('server messages are flattened to one line without control characters', async () => {
    api.failWith(new ApiError(409, 'BUSY', 'line one\nline two \u001b[31mred'));
    const e = await rejection(client.info());
    expect(e.message).toBe('line one line two [31mred');
  });
});

describe('events', () => {
  it('a malformed stream event ends the feed with BAD_RESPONSE', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => ws.send(JSON.stringify({ type: 'stream', event: 'tick', stream: { streamId: 'x', paid: 5 } })));
    const url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const feed = new ApiClient({ url, token: TOKEN }).events(() => undefined);
    const e = await feed.done;
    expect(e?.code).toBe('BAD_RESPONSE');
    expect(e?.message).toMatch(/malformed event/);
    await new Promise((r) => wss.close(r));
  });

  it('delivers decoded events and ends quietly on close()', async () => {
    const got: NodeEvent[] = [];
    const feed = client.events((e) => got.push(e));
    await feed.ready;
    api.emit({ type: 'payment', direction: 'sent', channelId: api.channel.channelId, peerId: api.peer, amount: BIG, seq: 2n });
    await vi.waitFor(() => expect(got).toHaveLength(1));
    expect(got[0]).toEqual({ type: 'payment', direction: 'sent', channelId: api.channel.channelId, peerId: api.peer, amount: BIG, seq: 2n });
    feed.close();
    expect(await feed.done).toBeUndefined();
  });

  it('decodes stream events with exact bigints', async () => {
    const got: NodeEvent[] = [];
    const feed = client.events((e) => got.push(e));
    await feed.ready;
    const tick = { ...api.stream, ticks: 4, paid: BIG, remaining: 0n, late: true, lastTickAt: 1_700_000_123_456 };
    const finished = { ...api.stream, status: 'finished' as const, reason: 'max reached' };
    delete finished.durationMs;
    api.emit({ type: 'stream', event: 'tick', stream: tick });
    api.emit({ type: 'stream', event: 'finished', stream: finished });
    await vi.waitFor(() => expect(got).toHaveLength(2));
    expect(got[0]).toEqual({ type: 'stream', event: 'tick', stream: tick });
    expect(got[1]).toStrictEqual({ type: 'stream', event: 'finished', stream: finished });
    feed.close();
    await feed.done;
  });

  it('reports the node going away', async () => {
    const feed = client.events(() => undefined);
    await feed.ready;
    await server.close();
    const e = await feed.done;
    expect(e?.code).toBe('FEED_CLOSED');
    expect(e?.message).toMatch(/closed the event feed \(1001 node stopping\)/);
  });

  it('a wrong token fails ready with 401', async () => {
    const feed = new ApiClient({ url: server.url, token: 'f'.repeat(64) }).events(() => undefined);
    const e = await rejection(feed.ready);
    expect(e.status).toBe(401);
    expect((await feed.done)?.status).toBe(401);
  });

  it('nothing listening fails ready with UNREACHABLE', async () => {
    const feed = new ApiClient({ url: `http://127.0.0.1:${await deadPort()}`, token: TOKEN }).events(() => undefined);
    expect((await rejection(feed.ready)).code).toBe('UNREACHABLE');
  });

  it('skips event types and stream event kinds it does not know (a newer node) but keeps following', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => {
      ws.send(JSON.stringify({ type: 'gossip', id: 'x' }));
      ws.send(JSON.stringify({ type: 'stream', event: 'migrated', stream: { streamId: 'x' } }));
      ws.send(JSON.stringify({ type: 'ledger', height: 9 }));
    });
    const got: NodeEvent[] = [];
    const url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const feed = new ApiClient({ url, token: TOKEN }).events((e) => got.push(e));
    await vi.waitFor(() => expect(got).toEqual([{ type: 'ledger', height: 9 }]));
    feed.close();
    await feed.done;
    await new Promise((r) => wss.close(r));
  });
});
