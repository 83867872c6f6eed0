// The payee's invoice record (and keysend receipt) as stored JSON, and what callers see of it.
import { fromHex, toHex } from '../crypto/bytes.js';
import { asObject, str, uintField, type JsonObject } from '../util/json-fields.js';
import type { InvoiceView } from '../payments/views.js';

export type { InvoiceView } from '../payments/views.js';

export interface InvoiceRecord {
  paymentHash: string;
  /** random, stored before the invoice is handed out; the receipt a payer gets */
  preimage: Uint8Array;
  paymentSecret: Uint8Array;
  /** absent: any amount (and for a keysend receipt, what was received is in receivedMsat) */
  amountMsat?: bigint;
  description: string;
  /** the BOLT 11 string; absent for a keysend receipt */
  invoice?: string;
  /** ms since 1970 */
  createdAt: number;
  expiresAt: number;
  minFinalCltvExpiryDelta: number;
  status: 'open' | 'paid';
  paidAt?: number;
  receivedMsat?: bigint;
  /** `${channelId}/${htlcId}` of the HTLC that paid it: the same HTLC asking again gets the same answer */
  paidBy?: string;
  keysend: boolean;
}

export function invoiceView(r: InvoiceRecord, nowMs: number): InvoiceView {
  return {
    paymentHash: r.paymentHash,
    ...(r.invoice !== undefined ? { invoice: r.invoice } : {}),
    ...(r.amountMsat !== undefined ? { amountMsat: r.amountMsat } : {}),
    description: r.description,
    status: r.status === 'paid' ? 'paid' : nowMs >= r.expiresAt ? 'expired' : 'open',
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    ...(r.paidAt !== undefined ? { paidAt: r.paidAt } : {}),
    ...(r.receivedMsat !== undefined ? { receivedMsat: r.receivedMsat } : {}),
    keysend: r.keysend,
  };
}

export function invoiceToJson(r: InvoiceRecord): JsonObject {
  const out: JsonObject = {
    paymentHash: r.paymentHash, preimage: toHex(r.preimage), paymentSecret: toHex(r.paymentSecret), description: r.description,
    createdAt: r.createdAt, expiresAt: r.expiresAt, minFinalCltvExpiryDelta: r.minFinalCltvExpiryDelta, status: r.status, keysend: r.keysend,
  };
  if (r.amountMsat !== undefined) out['amountMsat'] = r.amountMsat.toString();
  if (r.invoice !== undefined) out['invoice'] = r.invoice;
  if (r.paidAt !== undefined) out['paidAt'] = r.paidAt;
  if (r.receivedMsat !== undefined) out['receivedMsat'] = r.receivedMsat.toString();
  if (r.paidBy !== undefined) out['paidBy'] = r.paidBy;
  return out;
}

function big(o: Record<string, unknown>, key: string): bigint | undefined {
  if (o[key] === undefined) return undefined;
  const v = str(o, key);
  if (!/^\d+$/.test(v)) throw new Error(`invoice record: ${key} is not a whole number`);
  return BigInt(v);
}

export function invoiceFromJson(v: unknown): InvoiceRecord {
  const o = asObject(v, 'invoice');
  const status = str(o, 'status');
  if (status !== 'open' && status !== 'paid') throw new Error(`invoice record: unknown status ${status}`);
  const amountMsat = big(o, 'amountMsat');
  const receivedMsat = big(o, 'receivedMsat');
  const paidAt = o['paidAt'] === undefined ? undefined : uintField(o, 'paidAt');
  return {
    paymentHash: str(o, 'paymentHash'), preimage: fromHex(str(o, 'preimage'), 'preimage', 32), paymentSecret: fromHex(str(o, 'paymentSecret'), 'paymentSecret', 32),
    description: str(o, 'description'), createdAt: uintField(o, 'createdAt'), expiresAt: uintField(o, 'expiresAt'),
    minFinalCltvExpiryDelta: uintField(o, 'minFinalCltvExpiryDelta'), status, keysend: o['keysend'] === true,
    ...(amountMsat !== undefined ? { amountMsat } : {}), ...(receivedMsat !== undefined ? { receivedMsat } : {}),
    ...(o['invoice'] !== undefined ? { invoice: str(o, 'invoice') } : {}), ...(paidAt !== undefined ? { paidAt } : {}),
    ...(o['paidBy'] !== undefined ? { paidBy: str(o, 'paidBy') } : {}),
  };
}
