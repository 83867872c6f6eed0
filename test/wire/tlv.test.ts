import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteReader, ByteWriter, fromHex, toHex } from '../../src/crypto/bytes.js';
import { isValidPublicKey } from '../../src/crypto/keys.js';
import { fail, ok, type WireResult } from '../../src/wire/result.js';
import {
  decodeTlvFields,
  decodeTlvStream,
  encodeTlvFields,
  encodeTlvStream,
  type TlvField,
  type TlvRecord,
  type TlvSchema,
} from '../../src/wire/tlv.js';
import { decodeTruncated, encodeTruncated } from '../../src/wire/truncated-int.js';

// The two namespaces of BOLT 1 Appendix B, built on the typed TLV layer.

const tu64 = (type: bigint): TlvField<bigint> => ({ type, encode: (v) => encodeTruncated(v, 8), decode: (v) => decodeTruncated(v, 8) });
const tu32 = (type: bigint): TlvField<bigint> => ({ type, encode: (v) => encodeTruncated(v, 4), decode: (v) => decodeTruncated(v, 4) });

function exact<T>(length: number, read: (r: ByteReader) => T): (v: Uint8Array) => WireResult<T> {
  return (v) => (v.length === length ? ok(read(new ByteReader(v))) : fail('bad_field', `expected ${length} bytes, got ${v.length}`));
}

interface Tlv3 {
  nodeId: string;
  amountMsat1: bigint;
  amountMsat2: bigint;
}
interface N1 {
  tlv1?: bigint;
  tlv2?: string;
  tlv3?: Tlv3;
  tlv4?: number;
}
const N1_SCHEMA: TlvSchema<N1> = {
  tlv1: tu64(1n),
  tlv2: { type: 2n, encode: (scid) => fromHex(scid), decode: exact(8, (r) => toHex(r.bytes(8))) },
  tlv3: {
    type: 3n,
    encode: (v) => new ByteWriter().bytes(fromHex(v.nodeId)).u64(v.amountMsat1).u64(v.amountMsat2).finish(),
    decode(value) {
      if (value.length !== 49) return fail('bad_field', `tlv3: ${value.length} bytes`);
      const r = new ByteReader(value);
      const nodeId = r.bytes(33);
      if (!isValidPublicKey(nodeId)) return fail('bad_field', 'tlv3: node_id is not a point');
      return ok({ nodeId: toHex(nodeId), amountMsat1: r.u64(), amountMsat2: r.u64() });
    },
  },
  tlv4: { type: 254n, encode: (v) => new ByteWriter().u16(v).finish(), decode: exact(2, (r) => r.u16()) },
};

interface N2 {
  tlv1?: bigint;
  tlv2?: bigint;
}
const N2_SCHEMA: TlvSchema<N2> = { tlv1: tu64(0n), tlv2: tu32(11n) };

const h = (spaced: string): Uint8Array => fromHex(spaced.replace(/^0x/, '').replace(/ /g, ''));
const n1 = (hex: string) => decodeTlvFields(N1_SCHEMA, h(hex));
const n2 = (hex: string) => decodeTlvFields(N2_SCHEMA, h(hex));

const ANY_NAMESPACE_FAILURES: [string, string][] = [
  ['0xfd', 'type truncated'],
  ['0xfd01', 'type truncated'],
  ['0xfd0001 00', 'not minimally encoded type'],
  ['0xfd0101', 'missing length'],
  ['0x0f fd', 'length truncated'],
  ['0x0f fd26', 'length truncated'],
  ['0x0f fd2602', 'missing value'],
  ['0x0f fd0001 00', 'not minimally encoded length'],
  [`0x0f fd0201 ${'00'.repeat(256)}`, 'value truncated'],
];

const EITHER_NAMESPACE_FAILURES = ['0x12 00', '0xfd0102 00', '0xfe01000002 00', '0xff0100000000000002 00'];

const POINT = '023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb';

