// What a channel write means to the switch, planned before the write and applied after it (the
// ChannelManager's persist hook). Each consequence of a state is stored in that state's batch:
//   - a both-signed state with the peer's addHtlc: the incoming record (onion, shared secret, decision,
//     for a refusal the fail it owes) and the replay-log entry;
//   - a state we sign that removes an HTLC we offered (fulfil, fail, malformed): the outgoing record's
//     end, and for a forward the fulfil or the wrapped fail owed upstream (first write wins);
//   - a both-signed state that removes an incoming HTLC we settled or failed: the incoming record goes;
//   - our own proposal carrying an offer or a settle: the records the caller attached (ChannelManager
//     stores those); the switch marks them stored here.
// Nothing here changes the switch until the batch is durable: a failed write leaves it as it was.
import type { Channel, ChannelEffect } from '../channel/machine.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import { peelOnion, type PeelResult } from '../onion/sphinx.js';
import { replayHash, type ReplayEntry } from '../onion/replay.js';
import { createErrorPacket, wrapErrorPacket } from '../onion/failure.js';
import { buildFailure } from '../onion/failure-details.js';
import { TEMPORARY_CHANNEL_FAILURE, TEMPORARY_NODE_FAILURE, failureCodeName } from '../onion/failure-codes.js';
import type { ForwardView } from '../api/routing-types.js';
import { toHex } from '../crypto/bytes.js';
import { failWith } from '../forward/failures.js';
import { MAX_HTLC_CLTV_BLOCKS } from '../forward/policy.js';
import type { PersistPlan } from './channel-manager-types.js';
import type { OutgoingOutcome } from './htlc-types.js';
import {
  deleteIncoming, deleteOutgoing, htlcKey, putIncoming, putOutgoing, putReplay,
  type IncomingRecord, type Owed,
} from './htlc-records.js';
import type { HtlcSwitch } from './htlc-switch.js';
import type { RecordWrite } from './store-port.js';

type HtlcOp = Extract<ChannelOp, { op: 'fulfillHtlc' | 'failHtlc' | 'failMalformedHtlc' }>;
type AddOp = Extract<ChannelOp, { op: 'addHtlc' }>;

const isRemoval = (op: ChannelOp): op is HtlcOp => op.op === 'fulfillHtlc' || op.op === 'failHtlc' || op.op === 'failMalformedHtlc';

/** One write's plan as it is built: records to store, and what to do once they are. */
class Plan {
  readonly writes: RecordWrite[] = [];
  readonly after: (() => void)[] = [];
  /** Replay hashes and new incoming records taken in this batch (a peer can put many adds in one). */
  readonly replayHashes = new Set<string>();
  newIncoming = 0;
}

export function planPersist(sw: HtlcSwitch, id: string, prev: Channel | undefined, next: Channel, effects: readonly ChannelEffect[]): PersistPlan | undefined {
  const plan = new Plan();
  // Our own proposal: the offers and settles the switch handed the channel are now stored with it.
  if (next.proposal && next.proposal !== prev?.proposal) {
    for (const op of next.proposal.ops) {
      if (op.op === 'addHtlc' || isRemoval(op)) {
        const pending = sw.proposing.get(htlcKey(id, op.id));
        if (pending && !pending.stored) plan.after.push(() => sw.proposalStored(htlcKey(id, op.id)));
      }
    }
  }
  // A state we countersign (we lead; the follower's ops): a fulfil there is signed away by us now, so the
  // preimage must be kept from this write on, even before the follower's commit completes the state.
  if (next.countersigned && next.countersigned !== prev?.countersigned) {
    for (const op of next.countersigned.ops) if (op.op === 'fulfillHtlc') planOutResolved(sw, plan, id, op);
  }
  if (prev && next.signed.state.seq > prev.signed.state.seq) {
    if (next.latestBy === next.local) {
      // Our proposal, now both-signed: the incoming HTLCs it settled or failed are done with.
      const ops = prev.proposal?.state.seq === next.signed.state.seq ? prev.proposal.ops : [];
      for (const op of ops) if (isRemoval(op)) planInSettled(sw, plan, id, op.id);
    } else {
      const received = effects.find((e): e is Extract<ChannelEffect, { type: 'received' }> => e.type === 'received');
      for (const op of received?.ops ?? []) {
        if (op.op === 'addHtlc') planIncoming(sw, plan, id, op);
        else if (isRemoval(op)) planOutResolved(sw, plan, id, op);
      }
    }
  }
  if (plan.writes.length === 0 && plan.after.length === 0) return undefined;
  return {
    writes: plan.writes,
    after: () => {
      for (const f of plan.after) {
        try {
          f();
        } catch (e) {
          sw.log.error({ err: e, channel: id.slice(0, 16) }, 'htlc switch: acting on a stored state failed');
        }
      }
    },
  };
}

