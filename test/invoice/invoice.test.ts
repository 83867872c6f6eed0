import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../../src/crypto/bytes.js';
import { decoded } from './decoded.js';
import { sha256 } from '../../src/crypto/hash.js';
import { publicKeyOf } from '../../src/crypto/keys.js';
import { formatHrp, parseHrp } from '../../src/invoice/amount.js';
import { bech32Decode, bech32Encode, bytesToWords, wordsToBytes } from '../../src/invoice/bech32.js';
import {
  createInvoice, decodeInvoice, invoiceExpiresAt, isInvoiceExpired, MAX_INVOICE_LENGTH,
} from '../../src/invoice/invoice.js';

const nodeKey = new Uint8Array(32).fill(0x42);
const hubKey = publicKeyOf(new Uint8Array(32).fill(0x43));
const preimage = new Uint8Array(32).fill(9);
const base = {
  timestamp: 1_800_000_000,
  paymentHash: sha256(preimage),
  paymentSecret: new Uint8Array(32).fill(0x55),
  minFinalCltvExpiryDelta: 12,
  nodeSecretKey: nodeKey,
};

describe('sluice invoices', () => {
  it('are lnsb, signed by the node key, with s, c, x and features 8 and 14', () => {
    const s = createInvoice({ ...base, amountMsat: 1_500n, description: 'a coffee', expirySeconds: 600 });
    expect(s.startsWith('lnsb15n1')).toBe(true);
    const inv = decoded(s);
    expect(inv.network).toBe('simnet');
    expect(inv.amountMsat).toBe(1_500n);
    expect(toHex(inv.payeeNodeKey)).toBe(toHex(publicKeyOf(nodeKey)));
    expect(toHex(inv.paymentHash)).toBe(toHex(base.paymentHash));
    expect(toHex(inv.paymentSecret)).toBe(toHex(base.paymentSecret));
    expect(inv.description).toBe('a coffee');
    expect(inv.minFinalCltvExpiryDelta).toBe(12);
    expect(inv.features.bits()).toEqual([8, 14]);
    expect(invoiceExpiresAt(inv)).toBe(base.timestamp + 600);
    expect(isInvoiceExpired(inv, base.timestamp + 599)).toBe(false);
    expect(isInvoiceExpired(inv, base.timestamp + 600)).toBe(true);
  });

  it('carry route hints for private channels, and the payee key when asked', () => {
    const hop = { nodeId: hubKey, shortChannelId: Uint8Array.of(0, 0, 5, 0, 0, 1, 0, 0), feeBaseMsat: 1000, feeProportionalMillionths: 100, cltvExpiryDelta: 12 };
    const inv = decoded(createInvoice({ ...base, description: '', routeHints: [[hop], [hop, { ...hop, feeBaseMsat: 0xffffffff }]], includePayeeKey: true }));
    expect(inv.routeHints).toEqual([[hop], [hop, { ...hop, feeBaseMsat: 0xffffffff }]]);
    expect(inv.amountMsat).toBeUndefined();
    expect(inv.fields.some((f) => f.tag === 'n')).toBe(true);
    expect(toHex(inv.payeeNodeKey)).toBe(toHex(publicKeyOf(nodeKey)));
  });

  it('commit to a description hash instead of the text', () => {
    const inv = decoded(createInvoice({ ...base, descriptionHash: sha256(new TextEncoder().encode('long terms')) }));
    expect(inv.description).toBeUndefined();
    expect(inv.descriptionHash).toBeDefined();
    expect(() => createInvoice({ ...base })).toThrow(/exactly one/);
  });

  it('any change to the string breaks the checksum; a re-checksummed change breaks the signature', () => {
    const s = createInvoice({ ...base, amountMsat: 10_000n, description: 'x', includePayeeKey: true });
    const flipped = s.slice(0, 30) + (s[30] === 'q' ? 'p' : 'q') + s.slice(31);
    expect(decodeInvoice(flipped)).toMatchObject({ ok: false, error: 'bad_checksum' });
    // move the amount: valid bech32, but the n key no longer signed it
    const b = bech32Decode(s, MAX_INVOICE_LENGTH);
    if (!b.ok) throw new Error('own invoice does not decode');
    const forged = bech32Encode('lnsb20u', b.words);
    expect(decodeInvoice(forged)).toMatchObject({ ok: false, error: 'bad_signature' });
    // without n the forgery recovers someone else, never the payee
    const noN = bech32Decode(createInvoice({ ...base, amountMsat: 10_000n, description: 'x' }), MAX_INVOICE_LENGTH);
    if (!noN.ok) throw new Error('own invoice does not decode');
    const r = decodeInvoice(bech32Encode('lnsb20u', noN.words));
    if (r.ok) expect(toHex(r.invoice.payeeNodeKey)).not.toBe(toHex(publicKeyOf(nodeKey)));
  });

  it('refuse a string longer than one QR code before decoding it', () => {
    expect(decodeInvoice('lnsb1' + 'q'.repeat(MAX_INVOICE_LENGTH))).toMatchObject({ ok: false, error: 'too_long' });
  });

  it('round-trip any amount, description and expiry (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.bigInt({ min: 1n, max: 2_100_000_000_000_000_000n }), { nil: undefined }),
        fc.string({ maxLength: 100 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (amountMsat, description, expirySeconds) => {
          const inv = decoded(createInvoice({ ...base, ...(amountMsat !== undefined ? { amountMsat } : {}), description, expirySeconds }));
          expect(inv.amountMsat).toBe(amountMsat);
          expect(inv.description).toBe(description);
          expect(inv.expirySeconds).toBe(expirySeconds);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('decoding never throws on arbitrary strings (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      decodeInvoice(s);
      decodeInvoice(`lnsb1${s}`);
    }));
  });
});

describe('amounts in the human-readable part', () => {
  const rows: [bigint, string][] = [
    [100_000_000_000n, 'lnsb1'],
    [250_000_000n, 'lnsb2500u'],
    [2_000_000_000n, 'lnsb20m'],
    [1n, 'lnsb10p'],
    [100n, 'lnsb1n'],
    [967_878_534n, 'lnsb9678785340p'],
  ];
  it.each(rows)('%s msat is %s, and back', (msat, hrp) => {
    expect(formatHrp('simnet', msat)).toBe(hrp);
    expect(parseHrp(hrp)).toEqual({ ok: true, network: 'simnet', amountMsat: msat });
  });

  it.each(['lnsb0u', 'lnsb01m', 'lnsb1x', 'lnsb11p', 'lnsb3000000000000000000000'])('%s is refused', (hrp) => {
    expect(parseHrp(hrp)).toMatchObject({ ok: false, error: 'bad_amount' });
  });

  it('knows the standard prefixes and refuses others', () => {
    expect(parseHrp('lnbcrt5m')).toMatchObject({ ok: true, network: 'regtest' });
    expect(parseHrp('lntbs')).toMatchObject({ ok: true, network: 'signet' });
    expect(parseHrp('lnxy1m')).toMatchObject({ ok: false, error: 'unknown_currency' });
    expect(parseHrp('bc1')).toMatchObject({ ok: false, error: 'bad_prefix' });
  });
});

describe('bech32 words', () => {
  it('bytes round-trip through words (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
      expect(toHex(wordsToBytes(bytesToWords(b)))).toBe(toHex(b));
    }));
  });
});