const N1_FAILURES: [string, string][] = [
  ['0x01 09 ffffffffffffffffff', 'greater than encoding length for tlv1'],
  ['0x01 01 00', 'tlv1 not minimal'],
  ['0x01 02 0001', 'tlv1 not minimal'],
  ['0x01 03 000100', 'tlv1 not minimal'],
  ['0x01 04 00010000', 'tlv1 not minimal'],
  ['0x01 05 0001000000', 'tlv1 not minimal'],
  ['0x01 06 000100000000', 'tlv1 not minimal'],
  ['0x01 07 00010000000000', 'tlv1 not minimal'],
  ['0x01 08 0001000000000000', 'tlv1 not minimal'],
  ['0x02 07 01010101010101', 'less than encoding length for tlv2'],
  ['0x02 09 010101010101010101', 'greater than encoding length for tlv2'],
  [`0x03 21 ${POINT}`, 'less than encoding length for tlv3'],
  [`0x03 29 ${POINT}0000000000000001`, 'less than encoding length for tlv3'],
  [`0x03 30 ${POINT}000000000000000100000000000001`, 'less than encoding length for tlv3'],
  ['0x03 31 043da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb00000000000000010000000000000002', 'node_id not a point'],
  [`0x03 32 ${POINT}0000000000000001000000000000000001`, 'greater than encoding length for tlv3'],
  ['0xfd00fe 00', 'less than encoding length for tlv4'],
  ['0xfd00fe 01 01', 'less than encoding length for tlv4'],
  ['0xfd00fe 03 010101', 'greater than encoding length for tlv4'],
  ['0x00 00', 'unknown even field for n1'],
  // TLV Stream Decoding Failure
  ['0x02 08 0000000000000226 01 01 2a', 'valid records, invalid ordering'],
  ['0x02 08 0000000000000231 02 08 0000000000000451', 'duplicate type'],
  ['0x1f 00 0f 01 2a', 'ignored records, invalid ordering'],
  ['0x1f 00 1f 01 2a', 'duplicate ignored type'],
];

const IGNORED_SUCCESSES = ['0x', '0x21 00', '0xfd0201 00', '0xfd00fd 00', '0xfd00ff 00', '0xfe02000001 00', '0xff0200000000000001 00'];

const N1_SUCCESSES: [string, N1][] = [
  ['0x01 00', { tlv1: 0n }],
  ['0x01 01 01', { tlv1: 1n }],
  ['0x01 02 0100', { tlv1: 256n }],
  ['0x01 03 010000', { tlv1: 65536n }],
  ['0x01 04 01000000', { tlv1: 16777216n }],
  ['0x01 05 0100000000', { tlv1: 4294967296n }],
  ['0x01 06 010000000000', { tlv1: 1099511627776n }],
  ['0x01 07 01000000000000', { tlv1: 281474976710656n }],
  ['0x01 08 0100000000000000', { tlv1: 72057594037927936n }],
  ['0x02 08 0000000000000226', { tlv2: '0000000000000226' }], // scid 0x0x550
  [`0x03 31 ${POINT}00000000000000010000000000000002`, { tlv3: { nodeId: POINT, amountMsat1: 1n, amountMsat2: 2n } }],
  ['0xfd00fe 02 0226', { tlv4: 550 }],
];

