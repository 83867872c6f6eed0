// The routing routes (invoices, routed payments, routes, graph, policy) through the real server and
// ApiClient against a fake NodeApi: every view round-trips with exact bigints, and bad bodies are
// refused with the field named before the node is asked anything.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ApiClient, ApiClientError } from '../../src/api/client.js';
import { MAX_INVOICE_CHARS } from '../../src/api/routing-requests.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { silentLogger } from '../../src/util/log.js';
import { BIG, FakeApi, channelId, nodeId } from './fake-api.js';
import { MAX_FEE_BASE_MSAT } from '../../src/api/routing-requests.js';

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

async function post(path: string, body: unknown): Promise<{ status: number; json: { error?: { code: string; message: string } } }> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as never };
}

describe('routing views round-trip with exact bigints', () => {
  it('invoices', async () => {
    expect(await client.createInvoice({ amount: BIG, description: 'coffee', expirySeconds: 600 })).toEqual(api.invoiceView({ amount: BIG, description: 'coffee', expirySeconds: 600 }));
    expect(await client.createInvoice({ description: '' })).toEqual(api.invoiceView({ description: '' }));
    expect(await client.listInvoices()).toEqual(await new FakeApi().listInvoices().then((l) => l.map((i) => ({ ...i }))));
    expect(await client.decodeInvoice('lnsb1x')).toEqual(await api.decodeInvoice('lnsb1x'));
  });

  it('payments, routes, graph and policy', async () => {
    const to = nodeId();
    expect(await client.payInvoice({ invoice: 'lnsb1x', maxFee: BIG, timeoutMs: 5000 })).toEqual(api.payment(api.peer, 1_000n, 'invoice'));
    expect(await client.payNode({ nodeId: to, amount: BIG })).toEqual(api.payment(to, BIG, 'keysend'));
    expect(await client.listPayments()).toEqual(await api.listPayments());
    expect(await client.queryRoute({ nodeId: to, amount: BIG })).toEqual({ amount: BIG, fee: 1_001n, hops: api.route(to, BIG) });
    expect(await client.graph()).toEqual(await api.graph());
    expect(await client.listForwards()).toEqual(await api.listForwards());
    const id = channelId();
    expect(await client.channelPolicy({ channelId: id })).toEqual({ feeBase: 1_000n, feePpm: 1, cltvExpiryDelta: 12, htlcMinimum: 1n });
    expect(await client.channelPolicy({ channelId: id, update: { feeBase: MAX_FEE_BASE_MSAT, htlcMaximum: BIG } })).toMatchObject({ feeBase: MAX_FEE_BASE_MSAT, htlcMaximum: BIG });
    const calls = api.calls.filter((c) => ['payInvoice', 'payNode', 'channelPolicy'].includes(c.method)).map((c) => c.args[0]);
    expect(calls).toEqual([
      { invoice: 'lnsb1x', maxFee: BIG, timeoutMs: 5000 },
      { nodeId: to, amount: BIG },
      { channelId: id },
      { channelId: id, update: { feeBase: MAX_FEE_BASE_MSAT, htlcMaximum: BIG } },
    ]);
  });
});

