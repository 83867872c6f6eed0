// A payee whose write of "invoice paid + the fulfil it owes" fails must not keep the invoice marked
// paid in memory: it is open again, and when the switch asks again (next block) the same HTLC pays it.
// Before, the invoice stayed "paid" though nothing was stored, and the payer's retries were refused.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testNet, type TestNet } from '../helpers/network.js';
import { FaultyStore } from '../helpers/store-doubles.js';
import { until } from '../helpers/until.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe('a payee that cannot store the settle', () => {
  it('reopens the invoice, and the HTLC settles it once the store works again', async () => {
    net = await testNet({ blockTimeMs: 300 });
    const store = new FaultyStore();
    const [a, b] = [await net.node('A'), await net.node('B', undefined, { store })];
    await a.faucet(2_000_000_000n);
    await a.connectInMemory(b.nodeId);
    const ch = await a.openChannel({ peerId: b.nodeId, capacity: 1_000_000_000n, push: 0n });
    await until(async () => (await b.listChannels()).find((c) => c.channelId === ch.channelId)?.status === 'open', 20_000, 'open at both ends');
    const inv = await b.payee.createInvoice({ amountMsat: 5_000_000n, description: 'x' });
    // the payee's one batch of "invoice paid + owed fulfil" fails, once
    store.fail((w) => w.method === 'writeRecords' && (w.records ?? []).some((r) => r.kind === 'invoice' && !('delete' in r) && r.value['status'] === 'paid'), { times: 1 });
    // what the payee's memory says right after each release: open again, not paid
    const released: string[] = [];
    const real = b.payee.released.bind(b.payee);
    vi.spyOn(b.payee, 'released').mockImplementation((htlc) => {
      real(htlc);
      released.push(b.payee.get(inv.paymentHash)!.status);
    });
    const p = await a.payer.payInvoice(inv.invoice);
    expect(p.status).toBe('succeeded');
    expect(released).toEqual(['open']);
    expect(b.payee.get(inv.paymentHash)?.status).toBe('paid');
    await until(async () => (await b.listChannels())[0]!.localBalance === 5_000_000n, 20_000, 'B holds the payment');
  });
});
