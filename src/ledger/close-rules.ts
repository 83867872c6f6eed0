// The ledger's channel-closing rules: cooperative close, unilateral close, dispute, hash-chain reveal and
// settle, and the payout of an adjudicated state. Pure, like rules.ts.
//
// Fees: every one of these transactions pays its fee from its sender's ledger account (debitSender),
// never from the channel. A payout is therefore a function of the adjudicated state alone (its
// balances, its locks resolved by preimages, reveals and the chain registry, and the penalty): nothing one party submits
// can lower what the other is paid below what that state gives it.
import { equalBytes, toHex } from '../crypto/bytes.js';
import { checkSignedState, lockAmount, otherSide, type HashchainLock, type Side, type SignedState } from '../channel/state.js';
import type { Msat } from '../money.js';
import { MAX_REVEAL_UNITS_PER_TX, countedChain, debitSender, feeWrite, isRejection, reject, type AccountEdits, type ApplyResult, type TxContext, type WorkMeter } from './rule-kit.js';
import { carriedAnchors, hashchainUnitsPaid, revealMark } from './chain-registry.js';
import type { LedgerChannel, LedgerEvent, Reveal, SignedTxBody } from './types.js';
import type { LedgerView } from './view.js';

export { MAX_REVEAL_UNITS_PER_TX } from './rule-kit.js';

/**
 * The most blocks past the transaction that closes (or disputes) a channel that a lock's expiry may
 * hold its settlement back. A forwarder takes no HTLC expiring more than max_htlc_cltv (2016) blocks
 * ahead (src/forward), so every lock it forwarded expires within this of any later close; a lock
 * signed with an expiry further out settles at this bound instead of freezing the channel.
 */
export const MAX_LOCK_WAIT_BLOCKS = 2016;

/**
 * The first height a closing channel may settle at. An HTLC lock pays its receiver by a preimage
 * registered below its expiry; settling earlier would cut the receiver's time short. That is the classic
 * attack on a hop: its upstream force-closes at once, its downstream holds the preimage until the
 * upstream channel has settled (the lock refunded to the upstream) and only then fulfils the hop's
 * outgoing HTLC, which the hop must pay. So a settle waits for the window and for every HTLC lock's
 * expiry, each bounded by MAX_LOCK_WAIT_BLOCKS from now. (A hash-chain lock needs no wait: a hop holds
 * every preimage of a chain it forwarded before its downstream can claim any, multihop.md §7.6.)
 */
export function settleDeadline(state: SignedState['state'], height: number, disputeBlocks: number): number {
  let at = height + disputeBlocks;
  for (const l of state.locks) {
    if (l.kind === 'htlc') at = Math.max(at, Math.min(l.expiryHeight, height + MAX_LOCK_WAIT_BLOCKS));
  }
  return at;
}

type Of<K extends SignedTxBody['kind']> = Extract<SignedTxBody, { kind: K }>;

/** Look up the channel, check its status, and take the sender's fee (nonce bumped) from its account. */
function channelFor(
  view: LedgerView, tx: SignedTxBody & { channelId: Uint8Array }, status: LedgerChannel['status'], ctx: TxContext,
): { ch: LedgerChannel; edits: AccountEdits } | ApplyResult {
  const ch = view.channel(tx.channelId);
  if (!ch) return reject('UNKNOWN_CHANNEL', `no channel ${toHex(tx.channelId)}`);
  if (ch.status !== status) return reject('WRONG_STATUS', `channel is ${ch.status}, this needs it ${status}`);
  const edits = debitSender(view, tx, 0n, ctx);
  if (isRejection(edits)) return edits;
  return { ch, edits };
}

function sideOf(ch: LedgerChannel, id: Uint8Array): Side | undefined {
  if (equalBytes(ch.a, id)) return 'A';
  if (equalBytes(ch.b, id)) return 'B';
  return undefined;
}

function checkState(ch: LedgerChannel, signed: SignedState, ctx: TxContext): ApplyResult | null {
  const bad = checkSignedState(ctx.chainId, signed, ch);
  if (!bad) return null;
  return reject(bad.startsWith('bad signature') ? 'BAD_SIGNATURE' : 'BAD_STATE', bad);
}

function changed(view: LedgerView, ch: LedgerChannel, edits: AccountEdits, ctx: TxContext, event: LedgerEvent): ApplyResult {
  return { ok: true, writes: [...edits.writes(), { kind: 'channel', value: ch }, feeWrite(view, ctx.fee)], events: [event] };
}

