// BigSize (BOLT 1 Appendix A): Bitcoin's CompactSize, but big-endian. Used for TLV types and
// lengths. Only the shortest encoding of a value is valid; a longer one is rejected, because two
// byte strings for the same stream would break signatures computed over TLV streams.
//
//   x < 0xfd          -> 1 byte:  x
//   x < 0x1_0000      -> 3 bytes: 0xfd ++ be16(x)
//   x < 0x1_0000_0000 -> 5 bytes: 0xfe ++ be32(x)
//   otherwise         -> 9 bytes: 0xff ++ be64(x)

import { InputError } from '../crypto/bytes.js';
import { fail, ok, type WireResult } from './result.js';

export const MAX_U64 = 0xffff_ffff_ffff_ffffn;

/** The encoded size of `value`, in bytes (1, 3, 5 or 9). */
export function bigSizeLength(value: bigint): 1 | 3 | 5 | 9 {
  if (value < 0xfdn) return 1;
  if (value < 0x1_0000n) return 3;
  if (value < 0x1_0000_0000n) return 5;
  return 9;
}

/** Minimal encoding of a u64. Throws InputError for a value outside 0..2^64-1 (a caller bug). */
export function encodeBigSize(value: bigint): Uint8Array {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_U64) {
    throw new InputError(`bigsize: value out of u64 range: ${String(value)}`);
  }
  const len = bigSizeLength(value);
  const out = new Uint8Array(len);
  if (len === 1) {
    out[0] = Number(value);
    return out;
  }
  out[0] = len === 3 ? 0xfd : len === 5 ? 0xfe : 0xff;
  let v = value;
  for (let i = len - 1; i >= 1; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export interface BigSizeRead {
  readonly value: bigint;
  /** bytes consumed */
  readonly length: number;
}

/** Decode the BigSize starting at `offset`. Never throws. */
export function decodeBigSize(bytes: Uint8Array, offset = 0): WireResult<BigSizeRead> {
  const prefix = bytes[offset];
  if (prefix === undefined) return fail('truncated', 'bigsize: no bytes to read');
  if (prefix < 0xfd) return ok({ value: BigInt(prefix), length: 1 });

  const width = prefix === 0xfd ? 2 : prefix === 0xfe ? 4 : 8;
  if (offset + 1 + width > bytes.length) {
    return fail('truncated', `bigsize: prefix 0x${prefix.toString(16)} needs ${width} more bytes`);
  }
  let value = 0n;
  for (let i = 0; i < width; i++) value = (value << 8n) | BigInt(bytes[offset + 1 + i]!);

  // The smallest value each width may carry; anything below fits a shorter form.
  const floor = width === 2 ? 0xfdn : width === 4 ? 0x1_0000n : 0x1_0000_0000n;
  if (value < floor) return fail('non_minimal', `bigsize: ${value} is not minimally encoded`);
  return ok({ value, length: 1 + width });
}
