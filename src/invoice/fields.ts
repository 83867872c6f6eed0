// BOLT 11 tagged fields: 5-bit type, 10-bit data length (in words), data. Each known field has one
// codec here; a field a reader must skip (unknown type, or p/h/s/n of the wrong length) is kept as
// raw words, so a decoded invoice re-encodes to the same string and its signature still covers it.

import { fromHex, InputError } from '../crypto/bytes.js';
import { isValidPublicKey } from '../crypto/keys.js';
import { FeatureVector } from '../wire/features.js';
import { assertNever } from '../wire/assert-never.js';
import { bytesToWords, intToWords, wordsToBytes, wordsToInt } from './bech32.js';

export interface RouteHintHop {
  /** the node at the start of the hinted channel */
  readonly nodeId: Uint8Array;
  readonly shortChannelId: Uint8Array;
  readonly feeBaseMsat: number;
  readonly feeProportionalMillionths: number;
  readonly cltvExpiryDelta: number;
}

export type TaggedField =
  | { readonly tag: 'p'; readonly paymentHash: Uint8Array }
  | { readonly tag: 's'; readonly paymentSecret: Uint8Array }
  | { readonly tag: 'd'; readonly description: string }
  | { readonly tag: 'h'; readonly descriptionHash: Uint8Array }
  | { readonly tag: 'n'; readonly payeeNodeKey: Uint8Array }
  | { readonly tag: 'x'; readonly expirySeconds: number }
  | { readonly tag: 'c'; readonly minFinalCltvExpiryDelta: number }
  | { readonly tag: '9'; readonly features: FeatureVector }
  | { readonly tag: 'r'; readonly route: readonly RouteHintHop[] }
  | { readonly tag: 'm'; readonly metadata: Uint8Array }
  /** an on-chain fallback address: meaningless on sluice's ledger, kept only to re-encode */
  | { readonly tag: 'f'; readonly words: Uint8Array }
  /** a field the reader skips (unknown type or a known one of the wrong length) */
  | { readonly tag: 'unknown'; readonly type: number; readonly words: Uint8Array };

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const typeOf = (tag: string): number => CHARSET.indexOf(tag);
const TAG_OF: ReadonlyMap<number, string> = new Map([...CHARSET].map((c, i) => [i, c]));

/** The longest data a field can carry: 10 bits of length. */
export const MAX_FIELD_WORDS = 1023;
const HASH_WORDS = 52;
const PUBKEY_WORDS = 53;
const ROUTE_HOP_BYTES = 51;

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

function routeBytes(route: readonly RouteHintHop[]): Uint8Array {
  const out = new Uint8Array(route.length * ROUTE_HOP_BYTES);
  const view = new DataView(out.buffer);
  route.forEach((hop, i) => {
    const at = i * ROUTE_HOP_BYTES;
    out.set(hop.nodeId, at);
    out.set(hop.shortChannelId, at + 33);
    view.setUint32(at + 41, hop.feeBaseMsat);
    view.setUint32(at + 45, hop.feeProportionalMillionths);
    view.setUint16(at + 49, hop.cltvExpiryDelta);
  });
  return out;
}

function featureWords(features: FeatureVector): Uint8Array {
  let mask = 0n;
  for (const bit of features.bits()) mask |= 1n << BigInt(bit);
  return intToWords(mask);
}

function dataWords(field: TaggedField): Uint8Array {
  switch (field.tag) {
    case 'p': return bytesToWords(field.paymentHash);
    case 's': return bytesToWords(field.paymentSecret);
    case 'd': return bytesToWords(new TextEncoder().encode(field.description));
    case 'h': return bytesToWords(field.descriptionHash);
    case 'n': return bytesToWords(field.payeeNodeKey);
    case 'x': return intToWords(BigInt(field.expirySeconds));
    case 'c': return intToWords(BigInt(field.minFinalCltvExpiryDelta));
    case '9': return featureWords(field.features);
    case 'r': return bytesToWords(routeBytes(field.route));
    case 'm': return bytesToWords(field.metadata);
    case 'f': return field.words;
    case 'unknown': return field.words;
    default: return assertNever(field, 'invoice field');
  }
}

