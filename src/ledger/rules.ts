// The ledger's rules: pure functions from (state view, transaction, block context) to writes and
// events, or a typed rejection. No I/O, no clock: the block height comes in the context.
//
// Guards first, then the changes: a rejected transaction returns before anything is written.
import { equalBytes, toHex } from '../crypto/bytes.js';
import { MAX_HASH_CHAIN_LENGTH, hashChain, sha256 } from '../crypto/hash.js';
import { checkSignedState, lockAmount, otherSide, type Side, type SignedState } from '../channel/state.js';
import type { Msat } from '../money.js';
import { verifyTxSig } from './tx-codec.js';
import type {
  Account, LedgerChannel, LedgerEvent, LedgerParams, SignedTxBody, Tx, TxError, TxErrorCode,
} from './types.js';
import { Overlay, type LedgerView, type Write } from './view.js';
import { assertNever } from '../wire/assert-never.js';

export interface TxContext extends LedgerParams {
  /** Height of the block this transaction goes into. */
  height: number;
}

export type ApplyResult =
  | { ok: true; writes: Write[]; events: LedgerEvent[] }
  | { ok: false; error: TxError };


/** Faucet mints at most this much per transaction (100 BTC), so a typo cannot mint 2^63. */
export const MAX_FAUCET_MSAT: Msat = 10_000_000_000_000n;

const reject = (code: TxErrorCode, message: string): ApplyResult => ({ ok: false, error: { code, message } });

/** Collects account changes so that a sender who is also a payee gets one consistent record. */
class AccountEdits {
  private readonly edits = new Map<string, { id: Uint8Array; acct: Account }>();
  constructor(private readonly view: LedgerView) {}
  get(id: Uint8Array): Account {
    const key = toHex(id);
    let e = this.edits.get(key);
    if (!e) {
      e = { id, acct: { ...this.view.account(id) } };
      this.edits.set(key, e);
    }
    return e.acct;
  }
  writes(): Write[] {
    return [...this.edits.values()].map((e) => ({ kind: 'account', id: e.id, value: e.acct }));
  }
}

export function applyTx(view: LedgerView, tx: Tx, ctx: TxContext): ApplyResult {
  if (tx.kind === 'faucet') {
    if (!ctx.faucet) return reject('FAUCET_DISABLED', 'the faucet is off on this ledger (start it with --faucet)');
    if (tx.amount <= 0n || tx.amount > MAX_FAUCET_MSAT) return reject('MALFORMED', `faucet amount must be 1..${MAX_FAUCET_MSAT} msat`);
    const edits = new AccountEdits(view);
    edits.get(tx.to).balance += tx.amount;
    const s = view.supply();
    return { ok: true, writes: [...edits.writes(), { kind: 'supply', value: { ...s, minted: s.minted + tx.amount } }], events: [] };
  }
  if (!verifyTxSig(ctx.chainId, tx)) return reject('BAD_SIGNATURE', 'transaction signature does not verify for its sender on this chain');
  const sender = view.account(tx.from);
  if (tx.nonce !== sender.nonce) {
    return reject('BAD_NONCE', `nonce ${tx.nonce} is not the account's next nonce ${sender.nonce}`);
  }
  switch (tx.kind) {
    case 'transfer': return applyTransfer(view, tx, ctx);
    case 'open': return applyOpen(view, tx, ctx);
    case 'close': return applyCooperativeClose(view, tx, ctx);
    case 'forceClose': return applyForceClose(view, tx, ctx);
    case 'dispute': return applyDispute(view, tx, ctx);
    case 'reveal': return applyReveal(view, tx, ctx);
    case 'settle': return applySettle(view, tx, ctx);
    case 'preimage': return applyPreimage(view, tx, ctx);
    default: return assertNever(tx, 'transaction');
  }
}


type Of<K extends SignedTxBody['kind']> = Extract<SignedTxBody, { kind: K }>;

/** Sender pays `amount + fee` from its account; returns the edits with the nonce bumped, or an error. */
function debitSender(view: LedgerView, tx: SignedTxBody, amount: Msat, ctx: TxContext): AccountEdits | ApplyResult {
  const acct = view.account(tx.from);
  const need = amount + ctx.fee;
  if (acct.balance < need) {
    return reject('INSUFFICIENT_FUNDS', `balance ${acct.balance} msat is short of ${need} msat (amount ${amount} + fee ${ctx.fee})`);
  }
  const edits = new AccountEdits(view);
  const a = edits.get(tx.from);
  a.balance -= need;
  a.nonce += 1;
  return edits;
}

