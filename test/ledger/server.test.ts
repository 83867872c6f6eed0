// The ledger service in-process: real LevelDB, real WebSocket JSON-RPC, blocks on demand.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLedger, type LedgerService } from '../../src/ledger/service.js';
import { LedgerClient, LedgerRpcError } from '../../src/ledger/client.js';
import { signTx } from '../../src/ledger/tx-codec.js';
import { silentLogger } from '../../src/util/log.js';
import { bothSign, party, state } from '../helpers/ledger-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const CHAIN = 'sluice-test';
let dir: { dir: string; cleanup: () => Promise<void> };
let svc: LedgerService;
let client: LedgerClient;

async function start(faucet = true): Promise<void> {
  svc = await startLedger({ dataDir: dir.dir, port: 0, blockTimeMs: 0, faucet, chainId: CHAIN, fee: 1000n, disputeBlocks: 3, log: silentLogger() });
  client = await LedgerClient.connect({ url: svc.url });
}

beforeEach(async () => {
  dir = await tempDir();
  await start();
});

afterEach(async () => {
  await client.close();
  await svc.stop();
  await dir.cleanup();
});

/** Send one raw text frame and read one reply. */
function raw(url: string, text: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => ws.send(text));
    ws.on('message', (d) => {
      resolve(JSON.parse(d.toString()) as Record<string, unknown>);
      ws.close();
    });
    ws.on('error', reject);
  });
}

