// Builders for ledger rule tests: keys, signed states, signed transactions, and a state to run them on.
import { randomBytes } from 'node:crypto';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { signState, type ChannelState, type Lock, type SignedState } from '../../src/channel/state.js';
import { signTx } from '../../src/ledger/tx-codec.js';
import { applyTx, type TxContext } from '../../src/ledger/rules.js';
import { MemoryState } from '../../src/ledger/view.js';
import type { SignedTxBody, Tx } from '../../src/ledger/types.js';

export const CHAIN = 'sluice-test';

export interface Party {
  sk: Uint8Array;
  pk: Uint8Array;
}

export function party(): Party {
  const sk = randomSecretKey();
  return { sk, pk: publicKeyOf(sk) };
}

export function ctx(height: number, over: Partial<TxContext> = {}): TxContext {
  return { chainId: CHAIN, fee: 200_000n, disputeBlocks: 10, faucet: true, height, ...over };
}

export function state(channelId: Uint8Array, seq: bigint, balanceA: bigint, balanceB: bigint, extra: { locks?: Lock[]; closing?: boolean } = {}): ChannelState {
  return { channelId, seq, balanceA, balanceB, locks: extra.locks ?? [], closing: extra.closing ?? false };
}

export function bothSign(s: ChannelState, a: Party, b: Party, chainId = CHAIN): SignedState {
  return { state: s, sigA: signState(chainId, s, a.sk), sigB: signState(chainId, s, b.sk) };
}

export function faucetTx(to: Uint8Array, amount: bigint): Tx {
  return { kind: 'faucet', to, amount, salt: randomBytes(16) };
}

type DistOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Sign a body for `who`, filling in from/nonce. */
export function signed(who: Party, nonce: number, body: DistOmit<SignedTxBody, 'from' | 'nonce'>, chainId = CHAIN): Tx {
  return signTx(chainId, { ...body, from: who.pk, nonce } as SignedTxBody, who.sk) as Tx;
}

/** Apply and commit, throwing on rejection (for setting up a scenario). */
export function must(st: MemoryState, tx: Tx, c: TxContext): void {
  const r = applyTx(st, tx, c);
  if (!r.ok) throw new Error(`setup tx rejected: ${r.error.code} ${r.error.message}`);
  st.apply(r.writes);
}

export function newChannelId(): Uint8Array {
  return randomBytes(32);
}