function feeWrite(view: LedgerView, fee: Msat): Write {
  const s = view.supply();
  return { kind: 'supply', value: { ...s, fees: s.fees + fee } };
}

function applyTransfer(view: LedgerView, tx: Of<'transfer'>, ctx: TxContext): ApplyResult {
  if (tx.amount <= 0n) return reject('MALFORMED', 'transfer amount must be positive');
  const edits = debitSender(view, tx, tx.amount, ctx);
  if (!(edits instanceof AccountEdits)) return edits;
  edits.get(tx.to).balance += tx.amount;
  return { ok: true, writes: [...edits.writes(), feeWrite(view, ctx.fee)], events: [] };
}

function applyOpen(view: LedgerView, tx: Of<'open'>, ctx: TxContext): ApplyResult {
  if (view.channel(tx.channelId)) return reject('CHANNEL_EXISTS', `channel ${toHex(tx.channelId)} already exists`);
  if (equalBytes(tx.from, tx.peer)) return reject('MALFORMED', 'cannot open a channel to yourself');
  if (tx.capacity <= 0n) return reject('MALFORMED', 'capacity must be positive');
  const st = tx.state.state;
  if (st.seq !== 0n || st.closing || st.locks.length > 0) {
    return reject('BAD_STATE', 'an open carries state 0: seq 0, no locks, not closing');
  }
  const bad = checkSignedState(ctx.chainId, tx.state, { channelId: tx.channelId, a: tx.from, b: tx.peer, capacity: tx.capacity });
  if (bad) return reject(bad.startsWith('bad signature') ? 'BAD_SIGNATURE' : 'BAD_STATE', `state 0: ${bad}`);
  const edits = debitSender(view, tx, tx.capacity, ctx);
  if (!(edits instanceof AccountEdits)) return edits;
  const channel: LedgerChannel = {
    channelId: tx.channelId, a: tx.from, b: tx.peer, capacity: tx.capacity, locked: tx.capacity,
    feesA: 0n, feesB: 0n, status: 'open', openedHeight: ctx.height, reveals: {}, openState: st,
  };
  return {
    ok: true,
    writes: [...edits.writes(), { kind: 'channel', value: channel }, feeWrite(view, ctx.fee)],
    events: [{ kind: 'channelOpened', channelId: tx.channelId, capacity: tx.capacity }],
  };
}

/** Look up the channel and check its status; the sender's nonce bump is part of the edits returned. */
function channelFor(
  view: LedgerView, tx: SignedTxBody & { channelId: Uint8Array }, status: LedgerChannel['status'],
): { ch: LedgerChannel; edits: AccountEdits } | ApplyResult {
  const ch = view.channel(tx.channelId);
  if (!ch) return reject('UNKNOWN_CHANNEL', `no channel ${toHex(tx.channelId)}`);
  if (ch.status !== status) return reject('WRONG_STATUS', `channel is ${ch.status}, this needs it ${status}`);
  const edits = new AccountEdits(view);
  edits.get(tx.from).nonce += 1;
  return { ch, edits };
}

function sideOf(ch: LedgerChannel, id: Uint8Array): Side | undefined {
  if (equalBytes(ch.a, id)) return 'A';
  if (equalBytes(ch.b, id)) return 'B';
  return undefined;
}

/** Channel transactions pay their fee from the channel's funds, charged to one side's payout. */
function chargeChannel(ch: LedgerChannel, fee: Msat, side: Side): LedgerChannel | ApplyResult {
  if (ch.locked < fee) return reject('INSUFFICIENT_FUNDS', `channel funds ${ch.locked} msat cannot cover the fee ${fee} msat`);
  return {
    ...ch,
    locked: ch.locked - fee,
    feesA: side === 'A' ? ch.feesA + fee : ch.feesA,
    feesB: side === 'B' ? ch.feesB + fee : ch.feesB,
  };
}

function checkState(ch: LedgerChannel, signed: SignedState, ctx: TxContext): ApplyResult | null {
  const bad = checkSignedState(ctx.chainId, signed, ch);
  if (!bad) return null;
  return reject(bad.startsWith('bad signature') ? 'BAD_SIGNATURE' : 'BAD_STATE', bad);
}

function applyCooperativeClose(view: LedgerView, tx: Of<'close'>, ctx: TxContext): ApplyResult {
  const found = channelFor(view, tx, 'open');
  if (!('ch' in found)) return found;
  if (!sideOf(found.ch, tx.from)) return reject('NOT_A_PARTY', 'only a channel party can close it cooperatively');
  const bad = checkState(found.ch, tx.state, ctx);
  if (bad) return bad;
  if (!tx.state.state.closing) return reject('BAD_STATE', 'a cooperative close needs a state marked closing');
  const charged = chargeChannel(found.ch, ctx.fee, 'A');
  if (!('channelId' in charged)) return charged;
  return finishChannel(view, { ...charged, latest: tx.state }, found.edits, ctx, true);
}

