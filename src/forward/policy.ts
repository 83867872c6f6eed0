// A hop's forwarding policy for one outgoing channel (what BOLT 7's channel_update announces), its
// defaults for sluice's simulated ledger, and the expiry margins the forwarding decision uses. Pure.
//
// Why these numbers: on sluice an HTLC pays its receiver iff the preimage is registered on the ledger
// before the lock's expiry height (multihop.md §7.0), so a hop never has to force-close to protect an
// HTLC. The expiry delta only has to cover learning a preimage downstream and getting one `preimage`
// transaction included upstream, plus grace: at ~1 s blocks and a 10-block dispute window, 12 blocks
// (multihop.md §7.3) rather than Lightning's 34–144. The fees follow every Lightning implementation's
// base fee of 1000 msat, with a small proportional part.

import { forwardingFee as routingForwardingFee } from '../routing/graph.js';
import { DEFAULT_REGISTER_MARGIN_BLOCKS } from './deadlines.js';

export interface ForwardingPolicy {
  readonly feeBaseMsat: bigint;
  /** proportional fee, parts per million of the forwarded amount (a bigint, as src/routing's ChannelPolicy) */
  readonly feePpm: bigint;
  /** blocks this hop keeps between the incoming HTLC's expiry and the outgoing one's */
  readonly cltvExpiryDelta: number;
  /** the smallest outgoing HTLC this hop offers on the channel */
  readonly htlcMinimumMsat: bigint;
  /** the largest, if any (else the channel's own limits decide) */
  readonly htlcMaximumMsat?: bigint;
}

export const DEFAULT_FORWARDING_POLICY: ForwardingPolicy = Object.freeze({
  feeBaseMsat: 1000n,
  feePpm: 100n,
  cltvExpiryDelta: 12,
  htlcMinimumMsat: 1000n,
});

/**
 * The least `cltv_expiry - current height` a final hop accepts, and so what sluice's invoices put in
 * their `c` field (BOLT 11's default of 18 applies only when an invoice has none). The same margin as
 * the expiry delta: the payee must get its preimage registered or settled before the lock expires.
 */
export const MIN_FINAL_CLTV_EXPIRY_DELTA = 12;

/**
 * BOLT 4's max_htlc_cltv: an incoming HTLC that expires more than this many blocks above the current
 * height is refused (expiry_too_far), so nobody can lock a hop's capital for long. 2016 blocks is the
 * spec's suggestion and src/routing's DEFAULT_MAX_CLTV_EXPIRY_DELTA; on ~1 s blocks it is ~34 minutes,
 * well over a 27-hop route at the default delta (27 × 12 + 12 = 336).
 */
export const MAX_HTLC_CLTV_BLOCKS = 2016;

/**
 * The least a policy's delta may be. A next hop may fulfil off-chain at the last block before its
 * HTLC's expiry; the hop then has `delta` blocks to get the fulfil taken upstream or the preimage
 * registered on the ledger before the incoming HTLC expires. Below the register margin a single late
 * or lost ledger transaction (it is resubmitted every few blocks) would lose the forwarded amount.
 */
export const MIN_CLTV_EXPIRY_DELTA = DEFAULT_REGISTER_MARGIN_BLOCKS;

/** The most a policy's delta may be: the whole max_htlc_cltv budget, or no route could use it. */
export const MAX_CLTV_EXPIRY_DELTA = MAX_HTLC_CLTV_BLOCKS;

/** The most a proportional fee may be: 100% (BOLT 7 does not bound it; a larger one is surely a mistake). */
export const MAX_FEE_PPM = 1_000_000n;

/** BOLT 7 "HTLC Fees": what forwarding `amountMsat` costs under `policy`, rounded down (src/routing's formula). */
export function forwardingFee(policy: Pick<ForwardingPolicy, 'feeBaseMsat' | 'feePpm'>, amountMsat: bigint): bigint {
  return routingForwardingFee(policy, amountMsat);
}

/**
 * Why `policy` cannot be used (a shell setting it from `sluice channel policy` checks this), or null.
 * A minimum of 0 is refused: an HTLC of 0 msat is not a lock the channel core accepts.
 */
export function checkForwardingPolicy(policy: ForwardingPolicy): string | null {
  if (typeof policy.feeBaseMsat !== 'bigint' || policy.feeBaseMsat < 0n) return 'feeBaseMsat must be a non-negative bigint';
  if (typeof policy.feePpm !== 'bigint' || policy.feePpm < 0n || policy.feePpm > MAX_FEE_PPM) return `feePpm must be 0..${MAX_FEE_PPM}`;
  if (!Number.isInteger(policy.cltvExpiryDelta) || policy.cltvExpiryDelta < MIN_CLTV_EXPIRY_DELTA || policy.cltvExpiryDelta > MAX_CLTV_EXPIRY_DELTA) {
    return `cltvExpiryDelta must be an integer ${MIN_CLTV_EXPIRY_DELTA}..${MAX_CLTV_EXPIRY_DELTA}`;
  }
  if (typeof policy.htlcMinimumMsat !== 'bigint' || policy.htlcMinimumMsat < 1n) return 'htlcMinimumMsat must be at least 1 msat';
  if (policy.htlcMaximumMsat !== undefined) {
    if (typeof policy.htlcMaximumMsat !== 'bigint' || policy.htlcMaximumMsat < policy.htlcMinimumMsat) {
      return 'htlcMaximumMsat must be a bigint no smaller than htlcMinimumMsat';
    }
  }
  return null;
}
