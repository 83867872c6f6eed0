// A decoded BOLT 11 invoice as the API shows it, and short channel ids as people read them
// (`BLOCKxTXxOUTPUT`, BOLT 7). Shared by the node (`POST /v1/invoices/decode`) and the CLI, which
// decodes locally (`sluice invoice decode` needs no running node).
import { InputError, toHex } from '../crypto/bytes.js';
import { decodeInvoice, invoiceExpiresAt, isInvoiceExpired, type Invoice } from '../invoice/invoice.js';
import type { DecodedInvoiceView } from './routing-types.js';

/** 8 bytes (or 16 hex characters) as `block x tx x output`. */
export function formatShortChannelId(scid: Uint8Array | string): string {
  const hex = typeof scid === 'string' ? scid : toHex(scid);
  if (!/^[0-9a-f]{16}$/i.test(hex)) return hex;
  const n = BigInt(`0x${hex}`);
  return `${n >> 40n}x${(n >> 16n) & 0xffffffn}x${n & 0xffffn}`;
}

export function decodedInvoiceView(inv: Invoice, nowMs: number): DecodedInvoiceView {
  const d: DecodedInvoiceView = {
    network: inv.network,
    payee: toHex(inv.payeeNodeKey),
    paymentHash: toHex(inv.paymentHash),
    createdAt: inv.timestamp * 1000,
    expiresAt: invoiceExpiresAt(inv) * 1000,
    expired: isInvoiceExpired(inv, Math.floor(nowMs / 1000)),
    minFinalCltvExpiryDelta: inv.minFinalCltvExpiryDelta,
    features: inv.features.bits(),
    routeHints: inv.routeHints.map((hops) =>
      hops.map((h) => ({
        nodeId: toHex(h.nodeId),
        shortChannelId: formatShortChannelId(h.shortChannelId),
        feeBase: BigInt(h.feeBaseMsat),
        feePpm: h.feeProportionalMillionths,
        cltvExpiryDelta: h.cltvExpiryDelta,
      })),
    ),
  };
  if (inv.amountMsat !== undefined) d.amount = inv.amountMsat;
  if (inv.description !== undefined) d.description = inv.description;
  if (inv.descriptionHash !== undefined) d.descriptionHash = toHex(inv.descriptionHash);
  return d;
}

/** Decode or throw an InputError that says why (the API's 400, the CLI's BAD_INPUT). */
export function decodeInvoiceOrThrow(text: string, nowMs: number): DecodedInvoiceView {
  const r = decodeInvoice(text);
  if (!r.ok) throw new InputError(`invoice: ${r.message} (${r.error})`);
  return decodedInvoiceView(r.invoice, nowMs);
}
