// Feature bit vectors (BOLT 1 `init`, BOLT 9). Bit 0 is the least significant bit of the LAST
// byte. Features come in pairs: the even bit means "required" (a peer that does not understand
// it must disconnect), the odd bit means "supported, optional" ("it's OK to be odd").
//
// Held as a bigint: OR-ing the two init bitmaps, testing a bit and the minimal big-endian
// encoding are all one operation, and a peer's 65535-byte vector is one conversion.

import { fromHex, InputError, toHex } from '../crypto/bytes.js';

/** A feature field fits in one message, so no bit can be at or above 8 * 65535. */
export const FEATURE_BIT_LIMIT = 8 * 65535;

function checkBit(bit: number): bigint {
  if (!Number.isInteger(bit) || bit < 0 || bit >= FEATURE_BIT_LIMIT) {
    throw new InputError(`feature bit out of range: ${bit}`);
  }
  return BigInt(bit);
}

export class FeatureVector {
  static readonly EMPTY = new FeatureVector(0n);

  private constructor(private readonly mask: bigint) {}

  static fromBits(bits: Iterable<number>): FeatureVector {
    let mask = 0n;
    for (const bit of bits) mask |= 1n << checkBit(bit);
    return new FeatureVector(mask);
  }

  /** Any length is accepted, including leading zero bytes (the spec pads, we don't judge). */
  static fromBytes(bytes: Uint8Array): FeatureVector {
    return new FeatureVector(bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`));
  }

  has(bit: number): boolean {
    return ((this.mask >> checkBit(bit)) & 1n) === 1n;
  }

  set(bit: number): FeatureVector {
    return new FeatureVector(this.mask | (1n << checkBit(bit)));
  }

  clear(bit: number): FeatureVector {
    return new FeatureVector(this.mask & ~(1n << checkBit(bit)));
  }

  or(other: FeatureVector): FeatureVector {
    return new FeatureVector(this.mask | other.mask);
  }

  equals(other: FeatureVector): boolean {
    return this.mask === other.mask;
  }

  isEmpty(): boolean {
    return this.mask === 0n;
  }

  /** Set bits, ascending. */
  bits(): number[] {
    const out: number[] = [];
    const binary = this.mask.toString(2);
    for (let i = 0; i < binary.length; i++) {
      if (binary[binary.length - 1 - i] === '1') out.push(i);
    }
    return out;
  }

  /** Shortest big-endian byte string (no leading zero bytes; empty when no bit is set). */
  toBytes(): Uint8Array {
    if (this.mask === 0n) return new Uint8Array(0);
    const hex = this.mask.toString(16);
    return fromHex(hex.length % 2 === 0 ? hex : `0${hex}`, 'features');
  }
}

/** The even bit of the pair `bit` belongs to. */
export function requiredBit(bit: number): number {
  return bit - (bit % 2);
}

/** The odd bit of the pair `bit` belongs to. */
export function optionalBit(bit: number): number {
  return requiredBit(bit) + 1;
}

/** A feature is offered when either bit of its pair is set. */
export function offers(vector: FeatureVector, bit: number): boolean {
  return vector.has(requiredBit(bit)) || vector.has(optionalBit(bit));
}

/**
 * BOLT 1: a feature is negotiated if both peers offered it, or we offered it as required (the
 * peer stayed connected, so it must understand it).
 */
export function isNegotiated(local: FeatureVector, remote: FeatureVector, bit: number): boolean {
  return (offers(local, bit) && offers(remote, bit)) || local.has(requiredBit(bit));
}

/**
 * The "it's OK to be odd" check on a peer's features: the even (required) bits it set for
 * features we do not know. Non-empty means we must disconnect. A feature counts as known if
 * either bit of its pair is in `known`; unknown odd bits are ignored, as the spec says.
 */
export function unknownRequiredBits(peer: FeatureVector, known: Iterable<number>): number[] {
  const knownPairs = new Set<number>();
  for (const bit of known) knownPairs.add(requiredBit(bit));
  return peer.bits().filter((bit) => bit % 2 === 0 && !knownPairs.has(bit));
}
