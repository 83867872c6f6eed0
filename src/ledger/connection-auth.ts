// A ledger connection that proves a key: `authenticate` signs (tag, chain id, key, time) with it. The
// ledger keeps such a connection a place that anonymous connections cannot take (server.ts): without
// it, any local process holding every connection slot kept a node whose connection dropped (a ledger
// restart, a hiccup) off the ledger for good, and a stale close of its channel settled unopposed.
// Pure: the time comes in as an argument.
import { toHex } from '../crypto/bytes.js';
import { signMessage, verifyMessage, type SecretKey } from '../crypto/keys.js';

/** How far the signed time may be from the ledger's clock. */
export const AUTH_MAX_SKEW_MS = 60_000;
/** Connections one key may hold in the protected pool (a node needs one; one more rides out a reconnect). */
export const PROTECTED_PER_KEY = 2;

function authMessage(chainId: string, party: Uint8Array, timeMs: number): Uint8Array {
  return new TextEncoder().encode(`sluice/ledger-conn/v1\n${chainId}\n${toHex(party)}\n${timeMs}`);
}

export interface ConnectionIdentity {
  chainId: string;
  secretKey: SecretKey;
  publicKey: Uint8Array;
}

/** The params of an `authenticate` request. */
export function authParams(id: ConnectionIdentity, nowMs: number): { party: string; time: number; sig: string } {
  return { party: toHex(id.publicKey), time: nowMs, sig: toHex(signMessage(id.secretKey, authMessage(id.chainId, id.publicKey, nowMs))) };
}

/** Does `sig` prove `party` for this chain at `timeMs`, close enough to `nowMs`? */
export function checkAuth(o: { chainId: string; party: Uint8Array; timeMs: number; sig: Uint8Array; nowMs: number }): string | null {
  if (Math.abs(o.nowMs - o.timeMs) > AUTH_MAX_SKEW_MS) return `time ${o.timeMs} is more than ${AUTH_MAX_SKEW_MS} ms from the ledger's clock`;
  if (!verifyMessage(o.sig, authMessage(o.chainId, o.party, o.timeMs), o.party)) return 'signature does not prove the key on this chain';
  return null;
}
