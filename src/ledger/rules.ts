// The ledger's rules: pure functions from (state view, transaction, block context) to writes and
// events, or a typed rejection. No I/O, no clock: the block height comes in the context.
//
// Guards first, cheapest first, then the changes: a rejected transaction returns before anything is
// written, and a sender that cannot pay the fee is refused before any signature or hash is checked.
import { equalBytes, toHex } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { checkSignedState } from '../channel/state.js';
import type { Msat } from '../money.js';
import { applyCooperativeClose, applyDispute, applyForceClose, applyReveal, applySettle } from './close-rules.js';
import { applyRegisterChain } from './chain-registry.js';
import { AccountEdits, debitSender, feeWrite, isRejection, reject, type ApplyResult, type TxContext } from './rule-kit.js';
import { shortChannelIdAt } from './short-channel-id.js';
import { verifyTxSig } from './tx-codec.js';
import type { LedgerChannel, LedgerEvent, SignedTxBody, Tx, TxError } from './types.js';
import { Overlay, type LedgerView, type Write } from './view.js';
import { assertNever } from '../wire/assert-never.js';

export type { ApplyResult, TxContext, WorkMeter } from './rule-kit.js';
export { MAX_REVEAL_UNITS_PER_TX, settlementPayout } from './close-rules.js';

/** Faucet mints at most this much per transaction (100 BTC), so a typo cannot mint 2^63. */
export const MAX_FAUCET_MSAT: Msat = 10_000_000_000_000n;

export function applyTx(view: LedgerView, tx: Tx, ctx: TxContext): ApplyResult {
  if (tx.kind === 'faucet') {
    if (!ctx.faucet) return reject('FAUCET_DISABLED', 'the faucet is off on this ledger (start it with --faucet)');
    if (tx.amount <= 0n || tx.amount > MAX_FAUCET_MSAT) return reject('MALFORMED', `faucet amount must be 1..${MAX_FAUCET_MSAT} msat`);
    const edits = new AccountEdits(view);
    edits.get(tx.to).balance += tx.amount;
    const s = view.supply();
    return { ok: true, writes: [...edits.writes(), { kind: 'supply', value: { ...s, minted: s.minted + tx.amount } }], events: [] };
  }
  // Two map lookups decide most hostile transactions before any costly check: one that cannot pay its
  // fee, or whose nonce is not the account's next, is refused without verifying anything.
  const sender = view.account(tx.from);
  if (sender.balance < ctx.fee) {
    return reject('INSUFFICIENT_FUNDS', `the sender's balance ${sender.balance} msat cannot pay the fee ${ctx.fee} msat: every transaction pays its fee from its sender's account`);
  }
  if (tx.nonce !== sender.nonce) {
    return reject('BAD_NONCE', `nonce ${tx.nonce} is not the account's next nonce ${sender.nonce}`);
  }
  if (!verifyTxSig(ctx.chainId, tx)) return reject('BAD_SIGNATURE', 'transaction signature does not verify for its sender on this chain');
  switch (tx.kind) {
    case 'transfer': return applyTransfer(view, tx, ctx);
    case 'open': return applyOpen(view, tx, ctx);
    case 'close': return applyCooperativeClose(view, tx, ctx);
    case 'forceClose': return applyForceClose(view, tx, ctx);
    case 'dispute': return applyDispute(view, tx, ctx);
    case 'reveal': return applyReveal(view, tx, ctx);
    case 'settle': return applySettle(view, tx, ctx);
    case 'preimage': return applyPreimage(view, tx, ctx);
    case 'registerChain': return applyRegisterChain(view, tx, ctx);
    default: return assertNever(tx, 'transaction');
  }
}

type Of<K extends SignedTxBody['kind']> = Extract<SignedTxBody, { kind: K }>;

function applyTransfer(view: LedgerView, tx: Of<'transfer'>, ctx: TxContext): ApplyResult {
  if (tx.amount <= 0n) return reject('MALFORMED', 'transfer amount must be positive');
  const edits = debitSender(view, tx, tx.amount, ctx);
  if (isRejection(edits)) return edits;
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
  if (view.account(tx.from).balance < tx.capacity + ctx.fee) {
    return reject('INSUFFICIENT_FUNDS', `balance ${view.account(tx.from).balance} msat is short of ${tx.capacity + ctx.fee} msat (capacity ${tx.capacity} + fee ${ctx.fee})`);
  }
  const bad = checkSignedState(ctx.chainId, tx.state, { channelId: tx.channelId, a: tx.from, b: tx.peer, capacity: tx.capacity });
  if (bad) return reject(bad.startsWith('bad signature') ? 'BAD_SIGNATURE' : 'BAD_STATE', `state 0: ${bad}`);
  const edits = debitSender(view, tx, tx.capacity, ctx);
  if (isRejection(edits)) return edits;
  const channel: LedgerChannel = {
    channelId: tx.channelId, a: tx.from, b: tx.peer, capacity: tx.capacity, locked: tx.capacity,
    status: 'open', openedHeight: ctx.height, reveals: {}, openState: st,
  };
  // The id exists only once the open has a place in a block; a mempool check leaves it out.
  const scid = ctx.txIndex === undefined ? undefined : shortChannelIdAt(ctx.height, ctx.txIndex);
  if (scid !== undefined) channel.shortChannelId = scid;
  return {
    ok: true,
    writes: [...edits.writes(), { kind: 'channel', value: channel }, feeWrite(view, ctx.fee)],
    events: [{ kind: 'channelOpened', channelId: tx.channelId, capacity: tx.capacity }],
  };
}

function applyPreimage(view: LedgerView, tx: Of<'preimage'>, ctx: TxContext): ApplyResult {
  const hash = sha256(tx.preimage);
  if (view.preimageHeight(hash) !== undefined) return reject('ALREADY_REGISTERED', 'this preimage is already registered');
  const edits = debitSender(view, tx, 0n, ctx);
  if (isRejection(edits)) return edits;
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
    // Its index among the applied ones: the same `index` the chain stores with the transaction.
    const r = applyTx(overlay, tx, { ...ctx, txIndex: applied.length });
    if (r.ok) {
      overlay.apply(r.writes);
      applied.push({ tx, events: r.events });
    } else {
      rejected.push({ tx, error: r.error });
    }
  }
  return { writes: overlay.writes(), applied, rejected };
}
