// One set of input rules for the embedded SDK and the control API: the same bad input, given to a real
// node through `Sluice` and through its HTTP server, fails the same way (kind invalid = 400, code
// BAD_REQUEST, the same message) and reaches neither the node nor the ledger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { NODE_ERROR_STATUS, startApiServer, type ApiServer } from '../../src/api/server.js';
import { startLedger } from '../../src/ledger/service.js';
import { NodeError } from '../../src/node/errors.js';
import { Sluice } from '../../src/sdk.js';
import { silentLogger } from '../../src/util/log.js';
import { tempDir } from '../helpers/tmp.js';
import { nodeId } from './fake-api.js';

const TOKEN = randomBytes(32).toString('hex');
const cleanups: (() => Promise<void>)[] = [];
let sdk: Sluice;
let server: ApiServer;

beforeAll(async () => {
  const tmp = await tempDir();
  cleanups.push(tmp.cleanup);
  const ledger = await startLedger({ dataDir: join(tmp.dir, 'ledger'), port: 0, blockTimeMs: 50, faucet: true, fee: 1000n, log: silentLogger() });
  cleanups.push(() => ledger.stop());
  sdk = await Sluice.start({ dataDir: join(tmp.dir, 'node'), ledgerUrl: ledger.url, listen: false });
  cleanups.push(() => sdk.stop());
  server = await startApiServer({ api: sdk.node, port: 0, token: TOKEN, log: silentLogger() });
  cleanups.push(() => server.close());
});

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function post(path: string, body: unknown): Promise<{ status: number; code: string; message: string }> {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  const { error } = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, code: error.code, message: error.message };
}

const peer = nodeId();
const notAPoint = '04' + '00'.repeat(32);
const tooMuch = 1n << 63n;
const sid = 'ab'.repeat(15); // 30 hex characters: one byte short of a stream id
const cid = 'ab'.repeat(31);
type Row = [name: string, sdk: (s: Sluice) => Promise<unknown>, path: string, body: unknown, field: string];