describe('ledger API', () => {
  it('funds, transfers, and keeps audit true', async () => {
    const a = party();
    const b = party();
    await client.faucet(a.pk, 50_000n);
    await client.mine();
    expect((await client.account(a.pk)).balance).toBe(50_000n);
    const tx = signTx(CHAIN, { kind: 'transfer', from: a.pk, nonce: 0, to: b.pk, amount: 20_000n }, a.sk);
    const txid = await client.submit(tx);
    expect((await client.tx(txid))?.status).toBe('pending');
    await client.mine();
    expect((await client.tx(txid))?.status).toBe('confirmed');
    expect((await client.account(b.pk)).balance).toBe(20_000n);
    expect((await client.account(a.pk)).balance).toBe(29_000n);
    const audit = await client.audit();
    expect(audit.ok).toBe(true);
    expect(audit.fees).toBe(1000n);
  });

  it('rejects bad transactions with a typed reason and changes nothing', async () => {
    const a = party();
    const b = party();
    await client.faucet(a.pk, 50_000n);
    await client.mine();
    const good = signTx(CHAIN, { kind: 'transfer', from: a.pk, nonce: 0, to: b.pk, amount: 1n }, a.sk);
    const reason = async (p: Promise<unknown>) => p.then(() => 'accepted', (e: unknown) => (e instanceof LedgerRpcError ? e.reason ?? e.message : String(e)));
    expect(await reason(client.submit({ ...good, amount: 2n }))).toBe('BAD_SIGNATURE');
    expect(await reason(client.submit(signTx('other-chain', { kind: 'transfer', from: a.pk, nonce: 0, to: b.pk, amount: 1n }, a.sk)))).toBe('BAD_SIGNATURE');
    expect(await reason(client.submit(signTx(CHAIN, { kind: 'transfer', from: a.pk, nonce: 3, to: b.pk, amount: 1n }, a.sk)))).toBe('BAD_NONCE');
    expect(await reason(client.submit(signTx(CHAIN, { kind: 'transfer', from: a.pk, nonce: 0, to: b.pk, amount: 50_000n }, a.sk)))).toBe('INSUFFICIENT_FUNDS');
    const s = bothSign(state(new Uint8Array(32).fill(9), 1n, 10n, 0n), a, b, CHAIN);
    expect(await reason(client.submit(signTx(CHAIN, { kind: 'forceClose', from: a.pk, nonce: 0, channelId: new Uint8Array(32).fill(9), state: s }, a.sk)))).toBe('UNKNOWN_CHANNEL');
    await client.submit(good);
    expect(await reason(client.submit(signTx(CHAIN, { kind: 'transfer', from: a.pk, nonce: 0, to: b.pk, amount: 5n }, a.sk)))).toBe('BAD_NONCE');
    await client.mine();
    expect(await reason(client.submit(good))).toBe('BAD_NONCE'); // replay after it was mined
    expect((await client.account(b.pk)).balance).toBe(1n);
  });

  it('answers malformed requests with JSON-RPC errors', async () => {
    expect(((await raw(svc.url, '{not json')) as { error: { code: number } }).error.code).toBe(-32700);
    expect(((await raw(svc.url, '[1,2]')) as { error: { code: number } }).error.code).toBe(-32600);
    expect(((await raw(svc.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'nope' }))) as { error: { code: number } }).error.code).toBe(-32601);
    expect(((await raw(svc.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: '__proto__' }))) as { error: { code: number } }).error.code).toBe(-32601);
    const badParams = (await raw(svc.url, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'getAccount', params: { address: 'xyz' } }))) as { id: number; error: { code: number; message: string } };
    expect(badParams.error.code).toBe(-32602);
    expect(badParams.error.message).toMatch(/address/);
    const badTx = (await raw(svc.url, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'submitTx', params: { tx: { kind: 'transfer', amount: '-1' } } }))) as { error: { code: number; data: { code: string } } };
    expect(badTx.error.data.code).toBe('MALFORMED');
    await expect(client.channel(new Uint8Array(32))).resolves.toBeUndefined();
  });

  it('closes a connection that sends an oversized request', async () => {
    const ws = new WebSocket(svc.url);
    await new Promise((r) => ws.on('open', r));
    const code = await new Promise<number>((resolve) => {
      ws.on('close', (c) => resolve(c));
      ws.send('x'.repeat(300 * 1024));
    });
    expect(code).toBe(1009);
    expect((await client.info()).height).toBeGreaterThanOrEqual(0); // the server is fine
  });

  it('streams blocks and a channel’s events to subscribers', async () => {
    const a = party();
    const b = party();
    const id = new Uint8Array(32).fill(7);
    const heights: number[] = [];
    const events: string[] = [];
    await client.subscribeBlocks((blk) => heights.push(blk.height));
    await client.subscribeChannel(id, (n) => events.push(n.event.kind));
    await client.faucet(a.pk, 100_000n);
    await client.mine();
    const s0 = bothSign(state(id, 0n, 60_000n, 0n), a, b, CHAIN);
    await client.submit(signTx(CHAIN, { kind: 'open', from: a.pk, nonce: 0, channelId: id, peer: b.pk, capacity: 60_000n, state: s0 }, a.sk));
    await client.mine();
    const fin = bothSign(state(id, 1n, 50_000n, 10_000n, { closing: true }), a, b, CHAIN);
    // b has no ledger account to pay a fee with: a's close is the one that lands
    await expect(client.submit(signTx(CHAIN, { kind: 'close', from: b.pk, nonce: 0, channelId: id, state: fin }, b.sk))).rejects.toThrow(/cannot pay the fee/);
    await client.submit(signTx(CHAIN, { kind: 'close', from: a.pk, nonce: 1, channelId: id, state: fin }, a.sk));
    await client.mine();
    await new Promise((r) => setTimeout(r, 50));
    expect(heights).toEqual([1, 2, 3]);
    expect(events).toEqual(['channelOpened', 'channelClosed']);
    expect((await client.account(b.pk)).balance).toBe(10_000n);
    expect((await client.channel(id))?.status).toBe('closed');
  });

  it('finds a channel by its short channel id (getChannelByShortId), after a restart too', async () => {
    const a = party();
    const b = party();
    const id = new Uint8Array(32).fill(8);
    await client.faucet(a.pk, 100_000n);
    await client.mine();
    const s0 = bothSign(state(id, 0n, 60_000n, 0n), a, b, CHAIN);
    await client.submit(signTx(CHAIN, { kind: 'open', from: a.pk, nonce: 0, channelId: id, peer: b.pk, capacity: 60_000n, state: s0 }, a.sk));
    const { height } = await client.mine();
    const rec = await client.channel(id);
    expect(rec?.shortChannelId).toBe(`${height.toString(16).padStart(6, '0')}0000000000`); // index 0, output 0
    expect((await client.channelByShortId(rec!.shortChannelId!))?.channelId).toEqual(id);
    expect(await client.channelByShortId('0000ff0000000000')).toBeUndefined();
    await expect(client.channelByShortId('not-an-id')).rejects.toThrow(/shortChannelId/);
    await client.close();
    await svc.stop();
    await start();
    expect((await client.channelByShortId(rec!.shortChannelId!))?.capacity).toBe(60_000n);
  });

  it('refuses faucet and mining when the faucet is off', async () => {
    await client.close();
    await svc.stop();
    await start(false);
    await expect(client.faucet(party().pk, 1n)).rejects.toThrow(/faucet is off/);
    await expect(client.mine()).rejects.toThrow(/simnet/);
  });

  it('keeps height, balances and channels across a restart', async () => {
    const a = party();
    await client.faucet(a.pk, 7_000n);
    await client.mine(3);
    const before = await client.info();
    await client.close();
    await svc.stop();
    await start();
    const after = await client.info();
    expect(after.height).toBe(before.height);
    expect(after.tipHash).toBe(before.tipHash);
    expect((await client.account(a.pk)).balance).toBe(7_000n);
    await client.mine();
    expect((await client.info()).height).toBe(before.height + 1);
  });

  it('reconnects and restores subscriptions after the ledger restarts on the same port', async () => {
    const port = svc.port;
    const heights: number[] = [];
    await client.subscribeBlocks((b) => heights.push(b.height));
    await svc.stop();
    svc = await startLedger({ dataDir: dir.dir, port, blockTimeMs: 0, faucet: true, chainId: CHAIN, fee: 1000n, log: silentLogger() });
    // the client's reconnect loop brings the subscription back
    for (let i = 0; i < 100 && heights.length === 0; i++) {
      await client.mine().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(heights.length).toBeGreaterThan(0);
  });
});
