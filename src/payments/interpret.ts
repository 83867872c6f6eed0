// From a failed attempt's outcome to what the payer learns: which hop failed and with which BOLT 4
// code (unwrapping the error packet with the attempt's shared secrets), what to avoid on the next
// route, what the scorer should record, and whether the failure is final.
//
// Rules (LND's and LDK's, simplified to one route at a time):
// - any failure the payee itself reports ends the payment: another route reaches the same payee,
//   which would answer the same (unknown hash, wrong amount, expired invoice, keysend refused);
// - a NODE failure at a forwarder avoids that node for the rest of the payment;
// - any other forwarder failure (channel codes, fee or expiry updates, a BADONION from its next
//   peer, unknown codes) avoids the channel it could not use: route.hops[i + 1];
// - the payer's own refusal or a malformed onion at the first peer avoids our first channel;
// - an error packet no hop authenticated avoids every forwarder of the route: one of them garbled it.

import { sha256 } from '../crypto/hash.js';
import { unwrapErrorPacket } from '../onion/failure.js';
import { failureCodeName, NODE } from '../onion/failure-codes.js';
import { routeSecrets } from '../onion/primitives.js';
import { fromHex, toHex } from '../crypto/bytes.js';
import type { NodeId } from '../routing/graph.js';
import type { Attempt, AttemptFailure, AttemptOutcome, ScorerUpdate } from './types.js';

export interface FailureLesson {
  readonly failure: AttemptFailure;
  readonly excludeEdges: readonly string[];
  readonly excludeNodes: readonly NodeId[];
  readonly scorer?: ScorerUpdate;
}

const edgeKey = (scid: string, from: NodeId) => `${scid}/${from}`;

/** What a failed outcome (anything but `fulfilled`) of `attempt` teaches. */
export function interpretFailure(attempt: Attempt, outcome: Exclude<AttemptOutcome, { kind: 'fulfilled' }>): FailureLesson {
  const { route } = attempt;
  const hops = route.hops;
  const first = hops[0]!;
  const ownChannel = [edgeKey(first.shortChannelId, first.from)];
  switch (outcome.kind) {
    case 'refused':
      return {
        failure: { failingHop: -1, codeName: 'refused', message: `our node did not offer the HTLC: ${outcome.reason}`, final: false },
        excludeEdges: ownChannel,
        excludeNodes: [],
        // no scorer lesson: the payer knows its own channels' balances exactly, and checks them per route
      };
    case 'malformed':
      return {
        failure: {
          failingHop: -1, failingNode: first.to, code: outcome.failureCode, codeName: failureCodeName(outcome.failureCode),
          message: `${first.to.slice(0, 16)} could not read our onion (${failureCodeName(outcome.failureCode)})`, final: false,
        },
        excludeEdges: ownChannel,
        excludeNodes: [],
      };
    case 'failed':
      break;
    default: {
      const never: never = outcome;
      return never;
    }
  }
  const sharedSecrets = attempt.sharedSecrets ?? attemptSecrets(attempt);
  const r = unwrapErrorPacket({ sharedSecrets, packet: outcome.reason });
  const forwarders = hops.slice(0, -1).map((h) => h.to);
  if (!r.ok) {
    if (r.hopIndex !== undefined) {
      // an authentic packet with a broken body: the hop that wrote it misbehaves
      const node = hops[r.hopIndex]!.to;
      const final = r.hopIndex === hops.length - 1;
      return {
        failure: { failingHop: r.hopIndex, failingNode: node, codeName: 'malformed_error', message: r.message, final },
        excludeEdges: [],
        excludeNodes: final ? [] : [node],
      };
    }
    return {
      failure: { codeName: 'unattributable', message: r.message, final: forwarders.length === 0 },
      excludeEdges: forwarders.length === 0 ? ownChannel : [],
      excludeNodes: forwarders,
    };
  }
  const i = r.hopIndex;
  const node = hops[i]!.to;
  const code = r.failure.code;
  const isPayee = i === hops.length - 1;
  const failure: AttemptFailure = {
    failingHop: i, failingNode: node, code, codeName: r.codeName,
    message: `${isPayee ? 'the payee' : `hop ${i + 1} (${node.slice(0, 16)})`} failed with ${r.codeName}`,
    final: isPayee,
  };
  const scorer: ScorerUpdate = { kind: 'failure', route, failingHop: i, code };
  if (isPayee) return { failure, excludeEdges: [], excludeNodes: [], scorer };
  if ((code & NODE) !== 0) return { failure, excludeEdges: [], excludeNodes: [node], scorer };
  const next = hops[i + 1]!;
  return { failure, excludeEdges: [edgeKey(next.shortChannelId, next.from)], excludeNodes: [], scorer };
}

/** Whether `preimage` is the one the payment hash commits to. */
export function preimageMatches(paymentHash: Uint8Array, preimage: Uint8Array): boolean {
  return preimage.length === 32 && toHex(sha256(preimage)) === toHex(paymentHash);
}

/** The secrets each hop shares with the payer, derived again from the stored session key. */
export function attemptSecrets(attempt: Pick<Attempt, 'sessionKey' | 'route'>): Uint8Array[] {
  return routeSecrets(attempt.sessionKey, attempt.route.hops.map((h) => fromHex(h.to, 'node id', 33))).map((s) => s.sharedSecret);
}
