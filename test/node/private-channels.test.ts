// A private channel (`channel open --private`) is never announced: the network's graph does not learn
// it, and the payee's invoice carries a route hint for it instead, which is how a payer still reaches it.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Sluice, MemoryNetwork, startLedger, silentLogger } from '../../src/index.js';
import { decodeInvoice } from '../../src/invoice/invoice.js';
import { toHex } from '../../src/crypto/bytes.js';
import { until } from '../helpers/until.js';
import { tempDir } from '../helpers/tmp.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('private channels', () => {
  it('are not announced; the payee hints them in its invoice and the payer pays through the hint', async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.cleanup);
    const ledger = await startLedger({ dataDir: join(tmp.dir, 'ledger'), port: 0, blockTimeMs: 50, faucet: true, fee: 1000n, log: silentLogger() });
    cleanups.push(() => ledger.stop());
    const network = new MemoryNetwork();
    const start = async (name: string) => {
      const n = await Sluice.start({ dataDir: join(tmp.dir, name), ledgerUrl: ledger.url, network, listen: false, gossipInterval: '100ms' });
      cleanups.push(() => n.stop());
      await n.faucet('1000000sat');
      return n;
    };
    const [a, b, c] = [await start('a'), await start('b'), await start('c')];
    await a.connect(b.nodeId);
    await b.connect(c.nodeId);
    await a.openChannel(b.nodeId, '200000sat'); // public
    const bc = await b.openChannel(c.nodeId, '200000sat', { private: true });
    expect(bc.private).toBe(true);
    await until(async () => (await c.channels())[0]?.status === 'open');
    // A learns A–B from gossip, never B–C
    await until(async () => (await a.node.graph()).channels.length === 1, 10_000, 'A to learn the public channel');
    const known = async () => (await a.node.graph()).channels.length;
    const inv = await c.createInvoice({ amount: '10sat' });
    const decoded = decodeInvoice(inv.invoice);
    if (!decoded.ok) throw new Error(decoded.message);
    expect(decoded.invoice.routeHints.map((h) => h.map((x) => toHex(x.nodeId)))).toEqual([[b.nodeId]]);
    const p = await a.payInvoice(inv.invoice);
    expect(p.status).toBe('succeeded');
    expect(p.route.map((h) => h.nodeId)).toEqual([b.nodeId, c.nodeId]);
    expect(await known()).toBe(1);
    expect((await b.node.graph()).channels.map((x) => [x.node1, x.node2].sort())).toEqual([[a.nodeId, b.nodeId].sort()]);
  });
});