export function applyCooperativeClose(view: LedgerView, tx: Of<'close'>, ctx: TxContext): ApplyResult {
  const found = channelFor(view, tx, 'open', ctx);
  if (!('ch' in found)) return found;
  if (!sideOf(found.ch, tx.from)) return reject('NOT_A_PARTY', 'only a channel party can close it cooperatively');
  const bad = checkState(found.ch, tx.state, ctx);
  if (bad) return bad;
  if (!tx.state.state.closing) return reject('BAD_STATE', 'a cooperative close needs a state marked closing');
  return finishChannel(view, { ...found.ch, latest: tx.state }, found.edits, ctx, true);
}

export function applyForceClose(view: LedgerView, tx: Of<'forceClose'>, ctx: TxContext): ApplyResult {
  const found = channelFor(view, tx, 'open', ctx);
  if (!('ch' in found)) return found;
  const by = sideOf(found.ch, tx.from);
  if (!by) return reject('NOT_A_PARTY', 'only a channel party can close it unilaterally');
  const bad = checkState(found.ch, tx.state, ctx);
  if (bad) return bad;
  const deadlineHeight = settleDeadline(tx.state.state, ctx.height, ctx.disputeBlocks);
  const ch: LedgerChannel = { ...found.ch, status: 'closing', latest: tx.state, submittedBy: by, closedSeq: tx.state.state.seq, deadlineHeight };
  return changed(view, ch, found.edits, ctx, { kind: 'channelClosing', channelId: ch.channelId, seq: tx.state.state.seq, by, deadlineHeight });
}

export function applyDispute(view: LedgerView, tx: Of<'dispute'>, ctx: TxContext): ApplyResult {
  const found = channelFor(view, tx, 'closing', ctx);
  if (!('ch' in found)) return found;
  const { ch } = found;
  if (ctx.height >= ch.deadlineHeight!) return reject('WINDOW_CLOSED', `the dispute window ended at height ${ch.deadlineHeight}`);
  // Cheap before costly: the seq check needs no signature check.
  if (tx.state.state.seq <= ch.latest!.state.seq) {
    return reject('STALE_STATE', `seq ${tx.state.state.seq} is not newer than the submitted seq ${ch.latest!.state.seq}`);
  }
  const bad = checkState(ch, tx.state, ctx);
  if (bad) return bad;
  // Anyone holding a newer both-signed state may submit it (a party, or a watchtower for one): the
  // newest state in the window wins. Who submitted the newer state does not change who closed.
  const closer = ch.submittedBy!;
  const closedSeq = ch.closedSeq ?? ch.latest!.state.seq;
  // The closing side forfeits its balance once the state under adjudication is two or more updates past
  // the one it closed with: the signer of an update that was never completed cannot know whether its
  // peer holds the state one ahead, so closing one behind is an honest mistake, but nobody signs n+2
  // without holding a complete n+1. Once earned, the penalty stays: seq only grows.
  const newState = tx.state.state;
  const forfeits = newState.seq >= closedSeq + 2n;
  const carried = carriedReveals(ch, newState, ctx.work);
  // A newer state's locks may expire later than the old one's: the settle waits for them too (never
  // less than the window already given).
  const next: LedgerChannel = { ...ch, latest: tx.state, reveals: carried.reveals, deadlineHeight: Math.max(ch.deadlineHeight!, settleDeadline(newState, ctx.height, 0)) };
  const anchors = carriedAnchors(ch, newState, view);
  if (Object.keys(anchors).length > 0) next.anchors = anchors;
  else delete next.anchors;
  // A reveal the newer state still owes but that was too deep to re-check here must be shown again
  // (in steps, against the new root). A dispute in the window's last block would leave no time for
  // that, so it moves the deadline to a full window from now: the payee then shows it, and whoever
  // disputed gains nothing by choosing the moment.
  if (carried.owed) next.deadlineHeight = Math.max(next.deadlineHeight!, ctx.height + ctx.disputeBlocks);
  if (forfeits) next.penalized = closer;
  const event: LedgerEvent = { kind: 'channelDisputed', channelId: ch.channelId, seq: newState.seq };
  if (forfeits) event.penalized = closer;
  return changed(view, next, found.edits, ctx, event);
}

/**
 * The reveals that still hold under a newer state. A hash-chain lock the payee claimed part of in the
 * newer state has its root moved down the chain by the units claimed (maxUnits fell by as many), so a
 * preimage shown at depth d of the old chain sits at depth d - claimed of the new one. Dropping it would
 * let the payer erase the payee's reveal by disputing with that newer state at the last block of the
 * window, when the payee can no longer show it again. Each carried reveal is checked (d - claimed
 * hashes, paid by the dispute's sender), at most MAX_REVEAL_UNITS_PER_TX hashes per dispute. A reveal the
 * claim covers is dropped; one past the budget is dropped and `owed`, which extends the window so the
 * payee can show it again in steps.
 */
