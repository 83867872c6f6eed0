// Ledger data types: accounts, channel records, transactions, blocks.
import type { PublicKey, Signature } from '../crypto/keys.js';
import type { ChannelState, Side, SignedState } from '../channel/state.js';
import type { Msat } from '../money.js';

export interface Account {
  balance: Msat;
  /** Number of signed transactions applied from this account: the next one must carry this nonce. */
  nonce: number;
}

export type ChannelStatus = 'open' | 'closing' | 'closed';

export interface LedgerChannel {
  channelId: Uint8Array;
  a: PublicKey; // opener
  b: PublicKey;
  capacity: Msat;
  /**
   * What the channel holds on the ledger: its capacity until it closes, 0 after. Fees never come out of
   * it (every transaction pays its fee from its sender's account), so payouts share all of it.
   */
  locked: Msat;
  status: ChannelStatus;
  openedHeight: number;
  /**
   * BOLT 7 short channel id (16 hex characters: height, index of the open in its block, output 0), set
   * when the open is applied in a block (short-channel-id.ts). Records written before ids existed, and
   * opens past height 2^24 - 1, have none: such a channel works but cannot be announced.
   */
  shortChannelId?: string;
  /** State 0 as the open carried it (signed by both): each party checks it is the one it signed. */
  openState?: ChannelState;
  /** The state under adjudication (set by a unilateral close, replaced by disputes). */
  latest?: SignedState;
  /** The side that closed unilaterally (fixed for the whole window, whoever disputes after). */
  submittedBy?: Side;
  /** The seq of the state it closed with. */
  closedSeq?: bigint;
  /** The closing side, once the state under adjudication is two or more updates past its own: it forfeits its balance. */
  penalized?: Side;
  deadlineHeight?: number;
  /** Deepest hash-chain depth shown for each hash-chain lock id, with its preimage (the next reveal is checked from it). */
  reveals: Record<number, Reveal>;
  /**
   * For a hash-chain lock whose root a dispute moved down its chain (the payee claimed units in the newer
   * state), the roots it had before and how many units deeper the current root sits: a depth d
   * registered for such a root is worth d - offset units now (chain-registry.ts).
   */
  anchors?: Record<number, ChainAnchor[]>;
  closedHeight?: number;
  payoutA?: Msat;
  payoutB?: Msat;
}

export interface Reveal {
  depth: number;
  /** x with sha256^depth(x) == the lock's root. */
  preimage: Uint8Array;
}

export interface ChainAnchor {
  root: Uint8Array;
  offset: number;
}

/**
 * The chain registry's record for one hash-chain root: the deepest depth shown, its preimage (the next
 * registration is checked from it), and for every block that deepened it, the depth it reached there,
 * so a lock can be paid what was registered before its expiry.
 */
export interface ChainEntry {
  depth: number;
  preimage: Uint8Array;
  /** Ascending in height and depth; the last mark is (height it was reached, depth). */
  marks: readonly ChainMark[];
}

export interface ChainMark {
  height: number;
  depth: number;
}

export interface Supply {
  minted: Msat;
  fees: Msat;
}

interface Signed {
  from: PublicKey;
  nonce: number;
}

export type TxBody =
  | { kind: 'faucet'; to: PublicKey; amount: Msat; salt: Uint8Array }
  | ({ kind: 'transfer'; to: PublicKey; amount: Msat } & Signed)
  | ({ kind: 'open'; channelId: Uint8Array; peer: PublicKey; capacity: Msat; state: SignedState } & Signed)
  | ({ kind: 'close'; channelId: Uint8Array; state: SignedState } & Signed)
  | ({ kind: 'forceClose'; channelId: Uint8Array; state: SignedState } & Signed)
  | ({ kind: 'dispute'; channelId: Uint8Array; state: SignedState } & Signed)
  | ({ kind: 'reveal'; channelId: Uint8Array; lockId: number; preimage: Uint8Array; depth: number } & Signed)
  | ({ kind: 'settle'; channelId: Uint8Array } & Signed)
  | ({ kind: 'preimage'; preimage: Uint8Array } & Signed)
  | ({ kind: 'registerChain'; root: Uint8Array; depth: number; preimage: Uint8Array } & Signed);

export type TxKind = TxBody['kind'];
export type SignedTxBody = Exclude<TxBody, { kind: 'faucet' }>;

/** A transaction as submitted: a faucet mint carries no signature; everything else is signed by `from`. */
export type Tx = TxBody & { sig?: Signature };

export interface BlockHeader {
  height: number;
  prevHash: Uint8Array;
  time: number; // ms since epoch, as given by the block producer
  txRoot: Uint8Array;
  hash: Uint8Array;
}

export interface Block {
  header: BlockHeader;
  txids: Uint8Array[];
}

export type LedgerEvent =
  | { kind: 'channelOpened'; channelId: Uint8Array; capacity: Msat }
  | { kind: 'channelClosing'; channelId: Uint8Array; seq: bigint; by: Side; deadlineHeight: number }
  | { kind: 'channelDisputed'; channelId: Uint8Array; seq: bigint; penalized?: Side }
  | { kind: 'chainRevealed'; channelId: Uint8Array; lockId: number; depth: number }
  | { kind: 'channelClosed'; channelId: Uint8Array; payoutA: Msat; payoutB: Msat; cooperative: boolean };

export interface LedgerParams {
  chainId: string;
  /** Flat fee every signed transaction pays. */
  fee: Msat;
  disputeBlocks: number;
  faucet: boolean;
}

/** Typed rejection reasons: a client can act on the code, a person reads the message. */
export type TxErrorCode =
  | 'MALFORMED'
  | 'BAD_SIGNATURE'
  | 'BAD_NONCE'
  | 'INSUFFICIENT_FUNDS'
  | 'FAUCET_DISABLED'
  | 'UNKNOWN_CHANNEL'
  | 'CHANNEL_EXISTS'
  | 'WRONG_STATUS'
  | 'NOT_A_PARTY'
  | 'BAD_STATE'
  | 'STALE_STATE'
  | 'WINDOW_CLOSED'
  | 'WINDOW_OPEN'
  | 'BAD_PREIMAGE'
  | 'TOO_MUCH_WORK'
  | 'ALREADY_REGISTERED';

export interface TxError {
  code: TxErrorCode;
  message: string;
}
