// The switch on every block (and once after a restart): deadlines from src/forward's hopDeadlines,
// outcomes not yet taken, owed answers not yet sent, incoming HTLCs decided but not acted on, and the
// replay log's expired entries. Nothing an HTLC waits on is without a height at which it ends.
import { LedgerRpcError } from '../ledger/client.js';
import { hopDeadlines, type HopForward } from '../forward/deadlines.js';
import { decodeHopPayload } from '../onion/payload.js';
import { TEMPORARY_CHANNEL_FAILURE, TEMPORARY_NODE_FAILURE } from '../onion/failure-codes.js';
import { createErrorPacket } from '../onion/failure.js';
import { buildFailure } from '../onion/failure-details.js';
import { deleteIncoming, deleteOutgoing, deleteReplay, htlcKey, putIncoming, putOutgoing, type IncomingRecord, type OutgoingRecord } from './htlc-records.js';
import type { HtlcSwitch } from './htlc-switch.js';
import type { RecordWrite } from './store-port.js';

/** A preimage submitted to the ledger and not yet seen registered is submitted again this many blocks later. */
export const PREIMAGE_RESUBMIT_BLOCKS = 3;

export async function sweepHtlcs(sw: HtlcSwitch, height: number): Promise<void> {
  await sw.learnShortChannelIds();
  await sw.withdrawLate(height);
  await pruneReplay(sw, height);
  await endClosedChannels(sw);
  for (const rec of [...sw.outgoing.values()]) if (rec.outcome) void sw.deliver(rec);
  // An outgoing HTLC counts as unanswered at its expiry only once every block before it was read for
  // a registered preimage; until then it is left for the next block.
  if (sw.registry) await sw.registry.onBlock(height);
  const registryRead = !sw.registry || sw.registry.caughtUp(height);
  if (registryRead) await expireOutgoing(sw, height);

  const forwards: HopForward[] = [];
  for (const rec of sw.incoming.values()) {
    if (rec.owed?.kind === 'fail' || rec.owed?.kind === 'malformed') continue;
    const key = htlcKey(rec.channelId, rec.htlcId);
    const out = rec.out && sw.outgoing.get(htlcKey(rec.out.channelId, rec.out.htlcId));
    const submitted = rec.preimageSubmittedAt !== undefined && height < rec.preimageSubmittedAt + PREIMAGE_RESUBMIT_BLOCKS;
    forwards.push({
      key,
      incomingExpiry: rec.expiryHeight,
      ...(out && !out.abandoned ? { outgoing: { expiryHeight: out.expiryHeight, state: 'pending' as const } } : {}),
      preimageKnown: rec.owed?.kind === 'fulfil',
      preimageRegistered: rec.preimageRegistered === true || submitted,
      upstreamResolved: false,
    });
  }
  const due = hopDeadlines(forwards, height);
  for (const { key, why } of due.failBack) {
    const rec = sw.incoming.get(key);
    if (!rec || rec.owed) continue;
    // An offer still queued for the next hop could yet be proposed: never fail back while it can.
    if (sw.offerPending(key)) continue;
    const out = rec.out && sw.outgoing.get(htlcKey(rec.out.channelId, rec.out.htlcId));
    if (why === 'outgoing_expired' && !registryRead) continue;
    if (why === 'outgoing_expired' && out) {
      // Past the outgoing expiry with no preimage: the ledger can only refund that lock to us (§7.0-1a).
      await abandon(sw, rec, out);
    } else {
      await sw.failBack(rec, rec.decision === 'receive' ? TEMPORARY_NODE_FAILURE : TEMPORARY_CHANNEL_FAILURE, `${why.replace('_', ' ')} with ${rec.expiryHeight - height} blocks left`);
    }
  }
  const register = new Set(due.registerPreimage);
  // The ledger settles a force-closed channel no earlier than its HTLC locks' expiries (close-rules.ts
  // settleDeadline) and pays a lock by the preimages registered below its expiry. On an upstream
  // channel being closed on the ledger a known preimage is registered now all the same, not 6 blocks
  // before the expiry: the upstream will never take the fulfil.
  for (const f of forwards) {
    const rec = sw.incoming.get(f.key);
    if (f.preimageKnown && !f.preimageRegistered && rec && sw.channel(rec.channelId)?.status === 'forceClosing') register.add(f.key);
  }
  for (const key of register) await registerPreimage(sw, key, height);

  for (const rec of [...sw.incoming.values()]) {
    if (rec.owed) sw.relay(rec);
    else reconsider(sw, rec, height);
  }
}