function carriedReveals(
  ch: LedgerChannel,
  newState: SignedState['state'],
  work: WorkMeter | undefined,
): { reveals: Record<number, Reveal>; owed: boolean } {
  const out: Record<number, Reveal> = {};
  let owed = false;
  let budget = MAX_REVEAL_UNITS_PER_TX;
  for (const [key, shown] of Object.entries(ch.reveals)) {
    const id = Number(key);
    const before = ch.latest!.state.locks.find((l) => l.id === id);
    const after = newState.locks.find((l) => l.id === id);
    if (before?.kind !== 'hashchain' || after?.kind !== 'hashchain' || before.from !== after.from || before.unit !== after.unit) continue;
    if (equalBytes(before.root, after.root)) {
      if (shown.depth <= after.maxUnits) out[id] = shown;
      continue;
    }
    const claimed = before.maxUnits - after.maxUnits;
    const depth = shown.depth - claimed;
    if (claimed <= 0 || depth <= 0 || depth > after.maxUnits) continue;
    if (depth > budget) {
      owed = true; // still worth units under the newer state, but too deep to check in this dispute
      continue;
    }
    budget -= depth;
    if (equalBytes(countedChain(shown.preimage, depth, work), after.root)) out[id] = { depth, preimage: shown.preimage };
  }
  return { reveals: out, owed };
}

export function applyReveal(view: LedgerView, tx: Of<'reveal'>, ctx: TxContext): ApplyResult {
  // Every check that costs nothing comes first; the hashing, last, is bounded by MAX_REVEAL_UNITS_PER_TX
  // and only done for a sender whose fee is already taken (channelFor) from its own account.
  const found = channelFor(view, tx, 'closing', ctx);
  if (!('ch' in found)) return found;
  const { ch } = found;
  if (ctx.height >= ch.deadlineHeight!) return reject('WINDOW_CLOSED', `reveals are accepted until height ${ch.deadlineHeight}`);
  const lock = ch.latest!.state.locks.find((l) => l.id === tx.lockId);
  if (!lock || lock.kind !== 'hashchain') return reject('BAD_STATE', `no hash-chain lock ${tx.lockId} in the state under adjudication`);
  // A lock with an expiry pays reveals for at most a dispute window past it. A hub that forwarded the
  // chain is paid upstream only for depths registered (or revealed, a reveal is a registration) before its
  // upstream lock's later expiry, so a reveal downstream after that (the payer handed the payee the chain
  // directly) would be paid by the hub alone (test/attacks/chain-hub-upstream-first.test.ts): a hub's
  // downstream lock expires at least a window before its upstream one. The window past the expiry, not
  // none: a payer disputing with a claim's state in the block before the expiry makes the payee's reveal in
  // that block miss the moved root, and the payee shows it again after the dispute.
  if (lock.expiryHeight !== undefined && ctx.height >= lock.expiryHeight + ctx.disputeBlocks) {
    return reject('WINDOW_CLOSED', `hash-chain lock ${tx.lockId} expired at height ${lock.expiryHeight}: reveals were taken until ${lock.expiryHeight + ctx.disputeBlocks}`);
  }
  if (!Number.isSafeInteger(tx.depth) || tx.depth < 1 || tx.depth > lock.maxUnits) return reject('BAD_PREIMAGE', `depth must be 1..${lock.maxUnits}`);
  const shown = ch.reveals[tx.lockId];
  const from = shown?.depth ?? 0;
  if (tx.depth <= from) return reject('STALE_STATE', `depth ${from} was already shown for lock ${tx.lockId}`);
  if (tx.depth - from > MAX_REVEAL_UNITS_PER_TX) {
    return reject('TOO_MUCH_WORK', `a reveal may claim at most ${MAX_REVEAL_UNITS_PER_TX} units past the deepest shown (${from}); reveal depth ${from + MAX_REVEAL_UNITS_PER_TX} first`);
  }
  // Checked from the deepest preimage already shown (the root at depth 0): x_k hashes to x_from in k - from steps.
  const target = shown?.preimage ?? lock.root;
  if (!equalBytes(countedChain(tx.preimage, tx.depth - from, ctx.work), target)) {
    return reject('BAD_PREIMAGE', `sha256^${tx.depth - from}(preimage) is not the preimage at depth ${from}`);
  }
  const next: LedgerChannel = { ...ch, reveals: { ...ch.reveals, [tx.lockId]: { depth: tx.depth, preimage: tx.preimage } } };
  const r = changed(view, next, found.edits, ctx, { kind: 'chainRevealed', channelId: ch.channelId, lockId: tx.lockId, depth: tx.depth });
  const mark = revealMark(view, lock, tx.depth, tx.preimage, ctx.height);
  if (mark && r.ok) r.writes.push(mark);
  return r;
}