describe('TLV streams (BOLT 1 Appendix B)', () => {
  it.each(ANY_NAMESPACE_FAILURES)('%s fails in both namespaces (%s)', (hex) => {
    expect(n1(hex).ok).toBe(false);
    expect(n2(hex).ok).toBe(false);
  });

  it('reports why a stream is bad', () => {
    const kind = (r: WireResult<unknown>) => (r.ok ? 'ok' : r.error.kind);
    expect(kind(n1('0xfd0001 00'))).toBe('non_minimal');
    expect(kind(n1('0x0f fd2602'))).toBe('truncated');
    expect(kind(n1('0x12 00'))).toBe('tlv_unknown_even');
    expect(kind(n1('0x02 08 0000000000000226 01 01 2a'))).toBe('tlv_order');
    expect(kind(n1('0x02 07 01010101010101'))).toBe('bad_field');
    expect(kind(n1('0x01 01 00'))).toBe('non_minimal');
  });

  it.each(EITHER_NAMESPACE_FAILURES)('%s fails in both namespaces (unknown even type)', (hex) => {
    for (const r of [n1(hex), n2(hex)]) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.kind).toBe('tlv_unknown_even');
    }
  });

  it.each(N1_FAILURES)('%s fails in n1 (%s)', (hex) => {
    expect(n1(hex).ok).toBe(false);
  });

  it('0xffffffffffffffffff 00 00 00 fails in n2 (invalid ordering)', () => {
    const r = n2('0xffffffffffffffffff 00 00 00');
    expect(r.ok ? 'ok' : r.error.kind).toBe('tlv_order');
  });

  it.each(IGNORED_SUCCESSES)('%s decodes in both namespaces and is ignored, but kept', (hex) => {
    for (const r of [n1(hex), n2(hex)]) {
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.value.fields).toEqual({});
      // unknown odd records survive a re-encode byte for byte
      expect(toHex(encodeTlvStream(r.value.unknown))).toBe(toHex(h(hex)));
    }
  });

  it.each(N1_SUCCESSES)('%s decodes in n1 and re-encodes identically', (hex, fields) => {
    const r = n1(hex);
    expect(r).toEqual({ ok: true, value: { fields, unknown: [] } });
    expect(toHex(encodeTlvFields(N1_SCHEMA, fields))).toBe(toHex(h(hex)));
  });

  const typeOf = (hex: string): bigint => {
    const r = decodeTlvStream(h(hex), { knownTypes: new Set([1n, 2n, 3n, 254n]) });
    if (!r.ok || r.value.length !== 1) throw new Error(`not a one-record stream: ${hex}`);
    return r.value[0]!.type;
  };
  const validN1 = [...IGNORED_SUCCESSES.slice(1), ...N1_SUCCESSES.map(([hex]) => hex)];

  it('appending an invalid stream to a valid one fails', () => {
    for (const valid of validN1) {
      for (const [invalid] of ANY_NAMESPACE_FAILURES) expect(n1(`${valid}${invalid.slice(2)}`).ok).toBe(false);
    }
  });

  it('appending a higher-numbered valid stream to a lower-numbered one succeeds', () => {
    let pairs = 0;
    for (const lower of validN1) {
      for (const higher of validN1) {
        if (typeOf(lower) >= typeOf(higher)) continue;
        pairs++;
        const r = n1(`${lower}${higher.slice(2)}`);
        expect(r.ok, `${lower} ++ ${higher}`).toBe(true);
      }
    }
    expect(pairs).toBeGreaterThan(50);
  });
});

describe('TLV stream encoding', () => {
  it('refuses records out of order or duplicated', () => {
    const v = new Uint8Array(0);
    expect(() => encodeTlvStream([{ type: 3n, value: v }, { type: 1n, value: v }])).toThrow(/strictly increase/);
    expect(() => encodeTlvStream([{ type: 3n, value: v }, { type: 3n, value: v }])).toThrow(/strictly increase/);
    expect(() => encodeTlvFields(N1_SCHEMA, { tlv1: 5n }, [{ type: 1n, value: v }])).toThrow(/strictly increase/);
  });

  it('merges passed-through unknown records into type order', () => {
    const bytes = encodeTlvFields(N1_SCHEMA, { tlv1: 1n, tlv4: 550 }, [{ type: 5n, value: fromHex('aa') }]);
    expect(toHex(bytes)).toBe('010101' + '0501aa' + 'fd00fe020226');
  });

  const record = fc.record({ type: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }), value: fc.uint8Array({ maxLength: 300 }) });

  it('round-trips any well-ordered stream of known and odd types', () => {
    fc.assert(
      fc.property(fc.uniqueArray(record, { selector: (r) => r.type, maxLength: 12 }), (records) => {
        const sorted: TlvRecord[] = [...records].sort((a, b) => (a.type < b.type ? -1 : 1));
        const knownTypes = new Set(sorted.map((r) => r.type));
        const bytes = encodeTlvStream(sorted);
        expect(decodeTlvStream(bytes, { knownTypes })).toEqual({ ok: true, value: sorted });
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        n1(toHex(bytes));
        n2(toHex(bytes));
        decodeTlvStream(bytes, { knownTypes: new Set() });
      }),
    );
  });
});

describe('truncated integers', () => {
  it('encode without leading zeros and refuse them on decode', () => {
    expect(toHex(encodeTruncated(0n))).toBe('');
    expect(toHex(encodeTruncated(0x0100n, 2))).toBe('0100');
    expect(decodeTruncated(fromHex('0001')).ok).toBe(false);
    expect(decodeTruncated(fromHex('0100000000'), 4).ok).toBe(false);
    expect(() => encodeTruncated(1n << 32n, 4)).toThrow(/out of range/);
  });

  it('round-trip', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }), (v) => {
        expect(decodeTruncated(encodeTruncated(v))).toEqual({ ok: true, value: v });
      }),
    );
  });
});