/** The peer offered us an HTLC in a both-signed state: peel, check for a replay, decide, record. */
function planIncoming(sw: HtlcSwitch, plan: Plan, channelId: string, op: AddOp): void {
  const key = htlcKey(channelId, op.id);
  if (sw.incoming.has(key)) return;
  const height = sw.height();
  const base: IncomingRecord = {
    channelId, htlcId: op.id, amountMsat: op.amount, paymentHash: op.paymentHash, expiryHeight: op.expiryHeight,
    onion: op.onion, decision: 'fail', receivedHeight: height,
  };
  const peeled = peelOnion({ packet: op.onion, nodeSecretKey: sw.secretKey, associatedData: op.paymentHash });
  let entry: ReplayEntry | undefined;
  let rec: IncomingRecord;
  let act: (() => void) | undefined;
  const refuse = (code: number, why: string): IncomingRecord => {
    const ss = (peeled as Extract<PeelResult, { ok: true }>).value.sharedSecret;
    sw.log.info({ channel: channelId.slice(0, 16), htlc: op.id, why }, 'refused an incoming HTLC');
    const details = code === TEMPORARY_CHANNEL_FAILURE ? { channelUpdate: new Uint8Array(0) } : {};
    return { ...base, sharedSecret: ss, decision: 'fail', owed: { kind: 'fail', reason: failWith(code, details, ss, why).reason } };
  };
  if (peeled.ok && (sw.replay.has(peeled.value.sharedSecret) || plan.replayHashes.has(replayHash(peeled.value.sharedSecret)))) {
    rec = refuse(TEMPORARY_CHANNEL_FAILURE, 'a replayed onion');
  } else if (peeled.ok && sw.replayShares.of(channelId) + plan.replayHashes.size >= sw.limits.replayEntriesPerChannel) {
    // One write is one channel's: its own share of the log, so a peer flooding onions blocks only itself.
    rec = refuse(TEMPORARY_CHANNEL_FAILURE, `this channel's onions hold ${sw.limits.replayEntriesPerChannel} replay-log entries`);
  } else if (peeled.ok && sw.replay.size + plan.replayHashes.size >= sw.limits.replayLogEntries) {
    rec = refuse(TEMPORARY_NODE_FAILURE, 'the replay log is full');
  } else if (peeled.ok && sw.incoming.size + plan.newIncoming >= sw.limits.maxPendingHtlcs) {
    rec = refuse(TEMPORARY_NODE_FAILURE, `${sw.limits.maxPendingHtlcs} incoming HTLCs are pending`);
  } else {
    if (peeled.ok) {
      // Remembered until the HTLC's expiry, but never past max_htlc_cltv: an onion whose HTLC expires
      // later than that was refused (expiry_too_far), and a peer must not pin an entry for ever.
      entry = { hash: replayHash(peeled.value.sharedSecret), expiryHeight: Math.min(op.expiryHeight, height + MAX_HTLC_CLTV_BLOCKS) };
      plan.replayHashes.add(entry.hash);
    }
    const decided = sw.decide(base, peeled, height);
    rec = decided.record;
    act = decided.act;
  }
  plan.newIncoming++;
  plan.writes.push(putIncoming(rec));
  if (entry) plan.writes.push(putReplay({ ...entry, channelId }));
  const ss = rec.sharedSecret;
  plan.after.push(() => {
    sw.incoming.set(key, rec);
    if (entry && ss && sw.replay.checkAndRecord(ss, entry.expiryHeight).kind === 'fresh') sw.replayShares.owned(entry.hash, channelId);
    if (rec.owed) sw.relay(rec);
    else act?.();
  });
}

