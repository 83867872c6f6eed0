// An HTLC that ends at this node: the payee's code (payments' receiver) is asked, and its answer becomes
// the owed fulfil (stored in one batch with the payee's records, e.g. the invoice marked paid) or an
// error packet under the secret this node shares with the payer. With no receiver
// registered every such HTLC is refused as unknown.
import { equalBytes } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, TEMPORARY_NODE_FAILURE } from '../onion/failure-codes.js';
import { createErrorPacket, encodeFailureMessage, MAX_FAILURE_MESSAGE, type FailureMessage } from '../onion/failure.js';
import { buildFailure } from '../onion/failure-details.js';
import type { HopPayload } from '../onion/payload.js';
import { htlcKey, type IncomingRecord } from './htlc-records.js';
import type { HtlcSwitch } from './htlc-switch.js';
import type { FinalHopAnswer, IncomingHtlc } from './htlc-types.js';

export async function askReceiver(sw: HtlcSwitch, rec: IncomingRecord, payload: HopPayload): Promise<void> {
  const key = htlcKey(rec.channelId, rec.htlcId);
  if (sw.asking.has(key) || rec.owed) return;
  // Held until the answer is stored, not only given: a block's sweep while the owed fulfil is being
  // written would otherwise find the HTLC unanswered and ask the payee a second time.
  sw.asking.add(key);
  try {
    await answerOnce(sw, rec, payload, key);
  } finally {
    sw.asking.delete(key);
  }
}

async function answerOnce(sw: HtlcSwitch, rec: IncomingRecord, payload: HopPayload, key: string): Promise<void> {
  const htlc: IncomingHtlc = { channelId: rec.channelId, htlcId: rec.htlcId, amountMsat: rec.amountMsat, paymentHash: rec.paymentHash, expiryHeight: rec.expiryHeight };
  let answer: FinalHopAnswer;
  try {
    answer = sw.finalHopReceiver
      ? await sw.finalHopReceiver.onFinalHtlc(htlc, payload)
      : { kind: 'fail', failureMessage: encodeFailure(INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, rec.amountMsat, sw.height()) };
  } catch (e) {
    sw.log.warn({ err: (e as Error).message }, 'the payee code failed on an incoming HTLC');
    answer = { kind: 'fail', failureMessage: encodeFailure(TEMPORARY_NODE_FAILURE) };
  }
  const now = sw.incoming.get(key);
  const settles = answer.kind === 'settle' && equalBytes(sha256(answer.preimage), rec.paymentHash);
  // A settle the switch does not hold as owed (failed at its deadline meanwhile, or its write failed) is
  // undone at the payee; one that is owed, whoever stored it, stands.
  const release = () => {
    if (sw.incoming.get(key)?.owed?.kind !== 'fulfil') sw.finalHopReceiver?.released?.(htlc);
  };
  if (!now || now.owed) {
    if (settles) release();
    return;
  }
  if (answer.kind === 'settle' && settles) {
    // The payee's records and the owed fulfil in one batch, before the fulfil is proposed: from then on
    // the switch gets the fulfil signed or, if the payer will not, registers the preimage on the ledger.
    // Not stored (the write failed): the payee undoes its mark, and is asked again at the next block.
    if (!(await sw.owe(now, { kind: 'fulfil', preimage: answer.preimage }, answer.attached ?? []))) release();
    return;
  }
  const message = answer.kind === 'fail' ? answer.failureMessage : encodeFailure(INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, rec.amountMsat, sw.height());
  const failure = decodeFailure(message, () => encodeFailure(INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, rec.amountMsat, sw.height()));
  const reason = createErrorPacket({ sharedSecret: now.sharedSecret!, failure });
  await sw.owe(now, { kind: 'fail', reason });
}

function encodeFailure(code: number, htlcMsat?: bigint, height?: number): Uint8Array {
  return encodeFailureMessage(buildFailure(code, htlcMsat !== undefined ? { htlcMsat, height: height ?? 0 } : {}));
}

/** The payee code's failure message (u16 code, then data); one too short to hold a code is our own. */
function decodeFailure(m: Uint8Array, fallback: () => Uint8Array): FailureMessage {
  const bytes = m.length >= 2 && m.length <= MAX_FAILURE_MESSAGE ? m : fallback();
  return { code: (bytes[0]! << 8) | bytes[1]!, data: bytes.subarray(2) };
}