export function applySettle(view: LedgerView, tx: Of<'settle'>, ctx: TxContext): ApplyResult {
  const found = channelFor(view, tx, 'closing', ctx);
  if (!('ch' in found)) return found;
  if (ctx.height < found.ch.deadlineHeight!) {
    return reject('WINDOW_OPEN', `the dispute window runs until height ${found.ch.deadlineHeight}; now ${ctx.height}`);
  }
  const wait = chainLockWait(found.ch, tx.from, ctx.height);
  if (wait !== undefined) {
    return reject('WINDOW_OPEN', `hash-chain lock ${wait.id} is paid by registrations until height ${wait.expiryHeight}: only its receiver may settle before`);
  }
  return finishChannel(view, found.ch, found.edits, ctx, false);
}

/**
 * A hash-chain lock with an expiry is paid the depth registered for its root below that expiry, whenever
 * its channel settles; registrations after the settle change nothing. Its receiver may be a hub whose own
 * lock downstream, under the same root, expires earlier: the payer (who holds the whole chain) could hand
 * the payee preimages past what went through the hub, settle the hub's upstream channel at once, and let
 * the payee register them afterwards, below the downstream expiry: the hub would pay downstream what it is
 * no longer paid upstream. So, as for an HTLC lock, the channel settles no earlier than the lock's expiry.
 * The wait only protects the lock's receiver (a later registration can only pay it more), so the receiver
 * may settle at the window's end (a direct stream's payee is not held up). Returns the lock that bars
 * `sender` from settling now, if any.
 */
function chainLockWait(ch: LedgerChannel, sender: Uint8Array, height: number): HashchainLock | undefined {
  const side = sideOf(ch, sender);
  for (const l of ch.latest!.state.locks) {
    if (l.kind !== 'hashchain' || l.expiryHeight === undefined || height >= l.expiryHeight) continue;
    if (side !== otherSide(l.from)) return l;
  }
  return undefined;
}

/** Final payout of a closing channel's adjudicated state, as the frame describes: it sums to the capacity. */
export function settlementPayout(ch: LedgerChannel, view: Pick<LedgerView, 'preimageHeight' | 'chain'>): { a: Msat; b: Msat } {
  const st = ch.latest!.state;
  const pay = { A: st.balanceA, B: st.balanceB };
  if (ch.penalized) {
    const loser = ch.penalized;
    const forfeited = loser === 'A' ? st.balanceA : st.balanceB;
    pay[loser] -= forfeited;
    pay[otherSide(loser)] += forfeited;
  }
  for (const lock of st.locks) {
    const receiver = otherSide(lock.from);
    if (lock.kind === 'htlc') {
      const h = view.preimageHeight(lock.paymentHash);
      if (h !== undefined && h < lock.expiryHeight) pay[receiver] += lock.amount;
      else pay[lock.from] += lock.amount;
    } else {
      // the deeper of this channel's reveals and, for a lock with an expiry, the chain registry below it
      const paid = lock.unit * BigInt(hashchainUnitsPaid(ch, lock, view));
      pay[receiver] += paid;
      pay[lock.from] += lockAmount(lock) - paid;
    }
  }
  return { a: pay.A, b: pay.B };
}

function finishChannel(view: LedgerView, ch: LedgerChannel, edits: AccountEdits, ctx: TxContext, cooperative: boolean): ApplyResult {
  const { a, b } = settlementPayout(ch, view);
  if (a < 0n || b < 0n || a + b !== ch.locked) {
    // Unreachable when the invariant held on entry; refuse rather than mint or burn.
    return reject('BAD_STATE', `payout ${a}+${b} does not match the locked ${ch.locked} msat`);
  }
  edits.get(ch.a).balance += a;
  edits.get(ch.b).balance += b;
  const closed: LedgerChannel = { ...ch, status: 'closed', closedHeight: ctx.height, payoutA: a, payoutB: b, locked: 0n };
  return changed(view, closed, edits, ctx, { kind: 'channelClosed', channelId: ch.channelId, payoutA: a, payoutB: b, cooperative });
}
