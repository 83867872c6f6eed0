// BOLT 11 invoices: decode any standard one (lnbc, lntb, lntbs, lnbcrt, and sluice's lnsb) and
// write sluice's own, signed by the node key. Layout after bech32:
//
//   hrp = "ln" currency [amount multiplier]      data = timestamp (35 bits) || tagged fields || signature (520 bits)
//
// The signature covers sha256(utf8(hrp) || data words before it, zero-padded to a byte). Decoding
// never throws on a bad string; it answers the first rule the invoice breaks.

import { concatBytes, InputError, utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { publicKeyOf } from '../crypto/keys.js';
import { FeatureVector, requiredBit } from '../wire/features.js';
import { formatHrp, parseHrp, type Network } from './amount.js';
import { bech32Decode, bech32Encode, bytesToWords, intToWords, wordsToBytes, wordsToInt } from './bech32.js';
import { decodeField, encodeField, type RouteHintHop, type TaggedField } from './fields.js';
import { recoverSigner, signRecoverable, verifyBy } from './signature.js';

/**
 * The longest invoice we read: what one QR code holds in alphanumeric mode (upper-case bech32). It
 * bounds the work a pasted string can cause.
 */
export const MAX_INVOICE_LENGTH = 4296;
export const DEFAULT_EXPIRY_SECONDS = 3600;
export const DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA = 18;

/** Invoice feature bits (BOLT 9, context 9) this node understands: var_onion_optin, payment_secret, basic_mpp, payment_metadata. */
export const KNOWN_INVOICE_FEATURES: ReadonlySet<number> = new Set([8, 9, 14, 15, 16, 17, 48, 49]);

const TIMESTAMP_WORDS = 7;
const SIGNATURE_WORDS = 104;

export interface UnsignedInvoice {
  readonly network: Network;
  /** absent: the payer chooses the amount (a donation) */
  readonly amountMsat?: bigint;
  /** seconds since 1970 */
  readonly timestamp: number;
  /** in the order they are written; a reader uses the first of each kind */
  readonly fields: readonly TaggedField[];
}

export interface Invoice extends UnsignedInvoice {
  readonly paymentRequest: string;
  readonly paymentHash: Uint8Array;
  readonly paymentSecret: Uint8Array;
  readonly description?: string;
  readonly descriptionHash?: Uint8Array;
  readonly expirySeconds: number;
  readonly minFinalCltvExpiryDelta: number;
  readonly features: FeatureVector;
  /** each entry one private route to the payee, first hop first */
  readonly routeHints: readonly (readonly RouteHintHop[])[];
  readonly metadata?: Uint8Array;
  /** from `n` when present (and verified against it), otherwise recovered from the signature */
  readonly payeeNodeKey: Uint8Array;
  readonly signature: Uint8Array;
  readonly recoveryId: number;
}

export type InvoiceErrorKind =
  | 'too_long' | 'mixed_case' | 'no_separator' | 'bad_character' | 'bad_checksum'
  | 'bad_prefix' | 'unknown_currency' | 'bad_amount'
  | 'too_short' | 'bad_field'
  | 'missing_payment_hash' | 'missing_payment_secret' | 'missing_description'
  | 'unknown_required_feature' | 'bad_signature';

export type InvoiceResult = { readonly ok: true; readonly invoice: Invoice } | { readonly ok: false; readonly error: InvoiceErrorKind; readonly message: string };

function refuse(error: InvoiceErrorKind, message: string): InvoiceResult {
  return { ok: false, error, message };
}

function signedDigest(hrp: string, dataWords: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8(hrp), wordsToBytes(dataWords, true)));
}

function dataWordsOf(unsigned: UnsignedInvoice): Uint8Array {
  return concatBytes(intToWords(BigInt(unsigned.timestamp), TIMESTAMP_WORDS), ...unsigned.fields.map(encodeField));
}

