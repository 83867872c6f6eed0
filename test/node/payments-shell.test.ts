// The payer's and payee's shells over a simulated switch network (test/helpers/sim-switch.ts): HTLCs
// travel through the real onion, forwarding and receive cores, so routes, fees, retries, restarts and
// the payee's refusals are the real ones; only channel states and the ledger are left out.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { decodeInvoice } from '../../src/invoice/invoice.js';
import { ChannelGraph } from '../../src/routing/graph.js';
import { DEFAULT_FORWARDING_POLICY } from '../../src/forward/policy.js';
import { ManualClock } from '../../src/node/clock.js';
import { InvoiceManager, type InvoiceEvent, type InvoiceLimits } from '../../src/node/invoices.js';
import { PaymentManager, type PaymentEvent, type PaymentLimits } from '../../src/node/payments.js';
import { SCORER_RECORD_KEY } from '../../src/node/payments-scorer.js';
import { createPayment } from '../../src/payments/lifecycle.js';
import { paymentToJson } from '../../src/payments/record.js';
import { NodeError } from '../../src/node/errors.js';
import type { NodeStore } from '../../src/node/store-port.js';
import { silentLogger } from '../../src/util/log.js';
import { SimNet, type SimNode } from '../helpers/sim-switch.js';
import { until } from '../helpers/until.js';

interface Party {
  sim: SimNode;
  payments: PaymentManager;
  invoices: InvoiceManager;
  events: (PaymentEvent | InvoiceEvent)[];
}

const clock = new ManualClock(Date.now());

async function party(net: SimNet, sim: SimNode, o: { acceptKeysend?: boolean; graph?: () => ChannelGraph; payments?: Partial<PaymentLimits>; invoices?: Partial<InvoiceLimits>; store?: NodeStore } = {}): Promise<Party> {
  const events: (PaymentEvent | InvoiceEvent)[] = [];
  const store = o.store ?? sim.store;
  const common = { store, switch: sim, height: () => net.height, clock, log: silentLogger(), emit: (e: PaymentEvent | InvoiceEvent) => events.push(e) };
  const payments = new PaymentManager({ ...common, nodeId: sim.nodeId, ...(o.graph ? { graph: o.graph } : {}), ...(o.payments ? { limits: o.payments } : {}) });
  const invoices = new InvoiceManager({ ...common, secretKey: sim.secretKey, ...(o.acceptKeysend ? { acceptKeysend: true } : {}), ...(o.invoices ? { limits: o.invoices } : {}) });
  await payments.load();
  await invoices.load();
  sim.setLocalSink(payments);
  sim.setReceiver(invoices);
  payments.start();
  return { sim, payments, invoices, events };
}

const SAT = 1000n;
const fee = (amount: bigint) => DEFAULT_FORWARDING_POLICY.feeBaseMsat + (amount * DEFAULT_FORWARDING_POLICY.feePpm) / 1_000_000n;
const code = async (p: Promise<unknown>) => (await p.then(() => undefined, (e: unknown) => e)) instanceof NodeError ? ((await p.catch((e: NodeError) => e)) as NodeError).code : 'no error';

