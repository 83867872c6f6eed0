// The chain registry: what the HTLC preimage registry is for hash locks, for hash-chain locks. Anyone
// may show that sha256^depth(preimage) == root (`registerChain`); the ledger keeps, per root, the deepest
// depth shown and the height of every block that deepened it. A hash-chain lock with an expiry is then
// paid the depth registered for its root below its expiryHeight, whenever its channel settles, so a hop
// that forwarded a stream under the same root claims upstream without closing anything (multihop.md
// §7.6 "S2"). Pure, like rules.ts.
//
// Size: one entry per root, plus one mark per block in which a paid registration (or a reveal on a lock
// with an expiry) deepened it, so everything here was paid for by a fee. Nothing is pruned: a lock that
// expired long ago may still be settled (a channel can stay open for years and close with that state),
// and its payout depends on what was registered before its expiry; dropping the entry would change it.
import { equalBytes } from '../crypto/bytes.js';
import { MAX_HASH_CHAIN_LENGTH } from '../crypto/hash.js';
import type { ChannelState, HashchainLock } from '../channel/state.js';
import { MAX_REVEAL_UNITS_PER_TX, countedChain, debitSender, feeWrite, isRejection, reject, type ApplyResult, type TxContext } from './rule-kit.js';
import type { ChainAnchor, ChainEntry, LedgerChannel, SignedTxBody } from './types.js';
import type { LedgerView, Write } from './view.js';

type RegisterChain = Extract<SignedTxBody, { kind: 'registerChain' }>;

export function applyRegisterChain(view: LedgerView, tx: RegisterChain, ctx: TxContext): ApplyResult {
  // Cheap before costly, as applyReveal: the fee, nonce and signature are checked (applyTx), then the
  // depth against the registry, and only then at most MAX_REVEAL_UNITS_PER_TX hashes.
  if (!Number.isSafeInteger(tx.depth) || tx.depth < 1 || tx.depth > MAX_HASH_CHAIN_LENGTH) {
    return reject('BAD_PREIMAGE', `depth must be 1..${MAX_HASH_CHAIN_LENGTH}`);
  }
  const entry = view.chain(tx.root);
  const from = entry?.depth ?? 0;
  if (tx.depth <= from) return reject('ALREADY_REGISTERED', `depth ${from} is already registered for this root`);
  if (tx.depth - from > MAX_REVEAL_UNITS_PER_TX) {
    return reject('TOO_MUCH_WORK', `a registration may go at most ${MAX_REVEAL_UNITS_PER_TX} units past the deepest registered (${from}); register depth ${from + MAX_REVEAL_UNITS_PER_TX} first`);
  }
  const edits = debitSender(view, tx, 0n, ctx);
  if (isRejection(edits)) return edits;
  // Checked from the deepest preimage already registered (the root itself at depth 0).
  const target = entry?.preimage ?? tx.root;
  if (!equalBytes(countedChain(tx.preimage, tx.depth - from, ctx.work), target)) {
    return reject('BAD_PREIMAGE', `sha256^${tx.depth - from}(preimage) is not the registered preimage at depth ${from}`);
  }
  const mark: Write = { kind: 'chainMark', root: tx.root, height: ctx.height, depth: tx.depth, preimage: tx.preimage };
  return { ok: true, writes: [...edits.writes(), mark, feeWrite(view, ctx.fee)], events: [] };
}

/** The deepest depth registered in a block below `expiryHeight` (0 if none). */
export function registeredBefore(entry: ChainEntry | undefined, expiryHeight: number): number {
  if (!entry) return 0;
  let depth = 0;
  for (const m of entry.marks) {
    if (m.height >= expiryHeight) break; // marks ascend in height
    depth = m.depth;
  }
  return depth;
}

/**
 * The units the registry pays a lock under the adjudicated state: the depth registered for its root
 * before its expiry, or for a root it had before a dispute moved it (an anchor), less the units that
 * root sits above the current one. Negative means nothing; a lock without an expiry gets nothing here.
 */
export function registryUnits(ch: LedgerChannel, lock: HashchainLock, view: Pick<LedgerView, 'chain'>): number {
  if (lock.expiryHeight === undefined) return 0;
  let best = registeredBefore(view.chain(lock.root), lock.expiryHeight);
  for (const a of ch.anchors?.[lock.id] ?? []) best = Math.max(best, registeredBefore(view.chain(a.root), lock.expiryHeight) - a.offset);
  return best;
}

/**
 * The anchors that hold under a newer state. A lock whose root the newer state moved down its chain (the
 * payee claimed `claimed` units: same id, side, unit and expiry, maxUnits fell by as many) keeps its old
 * root as an anchor at offset `claimed`, and its earlier anchors go `claimed` deeper. Without that a
 * payer could erase a registration made against the older root by disputing with the claim's state
 * after the lock's expiry, when the payee can no longer register against the new root.
 *
 * No hashing: the new root is the chain's element at depth `claimed` because both parties signed the
 * state a claim op built, and the claim op checks exactly that (src/channel/ops.ts). A lock that changed
 * otherwise (released and added again under the same id, a new unit or expiry) keeps no anchors. Only
 * roots with a registry entry are kept: an anchor is worth something only through one, so the anchors a
 * lock can gather are bounded by the registrations someone paid for, not by the number of disputes.
 */
export function carriedAnchors(ch: LedgerChannel, newState: ChannelState, view: Pick<LedgerView, 'chain'>): Record<number, ChainAnchor[]> {
  const out: Record<number, ChainAnchor[]> = {};
  for (const after of newState.locks) {
    if (after.kind !== 'hashchain' || after.expiryHeight === undefined) continue;
    const before = ch.latest!.state.locks.find((l) => l.id === after.id);
    if (before?.kind !== 'hashchain' || before.from !== after.from || before.unit !== after.unit || before.expiryHeight !== after.expiryHeight) continue;
    const prev = ch.anchors?.[after.id] ?? [];
    if (equalBytes(before.root, after.root)) {
      if (before.maxUnits === after.maxUnits && prev.length > 0) out[after.id] = prev;
      continue;
    }
    const claimed = before.maxUnits - after.maxUnits;
    if (claimed <= 0) continue;
    const moved = [{ root: before.root, offset: 0 }, ...prev].map((a) => ({ root: a.root, offset: a.offset + claimed }));
    const kept = moved.filter((a) => view.chain(a.root) !== undefined);
    if (kept.length > 0) out[after.id] = kept;
  }
  return out;
}

/**
 * A reveal on a lock with an expiry also registers its depth for the lock's root (it was just checked:
 * no more hashing), so a hop upstream under the same root is paid by it as by a registration.
 */
export function revealMark(view: Pick<LedgerView, 'chain'>, lock: HashchainLock, depth: number, preimage: Uint8Array, height: number): Write | undefined {
  if (lock.expiryHeight === undefined) return undefined;
  if (depth <= (view.chain(lock.root)?.depth ?? 0)) return undefined;
  return { kind: 'chainMark', root: lock.root, height, depth, preimage };
}

/** Units a hash-chain lock pays its receiver: the deeper of this channel's reveals and the registry, capped at maxUnits. */
export function hashchainUnitsPaid(ch: LedgerChannel, lock: HashchainLock, view: Pick<LedgerView, 'chain'>): number {
  const revealed = ch.reveals[lock.id]?.depth ?? 0;
  return Math.max(0, Math.min(Math.max(revealed, registryUnits(ch, lock, view)), lock.maxUnits));
}