describe('bad bodies are refused with the field named, and the node is not asked', () => {
  const table: [string, string, unknown, RegExp][] = [
    ['an unknown field on a pay', '/v1/payments/invoice', { invoice: 'lnsb1x', maxfee: '1' }, /maxfee: unknown field/],
    ['no invoice', '/v1/payments/invoice', {}, /invoice: expected a BOLT 11 invoice string/],
    ['an invoice past one QR code', '/v1/payments/invoice', { invoice: 'l'.repeat(MAX_INVOICE_CHARS + 1) }, /longer than 4296/],
    ['a zero amount for an invoice', '/v1/payments/invoice', { invoice: 'lnsb1x', amount: '0' }, /amount: must be more than 0/],
    ['a fee limit as a JSON number', '/v1/payments/invoice', { invoice: 'lnsb1x', maxFee: 5 }, /maxFee/],
    ['a timeout under a second', '/v1/payments/invoice', { invoice: 'lnsb1x', timeoutMs: 10 }, /timeoutMs: must be at least 1000/],
    ['a timeout over ten minutes', '/v1/payments/invoice', { invoice: 'lnsb1x', timeoutMs: 600_001 }, /timeoutMs/],
    ['a keysend to a bad node id', '/v1/payments/keysend', { nodeId: 'zz', amount: '5' }, /nodeId/],
    ['a keysend of nothing', '/v1/payments/keysend', { nodeId: nodeId(), amount: '0' }, /amount: must be more than 0/],
    ['an invoice description past BOLT 11\'s 639 bytes', '/v1/invoices', { description: 'x'.repeat(640) }, /description: longer than 639/],
    ['an invoice that expires at once', '/v1/invoices', { description: '', expirySeconds: 0 }, /expirySeconds: must be at least 1/],
    ['an invoice that lasts past a year', '/v1/invoices', { description: '', expirySeconds: 365 * 24 * 3600 + 1 }, /expirySeconds/],
    ['a route to nowhere', '/v1/routes', { nodeId: nodeId(), amount: '-1' }, /amount/],
    ['a policy with a fee rate past 100%', `/v1/channels/${channelId()}/policy`, { feePpm: 1_000_001 }, /feePpm/],
    ['a policy with no expiry delta', `/v1/channels/${channelId()}/policy`, { cltvExpiryDelta: 0 }, /cltvExpiryDelta: must be at least 6 blocks/],
    ['a policy with a delta under the register margin', `/v1/channels/${channelId()}/policy`, { cltvExpiryDelta: 5 }, /cltvExpiryDelta: must be at least 6 blocks/],
    ['a policy whose max is below its min', `/v1/channels/${channelId()}/policy`, { htlcMinimum: '10', htlcMaximum: '9' }, /htlcMaximum: must not be below htlcMinimum/],
    ['a policy for a bad channel id', '/v1/channels/xyz/policy', {}, /channelId/],
  ];
  it.each(table)('%s', async (_name, path, body, message) => {
    const before = api.calls.length;
    const r = await post(path, body);
    expect(r.status).toBe(400);
    expect(r.json.error?.code).toBe('BAD_REQUEST');
    expect(r.json.error?.message).toMatch(message);
    expect(api.calls.length).toBe(before);
  });

  it('a failing node call reaches the client as its own error', async () => {
    const { NodeError } = await import('../../src/node/errors.js');
    api.failWith(new NodeError('notFound', 'NO_ROUTE', 'no route to that node for 5 msat'));
    const e = await client.queryRoute({ nodeId: nodeId(), amount: 5n }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiClientError);
    expect((e as ApiClientError).code).toBe('NO_ROUTE');
  });
});

describe('routing events on the feed', () => {
  it('invoice, routed payment and forward events reach a client decoded', async () => {
    const seen: unknown[] = [];
    const feed = client.events((e) => seen.push(e));
    await feed.ready;
    const invoice = { ...api.invoiceView({ amount: BIG, description: 'x' }), status: 'paid' as const, paidAt: 5, received: BIG };
    const payment = api.payment(api.peer, BIG, 'invoice');
    const [forward] = await api.listForwards();
    api.emit({ type: 'invoice', event: 'paid', invoice });
    api.emit({ type: 'routedPayment', event: 'succeeded', payment });
    api.emit({ type: 'forward', event: 'settled', forward: forward! });
    const { until } = await import('../helpers/until.js');
    await until(() => seen.length === 3, 10_000, 'three events');
    feed.close();
    expect(seen).toEqual([
      { type: 'invoice', event: 'paid', invoice },
      { type: 'routedPayment', event: 'succeeded', payment },
      { type: 'forward', event: 'settled', forward },
    ]);
  });
});
