// Bech32 (BIP 173) as BOLT 11 uses it: the same checksum, but no 90-character limit (invoices with
// route hints run to hundreds of characters). Data is carried as 5-bit words; `wordsToBytes` and
// `bytesToWords` convert, padding with zero bits as BOLT 11 asks.
//
// Decoding never throws: a string from a user or a web page is refused with a reason.

import { InputError } from '../crypto/bytes.js';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const CHARSET_INDEX: ReadonlyMap<string, number> = new Map([...CHARSET].map((c, i) => [c, i]));
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const CHECKSUM_WORDS = 6;

export type Bech32Error = 'mixed_case' | 'no_separator' | 'bad_character' | 'bad_checksum' | 'too_long' | 'too_short';

export type Bech32Result =
  | { readonly ok: true; readonly hrp: string; readonly words: Uint8Array }
  | { readonly ok: false; readonly error: Bech32Error; readonly message: string };

function polymod(values: Iterable<number>): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
  }
  return chk;
}

function* hrpExpand(hrp: string): Generator<number> {
  for (let i = 0; i < hrp.length; i++) yield hrp.charCodeAt(i) >>> 5;
  yield 0;
  for (let i = 0; i < hrp.length; i++) yield hrp.charCodeAt(i) & 31;
}

function checksum(hrp: string, words: Uint8Array): number[] {
  const mod = polymod([...hrpExpand(hrp), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  return Array.from({ length: CHECKSUM_WORDS }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
}

/** Lower-case bech32 of `hrp` (lower case, printable ASCII) and 5-bit `words`. */
export function bech32Encode(hrp: string, words: Uint8Array): string {
  let out = `${hrp}1`;
  for (const w of [...words, ...checksum(hrp, words)]) out += CHARSET[w]!;
  return out;
}

/** Decode a bech32 string of at most `maxLength` characters (checked before any work). */
export function bech32Decode(input: string, maxLength: number): Bech32Result {
  const refuse = (error: Bech32Error, message: string): Bech32Result => ({ ok: false, error, message });
  if (input.length > maxLength) return refuse('too_long', `${input.length} characters, at most ${maxLength}`);
  const lower = input.toLowerCase();
  if (lower !== input && input.toUpperCase() !== input) return refuse('mixed_case', 'mixed upper and lower case');
  const sep = lower.lastIndexOf('1');
  if (sep < 1) return refuse('no_separator', 'no "1" separating the human-readable part');
  if (lower.length - sep - 1 < CHECKSUM_WORDS) return refuse('too_short', 'shorter than the checksum');
  const hrp = lower.slice(0, sep);
  for (let i = 0; i < hrp.length; i++) {
    const c = hrp.charCodeAt(i);
    if (c < 33 || c > 126) return refuse('bad_character', `character code ${c} in the human-readable part`);
  }
  const all = new Uint8Array(lower.length - sep - 1);
  for (let i = 0; i < all.length; i++) {
    const w = CHARSET_INDEX.get(lower[sep + 1 + i]!);
    if (w === undefined) return refuse('bad_character', `"${lower[sep + 1 + i]}" is not a bech32 character`);
    all[i] = w;
  }
  if (polymod([...hrpExpand(hrp), ...all]) !== 1) return refuse('bad_checksum', 'bech32 checksum does not match');
  return { ok: true, hrp, words: all.slice(0, all.length - CHECKSUM_WORDS) };
}

/** Regroup a big-endian bit string from `from`-bit to `to`-bit units; `pad` keeps a last partial unit. */
function regroup(values: Uint8Array, from: number, to: number, pad: boolean): Uint8Array {
  const out: number[] = [];
  const mask = (1 << to) - 1;
  let acc = 0;
  let bits = 0;
  for (const v of values) {
    acc = ((acc << from) | v) & 0xfff; // never more than from + to - 1 bits are pending
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >>> bits) & mask);
    }
  }
  if (pad && bits > 0) out.push((acc << (to - bits)) & mask);
  return Uint8Array.from(out);
}

/** 8-bit bytes to 5-bit words, the last word padded with zero bits. */
export function bytesToWords(bytes: Uint8Array): Uint8Array {
  return regroup(bytes, 8, 5, true);
}

/**
 * 5-bit words to bytes. Without `pad`, trailing bits that do not make a whole byte are the writer's
 * padding and dropped; with it they are kept in a last byte filled with zero bits (what BOLT 11 signs).
 */
export function wordsToBytes(words: Uint8Array, pad = false): Uint8Array {
  return regroup(words, 5, 8, pad);
}

/** A big-endian unsigned integer from words (timestamps, expiries, lengths). */
export function wordsToInt(words: Uint8Array): bigint {
  let v = 0n;
  for (const w of words) v = (v << 5n) | BigInt(w);
  return v;
}

/** The shortest words for `value`, or exactly `width` words when given. */
export function intToWords(value: bigint, width?: number): Uint8Array {
  const out: number[] = [];
  for (let v = value; v > 0n; v >>= 5n) out.unshift(Number(v & 31n));
  if (width !== undefined) {
    if (out.length > width) throw new InputError(`${value} does not fit in ${width} words`);
    while (out.length < width) out.unshift(0);
  }
  return Uint8Array.from(out);
}