describe('paying an invoice', () => {
  it('A pays B over a direct channel: no fee, the preimage is the receipt, B marks the invoice paid', async () => {
    const net = new SimNet();
    const [a, b] = [await party(net, net.node('A')), await party(net, net.node('B'))];
    const ab = net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    const inv = await b.invoices.createInvoice({ amountMsat: 50_000n * SAT, description: 'coffee' });
    const r = await a.payments.payInvoice(inv.invoice);
    expect(r).toMatchObject({ status: 'succeeded', paymentHash: inv.paymentHash, amountMsat: 50_000n * SAT, feeMsat: 0n, destination: b.sim.nodeId });
    expect(toHex(sha256(Buffer.from(r.preimage!, 'hex')))).toBe(inv.paymentHash);
    expect(r.route).toEqual([{ shortChannelId: ab.scid, nodeId: b.sim.nodeId, amountMsat: 50_000n * SAT, expiryHeight: expect.any(Number) }]);
    expect(net.balanceOf(ab, b.sim)).toBe(50_000n * SAT);
    expect(b.invoices.get(inv.paymentHash)).toMatchObject({ status: 'paid', receivedMsat: 50_000n * SAT });
    expect(a.events.map((e) => e.type)).toEqual(['paymentSucceeded']);
    expect(b.events.map((e) => e.type)).toEqual(['invoicePaid']);
    // both records are on disk: the payment with its attempt, the invoice as paid
    const [stored] = (await a.sim.store.loadRecords('payment')).filter((x) => x.key === inv.paymentHash);
    expect(stored!.value).toMatchObject({ status: 'succeeded', preimage: r.preimage });
    expect((await b.sim.store.loadRecords('invoice'))[0]!.value).toMatchObject({ status: 'paid' });
  });

  it('A pays C through B (A–B–C, C\'s route hint): B earns exactly the fee the route says', async () => {
    const net = new SimNet();
    const [a, b, c] = [await party(net, net.node('A')), await party(net, net.node('B')), await party(net, net.node('C'))];
    const ab = net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    const bc = net.channel(b.sim, c.sim, 1_000_000n * SAT, 0n);
    const amount = 123_456n * SAT;
    const inv = await c.invoices.createInvoice({ amountMsat: amount, description: 'two hops' });
    const decoded = decodeInvoice(inv.invoice);
    expect(decoded.ok && decoded.invoice.routeHints.map((h) => h.map((x) => toHex(x.shortChannelId)))).toEqual([[bc.scid]]);
    const r = await a.payments.payInvoice(inv.invoice);
    expect(r.status).toBe('succeeded');
    expect(r.feeMsat).toBe(fee(amount));
    expect(r.route.map((h) => h.nodeId)).toEqual([b.sim.nodeId, c.sim.nodeId]);
    expect(r.route.map((h) => h.amountMsat)).toEqual([amount + fee(amount), amount]);
    expect(net.balanceOf(ab, b.sim)).toBe(amount + fee(amount));
    expect(net.balanceOf(bc, c.sim)).toBe(amount);
  });

  it('a hop without the liquidity fails, and the payer routes around it (4 nodes, gossip graph)', async () => {
    const net = new SimNet();
    const sims = ['A', 'B', 'C', 'D'].map((n) => net.node(n));
    const graph = new ChannelGraph();
    const a = await party(net, sims[0]!, { graph: () => graph });
    const [b, c, d] = [await party(net, sims[1]!), await party(net, sims[2]!), await party(net, sims[3]!)];
    net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    net.channel(a.sim, c.sim, 1_000_000n * SAT, 0n);
    const bd = net.channel(b.sim, d.sim, 10n * SAT, 0n); // B cannot forward 100k sat
    const cd = net.channel(c.sim, d.sim, 1_000_000n * SAT, 0n);
    // gossip shows capacities, not balances; C's route is dearer, so B's is tried first
    for (const [ch, from, base] of [[bd, b, 1000n], [cd, c, 3000n]] as const) {
      graph.addChannel({ shortChannelId: ch.scid, node1: from.sim.nodeId, node2: d.sim.nodeId, capacityMsat: 2_000_000n * SAT });
      graph.setPolicy(ch.scid, from.sim.nodeId, { feeBaseMsat: base, feePpm: 100n, cltvExpiryDelta: 12, htlcMinimumMsat: 1000n, htlcMaximumMsat: 10n ** 15n });
      ch.policy.set(from.sim.nodeId, { ...DEFAULT_FORWARDING_POLICY, feeBaseMsat: base });
    }
    const amount = 100_000n * SAT;
    const inv = await d.invoices.createInvoice({ amountMsat: amount, description: 'detour' });
    const r = await a.payments.payInvoice(inv.invoice);
    expect(r.status).toBe('succeeded');
    expect(r.attempts.map((x) => x.status)).toEqual(['failed', 'succeeded']);
    expect(r.attempts[0]!.failure).toMatchObject({ failingHop: 0, failingNode: b.sim.nodeId, codeName: 'temporary_channel_failure' });
    expect(r.route.map((h) => h.nodeId)).toEqual([c.sim.nodeId, d.sim.nodeId]);
    expect(r.feeMsat).toBe(3000n + (amount * 100n) / 1_000_000n);
    expect(net.balanceOf(cd, d.sim)).toBe(amount);
    expect(net.balanceOf(bd, d.sim)).toBe(0n);
    // the scorer learned B–D cannot carry that much: the next route goes straight to C
    const q = a.payments.queryRoute(d.sim.nodeId, amount);
    expect(q.route[0]!.nodeId).toBe(c.sim.nodeId);
  });

  it('maxAttempts ends a payment whose routes keep failing, with the last failure named', async () => {
    const net = new SimNet();
    const sims = ['A', 'B', 'C', 'D'].map((n) => net.node(n));
    const a = await party(net, sims[0]!, { payments: { maxAttempts: 1 } });
    const [b, c, d] = [await party(net, sims[1]!), await party(net, sims[2]!), await party(net, sims[3]!)];
    net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    net.channel(a.sim, c.sim, 1_000_000n * SAT, 0n);
    net.channel(b.sim, d.sim, 1_000_000n * SAT, 0n);
    net.channel(c.sim, d.sim, 1_000_000n * SAT, 0n);
    b.sim.down = true;
    c.sim.down = true;
    const inv = await d.invoices.createInvoice({ amountMsat: 1000n * SAT, description: 'x' });
    const r = await a.payments.payInvoice(inv.invoice);
    expect(r).toMatchObject({ status: 'failed', failure: { reason: 'attempts_exhausted', codeName: 'temporary_node_failure' } });
    expect(r.attempts).toHaveLength(1);
    expect(a.events.map((e) => e.type)).toEqual(['paymentFailed']);
  });

  it('the fee limit refuses a route dearer than maxFee, and nothing is sent', async () => {
    const net = new SimNet();
    const [a, b, c] = [await party(net, net.node('A')), await party(net, net.node('B')), await party(net, net.node('C'))];
    net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    net.channel(b.sim, c.sim, 1_000_000n * SAT, 0n);
    const inv = await c.invoices.createInvoice({ amountMsat: 1000n * SAT, description: 'x' });
    const r = await a.payments.payInvoice(inv.invoice, { maxFeeMsat: 999n });
    expect(r).toMatchObject({ status: 'failed', failure: { reason: 'fee_limit' } });
    expect(a.sim.sent).toHaveLength(0);
  });
});

