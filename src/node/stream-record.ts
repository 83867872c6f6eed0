// Stream records as stored: plain objects whose bigints are tagged, so the stream core's data types are
// stored as they are without a codec per field.
import type { JsonObject } from '../util/json-fields.js';

/**
 * The record as JSON would give it back (undefined fields left out, bigints tagged), built in one walk:
 * a payee stores every running meter once a second, and a stringify-then-parse per record was a
 * noticeable part of that at 10,000 streams.
 */
export function toStored(value: unknown): JsonObject {
  return plain(value) as JsonObject;
}

function plain(v: unknown): unknown {
  switch (typeof v) {
    case 'bigint': return { $n: v.toString() };
    case 'number': return Number.isFinite(v) ? v + 0 : null; // (+ 0: JSON writes -0 as 0)
    case 'string':
    case 'boolean': return v;
    case 'object': break;
    default: return undefined; // undefined, functions, symbols: JSON leaves them out
  }
  if (v === null) return null;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return plain((v as { toJSON(): unknown }).toJSON());
  if (Array.isArray(v)) return v.map((x) => plain(x) ?? null);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = plain((v as Record<string, unknown>)[k]);
    if (x === undefined) continue;
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

export function fromStored<T>(value: JsonObject): T {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { $n?: unknown }).$n === 'string') {
      return BigInt((v as { $n: string }).$n);
    }
    return v;
  }) as T;
}
