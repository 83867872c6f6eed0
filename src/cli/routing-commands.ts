// What the routing commands do (the command tree is in program-routing.ts). Arguments are checked
// before anything is sent, so a typo fails fast even when no node runs; `invoice decode` needs no node.
import { ApiClient } from '../api/client.js';
import { parseChannelId, parseNodeId } from '../api/fields.js';
import { decodeInvoiceOrThrow } from '../api/invoice-view.js';
import { MAX_INVOICE_EXPIRY_SECONDS, MAX_PAY_TIMEOUT_MS } from '../api/routing-requests.js';
import type { PolicyUpdate, RoutedPaymentView } from '../api/routing-types.js';
import { formatMsat, parseAmount } from '../money.js';
import { parseDuration } from '../util/duration.js';
import { connectToNode, nodeAddress, type ConnectionOptions } from './node-connection.js';
import { withAmounts } from './node-commands.js';
import { paymentLine as directPaymentLine } from './node-format.js';
import { print, UsageError, type OutputOptions } from './output.js';
import { parseCount } from './parse.js';
import { decodedInvoiceLines, forwardLine, graphLines, invoiceCreatedLines, invoiceLine, paymentLine, paymentOutcomeLines, policyLines, routeLines } from './routing-format.js';

/** A pay call waits for its outcome: the client waits that long plus room for the answer. */
const ANSWER_MARGIN_MS = 30_000;

export async function invoiceCreate(amountText: string | undefined, o: ConnectionOptions & { description: string; expiry: string }): Promise<void> {
  const amount = amountText === undefined ? undefined : parseAmount(amountText);
  if (amount === 0n) throw new UsageError('amount: must be more than 0 (leave it out to let the payer choose)');
  const expiryMs = parseDuration(o.expiry, '--expiry');
  const expirySeconds = Math.ceil(expiryMs / 1000);
  if (expirySeconds < 1 || expirySeconds > MAX_INVOICE_EXPIRY_SECONDS) throw new UsageError('--expiry: between 1s and 365d');
  const client = await connectToNode(o);
  const inv = await client.createInvoice({ description: o.description, expirySeconds, ...(amount !== undefined ? { amount } : {}) });
  print(o, inv, () => invoiceCreatedLines(inv));
}

export async function invoiceList(o: ConnectionOptions): Promise<void> {
  const list = await (await connectToNode(o)).listInvoices();
  print(o, list, () => (list.length ? list.map(invoiceLine).join('\n') : 'no invoices yet (sluice invoice create AMOUNT)'));
}

export async function invoiceDecode(text: string, o: OutputOptions): Promise<void> {
  const d = decodeInvoiceOrThrow(text.trim(), Date.now());
  print(o, d, () => decodedInvoiceLines(d));
}

const looksLikeInvoice = (t: string) => /^ln/i.test(t.trim());

export async function pay(target: string, amountText: string | undefined, o: ConnectionOptions & { maxFee?: string; timeout: string }): Promise<void> {
  const amount = amountText === undefined ? undefined : parseAmount(amountText);
  if (amount === 0n) throw new UsageError('amount: must be more than 0');
  const maxFee = o.maxFee === undefined ? undefined : parseAmount(o.maxFee, '--max-fee');
  const timeoutMs = parseDuration(o.timeout, '--timeout');
  if (timeoutMs < 1000 || timeoutMs > MAX_PAY_TIMEOUT_MS) throw new UsageError('--timeout: between 1s and 10min');
  const limits = { ...(maxFee !== undefined ? { maxFee } : {}), timeoutMs };
  const invoice = looksLikeInvoice(target) ? target.trim() : undefined;
  const nodeId = invoice === undefined ? parseNodeId(target, 'node id') : undefined;
  if (nodeId !== undefined && amount === undefined) throw new UsageError('amount: needed to pay a node (sluice pay NODEID AMOUNT)');
  const client = new ApiClient({ ...(await nodeAddress(o)), timeoutMs: timeoutMs + ANSWER_MARGIN_MS });
  if (invoice !== undefined) {
    const p = await withAmounts(amountText ?? '', () => client.payInvoice({ invoice, ...(amount !== undefined ? { amount } : {}), ...limits }));
    return showOutcome(o, p);
  }
  await payNode(client, nodeId!, amount!, amountText!, limits, o);
}