async function pruneReplay(sw: HtlcSwitch, height: number): Promise<void> {
  const dropped = sw.replay.prune(height);
  if (dropped.length === 0) return;
  sw.replayShares.dropped(dropped);
  await sw.o.store.writeRecords(dropped.map(deleteReplay)).catch((e: unknown) => sw.log.warn({ err: (e as Error).message }, 'could not drop expired replay entries'));
}

/**
 * A channel the ledger closed has no more updates: what its locks paid is the ledger's settlement, so
 * incoming records on it are done. Outgoing ones stay until their expiry tells the payer or upstream.
 */
async function endClosedChannels(sw: HtlcSwitch): Promise<void> {
  const writes: RecordWrite[] = [];
  const gone: string[] = [];
  const goneOut: string[] = [];
  const ended = (id: string) => {
    const ch = sw.channel(id);
    return !ch || ch.status === 'closed' || ch.status === 'failed';
  };
  for (const [key, rec] of sw.incoming) {
    if (!ended(rec.channelId)) continue;
    writes.push(deleteIncoming(rec));
    gone.push(key);
  }
  // An abandoned forward on a closed channel: the settlement paid its lock; nobody waits on it.
  for (const [key, rec] of sw.outgoing) {
    if (!rec.abandoned || !ended(rec.channelId)) continue;
    writes.push(deleteOutgoing(rec));
    goneOut.push(key);
  }
  if (writes.length === 0) return;
  try {
    await sw.o.store.writeRecords(writes);
    for (const key of gone) sw.incoming.delete(key);
    for (const key of goneOut) sw.outgoing.delete(key);
  } catch (e) {
    sw.log.warn({ err: (e as Error).message }, 'could not drop the HTLC records of closed channels');
  }
}

/**
 * Outgoing HTLCs past their expiry with no answer from the next hop: a local attempt's payer hears
 * 'refused'; a forward whose incoming HTLC is gone (its channel closed) is marked abandoned, so nothing
 * waits on it (a forward whose incoming HTLC is held is failed back by the deadlines below).
 */
async function expireOutgoing(sw: HtlcSwitch, height: number): Promise<void> {
  for (const rec of [...sw.outgoing.values()]) {
    if (rec.outcome || rec.abandoned || height < rec.expiryHeight) continue;
    const done = rec.origin.kind === 'local'
      ? sw.endLocal(rec, { kind: 'refused', reason: `no answer from the next hop by its expiry height ${rec.expiryHeight}` })
      : sw.incoming.has(htlcKey(rec.origin.channelId, rec.origin.htlcId)) ? undefined : markAbandoned(sw, rec);
    await done?.catch((e: unknown) => sw.log.warn({ err: (e as Error).message }, 'could not store an expired HTLC; retried at the next block'));
  }
}

async function markAbandoned(sw: HtlcSwitch, rec: OutgoingRecord): Promise<void> {
  const dropped = { ...rec, abandoned: true };
  await sw.o.store.writeRecords([putOutgoing(dropped)]);
  sw.outgoing.set(htlcKey(rec.channelId, rec.htlcId), dropped);
}

/**
 * After a restart: an offer whose outgoing record was stored with a proposal that no stored state holds
 * any more (a follower's proposal that lost a race went back to the queue, which is not stored) was
 * never offered: the payer hears 'refused', a forward is failed back. Nothing can claim such a lock.
 */
export async function trimNeverOffered(sw: HtlcSwitch): Promise<void> {
  for (const rec of [...sw.outgoing.values()]) {
    if (rec.outcome || rec.abandoned) continue;
    const ch = sw.channel(rec.channelId);
    const states = ch ? [ch.signed.state, ch.proposal?.state, ch.countersigned?.state] : [];
    if (states.some((st) => st?.locks.some((l) => l.id === rec.htlcId && l.from === ch!.local))) continue;
    if (ch && ch.status !== 'open' && ch.status !== 'closed' && ch.status !== 'failed') continue; // being closed on the ledger: its expiry decides
    sw.log.info({ channel: rec.channelId.slice(0, 16), htlc: rec.htlcId }, 'an HTLC stored as offered is in no stored state: it was never offered');
    try {
      if (rec.origin.kind === 'local') {
        await sw.endLocal(rec, { kind: 'refused', reason: 'the channel never took the HTLC (a restart lost the proposal)' });
        continue;
      }
      const up = sw.incoming.get(htlcKey(rec.origin.channelId, rec.origin.htlcId));
      await sw.o.store.writeRecords([deleteOutgoing(rec)]);
      sw.outgoing.delete(htlcKey(rec.channelId, rec.htlcId));
      if (up && !up.owed) await sw.failBack({ ...up, out: undefined }, TEMPORARY_CHANNEL_FAILURE, 'the outgoing HTLC was never offered');
    } catch (e) {
      sw.log.warn({ err: (e as Error).message }, 'could not resolve an HTLC that was never offered; its expiry will');
    }
  }
}

