// How a hop's decision says "no": a BOLT 4 failure message, its name, and the error packet ready for a
// failHtlc op (built under the secret this hop shares with the payer, so the payer can tell which hop
// failed). Pure: createErrorPacket is deterministic.

import { createErrorPacket, type FailureMessage } from '../onion/failure.js';
import { buildFailure, type FailureDetails } from '../onion/failure-details.js';
import { failureCodeName } from '../onion/failure-codes.js';

export interface FailDecision {
  readonly kind: 'fail';
  /** the BOLT 4 code (src/onion/failure-codes.ts) */
  readonly code: number;
  /** its spec name, for logs and tests: 'fee_insufficient', … */
  readonly codeName: string;
  /** code and data, as buildFailure made them */
  readonly failureMessage: FailureMessage;
  /** the error packet to send upstream as the failHtlc op's `reason` */
  readonly reason: Uint8Array;
  /** why, in words (for the log; never sent) */
  readonly message: string;
}

export function failWith(code: number, details: FailureDetails, sharedSecret: Uint8Array, message: string): FailDecision {
  const failureMessage = buildFailure(code, details);
  return {
    kind: 'fail',
    code,
    codeName: failureCodeName(code),
    failureMessage,
    reason: createErrorPacket({ sharedSecret, failure: failureMessage }),
    message,
  };
}
