// What the ledger client answers and throws: its errors, the chain's info, a transaction's status and
// a channel notice (an event, with the channel's record after its block), and how a notice is read.
import type { Msat } from '../money.js';
import { channelFromJson, eventFromJson } from './records-json.js';
import type { LedgerChannel, LedgerEvent } from './types.js';

export class LedgerRpcError extends Error {
  constructor(readonly code: number, message: string, readonly reason?: string) {
    super(message);
    this.name = 'LedgerRpcError';
  }
}

export class LedgerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerUnavailableError';
  }
}

export interface LedgerInfo {
  chainId: string;
  height: number;
  tipHash: string;
  fee: Msat;
  disputeBlocks: number;
  faucet: boolean;
  blockTimeMs: number;
  mempool: number;
  supply: { minted: Msat; fees: Msat };
}

export interface TxStatus {
  txid: string;
  status: 'pending' | 'confirmed';
  height?: number;
  events?: LedgerEvent[];
}

export interface ChannelNotice {
  txid: string;
  height: number;
  event: LedgerEvent;
  /** The channel's record after the block (party subscriptions carry it). */
  channel?: LedgerChannel;
}

/** Read a subscription's notice for `onNotice`. */
export function channelNotice(onNotice: (n: ChannelNotice) => void): (p: Record<string, unknown>) => void {
  return (p) => {
    const n: ChannelNotice = { txid: String(p['txid']), height: Number(p['height']), event: eventFromJson(p['event']) };
    // A record we cannot read is left out rather than losing the event with it: the watcher reads it.
    if (p['channel'] !== undefined) {
      try {
        n.channel = channelFromJson(p['channel']);
      } catch {
        // left out
      }
    }
    onNotice(n);
  };
}