/** Fail the incoming HTLC back and mark the outgoing one abandoned, in one batch. */
async function abandon(sw: HtlcSwitch, rec: IncomingRecord, out: NonNullable<ReturnType<HtlcSwitch['outgoing']['get']>>): Promise<void> {
  if (!rec.sharedSecret) return;
  const reason = createErrorPacket({ sharedSecret: rec.sharedSecret, failure: buildFailure(TEMPORARY_CHANNEL_FAILURE, { channelUpdate: new Uint8Array(0) }) });
  const up: IncomingRecord = { ...rec, owed: { kind: 'fail', reason } };
  const dropped = { ...out, abandoned: true };
  try {
    await sw.o.store.writeRecords([putIncoming(up), putOutgoing(dropped)]);
  } catch (e) {
    sw.log.warn({ err: (e as Error).message }, 'could not store a fail-back at expiry; retried at the next block');
    return;
  }
  sw.log.info({ channel: rec.channelId.slice(0, 16), htlc: rec.htlcId, outExpiry: out.expiryHeight }, 'the next hop did not answer by its expiry: failing the HTLC back');
  sw.outgoing.set(htlcKey(out.channelId, out.htlcId), dropped);
  sw.incoming.set(htlcKey(rec.channelId, rec.htlcId), up);
  sw.relay(up);
}

/** The upstream has not taken our fulfil in time: the ledger's registry secures the incoming lock instead. */
async function registerPreimage(sw: HtlcSwitch, key: string, height: number): Promise<void> {
  const rec = sw.incoming.get(key);
  if (rec?.owed?.kind !== 'fulfil') return;
  const mark = async (r: IncomingRecord) => {
    await sw.o.store.writeRecords([putIncoming(r)]).catch((e: unknown) => sw.log.warn({ err: (e as Error).message }, 'could not store a preimage submission'));
    if (sw.incoming.has(key)) sw.incoming.set(key, r);
  };
  await mark({ ...rec, preimageSubmittedAt: height });
  try {
    const txid = await sw.o.wallet.submit({ kind: 'preimage', preimage: rec.owed.preimage });
    sw.log.info({ channel: rec.channelId.slice(0, 16), htlc: rec.htlcId, txid, expiry: rec.expiryHeight }, 'the upstream did not take the fulfil in time: registered the preimage on the ledger');
  } catch (e) {
    if (e instanceof LedgerRpcError && e.reason === 'ALREADY_REGISTERED') {
      const now = sw.incoming.get(key);
      if (now) await mark({ ...now, preimageRegistered: true });
    } else {
      sw.log.warn({ err: (e as Error).message }, 'could not submit a preimage; retried in a few blocks');
    }
  }
}

/** An incoming HTLC decided but not acted on (a restart, a refused offer, a payee not answered): act again. */
function reconsider(sw: HtlcSwitch, rec: IncomingRecord, height: number): void {
  const key = htlcKey(rec.channelId, rec.htlcId);
  if (rec.out || sw.offerPending(key) || sw.asking.has(key) || sw.proposing.has(key)) return;
  // Decide only once the incoming peer is back: what we answer goes to it.
  if (!sw.channel(rec.channelId)?.connected) return;
  const peeled = sw.repeel(rec);
  if (rec.decision === 'receive') {
    const payload = peeled.ok ? decodeHopPayload(peeled.value.payload, true) : undefined;
    if (payload?.ok) void sw.askReceiver(rec, payload.value);
    return;
  }
  if (rec.decision !== 'forward') return;
  const { record, act } = sw.decide({ ...rec, decision: 'forward' }, peeled, height);
  if (record.owed) void sw.owe(rec, record.owed);
  else act?.();
}
