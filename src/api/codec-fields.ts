// Field readers the API's codecs share (codec.ts, routing-codec.ts): a choice among strings, and
// whether an optional field is present.
import { InputError } from '../crypto/bytes.js';

export function oneOf<T extends string>(o: Record<string, unknown>, key: string, allowed: readonly T[], what = key): T {
  const v = o[key];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new InputError(`${what}: expected one of ${allowed.join(', ')}`);
  }
  return v as T;
}

export const has = (o: Record<string, unknown>, key: string) => o[key] !== undefined && o[key] !== null;
