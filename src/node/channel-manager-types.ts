// The ChannelManager's options and small types, apart from the manager so that channels.ts holds only
// the machinery that drives the state machines.
import type { Channel, ChannelEffect } from '../channel/machine.js';
import type { LedgerClient } from '../ledger/client.js';
import type { Logger } from '../util/log.js';
import type { NodeStore, RecordWrite } from './store-port.js';
import type { PeerManager } from './peers.js';
import type { Wallet } from './wallet.js';
import type { OpenLimits } from './unfunded-opens.js';

/** Peer messages one channel may have waiting for their turn (a write in progress); more is a flood. */
export const MAX_QUEUED_PEER_MESSAGES = 64;

export interface Settlement {
  seq: bigint;
}

export interface Waiter {
  resolve(s: Settlement): void;
  reject(e: Error): void;
}

export interface ChannelManagerOptions {
  store: NodeStore;
  peers: Pick<PeerManager, 'send' | 'sendError' | 'disconnect'>;
  wallet: Pick<Wallet, 'channelTx'>;
  /** Read before forgetting an unfunded open: one the ledger holds is never forgotten. */
  ledger: Pick<LedgerClient, 'channel'>;
  /** Bounds on opens peers ask of us that no ledger open has funded yet. */
  openLimits?: Partial<OpenLimits>;
  chainId: string;
  secretKey: Uint8Array;
  nodeId: Uint8Array;
  log: Logger;
  height(): number;
  /** Something about a channel changed (status, balances, a payment). */
  onChange(ch: Channel, effect: ChannelEffect): void;
  /** Asked before every channel write for the records the new state causes (the HTLC switch's). */
  persistHook?: PersistHook;
  /**
   * The height before which our own settle of this force-closed channel is not sent, if any: a hop that
   * receives a hash-chain lock it relays waits for the lock's expiry, since its own settle would waive the
   * ledger's wait that keeps the payee from registering a deeper chain downstream afterwards (streams-chain.ts).
   */
  holdSettle?(channelId: string): number | undefined;
}

/**
 * What a peer's update or our own proposal does beyond the channel (an incoming HTLC to record, a
 * preimage learned from downstream and the fulfil it owes upstream) must be stored in the same synced
 * batch as the state that causes it, for both the proposer's and the receiver's write: a crash between
 * two writes would leave a state whose consequences are forgotten.
 */
export interface PersistHook {
  /**
   * `prev` is the channel as last stored (undefined for a new one), `next` what is about to be stored,
   * `effects` the step's (the ops a peer's state carries are in its `received` effect). Pure with
   * respect to the hook's memory: the write may still fail, so nothing may change until `after`.
   */
  beforePersist(id: string, prev: Channel | undefined, next: Channel, effects: readonly ChannelEffect[]): PersistPlan | undefined;
  /**
   * Whether the ledger is known to hold this hash's preimage from below `expiryHeight`: then a peer's
   * fulfil of that HTLC after its expiry is taken (the ledger pays the lock to the peer anyway).
   * Undefined: not known yet (the blocks below the expiry are still being read).
   */
  registeredBefore?(paymentHash: Uint8Array, expiryHeight: number): boolean | undefined;
}

export interface PersistPlan {
  writes: RecordWrite[];
  /** Run once the batch is durable, before the step's later effects (its sends). */
  after(): void;
}

/** The state machine refused one of our own requests; its message says why. */
export class ChannelRefused extends Error {}

