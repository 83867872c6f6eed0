// The forwarding decision: what a hop does with an incoming HTLC once it has peeled the onion. Pure: the
// height and the outgoing channels' state are arguments, so every branch is a table row in a test.
//
// Checks, in order (BOLT 4 "Returning Errors", and multihop.md §2):
//   1. the onion could not be read (version, key, HMAC)      -> malformed (BADONION code, no error onion)
//   2. the hop payload is unusable                           -> invalid_onion_payload
//   3. this is the final hop                                 -> receive (decideReceive checks the rest)
//   4. no channel for short_channel_id                       -> unknown_next_peer
//   5. that channel is closing or closed                     -> permanent_channel_failure
//   6. it is disabled (peer away, not open)                  -> channel_disabled
//   7. amount_to_forward below its htlc_minimum              -> amount_below_minimum
//   8. amount_to_forward above its htlc_maximum              -> temporary_channel_failure
//   9. incoming amount - fee < amount_to_forward             -> fee_insufficient
//  10. incoming expiry - delta < outgoing_cltv_value         -> incorrect_cltv_expiry
//  11. outgoing_cltv_value too near the current height       -> expiry_too_soon
//  12. incoming expiry past height + max_htlc_cltv           -> expiry_too_far
//  13. the channel has no HTLC slot, or not enough to spend  -> temporary_channel_failure
//
// Steps 7–12 follow the spec's list order of codes 11–21 (fee before expiry), with channel_disabled
// moved up next to the lookup, as LND does: nothing about a disabled channel's policy matters. The
// balance is last, after the fee (lnd #5721): a payment that is both underpaid and over the balance
// must learn about the fee, which it can fix, and must not learn this channel's balance for free.

import { toHex } from '../crypto/bytes.js';
import {
  AMOUNT_BELOW_MINIMUM, CHANNEL_DISABLED, EXPIRY_TOO_FAR, EXPIRY_TOO_SOON, FEE_INSUFFICIENT, INCORRECT_CLTV_EXPIRY,
  INVALID_ONION_PAYLOAD, PERMANENT_CHANNEL_FAILURE, TEMPORARY_CHANNEL_FAILURE, UNKNOWN_NEXT_PEER, type BadOnionCode,
} from '../onion/failure-codes.js';
import { decodeHopPayload, type HopPayload } from '../onion/payload.js';
import type { PeelResult } from '../onion/sphinx.js';
import { failWith, type FailDecision } from './failures.js';
import { forwardingFee, MAX_HTLC_CLTV_BLOCKS, type ForwardingPolicy } from './policy.js';

/**
 * The least number of blocks an outgoing HTLC must have left before it expires: the next hop needs
 * time to settle it or get its preimage registered (a ledger transaction takes a block or two to land)
 * plus a block of grace. An HTLC closer to its expiry would only lock capital and fail.
 */
export const EXPIRY_TOO_SOON_BLOCKS = 4;

export interface IncomingHtlc {
  readonly amountMsat: bigint;
  readonly expiryHeight: number;
  readonly paymentHash: Uint8Array;
}

/** What the forwarding decision needs to know about one outgoing channel, as the shell sees it now. */
export interface OutChannelView {
  readonly channelId: Uint8Array;
  /** open and its peer connected: an HTLC offered now would be proposed now */
  readonly active: boolean;
  /** closing or closed (on the ledger or by agreement): it will never carry an HTLC again */
  readonly closing?: boolean;
  /** what this side can still lock on it (balance less the reserve, within its in-flight limit) */
  readonly spendableMsat: bigint;
  /** HTLC locks this side has open on it, and the most it may have (ChannelLimits.maxLocks) */
  readonly htlcCount: number;
  readonly maxHtlcs: number;
  readonly policy: ForwardingPolicy;
  /**
   * The channel's BOLT 7 channel_update message (with its 0x0102 type), enclosed in UPDATE-flagged
   * failures. sluice has no channel_update yet (gossip builds it), so until then it is absent and
   * the failure carries an empty one, which BOLT 4's u16 length allows; the payer then learns the
   * code but must take the new policy from gossip.
   */
  readonly channelUpdate?: Uint8Array;
}

export interface DecideForwardInput {
  readonly incoming: IncomingHtlc;
  /** peelOnion's answer for the incoming HTLC's onion (associated data: its payment hash) */
  readonly peeled: PeelResult;
  /** the ledger height the shell has seen */
  readonly currentHeight: number;
  /**
   * The channel to forward on, by the payload's short_channel_id (16 hex characters). The shell may
   * answer with another channel to the same peer (BOLT 4 non-strict forwarding).
   */
  readonly outgoing: (shortChannelId: string) => OutChannelView | undefined;
}

export interface ForwardOut {
  readonly kind: 'forward';
  readonly channelId: Uint8Array;
  readonly shortChannelId: string;
  /** the outgoing addHtlc's amount and expiry, as the payer asked in the onion */
  readonly amountMsat: bigint;
  readonly expiryHeight: number;
  /** the peeled packet for the next hop: the outgoing addHtlc's onion */
  readonly onion: Uint8Array;
  /** what this hop keeps: incoming amount - outgoing amount (at least the policy's fee) */
  readonly feeMsat: bigint;
  /** keep it with the forward: it wraps the error that may come back from downstream */
  readonly sharedSecret: Uint8Array;
}