/** Write and sign an invoice. Throws InputError for values no invoice can hold. */
export function signInvoice(unsigned: UnsignedInvoice, nodeSecretKey: Uint8Array): string {
  const hrp = formatHrp(unsigned.network, unsigned.amountMsat);
  const data = dataWordsOf(unsigned);
  const sig = signRecoverable(nodeSecretKey, signedDigest(hrp, data));
  // 65 bytes are exactly 104 words: no padding
  const sigBytes = concatBytes(sig.signature, Uint8Array.of(sig.recoveryId));
  return bech32Encode(hrp, concatBytes(data, bytesToWords(sigBytes)));
}

function first<T extends TaggedField['tag']>(fields: readonly TaggedField[], tag: T): Extract<TaggedField, { tag: T }> | undefined {
  return fields.find((f): f is Extract<TaggedField, { tag: T }> => f.tag === tag);
}

export function decodeInvoice(input: string): InvoiceResult {
  const b = bech32Decode(input.trim(), MAX_INVOICE_LENGTH);
  if (!b.ok) return refuse(b.error, b.message);
  const hrp = parseHrp(b.hrp);
  if (!hrp.ok) return refuse(hrp.error, hrp.message);
  const words = b.words;
  if (words.length < TIMESTAMP_WORDS + SIGNATURE_WORDS) return refuse('too_short', `${words.length} data words cannot hold a timestamp and a signature`);

  const dataEnd = words.length - SIGNATURE_WORDS;
  const fields: TaggedField[] = [];
  for (let at = TIMESTAMP_WORDS; at < dataEnd; ) {
    if (at + 3 > dataEnd) return refuse('bad_field', 'a tagged field header runs into the signature');
    const type = words[at]!;
    const length = (words[at + 1]! << 5) | words[at + 2]!;
    if (at + 3 + length > dataEnd) return refuse('bad_field', `field type ${type} of ${length} words runs into the signature`);
    const decoded = decodeField(type, words.slice(at + 3, at + 3 + length));
    if (!decoded.ok) return refuse('bad_field', decoded.message);
    fields.push(decoded.field);
    at += 3 + length;
  }

  const paymentHash = first(fields, 'p');
  if (!paymentHash) return refuse('missing_payment_hash', 'no payment hash (p)');
  const paymentSecret = first(fields, 's');
  if (!paymentSecret) return refuse('missing_payment_secret', 'no payment secret (s)');
  const description = first(fields, 'd');
  const descriptionHash = first(fields, 'h');
  if (!description && !descriptionHash) return refuse('missing_description', 'neither a description (d) nor its hash (h)');
  const features = first(fields, '9')?.features ?? FeatureVector.EMPTY;
  const unknownRequired = features.bits().find((bit) => bit === requiredBit(bit) && !KNOWN_INVOICE_FEATURES.has(bit));
  if (unknownRequired !== undefined) return refuse('unknown_required_feature', `feature bit ${unknownRequired} is required and unknown`);

  const sigBytes = wordsToBytes(words.subarray(dataEnd));
  const sig = { signature: sigBytes.slice(0, 64), recoveryId: sigBytes[64]! };
  const digest = signedDigest(b.hrp, words.subarray(0, dataEnd));
  const named = first(fields, 'n');
  let payeeNodeKey: Uint8Array | undefined;
  if (named) {
    if (!verifyBy(sig, digest, named.payeeNodeKey)) return refuse('bad_signature', 'the signature is not a valid low-S signature by the n key');
    payeeNodeKey = named.payeeNodeKey;
  } else {
    payeeNodeKey = recoverSigner(sig, digest);
    if (!payeeNodeKey) return refuse('bad_signature', 'no public key can be recovered from the signature');
  }

  const timestamp = Number(wordsToInt(words.subarray(0, TIMESTAMP_WORDS)));
  const metadata = first(fields, 'm')?.metadata;
  const invoice: Invoice = {
    paymentRequest: input.trim().toLowerCase(),
    network: hrp.network,
    ...(hrp.amountMsat !== undefined ? { amountMsat: hrp.amountMsat } : {}),
    timestamp,
    fields,
    paymentHash: paymentHash.paymentHash,
    paymentSecret: paymentSecret.paymentSecret,
    ...(description ? { description: description.description } : {}),
    ...(descriptionHash ? { descriptionHash: descriptionHash.descriptionHash } : {}),
    expirySeconds: first(fields, 'x')?.expirySeconds ?? DEFAULT_EXPIRY_SECONDS,
    minFinalCltvExpiryDelta: first(fields, 'c')?.minFinalCltvExpiryDelta ?? DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA,
    features,
    routeHints: fields.flatMap((f) => (f.tag === 'r' ? [f.route] : [])),
    ...(metadata ? { metadata } : {}),
    payeeNodeKey,
    signature: sig.signature,
    recoveryId: sig.recoveryId,
  };
  return { ok: true, invoice };
}