function applyForceClose(view: LedgerView, tx: Of<'forceClose'>, ctx: TxContext): ApplyResult {
  const found = channelFor(view, tx, 'open');
  if (!('ch' in found)) return found;
  const by = sideOf(found.ch, tx.from);
  if (!by) return reject('NOT_A_PARTY', 'only a channel party can close it unilaterally');
  const bad = checkState(found.ch, tx.state, ctx);
  if (bad) return bad;
  const charged = chargeChannel(found.ch, ctx.fee, 'A');
  if (!('channelId' in charged)) return charged;
  const deadlineHeight = ctx.height + ctx.disputeBlocks;
  const ch: LedgerChannel = { ...charged, status: 'closing', latest: tx.state, submittedBy: by, closedSeq: tx.state.state.seq, deadlineHeight };
  return {
    ok: true,
    writes: [...found.edits.writes(), { kind: 'channel', value: ch }, feeWrite(view, ctx.fee)],
    events: [{ kind: 'channelClosing', channelId: ch.channelId, seq: tx.state.state.seq, by, deadlineHeight }],
  };
}

function applyDispute(view: LedgerView, tx: Of<'dispute'>, ctx: TxContext): ApplyResult {
  const found = channelFor(view, tx, 'closing');
  if (!('ch' in found)) return found;
  const { ch } = found;
  if (ctx.height >= ch.deadlineHeight!) return reject('WINDOW_CLOSED', `the dispute window ended at height ${ch.deadlineHeight}`);
  const bad = checkState(ch, tx.state, ctx);
  if (bad) return bad;
  // Anyone holding a newer both-signed state may submit it (a party, or a watchtower for one): the
  // newest state in the window wins. Who submitted the newer state does not change who closed.
  if (tx.state.state.seq <= ch.latest!.state.seq) {
    return reject('STALE_STATE', `seq ${tx.state.state.seq} is not newer than the submitted seq ${ch.latest!.state.seq}`);
  }
  const closer = ch.submittedBy!;
  const closedSeq = ch.closedSeq ?? ch.latest!.state.seq;
  // The closing side pays for disputes of its close. It forfeits its balance once the state under
  // adjudication is two or more updates past the one it closed with: the signer of an update that was
  // never completed cannot know whether its peer holds the state one ahead, so closing one behind is an
  // honest mistake, but nobody signs n+2 without holding a complete n+1. Once earned, the penalty stays:
  // seq only grows.
  const charged = chargeChannel(ch, ctx.fee, closer);
  if (!('channelId' in charged)) return charged;
  const newState = tx.state.state;
  const forfeits = newState.seq >= closedSeq + 2n;
  const reveals: Record<number, number> = {};
  for (const [id, depth] of Object.entries(ch.reveals)) {
    const before = ch.latest!.state.locks.find((l) => l.id === Number(id));
    const after = newState.locks.find((l) => l.id === Number(id));
    if (before?.kind === 'hashchain' && after?.kind === 'hashchain' && equalBytes(before.root, after.root) && depth <= after.maxUnits) {
      reveals[Number(id)] = depth;
    }
  }
  const next: LedgerChannel = { ...charged, latest: tx.state, reveals };
  if (forfeits) next.penalized = closer;
  const event: LedgerEvent = { kind: 'channelDisputed', channelId: ch.channelId, seq: newState.seq };
  if (forfeits) event.penalized = closer;
  return {
    ok: true,
    writes: [...found.edits.writes(), { kind: 'channel', value: next }, feeWrite(view, ctx.fee)],
    events: [event],
  };
}