describe('never twice, never forgotten', () => {
  it('a second pay of a paid invoice is refused; another payer is refused by the payee', async () => {
    const net = new SimNet();
    const [a, b, e] = [await party(net, net.node('A')), await party(net, net.node('B')), await party(net, net.node('E'))];
    net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    const eb = net.channel(e.sim, b.sim, 1_000_000n * SAT, 0n);
    const inv = await b.invoices.createInvoice({ amountMsat: 1000n * SAT, description: 'once' });
    expect((await a.payments.payInvoice(inv.invoice)).status).toBe('succeeded');
    expect(await code(a.payments.payInvoice(inv.invoice))).toBe('ALREADY_PAID');
    const other = await e.payments.payInvoice(inv.invoice);
    expect(other).toMatchObject({ status: 'failed', failure: { reason: 'rejected_by_payee', codeName: 'incorrect_or_unknown_payment_details', failingNode: b.sim.nodeId } });
    expect(net.balanceOf(eb, b.sim)).toBe(0n);
  });

  it('a restart of the payer mid-payment neither pays twice nor forgets the payment', async () => {
    const net = new SimNet();
    const [a, b] = [await party(net, net.node('A')), await party(net, net.node('B'))];
    const ab = net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    const inv = await b.invoices.createInvoice({ amountMsat: 7000n * SAT, description: 'restart' });
    let release!: () => void;
    a.sim.hold = new Promise((r) => (release = r));
    void a.payments.payInvoice(inv.invoice);
    await until(() => a.sim.sent.length === 1, 5000, 'the HTLC offered');
    // the payer "crashes": its manager is gone; the HTLC completes while it is down
    a.sim.setLocalSink({ onLocalOutcome: async () => undefined });
    release();
    await until(() => a.sim.outcomes.length === 1, 5000, 'the outcome');
    const again = await party(net, a.sim); // a new manager on the same store
    expect(again.payments.list()).toMatchObject([{ paymentHash: inv.paymentHash, status: 'inflight', attempts: [{ status: 'inflight' }] }]);
    expect(await code(again.payments.payInvoice(inv.invoice))).toBe('PAYMENT_IN_FLIGHT');
    await a.sim.redeliver();
    await a.sim.redeliver(); // at least once: twice changes nothing
    expect(again.payments.get(inv.paymentHash)).toMatchObject({ status: 'succeeded', feeMsat: 0n });
    expect(again.events.map((e) => e.type)).toEqual(['paymentSucceeded']);
    expect(a.sim.sent).toHaveLength(1);
    expect(net.balanceOf(ab, b.sim)).toBe(7000n * SAT);
    expect(await code(again.payments.payInvoice(inv.invoice))).toBe('ALREADY_PAID');
  });

  it('a payment stored with no HTLC out (a crash before its first attempt) continues at start', async () => {
    const net = new SimNet();
    const [a0, b] = [net.node('A'), await party(net, net.node('B'))];
    const ab = net.channel(a0, b.sim, 1_000_000n * SAT, 0n);
    const inv = await b.invoices.createInvoice({ amountMsat: 3000n, description: 'crash' });
    const d = decodeInvoice(inv.invoice);
    if (!d.ok) throw new Error(d.message);
    const p = createPayment({ paymentHash: d.invoice.paymentHash, payee: b.sim.nodeId, amountMsat: 3000n, maxFeeMsat: 0n, timeoutMs: 60_000, finalCltvExpiryDelta: 15, paymentSecret: d.invoice.paymentSecret }, clock.now());
    await a0.store.writeRecords([{ kind: 'payment', key: p.paymentId, value: paymentToJson(p) }]);
    const a = await party(net, a0);
    await until(() => a.payments.get(p.paymentId)?.status === 'succeeded', 5000, 'the payment to finish');
    expect(a0.sent).toHaveLength(1);
    expect(net.balanceOf(ab, b.sim)).toBe(3000n);
  });

  it('a failed payment may be paid again (a new record under the same hash)', async () => {
    const net = new SimNet();
    const [a, b] = [await party(net, net.node('A')), await party(net, net.node('B'))];
    const ab = net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    ab.active = false; // the first attempt is refused by our own switch
    const inv = await b.invoices.createInvoice({ amountMsat: 1000n * SAT, description: 'later' });
    const r = await a.payments.payInvoice(inv.invoice, { timeoutMs: 60_000 });
    expect(r).toMatchObject({ status: 'failed', failure: { reason: 'no_route' } });
    ab.active = true;
    const second = await a.payments.payInvoice(inv.invoice);
    expect(second.status).toBe('succeeded');
    expect(a.sim.sent).toHaveLength(1);
  });

  it('a store failure when the payment is created pays nothing and keeps no record', async () => {
    const net = new SimNet();
    const [a, b] = [net.node('A'), await party(net, net.node('B'))];
    const broken: NodeStore = Object.assign(Object.create(a.store) as NodeStore, { writeRecords: () => Promise.reject(new Error('ENOSPC')) });
    const pa = await party(net, a, { store: broken });
    net.channel(a, b.sim, 1_000_000n * SAT, 0n);
    const inv = await b.invoices.createInvoice({ amountMsat: 1000n * SAT, description: 'x' });
    expect(await code(pa.payments.payInvoice(inv.invoice))).toBe('STORE_FAILED');
    expect(pa.payments.list()).toEqual([]);
    expect(a.sent).toHaveLength(0);
  });

  it('the scorer is stored at stop and read back at start', async () => {
    const net = new SimNet();
    const sims = ['A', 'B', 'C', 'D'].map((n) => net.node(n));
    const a = await party(net, sims[0]!);
    const [b, , d] = [await party(net, sims[1]!), await party(net, sims[2]!), await party(net, sims[3]!)];
    net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    net.channel(b.sim, d.sim, 10n * SAT, 0n);
    const inv = await d.invoices.createInvoice({ description: 'any amount' });
    const r = await a.payments.payInvoice(inv.invoice, { amountMsat: 100n * SAT });
    expect(r.status).toBe('failed');
    await a.payments.stop();
    expect((await a.sim.store.loadRecords('payment')).map((x) => x.key)).toContain(SCORER_RECORD_KEY);
    const again = await party(net, a.sim);
    // what it learned (B–D cannot carry 100 sat) survives: the route is refused without a try
    const inv2 = await d.invoices.createInvoice({ amountMsat: 100n * SAT, description: 'again' });
    const r2 = await again.payments.payInvoice(inv2.invoice);
    expect(r2).toMatchObject({ status: 'failed', failure: { reason: 'no_route' }, attempts: [] });
  });
});

