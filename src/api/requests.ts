// Request bodies of the control API. Amounts are exact decimal msat strings ("1500000"), not the
// human forms `parseAmount` reads ("10sat"): the API is for programs, the CLI converts what people
// type. Unknown fields are rejected so that a misspelt option (`"forse": true`) is an error rather
// than silently ignored on a call that moves money.
import { InputError } from '../crypto/bytes.js';
import { asObject, boolField, msatField, type Json } from '../util/json-fields.js';
import type { Codec } from './codec.js';
import { parseNodeId, parsePeerTarget } from './fields.js';

export interface FaucetRequest {
  amount: bigint;
}
export interface ConnectRequest {
  target: string;
}
export interface OpenRequest {
  peerId: string;
  capacity: bigint;
  push: bigint;
}
export interface CloseRequest {
  force: boolean;
}
export interface PayRequest {
  peerId: string;
  amount: bigint;
}

function body(v: unknown, allowed: readonly string[]): Record<string, unknown> {
  const o = asObject(v, 'body');
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new InputError(`${k}: unknown field (expected ${allowed.join(', ')})`);
  }
  return o;
}

function positiveMsat(o: Record<string, unknown>, key: string): bigint {
  const v = msatField(o, key);
  if (v === 0n) throw new InputError(`${key}: must be more than 0 msat`);
  return v;
}

export const faucetRequestCodec: Codec<FaucetRequest> = {
  encode: (r) => ({ amount: r.amount.toString() }),
  decode: (v) => ({ amount: positiveMsat(body(v, ['amount']), 'amount') }),
};

export const connectRequestCodec: Codec<ConnectRequest> = {
  encode: (r) => ({ target: r.target }),
  decode: (v) => ({ target: parsePeerTarget(body(v, ['target'])['target']) }),
};

export const openRequestCodec: Codec<OpenRequest> = {
  encode: (r) => ({ peerId: r.peerId, capacity: r.capacity.toString(), push: r.push.toString() }),
  decode(v) {
    const o = body(v, ['peerId', 'capacity', 'push']);
    const peerId = parseNodeId(o['peerId'], 'peerId');
    const capacity = positiveMsat(o, 'capacity');
    const push = o['push'] === undefined ? 0n : msatField(o, 'push');
    if (push > capacity) throw new InputError('push: must not be more than capacity');
    return { peerId, capacity, push };
  },
};

export const closeRequestCodec: Codec<CloseRequest> = {
  encode: (r): Json => ({ force: r.force }),
  decode(v) {
    const o = body(v, ['force']);
    return { force: o['force'] === undefined ? false : boolField(o, 'force') };
  },
};

export const payRequestCodec: Codec<PayRequest> = {
  encode: (r) => ({ peerId: r.peerId, amount: r.amount.toString() }),
  decode(v) {
    const o = body(v, ['peerId', 'amount']);
    return { peerId: parseNodeId(o['peerId'], 'peerId'), amount: positiveMsat(o, 'amount') };
  },
};
