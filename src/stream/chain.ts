// The payee's hash chain against a lock. Claims move a lock's root down the chain (the root becomes the
// claimed preimage, maxUnits shrinks by the claimed depth), so one absolute reveal is measured from
// whichever lock state it is shown against: the channel's latest, or an older or newer one the ledger
// adjudicates. The same preimage pays in every one of them.
import { fromHex } from '../crypto/bytes.js';
import type { ChainLock } from './events.js';
import type { PayeeChain } from './record.js';

/** Ticks already claimed into a signed balance: what this lock state no longer holds (all, with no lock). */
export function claimedDepth(chain: PayeeChain, lock: Pick<ChainLock, 'maxUnits'> | undefined): number {
  return lock ? chain.units - lock.maxUnits : chain.units;
}

/** What to show against this lock state: the deepest reveal, as a depth below its root; undefined if nothing is beyond it. */
export function revealAgainst(chain: PayeeChain, lock: Pick<ChainLock, 'maxUnits'>): { depth: number; preimage: Uint8Array } | undefined {
  const depth = chain.revealedDepth - claimedDepth(chain, lock);
  if (depth <= 0 || !chain.revealedValue || depth > lock.maxUnits) return undefined;
  return { depth, preimage: fromHex(chain.revealedValue) };
}

/** Everything revealed is claimed in this lock state: the rest of the budget can be given back. */
export function allClaimed(chain: PayeeChain, lock: Pick<ChainLock, 'maxUnits'>): boolean {
  return chain.revealedDepth <= claimedDepth(chain, lock);
}