describe('keysend', () => {
  it('is refused by default and accepted with acceptKeysend', async () => {
    const net = new SimNet();
    const [a, b, c] = [await party(net, net.node('A')), await party(net, net.node('B')), await party(net, net.node('C'), { acceptKeysend: true })];
    const ab = net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    const ac = net.channel(a.sim, c.sim, 1_000_000n * SAT, 0n);
    const refused = await a.payments.payNode(b.sim.nodeId, 5000n);
    expect(refused).toMatchObject({ status: 'failed', keysend: true, failure: { reason: 'rejected_by_payee', codeName: 'incorrect_or_unknown_payment_details' } });
    expect(net.balanceOf(ab, b.sim)).toBe(0n);
    const ok = await a.payments.payNode(c.sim.nodeId, 5000n);
    expect(ok).toMatchObject({ status: 'succeeded', keysend: true, feeMsat: 0n });
    expect(net.balanceOf(ac, c.sim)).toBe(5000n);
    expect(c.invoices.list()).toMatchObject([{ paymentHash: ok.paymentHash, keysend: true, status: 'paid', receivedMsat: 5000n }]);
  });

  it('keysend receipts are bounded: past the bound keysend is refused', async () => {
    const net = new SimNet();
    const [a, c] = [await party(net, net.node('A')), await party(net, net.node('C'), { acceptKeysend: true, invoices: { maxKeysendReceipts: 1 } })];
    net.channel(a.sim, c.sim, 1_000_000n * SAT, 0n);
    expect((await a.payments.payNode(c.sim.nodeId, 5000n)).status).toBe('succeeded');
    expect((await a.payments.payNode(c.sim.nodeId, 5000n)).status).toBe('failed');
  });
});

