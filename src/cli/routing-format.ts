// How the routing commands show invoices, routed payments, routes, the graph and a policy to people.
// Text from the network (descriptions, aliases, failure reasons) goes through safeText.
import type { DecodedInvoiceView, ForwardView, GraphView, InvoiceView, PolicyView, RouteHopView, RouteView, RoutedPaymentView } from '../api/routing-types.js';
import { formatMsat } from '../money.js';
import { formatDuration } from '../util/duration.js';
import { safeText, shortId } from './node-format.js';

const when = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export function invoiceCreatedLines(i: InvoiceView): string {
  return [
    i.invoice,
    '',
    `amount       ${i.amount === undefined ? 'any (the payer chooses)' : formatMsat(i.amount)}`,
    `payment hash ${i.paymentHash}`,
    `expires      ${when(i.expiresAt)} (in ${formatDuration(Math.max(0, i.expiresAt - Date.now()))})`,
    ...(i.description ? [`description  ${safeText(i.description)}`] : []),
  ].join('\n');
}

export function invoiceLine(i: InvoiceView): string {
  const amount = i.amount === undefined ? 'any amount' : formatMsat(i.amount);
  const paid = i.status === 'paid' && i.received !== undefined ? ` (received ${formatMsat(i.received)})` : '';
  const desc = i.description ? `  "${safeText(i.description, 60)}"` : '';
  return `${i.paymentHash.slice(0, 16)}…  ${i.status.padEnd(7)} ${amount}${paid}  created ${when(i.createdAt)}${desc}`;
}

export function decodedInvoiceLines(d: DecodedInvoiceView): string {
  const lines = [
    `network      ${d.network}`,
    `payee        ${d.payee}`,
    `amount       ${d.amount === undefined ? 'any (the payer chooses)' : formatMsat(d.amount)}`,
    `payment hash ${d.paymentHash}`,
    `created      ${when(d.createdAt)}`,
    `expires      ${when(d.expiresAt)}${d.expired ? ' (expired)' : ''}`,
    `min final expiry delta ${d.minFinalCltvExpiryDelta} blocks`,
  ];
  if (d.description !== undefined) lines.push(`description  ${safeText(d.description)}`);
  if (d.descriptionHash !== undefined) lines.push(`description hash ${d.descriptionHash}`);
  lines.push(`features     ${d.features.join(', ') || 'none'}`);
  for (const [n, hint] of d.routeHints.entries()) {
    lines.push(`route hint ${n + 1}: ${hint.map((h) => `${shortId(h.nodeId)} via ${h.shortChannelId} (${formatMsat(h.feeBase)} + ${h.feePpm} ppm, ${h.cltvExpiryDelta} blocks)`).join(' → ')}`);
  }
  return lines.join('\n');
}

function hopLine(h: RouteHopView, n: number): string {
  const fee = h.fee > 0n ? `, keeps ${formatMsat(h.fee)}` : '';
  return `  ${n + 1}. ${h.nodeId} via ${h.shortChannelId}: ${formatMsat(h.amount)} in, expiry ${h.expiryHeight}${fee}`;
}

export function routeLines(r: RouteView): string {
  return [`${r.hops.length} hop(s): ${formatMsat(r.amount)} to the payee, ${formatMsat(r.fee)} in fees`, ...r.hops.map(hopLine)].join('\n');
}

export function paymentOutcomeLines(p: RoutedPaymentView): string {
  const head =
    p.status === 'succeeded'
      ? `paid ${formatMsat(p.amount)} to ${p.payee} over ${p.route.length} hop(s), fee ${formatMsat(p.fee)}, in ${p.attempts.length} attempt(s)`
      : p.status === 'failed'
        ? `payment failed after ${p.attempts.length} attempt(s): ${safeText(p.failure ?? 'no reason given')}`
        : `payment still in flight (${p.attempts.length} attempt(s) so far)`;
  const lines = [head, `payment hash ${p.paymentHash}`];
  if (p.preimage !== undefined) lines.push(`preimage     ${p.preimage}`);
  if (p.route.length) lines.push('route:', ...p.route.map(hopLine));
  for (const [n, a] of p.attempts.entries()) {
    if (a.failure) lines.push(`attempt ${n + 1}: ${a.failure.code}${a.failure.nodeId ? ` at ${shortId(a.failure.nodeId)}` : ''}${a.failure.hop !== undefined ? ` (hop ${a.failure.hop + 1})` : ''}`);
  }
  return lines.join('\n');
}

export function paymentLine(p: RoutedPaymentView): string {
  return `${p.paymentHash.slice(0, 16)}…  ${p.status.padEnd(9)} ${p.kind.padEnd(7)} ${formatMsat(p.amount)} to ${shortId(p.payee)}  fee ${formatMsat(p.fee)}  ${p.route.length} hop(s), ${p.attempts.length} attempt(s)${p.failure ? `  ${safeText(p.failure, 80)}` : ''}`;
}

export function graphLines(g: GraphView): string {
  const lines = [`${g.nodes.length} node(s), ${g.channels.length} channel(s)`];
  for (const n of g.nodes) lines.push(`node ${n.nodeId}${n.alias ? ` "${safeText(n.alias, 32)}"` : ''}${n.address ? ` at ${safeText(n.address, 80)}` : ''}: ${n.channels} channel(s)`);
  for (const c of g.channels) {
    const pol = (p: PolicyView | undefined) => (p ? `${formatMsat(p.feeBase)} + ${p.feePpm} ppm, ${p.cltvExpiryDelta} blocks${p.disabled ? ', disabled' : ''}` : 'no policy');
    lines.push(`channel ${c.shortChannelId}: ${shortId(c.node1)} ↔ ${shortId(c.node2)}, ${formatMsat(c.capacity)}; ${shortId(c.node1)}: ${pol(c.policy1)}; ${shortId(c.node2)}: ${pol(c.policy2)}`);
  }
  return lines.join('\n');
}

export function policyLines(p: PolicyView): string {
  return [
    `base fee     ${formatMsat(p.feeBase)}`,
    `fee rate     ${p.feePpm} ppm`,
    `expiry delta ${p.cltvExpiryDelta} blocks`,
    `min HTLC     ${formatMsat(p.htlcMinimum)}`,
    `max HTLC     ${p.htlcMaximum === undefined ? 'the channel\'s capacity' : formatMsat(p.htlcMaximum)}`,
  ].join('\n');
}

export function forwardLine(f: ForwardView): string {
  const out = f.amountOut === undefined ? '' : ` → ${formatMsat(f.amountOut)} on ${shortId(f.outgoingChannelId ?? '?')}`;
  const why = f.failure ? `  ${safeText(f.failure, 60)}` : '';
  return `${when(f.createdAt)}  ${f.status.padEnd(8)} ${formatMsat(f.amountIn)} from ${shortId(f.incomingChannelId)}${out}  fee ${formatMsat(f.fee)}${why}`;
}
