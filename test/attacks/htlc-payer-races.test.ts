// Attack on the payer and the payee by racing: the same invoice paid twice at once by one payer, and
// by two payers at once. The payer claims the payment hash in memory before its first write, and the
// payee marks the invoice paid before its first await, so exactly one HTLC settles and money moves once.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/node/clock.js';
import { NodeError } from '../../src/node/errors.js';
import { InvoiceManager } from '../../src/node/invoices.js';
import { PaymentManager } from '../../src/node/payments.js';
import { silentLogger } from '../../src/util/log.js';
import { SimNet, type SimNode } from '../helpers/sim-switch.js';

const clock = new ManualClock(Date.now());
const SAT = 1000n;

async function party(net: SimNet, sim: SimNode) {
  const common = { store: sim.store, switch: sim, height: () => net.height, clock, log: silentLogger(), emit: () => undefined };
  const payments = new PaymentManager({ ...common, nodeId: sim.nodeId });
  const invoices = new InvoiceManager({ ...common, secretKey: sim.secretKey });
  await payments.load();
  await invoices.load();
  sim.setLocalSink(payments);
  sim.setReceiver(invoices);
  payments.start();
  return { sim, payments, invoices };
}

const outcome = (p: Promise<{ status: string }>) => p.then((v) => v.status, (e: unknown) => (e instanceof NodeError ? e.code : String(e)));

describe('attack: paying one invoice twice at once', () => {
  it('one payer, two concurrent pays: one payment, the other refused as in flight; paid once', async () => {
    const net = new SimNet();
    const [a, b] = [await party(net, net.node('A')), await party(net, net.node('B'))];
    const ab = net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    const inv = await b.invoices.createInvoice({ amountMsat: 1000n * SAT, description: 'once' });
    const results = await Promise.all([outcome(a.payments.payInvoice(inv.invoice)), outcome(a.payments.payInvoice(inv.invoice))]);
    expect(results.sort()).toEqual(['PAYMENT_IN_FLIGHT', 'succeeded']);
    expect(net.balanceOf(ab, b.sim)).toBe(1000n * SAT);
    expect(await outcome(a.payments.payInvoice(inv.invoice))).toBe('ALREADY_PAID');
  });

  it('two payers at once: the payee settles one HTLC and refuses the other; only one payer pays', async () => {
    const net = new SimNet();
    const [a, e, b] = [await party(net, net.node('A')), await party(net, net.node('E')), await party(net, net.node('B'))];
    const ab = net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    const eb = net.channel(e.sim, b.sim, 1_000_000n * SAT, 0n);
    const inv = await b.invoices.createInvoice({ amountMsat: 1000n * SAT, description: 'once' });
    const results = await Promise.all([outcome(a.payments.payInvoice(inv.invoice)), outcome(e.payments.payInvoice(inv.invoice))]);
    expect(results.sort()).toEqual(['failed', 'succeeded']);
    expect(net.balanceOf(ab, b.sim) + net.balanceOf(eb, b.sim)).toBe(1000n * SAT);
    expect(b.invoices.get(inv.paymentHash)).toMatchObject({ status: 'paid', receivedMsat: 1000n * SAT });
  });
});
