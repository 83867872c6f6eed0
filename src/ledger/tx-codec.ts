// Transactions in JSON (the ledger API's form) and what a sender signs.
//
// The signed message is sha256(taggedMessage('sluice/tx/v1', chainId, canonicalJson(body))): the tag keeps
// a transaction signature from ever verifying as a channel-state signature, and the chain id keeps it
// from being replayed on another ledger. The per-account nonce keeps it from being replayed on this one.
import { InputError, toHex, utf8 } from '../crypto/bytes.js';
import { sha256, taggedMessage } from '../crypto/hash.js';
import { signMessage, verifyMessage, type SecretKey } from '../crypto/keys.js';
import { signedStateFromJson, signedStateToJson } from '../channel/state-json.js';
import {
  asObject, canonicalJson, hexField, msatField, pubkeyField, str, uintField, type JsonObject,
} from '../util/json-fields.js';
import type { SignedTxBody, Tx, TxBody } from './types.js';

export const TX_TAG = 'sluice/tx/v1';
const MAX_NONCE = 2 ** 48;

export function txBodyToJson(tx: TxBody): JsonObject {
  switch (tx.kind) {
    case 'faucet':
      return { kind: tx.kind, to: toHex(tx.to), amount: tx.amount.toString(), salt: toHex(tx.salt) };
    case 'transfer':
      return { ...signer(tx), to: toHex(tx.to), amount: tx.amount.toString() };
    case 'open':
      return { ...signer(tx), channelId: toHex(tx.channelId), peer: toHex(tx.peer), capacity: tx.capacity.toString(), state: signedStateToJson(tx.state) };
    case 'close':
    case 'forceClose':
    case 'dispute':
      return { ...signer(tx), channelId: toHex(tx.channelId), state: signedStateToJson(tx.state) };
    case 'reveal':
      return { ...signer(tx), channelId: toHex(tx.channelId), lockId: tx.lockId, preimage: toHex(tx.preimage), depth: tx.depth };
    case 'settle':
      return { ...signer(tx), channelId: toHex(tx.channelId) };
    case 'preimage':
      return { ...signer(tx), preimage: toHex(tx.preimage) };
    case 'registerChain':
      return { ...signer(tx), root: toHex(tx.root), depth: tx.depth, preimage: toHex(tx.preimage) };
  }
}

function signer(tx: SignedTxBody): JsonObject {
  return { kind: tx.kind, from: toHex(tx.from), nonce: tx.nonce };
}

export function txToJson(tx: Tx): JsonObject {
  const body = txBodyToJson(tx);
  return tx.sig ? { ...body, sig: toHex(tx.sig) } : body;
}

/** Parse an untrusted JSON transaction; throws InputError naming the bad field. */
export function txFromJson(v: unknown): Tx {
  const o = asObject(v, 'tx');
  const kind = str(o, 'kind', 'tx.kind');
  if (kind === 'faucet') {
    return { kind, to: pubkeyField(o, 'to'), amount: msatField(o, 'amount'), salt: hexField(o, 'salt', 16) };
  }
  const base = { from: pubkeyField(o, 'from'), nonce: uintField(o, 'nonce', MAX_NONCE), sig: hexField(o, 'sig', 64) };
  switch (kind) {
    case 'transfer':
      return { kind, ...base, to: pubkeyField(o, 'to'), amount: msatField(o, 'amount') };
    case 'open':
      return { kind, ...base, channelId: hexField(o, 'channelId', 32), peer: pubkeyField(o, 'peer'), capacity: msatField(o, 'capacity'), state: signedStateFromJson(o['state'], 'state') };
    case 'close':
    case 'forceClose':
    case 'dispute':
      return { kind, ...base, channelId: hexField(o, 'channelId', 32), state: signedStateFromJson(o['state'], 'state') };
    case 'reveal':
      return { kind, ...base, channelId: hexField(o, 'channelId', 32), lockId: uintField(o, 'lockId', 0xffffffff), preimage: hexField(o, 'preimage', 32), depth: uintField(o, 'depth', 0xffffffff) };
    case 'settle':
      return { kind, ...base, channelId: hexField(o, 'channelId', 32) };
    case 'preimage':
      return { kind, ...base, preimage: hexField(o, 'preimage', 32) };
    case 'registerChain':
      return { kind, ...base, root: hexField(o, 'root', 32), depth: uintField(o, 'depth', 0xffffffff), preimage: hexField(o, 'preimage', 32) };
    default:
      throw new InputError(`tx.kind: unknown transaction kind '${kind}'`);
  }
}

export function txSigningMessage(chainId: string, body: TxBody): Uint8Array {
  return taggedMessage(TX_TAG, chainId, utf8(canonicalJson(txBodyToJson(body))));
}

export function signTx<T extends SignedTxBody>(chainId: string, body: T, sk: SecretKey): T & { sig: Uint8Array } {
  const { sig: _drop, ...clean } = body as T & { sig?: Uint8Array };
  return { ...(clean as T), sig: signMessage(sk, txSigningMessage(chainId, clean as T)) };
}

export function verifyTxSig(chainId: string, tx: Tx): boolean {
  if (tx.kind === 'faucet') return true;
  if (!tx.sig) return false;
  const { sig, ...body } = tx;
  return verifyMessage(sig, txSigningMessage(chainId, body as TxBody), tx.from);
}

/** Transaction id: sha256 of the canonical JSON including the signature. */
export function txId(tx: Tx): Uint8Array {
  return sha256(utf8(canonicalJson(txToJson(tx))));
}