// `as never` marks what a JavaScript caller could pass that the SDK's types forbid.
const rows: Row[] = [
  ['pay: zero', (s) => s.pay(peer, 0n), '/v1/payments', { peerId: peer, amount: '0' }, 'amount'],
  ['pay: negative', (s) => s.pay(peer, -5n), '/v1/payments', { peerId: peer, amount: '-5' }, 'amount'],
  ['pay: past 2^63 - 1', (s) => s.pay(peer, tooMuch), '/v1/payments', { peerId: peer, amount: tooMuch.toString() }, 'amount'],
  ['pay: not a whole number', (s) => s.pay(peer, 1.5 as never), '/v1/payments', { peerId: peer, amount: 1.5 }, 'amount'],
  ['pay: amount missing', (s) => s.pay(peer, undefined as never), '/v1/payments', { peerId: peer }, 'amount'],
  ['pay: peer id not hex', (s) => s.pay('zz'.repeat(33), 1n), '/v1/payments', { peerId: 'zz'.repeat(33), amount: '1' }, 'peerId'],
  ['pay: peer id short', (s) => s.pay(peer.slice(2), 1n), '/v1/payments', { peerId: peer.slice(2), amount: '1' }, 'peerId'],
  ['pay: peer id not a point', (s) => s.pay(notAPoint, 1n), '/v1/payments', { peerId: notAPoint, amount: '1' }, 'peerId'],
  ['faucet: zero', (s) => s.faucet(0n), '/v1/wallet/faucet', { amount: '0' }, 'amount'],
  ['send: bad account', (s) => s.send('ab', 1n), '/v1/wallet/send', { to: 'ab', amount: '1' }, 'to'],
  ['send: negative', (s) => s.send(peer, -1n), '/v1/wallet/send', { to: peer, amount: '-1' }, 'amount'],
  ['open channel: zero capacity', (s) => s.openChannel(peer, 0n), '/v1/channels', { peerId: peer, capacity: '0' }, 'capacity'],
  ['open channel: push past capacity', (s) => s.openChannel(peer, 10n, { push: 11n }), '/v1/channels', { peerId: peer, capacity: '10', push: '11' }, 'push'],
  ['open channel: negative push', (s) => s.openChannel(peer, 10n, { push: -1n }), '/v1/channels', { peerId: peer, capacity: '10', push: '-1' }, 'push'],
  ['close: bad channel id', (s) => s.closeChannel(cid), `/v1/channels/${cid}/close`, {}, 'channelId'],
  ['close: force not a boolean', (s) => s.closeChannel('ab'.repeat(32), { force: 'yes' as never }), `/v1/channels/${'ab'.repeat(32)}/close`, { force: 'yes' }, 'force'],
  ['connect: no port', (s) => s.connect(`${peer}@host`), '/v1/peers', { target: `${peer}@host` }, 'target'],
  ['connect: bad node id', (s) => s.connect(`${notAPoint}@host:9735`), '/v1/peers', { target: `${notAPoint}@host:9735` }, 'target node id'],
  ['disconnect: bad node id', (s) => s.disconnect('abc'), '/v1/peers/abc/disconnect', {}, 'nodeId'],
  ['stream: rate not a rate', (s) => s.openStream({ peerId: peer, rate: 'fast' }), '/v1/streams', { peerId: peer, rate: 'fast' }, 'rate'],
  ['stream: zero rate', (s) => s.openStream({ peerId: peer, rate: 0n }), '/v1/streams', { peerId: peer, rate: '0msat/s' }, 'rate'],
  ['stream: rate a number', (s) => s.openStream({ peerId: peer, rate: 10 as never }), '/v1/streams', { peerId: peer, rate: 10 }, 'rate'],
  ['stream: rate too long', (s) => s.openStream({ peerId: peer, rate: `${'1'.repeat(65)}msat/s` }), '/v1/streams', { peerId: peer, rate: `${'1'.repeat(65)}msat/s` }, 'rate'],
  ['stream: bad peer id', (s) => s.openStream({ peerId: 'x', rate: '1msat/s' }), '/v1/streams', { peerId: 'x', rate: '1msat/s' }, 'peerId'],
  ['stream: zero max', (s) => s.openStream({ peerId: peer, rate: '1msat/s', max: 0n }), '/v1/streams', { peerId: peer, rate: '1msat/s', max: '0' }, 'max'],
  ['stream: huge max', (s) => s.openStream({ peerId: peer, rate: '1msat/s', max: tooMuch }), '/v1/streams', { peerId: peer, rate: '1msat/s', max: tooMuch.toString() }, 'max'],
  ['stream: zero duration', (s) => s.openStream({ peerId: peer, rate: '1msat/s', duration: 0 }), '/v1/streams', { peerId: peer, rate: '1msat/s', durationMs: 0 }, 'durationMs'],
  ['stream: fractional duration', (s) => s.openStream({ peerId: peer, rate: '1msat/s', duration: 1.5 }), '/v1/streams', { peerId: peer, rate: '1msat/s', durationMs: 1.5 }, 'durationMs'],
  ['stream: duration past a year', (s) => s.openStream({ peerId: peer, rate: '1msat/s', duration: 366 * 86_400_000 }), '/v1/streams', { peerId: peer, rate: '1msat/s', durationMs: 366 * 86_400_000 }, 'durationMs'],
  ['stream: duration under one tick', (s) => s.openStream({ peerId: peer, rate: '1msat/s', duration: 500 }), '/v1/streams', { peerId: peer, rate: '1msat/s', durationMs: 500 }, 'duration'],
  ['stream: unknown mode', (s) => s.openStream({ peerId: peer, rate: '1msat/s', mode: 'trust' as never }), '/v1/streams', { peerId: peer, rate: '1msat/s', mode: 'trust' }, 'mode'],
  ['stream: unknown billing', (s) => s.openStream({ peerId: peer, rate: '1msat/s', billing: 'monthly' as never }), '/v1/streams', { peerId: peer, rate: '1msat/s', billing: 'monthly' }, 'billing'],
  ['stream: hash chain without a bound', (s) => s.openStream({ peerId: peer, rate: '1msat/s', mode: 'hashchain' }), '/v1/streams', { peerId: peer, rate: '1msat/s', mode: 'hashchain' }, 'terms'],
  ['stream control: bad stream id', (s) => s.handle(sid).stop(), `/v1/streams/${sid}/stop`, {}, 'streamId'],
  ['stream control: a channel id for a stream id', (s) => s.handle('ab'.repeat(32)).pause(), `/v1/streams/${'ab'.repeat(32)}/pause`, {}, 'streamId'],
];

describe('the SDK and the HTTP API refuse bad input alike', () => {
  it.each(rows)('%s', async (_name, viaSdk, path, body, field) => {
    const err = await viaSdk(sdk).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NodeError);
    const { kind, code, message } = err as NodeError;
    expect(message.startsWith(`${field}: `)).toBe(true);
    const http = await post(path, body);
    expect(http).toEqual({ status: NODE_ERROR_STATUS[kind], code, message });
    expect([kind, code]).toEqual(['invalid', 'BAD_REQUEST']);
  });

  it('nothing refused reached the node', async () => {
    expect(await sdk.streams()).toEqual([]);
    expect(await sdk.channels()).toEqual([]);
  });
});