async function payNode(client: ApiClient, nodeId: string, amount: bigint, amountText: string, limits: { maxFee?: bigint; timeoutMs: number }, o: OutputOptions): Promise<void> {
  // Direct when we have an open channel with the node that can carry it: one update, no fee, no routing.
  const direct = (await client.listChannels()).some((c) => c.peerId === nodeId && c.status === 'open' && (c.localSpendable ?? c.localBalance) >= amount);
  if (direct) {
    const p = await withAmounts(amountText, () => client.pay({ peerId: nodeId, amount }));
    print(o, { ...p, status: 'succeeded', kind: 'direct' }, () => directPaymentLine(p));
    return;
  }
  showOutcome(o, await withAmounts(amountText, () => client.payNode({ nodeId, amount, ...limits })));
}

/** A failed payment prints its record too (what was tried, where it failed), and exits non-zero. */
function showOutcome(o: OutputOptions, p: RoutedPaymentView): void {
  print(o, p, () => paymentOutcomeLines(p));
  if (p.status !== 'succeeded') process.exitCode = p.status === 'failed' ? 1 : 3;
}

export async function paymentList(o: ConnectionOptions): Promise<void> {
  const list = await (await connectToNode(o)).listPayments();
  print(o, list, () => (list.length ? list.map(paymentLine).join('\n') : 'no routed payments yet (sluice pay INVOICE)'));
}

export async function forwardList(o: ConnectionOptions): Promise<void> {
  const list = await (await connectToNode(o)).listForwards();
  const earned = list.filter((f) => f.status === 'settled').reduce((sum, f) => sum + f.fee, 0n);
  print(o, list, () => (list.length ? [...list.map(forwardLine), `earned ${formatMsat(earned)} in fees over ${list.filter((f) => f.status === 'settled').length} settled forward(s)`].join('\n') : 'no forwards yet'));
}

export async function route(nodeIdText: string, amountText: string, o: ConnectionOptions): Promise<void> {
  const nodeId = parseNodeId(nodeIdText, 'node id');
  const amount = parseAmount(amountText);
  if (amount === 0n) throw new UsageError('amount: must be more than 0');
  const r = await (await connectToNode(o)).queryRoute({ nodeId, amount });
  print(o, r, () => routeLines(r));
}

export async function graph(o: ConnectionOptions): Promise<void> {
  const g = await (await connectToNode(o)).graph();
  print(o, g, () => graphLines(g));
}

export async function channelPolicy(
  id: string,
  o: ConnectionOptions & { baseFee?: string; feePpm?: string; expiryDelta?: string; minHtlc?: string; maxHtlc?: string },
): Promise<void> {
  const channelId = parseChannelId(id, 'channel id');
  const update: PolicyUpdate = {};
  if (o.baseFee !== undefined) update.feeBase = parseAmount(o.baseFee, '--base-fee');
  if (o.feePpm !== undefined) update.feePpm = parseCount(o.feePpm, '--fee-ppm');
  if (o.expiryDelta !== undefined) update.cltvExpiryDelta = parseCount(o.expiryDelta, '--expiry-delta');
  if (o.minHtlc !== undefined) update.htlcMinimum = parseAmount(o.minHtlc, '--min-htlc');
  if (o.maxHtlc !== undefined) update.htlcMaximum = parseAmount(o.maxHtlc, '--max-htlc');
  const client = await connectToNode(o);
  const p = await client.channelPolicy(Object.keys(update).length ? { channelId, update } : { channelId });
  print(o, p, () => policyLines(p));
}
