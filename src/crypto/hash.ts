import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { concatBytes, utf8 } from './bytes.js';

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(nobleSha256, key, data);
}

/**
 * The preimage of a domain-separated digest: tag and chain id are length-prefixed so that
 * no message under one tag can be read as a message under another tag or chain.
 * Signers sign sha256(taggedMessage(...)).
 */
export function taggedMessage(tag: string, chainId: string, body: Uint8Array): Uint8Array {
  const t = utf8(tag);
  const c = utf8(chainId);
  const len = (n: number) => Uint8Array.of(n >>> 8, n & 0xff);
  return concatBytes(len(t.length), t, len(c.length), c, body);
}

/**
 * The longest hash chain anyone here builds or checks: checking a depth costs one sha256 per unit, so
 * the channel, the ledger and the stream core all refuse budgets past it.
 */
export const MAX_HASH_CHAIN_LENGTH = 1_000_000;

/** sha256 applied `depth` times (PayWord hash chains: the root is hashChain(seed, n)). */
export function hashChain(x: Uint8Array, depth: number): Uint8Array {
  let h = x;
  for (let i = 0; i < depth; i++) h = nobleSha256(h);
  return h;
}
