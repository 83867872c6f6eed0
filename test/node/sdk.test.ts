// The embeddable API as an app would use it: two nodes in one process, a stream, its events, a close.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Sluice, MemoryNetwork, startLedger, silentLogger, type StreamView } from '../../src/index.js';
import { tempDir } from '../helpers/tmp.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the SDK', () => {
  it('streams between two embedded nodes with typed events, then closes', async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.cleanup);
    const ledger = await startLedger({ dataDir: join(tmp.dir, 'ledger'), port: 0, blockTimeMs: 30, faucet: true, fee: 1000n, log: silentLogger() });
    cleanups.push(() => ledger.stop());
    const network = new MemoryNetwork();
    const payer = await Sluice.start({ dataDir: join(tmp.dir, 'payer'), ledgerUrl: ledger.url, network, listen: false });
    cleanups.push(() => payer.stop());
    const payee = await Sluice.start({ dataDir: join(tmp.dir, 'payee'), ledgerUrl: ledger.url, network, listen: false, streams: { minRatePerSec: 50n } });
    cleanups.push(() => payee.stop());

    await payer.faucet('200000sat');
    await payer.connect(payee.nodeId);
    const ch = await payer.openChannel(payee.nodeId, '100000sat');

    // below the payee's price: refused
    await expect(payer.openStream({ peerId: payee.nodeId, rate: '1msat/s' })).rejects.toThrow(/price/);

    const ticks: StreamView[] = [];
    payee.on('tick', (s) => ticks.push(s));
    const stopped = new Promise<StreamView>((r) => payee.on('stopped', r));
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
