// BOLT 4 failure codes ("Failure Messages"). The top bits are flags the payer reads without knowing
// the code: BADONION (the previous hop's onion was unreadable), PERM (do not retry this), NODE (the
// whole node, not one channel), UPDATE (a channel_update is enclosed).

export const BADONION = 0x8000;
export const PERM = 0x4000;
export const NODE = 0x2000;
export const UPDATE = 0x1000;

export const INVALID_REALM = PERM | 1;
export const TEMPORARY_NODE_FAILURE = NODE | 2;
export const PERMANENT_NODE_FAILURE = PERM | NODE | 2;
export const REQUIRED_NODE_FEATURE_MISSING = PERM | NODE | 3;
export const INVALID_ONION_VERSION = BADONION | PERM | 4;
export const INVALID_ONION_HMAC = BADONION | PERM | 5;
export const INVALID_ONION_KEY = BADONION | PERM | 6;
export const TEMPORARY_CHANNEL_FAILURE = UPDATE | 7;
export const PERMANENT_CHANNEL_FAILURE = PERM | 8;
export const REQUIRED_CHANNEL_FEATURE_MISSING = PERM | 9;
export const UNKNOWN_NEXT_PEER = PERM | 10;
export const AMOUNT_BELOW_MINIMUM = UPDATE | 11;
export const FEE_INSUFFICIENT = UPDATE | 12;
export const INCORRECT_CLTV_EXPIRY = UPDATE | 13;
export const EXPIRY_TOO_SOON = UPDATE | 14;
export const INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS = PERM | 15;
export const FINAL_INCORRECT_CLTV_EXPIRY = 18;
export const FINAL_INCORRECT_HTLC_AMOUNT = 19;
export const CHANNEL_DISABLED = UPDATE | 20;
export const EXPIRY_TOO_FAR = 21;
export const INVALID_ONION_PAYLOAD = PERM | 22;
export const MPP_TIMEOUT = 23;
export const INVALID_ONION_BLINDING = BADONION | PERM | 24;

/** The codes a hop can report without an error onion (update_fail_malformed_htlc). */
export type BadOnionCode = typeof INVALID_ONION_VERSION | typeof INVALID_ONION_HMAC | typeof INVALID_ONION_KEY;

const NAMES: ReadonlyMap<number, string> = new Map([
  [INVALID_REALM, 'invalid_realm'],
  [TEMPORARY_NODE_FAILURE, 'temporary_node_failure'],
  [PERMANENT_NODE_FAILURE, 'permanent_node_failure'],
  [REQUIRED_NODE_FEATURE_MISSING, 'required_node_feature_missing'],
  [INVALID_ONION_VERSION, 'invalid_onion_version'],
  [INVALID_ONION_HMAC, 'invalid_onion_hmac'],
  [INVALID_ONION_KEY, 'invalid_onion_key'],
  [TEMPORARY_CHANNEL_FAILURE, 'temporary_channel_failure'],
  [PERMANENT_CHANNEL_FAILURE, 'permanent_channel_failure'],
  [REQUIRED_CHANNEL_FEATURE_MISSING, 'required_channel_feature_missing'],
  [UNKNOWN_NEXT_PEER, 'unknown_next_peer'],
  [AMOUNT_BELOW_MINIMUM, 'amount_below_minimum'],
  [FEE_INSUFFICIENT, 'fee_insufficient'],
  [INCORRECT_CLTV_EXPIRY, 'incorrect_cltv_expiry'],
  [EXPIRY_TOO_SOON, 'expiry_too_soon'],
  [INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, 'incorrect_or_unknown_payment_details'],
  [FINAL_INCORRECT_CLTV_EXPIRY, 'final_incorrect_cltv_expiry'],
  [FINAL_INCORRECT_HTLC_AMOUNT, 'final_incorrect_htlc_amount'],
  [CHANNEL_DISABLED, 'channel_disabled'],
  [EXPIRY_TOO_FAR, 'expiry_too_far'],
  [INVALID_ONION_PAYLOAD, 'invalid_onion_payload'],
  [MPP_TIMEOUT, 'mpp_timeout'],
  [INVALID_ONION_BLINDING, 'invalid_onion_blinding'],
]);

/** The spec's name for a code, or `unknown_0x....` for one this node does not know. */
export function failureCodeName(code: number): string {
  return NAMES.get(code) ?? `unknown_0x${code.toString(16).padStart(4, '0')}`;
}

export function isKnownFailureCode(code: number): boolean {
  return NAMES.has(code);
}