function applyReveal(view: LedgerView, tx: Of<'reveal'>, ctx: TxContext): ApplyResult {
  const found = channelFor(view, tx, 'closing');
  if (!('ch' in found)) return found;
  const { ch } = found;
  if (ctx.height >= ch.deadlineHeight!) return reject('WINDOW_CLOSED', `reveals are accepted until height ${ch.deadlineHeight}`);
  const lock = ch.latest!.state.locks.find((l) => l.id === tx.lockId);
  if (!lock || lock.kind !== 'hashchain') return reject('BAD_STATE', `no hash-chain lock ${tx.lockId} in the state under adjudication`);
  if (tx.depth < 1 || tx.depth > lock.maxUnits || tx.depth > MAX_HASH_CHAIN_LENGTH) {
    return reject('BAD_PREIMAGE', `depth must be 1..${Math.min(lock.maxUnits, MAX_HASH_CHAIN_LENGTH)}`);
  }
  const shown = ch.reveals[tx.lockId] ?? 0;
  if (tx.depth <= shown) return reject('STALE_STATE', `depth ${shown} was already shown for lock ${tx.lockId}`);
  if (!equalBytes(hashChain(tx.preimage, tx.depth), lock.root)) {
    return reject('BAD_PREIMAGE', `sha256^${tx.depth}(preimage) is not the lock's root`);
  }
  // The submitter pays for its reveal: a party from its side of the channel, anyone else from its
  // account (so nobody can burn another side's payout with reveals).
  const side = sideOf(ch, tx.from);
  let base: LedgerChannel = ch;
  let edits = found.edits;
  if (side) {
    const charged = chargeChannel(ch, ctx.fee, side);
    if (!('channelId' in charged)) return charged;
    base = charged;
  } else {
    const paid = debitSender(view, tx, 0n, ctx);
    if (!(paid instanceof AccountEdits)) return paid;
    edits = paid;
  }
  const next: LedgerChannel = { ...base, reveals: { ...ch.reveals, [tx.lockId]: tx.depth } };
  return {
    ok: true,
    writes: [...edits.writes(), { kind: 'channel', value: next }, feeWrite(view, ctx.fee)],
    events: [{ kind: 'chainRevealed', channelId: ch.channelId, lockId: tx.lockId, depth: tx.depth }],
  };
}

function applySettle(view: LedgerView, tx: Of<'settle'>, ctx: TxContext): ApplyResult {
  const found = channelFor(view, tx, 'closing');
  if (!('ch' in found)) return found;
  if (ctx.height < found.ch.deadlineHeight!) {
    return reject('WINDOW_OPEN', `the dispute window runs until height ${found.ch.deadlineHeight}; now ${ctx.height}`);
  }
  const charged = chargeChannel(found.ch, ctx.fee, 'A');
  if (!('channelId' in charged)) return charged;
  return finishChannel(view, charged, found.edits, ctx, false);
}

/** Final payout of a closing channel's adjudicated state, as the frame describes. */
export function settlementPayout(ch: LedgerChannel, view: Pick<LedgerView, 'preimageHeight'>): { a: Msat; b: Msat } {
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
      const paid = lock.unit * BigInt(Math.min(ch.reveals[lock.id] ?? 0, lock.maxUnits));
      pay[receiver] += paid;
      pay[lock.from] += lockAmount(lock) - paid;
    }
  }
  // Each side's fees come out of its own payout; if it has too little, the rest from the other side
  // (locked == capacity - fees guarantees the total covers them).
  for (const side of ['A', 'B'] as const) {
    const fee = side === 'A' ? ch.feesA : ch.feesB;
    const own = fee <= pay[side] ? fee : pay[side];
    pay[side] -= own;
    pay[otherSide(side)] -= fee - own;
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
  return {
    ok: true,
    writes: [...edits.writes(), { kind: 'channel', value: closed }, feeWrite(view, ctx.fee)],
    events: [{ kind: 'channelClosed', channelId: ch.channelId, payoutA: a, payoutB: b, cooperative }],
  };
}

function applyPreimage(view: LedgerView, tx: Of<'preimage'>, ctx: TxContext): ApplyResult {
  const hash = sha256(tx.preimage);
  if (view.preimageHeight(hash) !== undefined) return reject('ALREADY_REGISTERED', 'this preimage is already registered');
  const edits = debitSender(view, tx, 0n, ctx);
  if (!(edits instanceof AccountEdits)) return edits;
  return {
    ok: true,
    writes: [...edits.writes(), { kind: 'preimage', hash, height: ctx.height }, feeWrite(view, ctx.fee)],
    events: [],
  };
}

export interface BlockResult {
  writes: Write[];
  applied: { tx: Tx; events: LedgerEvent[] }[];
  rejected: { tx: Tx; error: TxError }[];
}

/** Apply transactions in order on top of `base`; invalid ones are left out, the rest form the block. */
export function buildBlock(base: LedgerView, txs: readonly Tx[], ctx: TxContext): BlockResult {
  const overlay = new Overlay(base);
  const applied: BlockResult['applied'] = [];
  const rejected: BlockResult['rejected'] = [];
  for (const tx of txs) {
    const r = applyTx(overlay, tx, ctx);
    if (r.ok) {
      overlay.apply(r.writes);
      applied.push({ tx, events: r.events });
    } else {
      rejected.push({ tx, error: r.error });
    }
  }
  return { writes: overlay.writes(), applied, rejected };
}
