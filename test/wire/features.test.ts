import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import {
  FeatureVector,
  isNegotiated,
  offers,
  optionalBit,
  requiredBit,
  unknownRequiredBits,
} from '../../src/wire/features.js';

describe('FeatureVector', () => {
  it.each([
    [[], ''],
    [[0], '01'],
    [[1], '02'],
    [[8], '0100'],
    [[0, 9], '0201'],
    [[5, 7, 13], '20a0'],
    [[15, 17], '028000'],
  ])('bits %j encode as minimal big-endian 0x%s', (bits, hex) => {
    const v = FeatureVector.fromBits(bits);
    expect(toHex(v.toBytes())).toBe(hex);
    expect(v.bits()).toEqual(bits);
    expect(FeatureVector.fromBytes(fromHex(hex)).equals(v)).toBe(true);
  });

  it('reads padded vectors and drops the padding on encode', () => {
    const v = FeatureVector.fromBytes(fromHex('00000102'));
    expect(v.bits()).toEqual([1, 8]);
    expect(toHex(v.toBytes())).toBe('0102');
    expect(FeatureVector.fromBytes(fromHex('0000')).isEmpty()).toBe(true);
  });

  it('set/has/clear/or are immutable', () => {
    const a = FeatureVector.EMPTY.set(3);
    const b = a.set(10);
    expect(a.has(10)).toBe(false);
    expect(b.has(3) && b.has(10)).toBe(true);
    expect(b.clear(3).bits()).toEqual([10]);
    expect(a.or(FeatureVector.fromBits([0])).bits()).toEqual([0, 3]);
    expect(FeatureVector.EMPTY.isEmpty()).toBe(true);
  });

  it('refuses bit numbers that are not feature bits', () => {
    expect(() => FeatureVector.fromBits([-1])).toThrow(/out of range/);
    expect(() => FeatureVector.EMPTY.set(1.5)).toThrow(/out of range/);
    expect(() => FeatureVector.EMPTY.has(8 * 65535)).toThrow(/out of range/);
  });

  it('round-trips through bytes', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 2000 }), { maxLength: 40 }), (bits) => {
        const v = FeatureVector.fromBits(bits);
        const bytes = v.toBytes();
        expect(bytes[0]).not.toBe(0); // minimal: no leading zero byte
        expect(FeatureVector.fromBytes(bytes).bits()).toEqual([...bits].sort((a, b) => a - b));
      }),
    );
  });
});

describe("it's OK to be odd", () => {
  it('pairs bits', () => {
    expect([requiredBit(14), requiredBit(15), optionalBit(14), optionalBit(15)]).toEqual([14, 14, 15, 15]);
  });

  it('finds the required bits of features we do not know', () => {
    const peer = FeatureVector.fromBits([0, 3, 12, 14, 17, 100, 101]);
    // we know 0/1 (via 1), 12/13 (via 12) and 14/15 (via 15); 100 is a required unknown; odd 3, 17, 101 are ignored
    expect(unknownRequiredBits(peer, [1, 12, 15])).toEqual([100]);
    expect(unknownRequiredBits(peer, [0, 1, 12, 14, 100])).toEqual([]);
    expect(unknownRequiredBits(FeatureVector.EMPTY, [])).toEqual([]);
  });

  it('offered and negotiated follow BOLT 1', () => {
    const local = FeatureVector.fromBits([15, 18]);
    const remote = FeatureVector.fromBits([14]);
    expect(offers(remote, 15)).toBe(true);
    expect(isNegotiated(local, remote, 14)).toBe(true); // both offered
    expect(isNegotiated(local, remote, 19)).toBe(true); // we require 18/19, peer stayed
    expect(isNegotiated(remote, local, 18)).toBe(false); // peer requires it but we never offered
    expect(isNegotiated(local, FeatureVector.EMPTY, 14)).toBe(false);
  });
});
