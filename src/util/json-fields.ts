// Strict readers for fields of untrusted JSON objects. Each throws InputError naming the field,
// so a decoder can turn any bad request into one clear message.
import { InputError, fromHex } from '../crypto/bytes.js';
import { isValidPublicKey } from '../crypto/keys.js';
import { msatFromJson, type Msat } from '../money.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(`${what}: expected an object`);
  return v as Record<string, unknown>;
}

export function str(o: Record<string, unknown>, key: string, what = key): string {
  const v = o[key];
  if (typeof v !== 'string') throw new InputError(`${what}: expected a string`);
  return v;
}

export function hexField(o: Record<string, unknown>, key: string, length?: number, what = key): Uint8Array {
  return fromHex(str(o, key, what), what, length);
}

export function pubkeyField(o: Record<string, unknown>, key: string, what = key): Uint8Array {
  const pk = hexField(o, key, 33, what);
  if (!isValidPublicKey(pk)) throw new InputError(`${what}: not a valid secp256k1 public key`);
  return pk;
}

export function msatField(o: Record<string, unknown>, key: string, what = key): Msat {
  return msatFromJson(o[key], what);
}

/** A non-negative safe integer (nonces, heights, counts). */
export function uintField(o: Record<string, unknown>, key: string, max = Number.MAX_SAFE_INTEGER, what = key): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new InputError(`${what}: expected a whole number from 0 to ${max}`);
  }
  return v;
}

export function boolField(o: Record<string, unknown>, key: string, what = key): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new InputError(`${what}: expected true or false`);
  return v;
}

export function arrayField(o: Record<string, unknown>, key: string, maxLength: number, what = key): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new InputError(`${what}: expected an array`);
  if (v.length > maxLength) throw new InputError(`${what}: more than ${maxLength} entries`);
  return v;
}

/** Deterministic JSON: object keys sorted, no whitespace. Used for what gets signed. */
export function canonicalJson(v: Json): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k]!)}`).join(',')}}`;
}

