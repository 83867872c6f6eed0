// A node's invoices in its real LevelDB store: made, listed, kept across a restart with their
// preimage, and readable by the BOLT 11 decoder as signed by the node.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { decodeInvoice } from '../../src/invoice/invoice.js';
import { SluiceNode } from '../../src/node/node.js';
import { silentLogger } from '../../src/util/log.js';
import { testNet, type TestNet } from '../helpers/network.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe('invoices on a node', () => {
  it('are signed by the node, listed, and kept across a restart', async () => {
    net = await testNet();
    const b = await net.node('b');
    const created = await b.payee.createInvoice({ amountMsat: 42_000n, description: 'kept' });
    const d = decodeInvoice(created.invoice);
    expect(d.ok && toHex(d.invoice.payeeNodeKey)).toBe(b.nodeId);
    expect(await b.payee.list()).toMatchObject([{ paymentHash: created.paymentHash, status: 'open', amountMsat: 42_000n, description: 'kept' }]);
    await b.stop();
    net.nodes.splice(net.nodes.indexOf(b), 1);
    const again = await SluiceNode.start({ dataDir: join(net.dir, 'b'), ledgerUrl: net.ledger.url, network: net.network, log: silentLogger() });
    net.nodes.push(again);
    expect(await again.payee.list()).toMatchObject([{ paymentHash: created.paymentHash, status: 'open', invoice: created.invoice }]);
  });
});
