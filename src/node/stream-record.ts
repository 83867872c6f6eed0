// Stream records as stored: plain objects whose bigints are tagged, so the stream core's data types are
// stored as they are without a codec per field.
import type { JsonObject } from '../util/json-fields.js';

export function toStored(value: unknown): JsonObject {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? { $n: v.toString() } : v))) as JsonObject;
}

export function fromStored<T>(value: JsonObject): T {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { $n?: unknown }).$n === 'string') {
      return BigInt((v as { $n: string }).$n);
    }
    return v;
  }) as T;
}
