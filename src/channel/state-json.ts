// JSON form of channel states (for the ledger API and stored records): amounts as decimal msat
// strings, bytes as hex. Parsing is strict and names the bad field.
import { InputError, toHex } from '../crypto/bytes.js';
import {
  arrayField, asObject, boolField, hexField, msatField, str, uintField, type JsonObject,
} from '../util/json-fields.js';
import { MAX_LOCKS, type ChannelState, type HashchainLock, type Lock, type Side, type SignedState } from './state.js';

export function lockToJson(l: Lock): JsonObject {
  return l.kind === 'htlc'
    ? { kind: 'htlc', id: l.id, from: l.from, amount: l.amount.toString(), paymentHash: toHex(l.paymentHash), expiryHeight: l.expiryHeight }
    : hashchainToJson(l);
}

function hashchainToJson(l: HashchainLock): JsonObject {
  const out: JsonObject = { kind: 'hashchain', id: l.id, from: l.from, root: toHex(l.root), unit: l.unit.toString(), maxUnits: l.maxUnits };
  if (l.expiryHeight !== undefined) out['expiryHeight'] = l.expiryHeight;
  return out;
}

export function stateToJson(s: ChannelState): JsonObject {
  return {
    channelId: toHex(s.channelId),
    seq: s.seq.toString(),
    balanceA: s.balanceA.toString(),
    balanceB: s.balanceB.toString(),
    closing: s.closing,
    locks: s.locks.map(lockToJson),
  };
}

export function signedStateToJson(s: SignedState): JsonObject {
  return { state: stateToJson(s.state), sigA: toHex(s.sigA), sigB: toHex(s.sigB) };
}

function sideField(o: Record<string, unknown>, key: string, what: string): Side {
  const v = str(o, key, what);
  if (v !== 'A' && v !== 'B') throw new InputError(`${what}: expected "A" or "B"`);
  return v;
}

export function lockFromJson(v: unknown, what = 'lock'): Lock {
  const o = asObject(v, what);
  const kind = str(o, 'kind', `${what}.kind`);
  const id = uintField(o, 'id', 0xffffffff, `${what}.id`);
  const from = sideField(o, 'from', `${what}.from`);
  if (kind === 'htlc') {
    return {
      kind, id, from,
      amount: msatField(o, 'amount', `${what}.amount`),
      paymentHash: hexField(o, 'paymentHash', 32, `${what}.paymentHash`),
      expiryHeight: uintField(o, 'expiryHeight', 0xffffffff, `${what}.expiryHeight`),
    };
  }
  if (kind === 'hashchain') {
    const lock: HashchainLock = {
      kind, id, from,
      root: hexField(o, 'root', 32, `${what}.root`),
      unit: msatField(o, 'unit', `${what}.unit`),
      maxUnits: uintField(o, 'maxUnits', 0xffffffff, `${what}.maxUnits`),
    };
    // absent in records written before hash-chain expiries: such a lock is paid by reveals only
    if (o['expiryHeight'] !== undefined) lock.expiryHeight = uintField(o, 'expiryHeight', 0xffffffff, `${what}.expiryHeight`);
    return lock;
  }
  throw new InputError(`${what}.kind: expected "htlc" or "hashchain"`);
}

export function stateFromJson(v: unknown, what = 'state'): ChannelState {
  const o = asObject(v, what);
  const seqText = str(o, 'seq', `${what}.seq`);
  if (!/^\d{1,20}$/.test(seqText) || BigInt(seqText) > 0xffffffffffffffffn) throw new InputError(`${what}.seq: expected a u64 decimal string`);
  return {
    channelId: hexField(o, 'channelId', 32, `${what}.channelId`),
    seq: BigInt(seqText),
    balanceA: msatField(o, 'balanceA', `${what}.balanceA`),
    balanceB: msatField(o, 'balanceB', `${what}.balanceB`),
    closing: boolField(o, 'closing', `${what}.closing`),
    locks: arrayField(o, 'locks', MAX_LOCKS, `${what}.locks`).map((l, i) => lockFromJson(l, `${what}.locks[${i}]`)),
  };
}

export function signedStateFromJson(v: unknown, what = 'signedState'): SignedState {
  const o = asObject(v, what);
  return {
    state: stateFromJson(o['state'], `${what}.state`),
    sigA: hexField(o, 'sigA', 64, `${what}.sigA`),
    sigB: hexField(o, 'sigB', 64, `${what}.sigB`),
  };
}