export interface ReceiveHere {
  readonly kind: 'receive';
  /** the final hop's payload, checked for shape; decideReceive checks it against the invoice */
  readonly payload: HopPayload;
  readonly sharedSecret: Uint8Array;
}

export interface MalformedOnion {
  readonly kind: 'malformed';
  /** answered with failMalformedHtlc: the previous hop turns it into an error onion (BOLT 2) */
  readonly failureCode: BadOnionCode;
  readonly sha256OfOnion: Uint8Array;
  readonly message: string;
}

export type ForwardDecision = ForwardOut | ReceiveHere | FailDecision | MalformedOnion;

export function decideForward(input: DecideForwardInput): ForwardDecision {
  const { incoming, peeled, currentHeight } = input;
  if (!peeled.ok) {
    const e = peeled.error;
    if (e.kind === 'bad_onion') return { kind: 'malformed', failureCode: e.code, sha256OfOnion: e.sha256OfOnion, message: e.message };
    return failWith(INVALID_ONION_PAYLOAD, { tlvType: 0n, offset: 0 }, e.sharedSecret, e.message);
  }
  const { sharedSecret, next } = peeled.value;
  const decoded = decodeHopPayload(peeled.value.payload, next === 'final');
  if (!decoded.ok) {
    const e = decoded.error;
    return failWith(INVALID_ONION_PAYLOAD, { tlvType: e.tlvType, offset: e.offset }, sharedSecret, e.message);
  }
  const payload = decoded.value;
  if (next === 'final') return { kind: 'receive', payload, sharedSecret };

  // decodeHopPayload guarantees a short_channel_id for a hop that is not the final one
  const shortChannelId = toHex(payload.shortChannelId!);
  const out = input.outgoing(shortChannelId);
  if (out === undefined) return failWith(UNKNOWN_NEXT_PEER, {}, sharedSecret, `no channel ${shortChannelId}`);
  const update = { channelUpdate: out.channelUpdate ?? new Uint8Array(0) };
  if (out.closing) return failWith(PERMANENT_CHANNEL_FAILURE, {}, sharedSecret, `channel ${shortChannelId} is closing`);
  if (!out.active) return failWith(CHANNEL_DISABLED, { ...update, disabledFlags: 0 }, sharedSecret, `channel ${shortChannelId} is not active`);

  const policy = out.policy;
  const amountMsat = payload.amountToForwardMsat;
  const expiryHeight = Number(payload.outgoingCltvValue); // a tu32, so exact
  if (amountMsat < policy.htlcMinimumMsat) {
    return failWith(AMOUNT_BELOW_MINIMUM, { ...update, htlcMsat: amountMsat }, sharedSecret, `${amountMsat} msat is below the minimum of ${policy.htlcMinimumMsat}`);
  }
  if (policy.htlcMaximumMsat !== undefined && amountMsat > policy.htlcMaximumMsat) {
    return failWith(TEMPORARY_CHANNEL_FAILURE, update, sharedSecret, `${amountMsat} msat is above the maximum of ${policy.htlcMaximumMsat}`);
  }
  const fee = forwardingFee(policy, amountMsat);
  if (incoming.amountMsat - fee < amountMsat) {
    return failWith(FEE_INSUFFICIENT, { ...update, htlcMsat: incoming.amountMsat }, sharedSecret, `${incoming.amountMsat} msat in does not cover ${amountMsat} msat out plus a fee of ${fee}`);
  }
  if (incoming.expiryHeight - policy.cltvExpiryDelta < expiryHeight) {
    return failWith(INCORRECT_CLTV_EXPIRY, { ...update, cltvExpiry: expiryHeight }, sharedSecret, `incoming expiry ${incoming.expiryHeight} leaves less than ${policy.cltvExpiryDelta} blocks over ${expiryHeight}`);
  }
  if (expiryHeight < currentHeight + EXPIRY_TOO_SOON_BLOCKS) {
    return failWith(EXPIRY_TOO_SOON, update, sharedSecret, `outgoing expiry ${expiryHeight} is less than ${EXPIRY_TOO_SOON_BLOCKS} blocks above height ${currentHeight}`);
  }
  if (incoming.expiryHeight > currentHeight + MAX_HTLC_CLTV_BLOCKS) {
    return failWith(EXPIRY_TOO_FAR, {}, sharedSecret, `incoming expiry ${incoming.expiryHeight} is more than ${MAX_HTLC_CLTV_BLOCKS} blocks above height ${currentHeight}`);
  }
  if (out.htlcCount >= out.maxHtlcs) {
    return failWith(TEMPORARY_CHANNEL_FAILURE, update, sharedSecret, `channel ${shortChannelId} has ${out.htlcCount} of ${out.maxHtlcs} HTLCs`);
  }
  if (out.spendableMsat < amountMsat) {
    return failWith(TEMPORARY_CHANNEL_FAILURE, update, sharedSecret, `channel ${shortChannelId} cannot spend ${amountMsat} msat`);
  }
  return {
    kind: 'forward',
    channelId: out.channelId,
    shortChannelId,
    amountMsat,
    expiryHeight,
    onion: next,
    feeMsat: incoming.amountMsat - amountMsat,
    sharedSecret,
  };
}