/** The next hop removed an HTLC we offered, in a state we signed. */
function planOutResolved(sw: HtlcSwitch, plan: Plan, channelId: string, op: HtlcOp): void {
  const key = htlcKey(channelId, op.id);
  const rec = sw.outgoing.get(key);
  if (!rec || rec.outcome) return;
  const outcome: OutgoingOutcome = op.op === 'fulfillHtlc'
    ? { kind: 'fulfilled', preimage: op.preimage }
    : op.op === 'failHtlc'
      ? { kind: 'failed', reason: op.reason }
      : { kind: 'malformed', failureCode: op.failureCode, sha256OfOnion: op.sha256OfOnion };
  if (rec.origin.kind === 'local') {
    const done = { ...rec, outcome };
    plan.writes.push(putOutgoing(done));
    plan.after.push(() => {
      sw.outgoing.set(key, done);
      void sw.deliver(done);
    });
    return;
  }
  plan.writes.push(deleteOutgoing(rec));
  const upKey = htlcKey(rec.origin.channelId, rec.origin.htlcId);
  const up = sw.incoming.get(upKey);
  let owedRec: IncomingRecord | undefined;
  if (up && !up.owed && up.sharedSecret) {
    owedRec = { ...up, owed: owedUpstream(outcome, up.sharedSecret) };
    plan.writes.push(putIncoming(owedRec));
  } else if (up?.owed?.kind === 'fail' && outcome.kind === 'fulfilled') {
    sw.log.error({ channel: channelId.slice(0, 16), htlc: op.id }, 'the next hop fulfilled an HTLC after we had failed it back at its expiry');
  }
  const origin = rec.origin;
  plan.after.push(() => {
    sw.o.onForward?.(forwardView(origin.channelId, channelId, rec.paymentHash, up?.amountMsat ?? rec.amountMsat, rec.amountMsat, outcome));
    sw.outgoing.delete(key);
    if (owedRec) {
      sw.incoming.set(upKey, owedRec);
      sw.relay(owedRec);
    }
  });
}

/** A forward that ended downstream, for the history: settled (we keep in − out), or failed. */
function forwardView(inChannel: string, outChannel: string, paymentHash: Uint8Array, amountIn: bigint, amountOut: bigint, outcome: OutgoingOutcome): ForwardView {
  const now = Date.now();
  const settled = outcome.kind === 'fulfilled';
  const v: ForwardView = {
    incomingChannelId: inChannel, outgoingChannelId: outChannel, paymentHash: toHex(paymentHash), amountIn, amountOut,
    fee: settled ? amountIn - amountOut : 0n, status: settled ? 'settled' : 'failed', createdAt: now, resolvedAt: now,
  };
  if (outcome.kind === 'malformed') v.failure = failureCodeName(outcome.failureCode);
  else if (outcome.kind === 'failed') v.failure = 'failed downstream';
  else if (outcome.kind === 'refused') v.failure = outcome.reason;
  return v;
}

/** What the upstream is owed for the outcome downstream: the preimage, or the error wrapped in our layer. */
export function owedUpstream(outcome: OutgoingOutcome, sharedSecret: Uint8Array): Owed {
  switch (outcome.kind) {
    case 'fulfilled': return { kind: 'fulfil', preimage: outcome.preimage };
    case 'failed': return { kind: 'fail', reason: wrapErrorPacket({ sharedSecret, packet: outcome.reason }) };
    // BOLT 2: the next hop could not read its onion, so it has no secret with the payer; we report its
    // code (and the hash of the onion it got) in an error packet of our own.
    case 'malformed':
      return { kind: 'fail', reason: createErrorPacket({ sharedSecret, failure: buildFailure(outcome.failureCode, { sha256OfOnion: outcome.sha256OfOnion }) }) };
    case 'refused': return { kind: 'fail', reason: createErrorPacket({ sharedSecret, failure: buildFailure(TEMPORARY_CHANNEL_FAILURE, { channelUpdate: new Uint8Array(0) }) }) };
  }
}

/** A both-signed state no longer holds an incoming HTLC we settled or failed: its record is done. */
function planInSettled(sw: HtlcSwitch, plan: Plan, channelId: string, htlcId: number): void {
  const key = htlcKey(channelId, htlcId);
  const rec = sw.incoming.get(key);
  if (!rec) return;
  plan.writes.push(deleteIncoming(rec));
  plan.after.push(() => {
    sw.incoming.delete(key);
    sw.relaying.delete(key);
    sw.log.debug({ channel: channelId.slice(0, 16), htlc: htlcId, how: rec.owed?.kind }, 'an incoming HTLC is resolved in a both-signed state');
  });
}
