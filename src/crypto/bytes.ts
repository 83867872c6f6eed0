// Byte helpers with input checks: every entry point names the argument it rejects,
// so a bad hex string from a peer or a user fails with a message, not a garbled key.

import { InputError } from '../util/errors.js';

export { InputError };

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Decode hex; `expectedLength` (in bytes) is checked when given. */
export function fromHex(hex: string, what = 'hex', expectedLength?: number): Uint8Array {
  if (typeof hex !== 'string') throw new InputError(`${what}: expected a hex string`);
  if (!HEX_RE.test(hex)) {
    throw new InputError(/^[0-9a-fA-F]*$/.test(hex) ? `${what}: an odd number of hex digits (${hex.length})` : `${what}: not hex (only 0-9 and a-f)`);
  }
  if (expectedLength !== undefined && hex.length !== expectedLength * 2) {
    throw new InputError(`${what}: expected ${expectedLength} bytes, got ${hex.length / 2}`);
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Check a byte array argument's type and length. */
export function assertBytes(value: unknown, what: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InputError(`${what}: expected bytes`);
  if (length !== undefined && value.length !== length) {
    throw new InputError(`${what}: expected ${length} bytes, got ${value.length}`);
  }
}

/**
 * Append-only big-endian writer for canonical encodings (channel states, wire messages).
 * Values are range-checked: an encoding never silently truncates a number.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initial = 128) {
    this.buf = new Uint8Array(initial);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new InputError(`u8 out of range: ${v}`);
    this.ensure(1);
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new InputError(`u16 out of range: ${v}`);
    this.ensure(2);
    this.buf[this.len++] = v >>> 8;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InputError(`u32 out of range: ${v}`);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setUint32(this.len, v);
    this.len += 4;
    return this;
  }

  u64(v: bigint): this {
    if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) throw new InputError(`u64 out of range: ${v}`);
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setBigUint64(this.len, v);
    this.len += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** u16 length prefix then the bytes. */
  varBytes(b: Uint8Array): this {
    return this.u16(b.length).bytes(b);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Thrown only inside ByteReader; decoders catch it and return a typed error. */
export class ShortReadError extends Error {
  constructor(what: string) {
    super(`truncated: ${what}`);
    this.name = 'ShortReadError';
  }
}

/** Big-endian reader over untrusted bytes. Reads past the end throw ShortReadError. */
export class ByteReader {
  private off = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.off;
  }

  private need(n: number, what: string): void {
    if (this.off + n > this.buf.length) throw new ShortReadError(what);
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.off++]!;
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.off);
    this.off += 2;
    return v;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.off);
    this.off += 4;
    return v;
  }

  u64(what = 'u64'): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.off);
    this.off += 8;
    return v;
  }

  bytes(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.buf.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }

  varBytes(what = 'varBytes'): Uint8Array {
    return this.bytes(this.u16(what), what);
  }

  rest(): Uint8Array {
    const out = this.buf.slice(this.off);
    this.off = this.buf.length;
    return out;
  }
}
