// The ChannelManager's options and small types, apart from the manager so that channels.ts holds only
// the machinery that drives the state machines.
import type { Channel, ChannelEffect } from '../channel/machine.js';
import type { LedgerClient } from '../ledger/client.js';
import type { Logger } from '../util/log.js';
import type { NodeStore } from './store-port.js';
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
}

/** The state machine refused one of our own requests; its message says why. */
export class ChannelRefused extends Error {}

