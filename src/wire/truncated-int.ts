// Truncated unsigned integers (tu16/tu32/tu64, BOLT 1 "Fundamental Types"): the value of a TLV
// record written big-endian with leading zero bytes omitted, so zero is the empty string. Only
// allowed as the last field of a record, where the record length says how many bytes there are.
// A leading zero byte is a second encoding of the same value and is rejected.

import { InputError } from '../crypto/bytes.js';
import { fail, ok, type WireResult } from './result.js';

export type TruncatedWidth = 2 | 4 | 8;

export function encodeTruncated(value: bigint, width: TruncatedWidth = 8): Uint8Array {
  if (typeof value !== 'bigint' || value < 0n || value >= 1n << BigInt(8 * width)) {
    throw new InputError(`tu${8 * width}: value out of range: ${String(value)}`);
  }
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Uint8Array.from(bytes);
}

export function decodeTruncated(bytes: Uint8Array, width: TruncatedWidth = 8): WireResult<bigint> {
  if (bytes.length > width) return fail('bad_field', `tu${8 * width}: ${bytes.length} bytes, at most ${width}`);
  if (bytes[0] === 0) return fail('non_minimal', `tu${8 * width}: leading zero byte`);
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return ok(value);
}