/** Seconds since 1970 after which the payee refuses the payment. */
export function invoiceExpiresAt(invoice: Pick<Invoice, 'timestamp' | 'expirySeconds'>): number {
  return invoice.timestamp + invoice.expirySeconds;
}

export function isInvoiceExpired(invoice: Pick<Invoice, 'timestamp' | 'expirySeconds'>, nowSeconds: number): boolean {
  return nowSeconds >= invoiceExpiresAt(invoice);
}

export interface CreateInvoiceOptions {
  readonly network?: Network;
  readonly amountMsat?: bigint;
  /** seconds since 1970: the caller's clock */
  readonly timestamp: number;
  readonly paymentHash: Uint8Array;
  readonly paymentSecret: Uint8Array;
  /** one of the two */
  readonly description?: string;
  readonly descriptionHash?: Uint8Array;
  readonly expirySeconds?: number;
  readonly minFinalCltvExpiryDelta: number;
  readonly routeHints?: readonly (readonly RouteHintHop[])[];
  /** write `n` (saves the payer a recovery; costs 53 words) */
  readonly includePayeeKey?: boolean;
  readonly nodeSecretKey: Uint8Array;
}

/** Features sluice invoices set: var_onion_optin and payment_secret, both required. */
export const SLUICE_INVOICE_FEATURES = FeatureVector.fromBits([8, 14]);

/** Write sluice's invoice (prefix lnsb unless told otherwise) with s, c, x and 9 always present. */
export function createInvoice(opts: CreateInvoiceOptions): string {
  if ((opts.description === undefined) === (opts.descriptionHash === undefined)) {
    throw new InputError('invoice: give exactly one of description and descriptionHash');
  }
  const fields: TaggedField[] = [
    { tag: 'p', paymentHash: opts.paymentHash },
    { tag: 's', paymentSecret: opts.paymentSecret },
    opts.description !== undefined ? { tag: 'd', description: opts.description } : { tag: 'h', descriptionHash: opts.descriptionHash! },
    { tag: 'x', expirySeconds: opts.expirySeconds ?? DEFAULT_EXPIRY_SECONDS },
    { tag: 'c', minFinalCltvExpiryDelta: opts.minFinalCltvExpiryDelta },
    { tag: '9', features: SLUICE_INVOICE_FEATURES },
    ...(opts.routeHints ?? []).map((route): TaggedField => ({ tag: 'r', route })),
    ...(opts.includePayeeKey ? [{ tag: 'n', payeeNodeKey: publicKeyOf(opts.nodeSecretKey) } as const] : []),
  ];
  for (const [name, v] of [['paymentHash', opts.paymentHash], ['paymentSecret', opts.paymentSecret], ['descriptionHash', opts.descriptionHash]] as const) {
    if (v !== undefined && v.length !== 32) throw new InputError(`invoice: ${name} must be 32 bytes`);
  }
  return signInvoice(
    { network: opts.network ?? 'simnet', ...(opts.amountMsat !== undefined ? { amountMsat: opts.amountMsat } : {}), timestamp: opts.timestamp, fields },
    opts.nodeSecretKey,
  );
}
