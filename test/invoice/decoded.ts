import { decodeInvoice, type Invoice } from '../../src/invoice/invoice.js';

/** Decode an invoice a test expects to be valid, failing with the decoder's reason otherwise. */
export function decoded(s: string): Invoice {
  const r = decodeInvoice(s);
  if (!r.ok) throw new Error(`${r.error}: ${r.message}`);
  return r.invoice;
}