/** type || data_length || data, in words. Throws InputError when the data is over 1023 words. */
export function encodeField(field: TaggedField): Uint8Array {
  const data = dataWords(field);
  const type = field.tag === 'unknown' ? field.type : typeOf(field.tag);
  if (data.length > MAX_FIELD_WORDS) throw new InputError(`invoice field ${field.tag}: ${data.length} words, at most ${MAX_FIELD_WORDS}`);
  const out = new Uint8Array(3 + data.length);
  out.set([type, data.length >>> 5, data.length & 31]);
  out.set(data, 3);
  return out;
}

export type FieldResult = { readonly ok: true; readonly field: TaggedField } | { readonly ok: false; readonly message: string };

function safeInt(words: Uint8Array, what: string): FieldResult | number {
  const v = wordsToInt(words);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, message: `${what} is too large` };
  return Number(v);
}

/** Decode one field's data; skip-worthy fields come back as `unknown`, broken ones as an error. */
export function decodeField(type: number, words: Uint8Array): FieldResult {
  const skip: FieldResult = { ok: true, field: { tag: 'unknown', type, words } };
  const tag = TAG_OF.get(type)!;
  const bytes = () => wordsToBytes(words);
  switch (tag) {
    case 'p': return words.length === HASH_WORDS ? { ok: true, field: { tag, paymentHash: bytes() } } : skip;
    case 's': return words.length === HASH_WORDS ? { ok: true, field: { tag, paymentSecret: bytes() } } : skip;
    case 'h': return words.length === HASH_WORDS ? { ok: true, field: { tag, descriptionHash: bytes() } } : skip;
    case 'n': {
      if (words.length !== PUBKEY_WORDS) return skip;
      const key = bytes();
      return isValidPublicKey(key) ? { ok: true, field: { tag, payeeNodeKey: key } } : { ok: false, message: 'n is not a valid public key' };
    }
    case 'd': {
      try {
        return { ok: true, field: { tag, description: new TextDecoder('utf-8', { fatal: true }).decode(bytes()) } };
      } catch {
        return { ok: false, message: 'd is not valid UTF-8' };
      }
    }
    case 'x': {
      const v = safeInt(words, 'x');
      return typeof v === 'number' ? { ok: true, field: { tag, expirySeconds: v } } : v;
    }
    case 'c': {
      const v = safeInt(words, 'c');
      return typeof v === 'number' ? { ok: true, field: { tag, minFinalCltvExpiryDelta: v } } : v;
    }
    case '9': {
      const mask = wordsToInt(words);
      const hex = mask.toString(16);
      return { ok: true, field: { tag, features: FeatureVector.fromBytes(fromHex(hex.length % 2 ? `0${hex}` : hex)) } };
    }
    case 'r': {
      const b = bytes();
      if (b.length === 0 || b.length % ROUTE_HOP_BYTES !== 0) return { ok: false, message: `r of ${b.length} bytes is not a list of 51-byte hops` };
      const route: RouteHintHop[] = [];
      for (let at = 0; at < b.length; at += ROUTE_HOP_BYTES) {
        const nodeId = b.slice(at, at + 33);
        if (!isValidPublicKey(nodeId)) return { ok: false, message: 'r names a node id that is not a valid key' };
        route.push({
          nodeId,
          shortChannelId: b.slice(at + 33, at + 41),
          feeBaseMsat: u32(b, at + 41),
          feeProportionalMillionths: u32(b, at + 45),
          cltvExpiryDelta: (b[at + 49]! << 8) | b[at + 50]!,
        });
      }
      return { ok: true, field: { tag, route } };
    }
    case 'm': return { ok: true, field: { tag, metadata: bytes() } };
    case 'f': return { ok: true, field: { tag, words } };
    default: return skip;
  }
}
