import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { decoded } from './decoded.js';
import { publicKeyOf } from '../../src/crypto/keys.js';
import { decodeInvoice, signInvoice, type Invoice, type InvoiceErrorKind } from '../../src/invoice/invoice.js';

interface InvoiceVectors {
  signing_private_key: string;
  payee_node_id: string;
  payment_secret_unless_noted: string;
  valid: { title: string; invoice: string }[];
  invalid: { title: string; invoice: string }[];
}
const vectors = JSON.parse(readFileSync(new URL('../vectors/bolt11-invoices.json', import.meta.url), 'utf8')) as InvoiceVectors;
const key = fromHex(vectors.signing_private_key);

const HALF_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n >> 1n;
const isHighS = (inv: Invoice) => BigInt(`0x${toHex(inv.signature.subarray(32))}`) > HALF_N;

describe('BOLT 11 valid examples (bolt11-invoices.json)', () => {
  it('the given key is the payee', () => {
    expect(toHex(publicKeyOf(key))).toBe(vectors.payee_node_id);
  });

  it.each(vectors.valid.map((v) => [v.title, v.invoice]))('%s', (title, invoice) => {
    const inv = decoded(invoice);
    expect(toHex(inv.payeeNodeKey)).toBe(vectors.payee_node_id);
    expect(inv.paymentHash.length).toBe(32);
    // a title that names a secret names this one; otherwise it is the file's default
    expect(toHex(inv.paymentSecret)).toBe(vectors.payment_secret_unless_noted);
    // the title's own payment hash, when it spells one out
    const named = /payment_hash ([0-9a-f]{64})/.exec(title);
    if (named) expect(toHex(inv.paymentHash)).toBe(named[1]);
    // features the title lists are the features set
    const feat = /supports features ((?:\d+(?:, | and ))*\d+)/.exec(title);
    if (feat) expect(inv.features.bits()).toEqual(feat[1]!.split(/, | and /).map(Number));
    const meta = /payment metadata 0x([0-9a-f]+)/.exec(title);
    if (meta) expect(toHex(inv.metadata!)).toBe(meta[1]);

    const again = signInvoice({ network: inv.network, ...(inv.amountMsat !== undefined ? { amountMsat: inv.amountMsat } : {}), timestamp: inv.timestamp, fields: inv.fields }, key);
    if (isHighS(inv)) {
      // we only ever write low-S: a different string, the same invoice
      expect(again).not.toBe(invoice.toLowerCase());
      const re = decoded(again);
      expect(toHex(re.payeeNodeKey)).toBe(vectors.payee_node_id);
      expect(re.fields).toEqual(inv.fields);
    } else {
      expect(again).toBe(invoice.toLowerCase());
    }
  });

  it('reads what the titles say of amounts, descriptions, expiry and hints', () => {
    const [donation, coffee, nonsense, hashed, testnet, hints] = vectors.valid.map((v) => decoded(v.invoice));
    expect(donation!.amountMsat).toBeUndefined();
    expect(donation!.description).toBe('Please consider supporting this project');
    expect(coffee!.amountMsat).toBe(250_000_000n);
    expect(coffee!.expirySeconds).toBe(60);
    expect(coffee!.description).toBe('1 cup coffee');
    expect(nonsense!.description).toBe('ナンセンス 1杯');
    expect(hashed!.descriptionHash).toBeDefined();
    expect(hashed!.amountMsat).toBe(2_000_000_000n);
    expect(testnet!.network).toBe('testnet');
    expect(hints!.routeHints).toHaveLength(1);
    expect(hints!.routeHints[0]!.map((h) => toHex(h.nodeId))).toEqual(
      /via nodes (\w+) then (\w+)/.exec(vectors.valid[5]!.title)!.slice(1, 3),
    );
    expect(hints!.fields.filter((f) => f.tag === 'f')).toHaveLength(1);
  });
});

// The reason each invalid example fails, by the spec's title for it.
const REASONS: Record<string, InvoiceErrorKind> = {
  'Same, but adding invalid unknown feature 100': 'unknown_required_feature',
  'Bech32 checksum is invalid.': 'bad_checksum',
  'Malformed bech32 string (no 1)': 'no_separator',
  'Malformed bech32 string (mixed case)': 'mixed_case',
  'Signature is not recoverable.': 'bad_signature',
  'String is too short.': 'too_short',
  'Invalid multiplier': 'bad_amount',
  'Invalid sub-millisatoshi precision.': 'bad_amount',
  'Missing required `s` field.': 'missing_payment_secret',
  "Non canonical signature (high-S) with 'n' field defined": 'bad_signature',
};

describe('BOLT 11 invalid examples (bolt11-invoices.json)', () => {
  it('every invalid example has a reason here', () => {
    expect(vectors.invalid.map((v) => v.title).sort()).toEqual(Object.keys(REASONS).sort());
  });

  it.each(vectors.invalid.map((v) => [v.title, v.invoice]))('%s', (title, invoice) => {
    const r = decodeInvoice(invoice);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe(REASONS[title]);
  });
});
