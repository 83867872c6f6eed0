// The HTLC switch's interface to the code around it: the payer (payment attempts it sends and the
// outcomes it is told), the payee (HTLCs that end at this node) and the router (the node's own channels).
// Types only. The switch itself is htlc-switch.ts.
import type { HopPayload } from '../onion/payload.js';
import type { AttachedWrite } from './store-port.js';

/** How this node forwards over one of its channels (BOLT 7 channel_update fields), src/forward's type. */
export type { ForwardingPolicy } from '../forward/policy.js';
import type { ForwardingPolicy } from '../forward/policy.js';

/** An HTLC offered to this node, in a both-signed state. */
export interface IncomingHtlc {
  channelId: string;
  htlcId: number;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  expiryHeight: number;
}

/**
 * What the payee's code answers for an HTLC that ends here. `attached` (e.g. the invoice marked paid)
 * is stored in one synced batch with the switch's owed fulfil, before the fulfil is proposed: from that
 * write on the switch either gets the fulfil signed by the payer's side or registers the preimage on the
 * ledger before the HTLC's expiry, so the payment is claimed once that batch is durable.
 */
export type FinalHopAnswer =
  | { kind: 'settle'; preimage: Uint8Array; attached?: AttachedWrite[] }
  /** A BOLT 4 failure message: `encodeFailureMessage(buildFailure(code, details))` (src/onion), u16 code then data. */
  | { kind: 'fail'; failureMessage: Uint8Array };

export interface FinalHopReceiver {
  /**
   * Asked once per incoming final-hop HTLC (again after a restart if no answer was stored). Must answer
   * well before the HTLC's expiry: the switch fails an HTLC with no answer when it nears its expiry.
   */
  onFinalHtlc(htlc: IncomingHtlc, payload: HopPayload): Promise<FinalHopAnswer>;
  /**
   * A settle this receiver answered for `htlc` was not stored (the write failed, or the HTLC was failed
   * at its deadline first): undo what the answer marked in memory (an invoice paid by it is open again).
   */
  released?(htlc: IncomingHtlc): void;
}

export interface LocalSend {
  paymentId: string;
  attemptId: string;
  /** The first hop: one of this node's channels (hex channel id). */
  channelId: string;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  expiryHeight: number;
  /** The 1366-byte onion for the first hop. */
  onion: Uint8Array;
  /** The attempt record, stored in the same batch as the state that offers the HTLC. */
  attached: AttachedWrite[];
  /** On a channel with no free HTLC slot: wait in line for one (htlc-slots.ts) rather than be refused at once. The payer's payments do. */
  waitForSlot?: boolean;
}

export type OutgoingOutcome =
  | { kind: 'fulfilled'; preimage: Uint8Array }
  /** The error packet as the first hop relayed it (unwrap it with the attempt's shared secrets). */
  | { kind: 'failed'; reason: Uint8Array }
  /** The first hop could not read the onion (BOLT 2 update_fail_malformed_htlc). */
  | { kind: 'malformed'; failureCode: number; sha256OfOnion: Uint8Array }
  /** Never offered: the channel refused (balance, limits, closed), or it expired unanswered. */
  | { kind: 'refused'; reason: string };

/** Delivered at least once, after the outcome is durable; must be idempotent. */
export interface LocalOutcomeSink {
  onLocalOutcome(paymentId: string, attemptId: string, outcome: OutgoingOutcome): Promise<void>;
}

/** One of this node's channels as the router sees it (the payer's first hop, or a route hint). */
export interface LocalChannelView {
  channelId: string;
  shortChannelId?: string;
  peerNodeId: string;
  /** Open and the peer connected. */
  active: boolean;
  /** What an HTLC we offer could carry now (balance less reserve and what is in flight). */
  spendableMsat: bigint;
  receivableMsat: bigint;
  capacityMsat: bigint;
  policy: ForwardingPolicy;
  announced?: boolean;
}

export interface HtlcSwitchApi {
  /**
   * Offer a payment attempt's HTLC on one of our channels. Resolves with the HTLC id once the proposal
   * carrying it (and `attached`) is stored; rejects if the channel refused it first, or withdrew it
   * still unproposed (its peer away) 4 blocks before its expiry: then nothing was stored and no outcome
   * follows. Otherwise the outcome arrives later through the LocalOutcomeSink (it may arrive before this
   * resolves).
   */
  sendLocal(send: LocalSend): Promise<{ htlcId: number }>;
  setReceiver(r: FinalHopReceiver): void;
  setLocalSink(s: LocalOutcomeSink): void;
  localChannels(): LocalChannelView[];
}
