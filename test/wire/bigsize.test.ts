import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { bigSizeLength, decodeBigSize, encodeBigSize, MAX_U64 } from '../../src/wire/bigsize.js';

// BOLT 1 Appendix A.
const VALID: [string, bigint, string][] = [
  ['zero', 0n, '00'],
  ['one byte high', 252n, 'fc'],
  ['two byte low', 253n, 'fd00fd'],
  ['two byte high', 65535n, 'fdffff'],
  ['four byte low', 65536n, 'fe00010000'],
  ['four byte high', 4294967295n, 'feffffffff'],
  ['eight byte low', 4294967296n, 'ff0000000100000000'],
  ['eight byte high', 18446744073709551615n, 'ffffffffffffffffff'],
];

const INVALID: [string, string, 'non_minimal' | 'truncated'][] = [
  ['two byte not canonical', 'fd00fc', 'non_minimal'],
  ['four byte not canonical', 'fe0000ffff', 'non_minimal'],
  ['eight byte not canonical', 'ff00000000ffffffff', 'non_minimal'],
  ['two byte short read', 'fd00', 'truncated'],
  ['four byte short read', 'feffff', 'truncated'],
  ['eight byte short read', 'ffffffffff', 'truncated'],
  ['one byte no read', '', 'truncated'],
  ['two byte no read', 'fd', 'truncated'],
  ['four byte no read', 'fe', 'truncated'],
  ['eight byte no read', 'ff', 'truncated'],
];

describe('BigSize (BOLT 1 Appendix A)', () => {
  it.each(VALID)('decodes %s', (_name, value, hex) => {
    expect(decodeBigSize(fromHex(hex))).toEqual({ ok: true, value: { value, length: hex.length / 2 } });
  });

  it.each(VALID)('encodes %s', (_name, value, hex) => {
    expect(toHex(encodeBigSize(value))).toBe(hex);
    expect(bigSizeLength(value)).toBe(hex.length / 2);
  });

  it.each(INVALID)('rejects %s', (_name, hex, kind) => {
    const result = decodeBigSize(fromHex(hex));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.kind).toBe(kind);
  });

  it('decodes at an offset and reports the bytes consumed', () => {
    expect(decodeBigSize(fromHex('aabbfd0100cc'), 2)).toEqual({ ok: true, value: { value: 256n, length: 3 } });
  });

  it('refuses to encode values outside u64', () => {
    expect(() => encodeBigSize(-1n)).toThrow(/u64/);
    expect(() => encodeBigSize(MAX_U64 + 1n)).toThrow(/u64/);
  });

  it('round-trips every u64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_U64 }), (v) => {
        const bytes = encodeBigSize(v);
        expect(decodeBigSize(bytes)).toEqual({ ok: true, value: { value: v, length: bytes.length } });
      }),
    );
  });

  it('rejects every wider-than-needed encoding', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffff_ffffn }), fc.constantFrom(3, 5, 9), (v, width) => {
        fc.pre(width > bigSizeLength(v));
        const out = new Uint8Array(width);
        out[0] = width === 3 ? 0xfd : width === 5 ? 0xfe : 0xff;
        let x = v;
        for (let i = width - 1; i >= 1; i--, x >>= 8n) out[i] = Number(x & 0xffn);
        fc.pre(x === 0n); // the value fits this width
        const result = decodeBigSize(out);
        expect(result.ok ? 'ok' : result.error.kind).toBe('non_minimal');
      }),
    );
  });
});
