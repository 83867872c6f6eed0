// The payer's payment record: one payment per payment hash, tried over one route at a time (no
// multi-part payments yet). Each attempt keeps its route and the onion's session key, because only
// they can decrypt the error packet that comes back (BOLT 4 "Returning Errors"); the shell stores an
// attempt in the same batch as the channel state that offers its HTLC, so a restart never loses one.

import type { DirectedEdge, NodeId } from '../routing/graph.js';
import type { Route } from '../routing/pathfind.js';

export type PaymentStatus = 'inflight' | 'succeeded' | 'failed';
export type AttemptStatus = 'inflight' | 'succeeded' | 'failed';

/** What one failed attempt taught: who failed, how, and whether another route could still work. */
export interface AttemptFailure {
  /**
   * Index in the route of the node that reported it (the node at the end of `route.hops[i]`); -1 for
   * the payer's own first channel (refused locally or malformed at the first peer); absent when no hop
   * could be named (an error packet nobody on the route authenticated).
   */
  readonly failingHop?: number;
  readonly failingNode?: NodeId;
  /** BOLT 4 failure code, when there is one */
  readonly code?: number;
  /** the spec's name of the code, or `refused`, `unattributable`, `malformed_error` */
  readonly codeName: string;
  readonly message: string;
  /** the payee itself refused: no other route changes its answer */
  readonly final: boolean;
}

export interface Attempt {
  readonly attemptId: string;
  readonly route: Route;
  /** 32 bytes: the onion's first ephemeral key; decrypts the error packet */
  readonly sessionKey: Uint8Array;
  /** per hop, derived from the session key when the onion was built (kept to skip the ECDHs) */
  readonly sharedSecrets?: readonly Uint8Array[];
  readonly status: AttemptStatus;
  readonly startedMs: number;
  readonly resolvedMs?: number;
  readonly failure?: AttemptFailure;
}

export type PaymentFailureReason =
  /** the payee refused the HTLC (unknown hash, wrong amount or secret, expired invoice, keysend off) */
  | 'rejected_by_payee'
  /** no route satisfies the channels' policies (or every one was tried) */
  | 'no_route'
  /** routes exist, but every one costs more than maxFeeMsat */
  | 'fee_limit'
  /** the time limit passed before an attempt succeeded */
  | 'timeout'
  /** maxAttempts attempts failed */
  | 'attempts_exhausted'
  /** the invoice expired before an attempt succeeded */
  | 'invoice_expired';

export interface PaymentFailure {
  readonly reason: PaymentFailureReason;
  readonly message: string;
  /** the last attempt's failure: which hop, which code */
  readonly lastFailure?: AttemptFailure;
}

export interface Payment {
  /** the payment hash in hex: one payment per hash, so an invoice is never paid twice */
  readonly paymentId: string;
  readonly paymentHash: Uint8Array;
  readonly payee: NodeId;
  /** what the payee receives */
  readonly amountMsat: bigint;
  /** the most any one attempt may pay in fees (failed attempts cost nothing) */
  readonly maxFeeMsat: bigint;
  /** no attempt starts at or after this time (ms since 1970) */
  readonly deadlineMs: number;
  readonly maxAttempts: number;
  /** the payee's min_final_cltv_expiry_delta plus the payer's margin for blocks during the trip */
  readonly finalCltvExpiryDelta: number;
  readonly paymentSecret?: Uint8Array;
  /** a spontaneous payment: the payer chose the preimage and puts it in the onion */
  readonly keysendPreimage?: Uint8Array;
  /** odd custom records for the payee's payload (a stream batch's); kept so a retry after a restart carries them */
  readonly customRecords?: readonly { readonly type: bigint; readonly value: Uint8Array }[];
  readonly invoice?: string;
  /** ms since 1970 after which the payee refuses (the invoice's expiry) */
  readonly invoiceExpiresAtMs?: number;
  /** the invoice's route hints as graph edges (used for every attempt, kept across restarts) */
  readonly hintEdges: readonly DirectedEdge[];
  /** `${shortChannelId}/${from}` edges and node ids that failed in this payment's earlier attempts */
  readonly excludedEdges: readonly string[];
  readonly excludedNodes: readonly NodeId[];
  readonly attempts: readonly Attempt[];
  readonly status: PaymentStatus;
  readonly createdMs: number;
  readonly resolvedMs?: number;
  readonly preimage?: Uint8Array;
  /** what the succeeded route paid the hops */
  readonly feeMsat?: bigint;
  readonly failure?: PaymentFailure;
}

/** What the HTLC of an attempt came back with (the shell's switch reports it, at least once). */
export type AttemptOutcome =
  | { readonly kind: 'fulfilled'; readonly preimage: Uint8Array }
  /** an error packet from some hop, to decrypt with the attempt's shared secrets */
  | { readonly kind: 'failed'; readonly reason: Uint8Array }
  /** the first peer could not read our onion (update_fail_malformed_htlc) */
  | { readonly kind: 'malformed'; readonly failureCode: number; readonly sha256OfOnion: Uint8Array }
  /** our own node did not offer the HTLC (channel not open, balance, peer away) */
  | { readonly kind: 'refused'; readonly reason: string };

/** What the scorer should learn from an outcome; the shell applies it (the scorer is a mutable object). */
export type ScorerUpdate =
  | { readonly kind: 'success'; readonly route: Route }
  | { readonly kind: 'failure'; readonly route: Route; readonly failingHop: number; readonly code: number };

export const DEFAULT_MAX_ATTEMPTS = 10;
