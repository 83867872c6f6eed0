// The embeddable API as an app would use it: two nodes in one process, a stream, its events, a close.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { Sluice, MemoryNetwork, startLedger, silentLogger, type ChannelView, type NodeEvent, type StreamEventKind, type StreamView } from '../../src/index.js';
import { until } from '../helpers/cluster.js';
import { tempDir } from '../helpers/tmp.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A temporary dir and a fast simnet ledger in it, both removed after the test. */
async function tmpLedger() {
  const tmp = await tempDir();
  cleanups.push(tmp.cleanup);
  const ledger = await startLedger({ dataDir: join(tmp.dir, 'ledger'), port: 0, blockTimeMs: 30, faucet: true, fee: 1000n, log: silentLogger() });
  cleanups.push(() => ledger.stop());
  return { tmp, ledger };
}

describe('the SDK', () => {
  it('streams between two embedded nodes with typed events, then closes', async () => {
    const { tmp, ledger } = await tmpLedger();
    const network = new MemoryNetwork();
    const payer = await Sluice.start({ dataDir: join(tmp.dir, 'payer'), ledgerUrl: ledger.url, network, listen: false });
    cleanups.push(() => payer.stop());
    const payee = await Sluice.start({ dataDir: join(tmp.dir, 'payee'), ledgerUrl: ledger.url, network, listen: false, streams: { minRatePerSec: 50n } });
    cleanups.push(() => payee.stop());

    await payer.faucet('200000sat');
    await payer.connect(payee.nodeId);
    const ch = await payer.openChannel(payee.nodeId, '100000sat');
    await until(async () => (await payee.channels())[0]?.status === 'open'); // the payee sees it a moment later

    // below the payee's price: refused
    await expect(payer.openStream({ peerId: payee.nodeId, rate: '1msat/s' })).rejects.toThrow(/price/);

    const ticks: StreamView[] = [];
    payee.on('tick', (s) => ticks.push(s));
    const stopped = new Promise<StreamView>((r) => payee.on('ended', r));
    const handle = await payer.openStream({ peerId: payee.nodeId, rate: '10msat/100ms', max: '200msat' });
    const end = await stopped;
    expect(end.paid).toBe(200n);
    expect(ticks.at(-1)!.ticks).toBe(20);
    expect((await handle.view()).paid).toBe(200n);

    const closed = new Promise((r) => payee.on('closed', r));
    await payer.closeChannel(ch.channelId);
    await closed;
    expect((await payee.wallet()).balance).toBe(200n);
    await expect(payer.pay(payee.nodeId, 'abc')).rejects.toThrow(/amount/);
  });
});

describe('the SDK (issue 9)', () => {
  it('every node event reaches Sluice.on; stopped and finished stay distinct; closed fires once', async () => {
    const { ledger } = await tmpLedger();
    const node = await Sluice.start({ ledgerUrl: ledger.url, listen: false });
    cleanups.push(() => node.stop());
    const seen: string[] = [];
    const names = ['opened', 'tick', 'late', 'onTime', 'paused', 'resumed', 'stopped', 'finished', 'ended', 'payment', 'channel', 'closed', 'peer', 'block'] as const;
    for (const n of names) node.on(n, () => seen.push(n));
    const emit = (e: NodeEvent) => (node.node as unknown as { emit(e: NodeEvent): void }).emit(e);
    const s: StreamView = { streamId: 'ab'.repeat(16), peerId: node.nodeId, channelId: 'cd'.repeat(32), role: 'payee', mode: 'signed', status: 'active', rate: '1 msat/s', rateAmount: 1n, ratePerMs: 1000, tickMs: 1000, ticks: 0, paid: 0n, startedAt: 0 };
    const kinds: StreamEventKind[] = ['opened', 'tick', 'late', 'onTime', 'paused', 'resumed', 'stopped', 'finished'];
    for (const event of kinds) {
      seen.length = 0;
      emit({ type: 'stream', event, stream: s });
      expect(seen).toEqual(event === 'stopped' || event === 'finished' ? [event, 'ended'] : [event]);
    }
    const ch: ChannelView = { channelId: 'cd'.repeat(32), peerId: node.nodeId, side: 'A', status: 'closed', capacity: 10n, localBalance: 10n, remoteBalance: 0n, seq: 3n, pendingUpdates: 0 };
    seen.length = 0;
    emit({ type: 'channel', channel: ch });
    emit({ type: 'channel', channel: { ...ch, payout: { local: 10n, remote: 0n } } });
    expect(seen).toEqual(['channel', 'closed', 'channel']);
    seen.length = 0;
    emit({ type: 'peer', nodeId: node.nodeId, connected: true });
    emit({ type: 'payment', direction: 'sent', channelId: ch.channelId, peerId: node.nodeId, amount: 1n, seq: 4n });
    emit({ type: 'ledger', height: 7 });
    expect(seen).toEqual(['peer', 'payment', 'block']);
  });

  it('string inputs like the API, a handle awaited to its end, a temporary data dir removed on stop', async () => {
    const { tmp, ledger } = await tmpLedger();
    const network = new MemoryNetwork();
    const payer = await Sluice.start({ ledgerUrl: ledger.url, network, listen: false, streams: { nodeLimits: { total: '1sat' } } });
    let payerStopped = false;
    cleanups.push(async () => {
      if (!payerStopped) await payer.stop();
    });
    const payee = await Sluice.start({ dataDir: join(tmp.dir, 'payee'), ledgerUrl: ledger.url, network, listen: false, streams: { minRatePerSec: '50msat/s', graceMs: '2s' } });
    cleanups.push(() => payee.stop());
    const peers: boolean[] = [];
    payee.on('peer', (p) => peers.push(p.connected));

    await payer.faucet('0.2btc');
    await payer.connect(payee.nodeId);
    const ch = await payer.openChannel(payee.nodeId, '100000sat');
    await until(async () => (await payee.channels())[0]?.status === 'open'); // the payee sees it a moment later
    expect(peers).toEqual([true]);
    // the payee's minimum, given as a rate string, refuses 10 msat/s given as a bigint
    await expect(payer.openStream({ peerId: payee.nodeId, rate: 10n })).rejects.toThrow(/price/);
    const finished: StreamView[] = [];
    const stopped: StreamView[] = [];
    payee.on('finished', (s) => finished.push(s));
    payee.on('stopped', (s) => stopped.push(s));
    const handle = await payer.openStream({ peerId: payee.nodeId, rate: 100n, duration: '2s', max: '0.5sat' });
    const end = await handle.done();
    expect(end).toMatchObject({ status: 'finished', paid: 200n });
    expect((await handle.done()).status).toBe('finished'); // already ended: at once
    await until(async () => finished.length === 1);
    expect(stopped).toEqual([]);

    const closes: ChannelView[] = [];
    payee.on('closed', (c) => closes.push(c));
    const closedOnce = new Promise((r) => payee.on('closed', r));
    await payer.closeChannel(ch.channelId);
    await closedOnce;
    expect(closes).toHaveLength(1); // repeated channel events of a closed channel: the table test above

    const dir = payer.dataDir;
    expect(existsSync(dir)).toBe(true);
    await payer.stop();
    payerStopped = true;
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(payee.dataDir)).toBe(true); // a dir the app chose stays
  });
});