describe('invoices', () => {
  it('are lnsb BOLT 11 strings signed by the node key, with the preimage stored before they are returned', async () => {
    const net = new SimNet();
    const [a, b] = [await party(net, net.node('A')), await party(net, net.node('B'))];
    net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    const inv = await b.invoices.createInvoice({ amountMsat: 2500n, description: 'tea', expirySeconds: 600 });
    const d = decodeInvoice(inv.invoice);
    if (!d.ok) throw new Error(d.message);
    expect(inv.invoice.startsWith('lnsb')).toBe(true);
    expect(toHex(d.invoice.payeeNodeKey)).toBe(b.sim.nodeId);
    expect(d.invoice).toMatchObject({ amountMsat: 2500n, description: 'tea', expirySeconds: 600 });
    expect(toHex(d.invoice.paymentSecret)).toBe(inv.paymentSecret);
    expect(d.invoice.routeHints.map((h) => toHex(h[0]!.nodeId))).toEqual([a.sim.nodeId]);
    const [stored] = await b.sim.store.loadRecords('invoice');
    expect(toHex(sha256(Buffer.from(String(stored!.value['preimage']), 'hex')))).toBe(inv.paymentHash);
    expect(inv.expiresAt).toBe(Math.floor(clock.now() / 1000) * 1000 + 600_000);
  });

  it('the HTLC that paid an invoice, asked about again, is settled again; any other HTLC for it is refused', async () => {
    const net = new SimNet();
    const b = await party(net, net.node('B'));
    const inv = await b.invoices.createInvoice({ amountMsat: 5000n, description: 'once' });
    const d = decodeInvoice(inv.invoice);
    if (!d.ok) throw new Error(d.message);
    const payload = { amountToForwardMsat: 5000n, outgoingCltvValue: BigInt(net.height + 20), paymentData: { paymentSecret: d.invoice.paymentSecret, totalMsat: 5000n }, customRecords: [] };
    const htlc = { channelId: 'ab'.repeat(32), htlcId: 7, amountMsat: 5000n, paymentHash: d.invoice.paymentHash, expiryHeight: net.height + 20 };
    const first = await b.invoices.onFinalHtlc(htlc, payload);
    const again = await b.invoices.onFinalHtlc(htlc, payload);
    expect(first.kind).toBe('settle');
    expect(again).toEqual(first);
    expect(first.kind === 'settle' && first.attached?.[0]).toMatchObject({ kind: 'invoice', key: inv.paymentHash, value: { status: 'paid', paidBy: `${htlc.channelId}/7` } });
    const other = await b.invoices.onFinalHtlc({ ...htlc, htlcId: 8 }, payload);
    expect(other.kind).toBe('fail');
    expect(other.kind === 'fail' && (other.failureMessage[0]! << 8) | other.failureMessage[1]!).toBe(0x400f);
    expect(b.events.filter((e) => e.type === 'invoicePaid')).toHaveLength(1);
  });

  it('open invoices are bounded; bad requests are refused', async () => {
    const net = new SimNet();
    const b = await party(net, net.node('B'), { invoices: { maxOpenInvoices: 2 } });
    await b.invoices.createInvoice({ description: '1' });
    await b.invoices.createInvoice({ description: '2' });
    expect(await code(b.invoices.createInvoice({ description: '3' }))).toBe('TOO_MANY_INVOICES');
    expect(await code(b.invoices.createInvoice({ description: 'x'.repeat(640) }))).toBe('BAD_DESCRIPTION');
    expect(await code(b.invoices.createInvoice({ description: 'x', amountMsat: 0n }))).toBe('BAD_AMOUNT');
    expect(await code(b.invoices.createInvoice({ description: 'x', expirySeconds: 0 }))).toBe('BAD_EXPIRY');
  });

  it('the payer refuses an expired invoice, a zero-amount one without an amount, and a mismatched amount', async () => {
    const net = new SimNet();
    const [a, b] = [await party(net, net.node('A')), await party(net, net.node('B'))];
    net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    const any = await b.invoices.createInvoice({ description: 'any' });
    expect(await code(a.payments.payInvoice(any.invoice))).toBe('AMOUNT_REQUIRED');
    const fixed = await b.invoices.createInvoice({ amountMsat: 1000n, description: 'fixed', expirySeconds: 1 });
    expect(await code(a.payments.payInvoice(fixed.invoice, { amountMsat: 2000n }))).toBe('AMOUNT_MISMATCH');
    clock.advance(1000);
    expect(await code(a.payments.payInvoice(fixed.invoice))).toBe('INVOICE_EXPIRED');
    expect(b.invoices.get(fixed.paymentHash)?.status).toBe('expired');
    expect(await code(a.payments.payInvoice('lnsb1garbage'))).toBe('BAD_INVOICE');
  });

  it('payInvoice answers at the time limit with the HTLC still out, and the payment ends later', async () => {
    const net = new SimNet();
    const [a, b] = [await party(net, net.node('A')), await party(net, net.node('B'))];
    net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    let release!: () => void;
    a.sim.hold = new Promise((r) => (release = r));
    const inv = await b.invoices.createInvoice({ amountMsat: 1000n, description: 'slow' });
    const answer = a.payments.payInvoice(inv.invoice, { timeoutMs: 5000 });
    await until(() => a.sim.sent.length === 1, 5000, 'the HTLC offered');
    clock.advance(5000);
    expect(await answer).toMatchObject({ status: 'inflight', attempts: [{ status: 'inflight' }] });
    release();
    await until(() => a.payments.get(inv.paymentHash)?.status === 'succeeded', 5000, 'the late success');
    expect(a.events.map((e) => e.type)).toEqual(['paymentSucceeded']);
  });

  it('payments in flight are bounded', async () => {
    const net = new SimNet();
    const [a, b] = [await party(net, net.node('A'), { payments: { maxInFlight: 1 } }), await party(net, net.node('B'))];
    net.channel(a.sim, b.sim, 1_000_000n * SAT, 0n);
    a.sim.hold = new Promise(() => undefined);
    const one = await b.invoices.createInvoice({ amountMsat: 1000n, description: '1' });
    const two = await b.invoices.createInvoice({ amountMsat: 1000n, description: '2' });
    void a.payments.payInvoice(one.invoice);
    await until(() => a.sim.sent.length === 1, 5000, 'the first HTLC');
    expect(await code(a.payments.payInvoice(two.invoice))).toBe('TOO_MANY_PAYMENTS');
  });
});
