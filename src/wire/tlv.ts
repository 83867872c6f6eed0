// TLV streams (BOLT 1 "Type-Length-Value Format"): records of bigsize type, bigsize length, value.
//
// Rules enforced on decode, each a reason to reject the whole stream:
//   - types strictly increase (so no duplicates, and one canonical byte string per stream);
//   - type and length are minimal bigsizes;
//   - a length never runs past the end of the stream;
//   - an unknown EVEN type is refused ("it's OK to be odd"); an unknown ODD record is kept, so the
//     caller can ignore it yet re-encode the stream byte for byte (signatures cover extensions).
// Whether a known record's value has the right shape is the job of that record's decoder; the
// typed layer at the bottom (TlvSchema) runs those decoders.

import { concatBytes, InputError } from '../crypto/bytes.js';
import { decodeBigSize, encodeBigSize } from './bigsize.js';
import { fail, ok, type WireResult } from './result.js';

export interface TlvRecord {
  readonly type: bigint;
  readonly value: Uint8Array;
}

/**
 * Encode records that are already in strictly increasing type order. Throws InputError
 * otherwise: we never emit a stream our peer is obliged to reject.
 */
export function encodeTlvStream(records: readonly TlvRecord[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let previous: bigint | undefined;
  for (const record of records) {
    if (previous !== undefined && record.type <= previous) {
      throw new InputError(`tlv: type ${record.type} after ${previous}: types must strictly increase`);
    }
    previous = record.type;
    parts.push(encodeBigSize(record.type), encodeBigSize(BigInt(record.value.length)), record.value);
  }
  return concatBytes(...parts);
}

export interface TlvDecodeOptions {
  /** types this namespace understands; an even type outside this set fails the stream */
  readonly knownTypes: ReadonlySet<bigint>;
}

/** Decode a whole stream (all of `bytes`). Known and unknown-odd records come back in order. */
export function decodeTlvStream(bytes: Uint8Array, opts: TlvDecodeOptions): WireResult<TlvRecord[]> {
  const records: TlvRecord[] = [];
  let offset = 0;
  let previous: bigint | undefined;
  while (offset < bytes.length) {
    const type = decodeBigSize(bytes, offset);
    if (!type.ok) return fail(type.error.kind, `tlv type: ${type.error.message}`);
    offset += type.value.length;
    const t = type.value.value;
    if (previous !== undefined && t <= previous) {
      return fail('tlv_order', `tlv: type ${t} after ${previous}: types must strictly increase`);
    }
    previous = t;

    const length = decodeBigSize(bytes, offset);
    if (!length.ok) return fail(length.error.kind, `tlv type ${t} length: ${length.error.message}`);
    offset += length.value.length;
    const remaining = bytes.length - offset;
    if (length.value.value > BigInt(remaining)) {
      return fail('truncated', `tlv type ${t}: length ${length.value.value} but ${remaining} bytes left`);
    }
    const len = Number(length.value.value);

    if (!opts.knownTypes.has(t) && t % 2n === 0n) {
      return fail('tlv_unknown_even', `tlv: unknown even type ${t}`);
    }
    records.push({ type: t, value: bytes.slice(offset, offset + len) });
    offset += len;
  }
  return ok(records);
}

// ---- typed layer: a schema maps named fields to TLV types and value codecs ----

/** How one known record's value is written and read. `decode` must check the exact length. */
export interface TlvField<T> {
  readonly type: bigint;
  encode(value: T): Uint8Array;
  decode(value: Uint8Array): WireResult<T>;
}

/** For a fields object like `{ networks?: Uint8Array[] }`, one TlvField per property. */
export type TlvSchema<F> = { readonly [K in keyof F]-?: TlvField<NonNullable<F[K]>> };

export interface DecodedTlvs<F> {
  /** the known records that were present, decoded */
  readonly fields: Partial<F>;
  /** unknown odd records, in stream order, kept for re-encoding */
  readonly unknown: TlvRecord[];
}

function schemaEntries<F>(schema: TlvSchema<F>): [keyof F, TlvField<unknown>][] {
  return Object.entries(schema) as [keyof F, TlvField<unknown>][];
}

export function decodeTlvFields<F>(schema: TlvSchema<F>, bytes: Uint8Array): WireResult<DecodedTlvs<F>> {
  const byType = new Map<bigint, [keyof F, TlvField<unknown>]>();
  for (const [key, field] of schemaEntries(schema)) byType.set(field.type, [key, field]);

  const stream = decodeTlvStream(bytes, { knownTypes: new Set(byType.keys()) });
  if (!stream.ok) return stream;
  const fields: Partial<Record<keyof F, unknown>> = {};
  const unknown: TlvRecord[] = [];
  for (const record of stream.value) {
    const entry = byType.get(record.type);
    if (entry === undefined) {
      unknown.push(record);
      continue;
    }
    const [key, field] = entry;
    const decoded = field.decode(record.value);
    if (!decoded.ok) return fail(decoded.error.kind, `tlv type ${record.type}: ${decoded.error.message}`);
    fields[key] = decoded.value;
  }
  return ok({ fields: fields as Partial<F>, unknown });
}

/**
 * Encode the present fields plus any unknown records being passed through, merged into type
 * order. Throws InputError if an unknown record reuses a known type or two share a type.
 */
export function encodeTlvFields<F>(
  schema: TlvSchema<F>,
  fields: Partial<F>,
  unknown: readonly TlvRecord[] = [],
): Uint8Array {
  const records: TlvRecord[] = [...unknown];
  for (const [key, field] of schemaEntries(schema)) {
    const value = fields[key];
    if (value !== undefined) records.push({ type: field.type, value: field.encode(value) });
  }
  records.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return encodeTlvStream(records);
}