describe('the SDK pays invoices (issue 10)', () => {
  it('an embedded payee issues an invoice, an embedded payer pays it; both hear of it; bad input is refused as over HTTP', async () => {
    const { tmp, ledger } = await tmpLedger();
    const network = new MemoryNetwork();
    const payer = await Sluice.start({ dataDir: join(tmp.dir, 'payer'), ledgerUrl: ledger.url, network, listen: false });
    cleanups.push(() => payer.stop());
    const payee = await Sluice.start({ dataDir: join(tmp.dir, 'payee'), ledgerUrl: ledger.url, network, listen: false });
    cleanups.push(() => payee.stop());
    await payer.faucet('200000sat');
    await payer.connect(payee.nodeId);
    await payer.openChannel(payee.nodeId, '100000sat');
    await until(async () => (await payee.channels())[0]?.status === 'open');

    const inv = await payee.createInvoice({ amount: '25sat', description: 'a tea', expiry: '10min' });
    expect(inv).toMatchObject({ amount: 25_000n, description: 'a tea', status: 'open' });
    expect(inv.invoice).toMatch(/^lnsb250n1/);
    // BOLT 11 counts the expiry from the invoice's timestamp, in whole seconds
    expect(inv.expiresAt - Math.floor(inv.createdAt / 1000) * 1000).toBe(600_000);
    const paidEvent = new Promise((r) => payee.on('invoicePaid', r));
    const succeeded = new Promise((r) => payer.on('paymentSucceeded', r));
    const p = await payer.payInvoice(inv.invoice, { maxFee: '1sat', timeout: '20s' });
    expect(p).toMatchObject({ status: 'succeeded', amount: 25_000n, fee: 0n, kind: 'invoice', payee: payee.nodeId });
    expect(p.route.map((h) => h.nodeId)).toEqual([payee.nodeId]);
    await expect(paidEvent).resolves.toMatchObject({ paymentHash: inv.paymentHash, status: 'paid', received: 25_000n });
    await expect(succeeded).resolves.toMatchObject({ paymentHash: inv.paymentHash, status: 'succeeded' });
    expect((await payer.payments()).map((x) => x.status)).toEqual(['succeeded']);
    expect((await payee.invoices())[0]).toMatchObject({ status: 'paid' });
    expect((await payer.route(payee.nodeId, '1sat')).hops).toHaveLength(1);

    // the same rules as the control API: the same kind, code and message
    await expect(payer.payInvoice(inv.invoice, { timeout: 10 })).rejects.toMatchObject({ kind: 'invalid', code: 'BAD_REQUEST', message: 'timeoutMs: must be at least 1000 ms' });
    await expect(payee.createInvoice({ amount: '0' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'amount: must be more than 0 msat' });
    await expect(payer.payNode('zz', '1sat')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
