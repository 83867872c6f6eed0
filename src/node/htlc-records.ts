// The HTLC switch's durable records (the `htlc` record kind) and their JSON forms:
//   in/<channel>/<htlc>   an HTLC offered to us: its onion, the secret it shares with the payer, what we
//                         decided, where we forwarded it, and what we owe upstream (the outbox entry:
//                         a fulfil or a fail, first write wins)
//   out/<channel>/<htlc>  an HTLC we offered: where it came from (a local payment attempt or an incoming
//                         HTLC) and, for a local one, its outcome until the payer has been told
//   replay/<hash>         the replay log (sha256 of an onion's shared secret, until its expiry)
//   policy/<channel>      the forwarding policy of one channel
//   registered/<hash>     a preimage a next hop registered on the ledger for one of our HTLCs, and the
//                         height (a late off-chain fulfil of that lock is taken, also after a restart)
// Every write that follows from a channel state goes into that state's batch (htlc-persist.ts).
import { fromHex, toHex } from '../crypto/bytes.js';
import type { ReplayEntry } from '../onion/replay.js';
import type { JsonObject } from '../util/json-fields.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import type { ForwardingPolicy, OutgoingOutcome } from './htlc-types.js';
import type { AttachedWrite, RecordDelete } from './store-port.js';

/** What we owe the upstream peer for an incoming HTLC: sent (and re-sent after a restart) until a both-signed state no longer holds it. */
export type Owed =
  | { kind: 'fulfil'; preimage: Uint8Array }
  | { kind: 'fail'; reason: Uint8Array }
  | { kind: 'malformed'; failureCode: number; sha256OfOnion: Uint8Array };

/** The op that pays what is owed for incoming HTLC `htlcId`. */
export function owedOp(htlcId: number, owed: Owed): ChannelOp {
  switch (owed.kind) {
    case 'fulfil': return { op: 'fulfillHtlc', id: htlcId, preimage: owed.preimage };
    case 'fail': return { op: 'failHtlc', id: htlcId, reason: owed.reason };
    case 'malformed': return { op: 'failMalformedHtlc', id: htlcId, sha256OfOnion: owed.sha256OfOnion, failureCode: owed.failureCode };
  }
}

export type IncomingDecision = 'forward' | 'receive' | 'fail' | 'malformed';

export interface IncomingRecord {
  channelId: string;
  htlcId: number;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  expiryHeight: number;
  /** The onion as it arrived: a restart peels it again to decide again (a `received` record with nothing offered). */
  onion: Uint8Array;
  /** Absent when the onion could not be read (then the answer is failMalformedHtlc, which needs none). */
  sharedSecret?: Uint8Array;
  decision: IncomingDecision;
  receivedHeight: number;
  /** The outgoing HTLC it was forwarded as, stored with the state that offers it. */
  out?: { channelId: string; htlcId: number };
  owed?: Owed;
  /** Height at which we last submitted the preimage to the ledger (the upstream did not sign the fulfil in time). */
  preimageSubmittedAt?: number;
  /** The ledger holds the preimage: the lock pays us at settlement whatever the upstream does. */
  preimageRegistered?: boolean;
}

export type Origin =
  | { kind: 'local'; paymentId: string; attemptId: string }
  | { kind: 'forward'; channelId: string; htlcId: number };

export interface OutgoingRecord {
  channelId: string;
  htlcId: number;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  expiryHeight: number;
  origin: Origin;
  offeredHeight: number;
  /** Local attempts only: the outcome, kept until the payer's sink took it. */
  outcome?: OutgoingOutcome;
  /** We failed the incoming back at expiry; whatever the next hop does later changes nothing upstream. */
  abandoned?: boolean;
}

export const htlcKey = (channelId: string, htlcId: number): string => `${channelId}/${htlcId}`;
export const inKey = (channelId: string, htlcId: number): string => `in/${htlcKey(channelId, htlcId)}`;
export const outKey = (channelId: string, htlcId: number): string => `out/${htlcKey(channelId, htlcId)}`;

const put = (key: string, value: JsonObject): AttachedWrite => ({ kind: 'htlc', key, value });
const del = (key: string): RecordDelete => ({ kind: 'htlc', key, delete: true });

function owedToJson(o: Owed): JsonObject {
  switch (o.kind) {
    case 'fulfil': return { kind: o.kind, preimage: toHex(o.preimage) };
    case 'fail': return { kind: o.kind, reason: toHex(o.reason) };
    case 'malformed': return { kind: o.kind, failureCode: o.failureCode, sha256OfOnion: toHex(o.sha256OfOnion) };
  }
}

function owedFromJson(v: Record<string, unknown>): Owed {
  if (v['kind'] === 'fulfil') return { kind: 'fulfil', preimage: fromHex(String(v['preimage']), 'preimage', 32) };
  if (v['kind'] === 'fail') return { kind: 'fail', reason: fromHex(String(v['reason']), 'reason') };
  return { kind: 'malformed', failureCode: Number(v['failureCode']), sha256OfOnion: fromHex(String(v['sha256OfOnion']), 'sha256OfOnion', 32) };
}

export function putIncoming(r: IncomingRecord): AttachedWrite {
  const v: JsonObject = {
    channelId: r.channelId, htlcId: r.htlcId, amountMsat: r.amountMsat.toString(), paymentHash: toHex(r.paymentHash),
    expiryHeight: r.expiryHeight, onion: toHex(r.onion), decision: r.decision, receivedHeight: r.receivedHeight,
  };
  if (r.sharedSecret) v['sharedSecret'] = toHex(r.sharedSecret);
  if (r.out) v['out'] = { channelId: r.out.channelId, htlcId: r.out.htlcId };
  if (r.owed) v['owed'] = owedToJson(r.owed);
  if (r.preimageSubmittedAt !== undefined) v['preimageSubmittedAt'] = r.preimageSubmittedAt;
  if (r.preimageRegistered) v['preimageRegistered'] = true;
  return put(inKey(r.channelId, r.htlcId), v);
}

export const deleteIncoming = (r: Pick<IncomingRecord, 'channelId' | 'htlcId'>): RecordDelete => del(inKey(r.channelId, r.htlcId));

export function incomingFromJson(v: Record<string, unknown>): IncomingRecord {
  const r: IncomingRecord = {
    channelId: String(v['channelId']), htlcId: Number(v['htlcId']), amountMsat: BigInt(String(v['amountMsat'])),
    paymentHash: fromHex(String(v['paymentHash']), 'paymentHash', 32), expiryHeight: Number(v['expiryHeight']),
    onion: fromHex(String(v['onion']), 'onion'), decision: String(v['decision']) as IncomingDecision, receivedHeight: Number(v['receivedHeight']),
  };
  if (typeof v['sharedSecret'] === 'string') r.sharedSecret = fromHex(v['sharedSecret'], 'sharedSecret', 32);
  const out = v['out'] as Record<string, unknown> | undefined;
  if (out) r.out = { channelId: String(out['channelId']), htlcId: Number(out['htlcId']) };
  if (v['owed']) r.owed = owedFromJson(v['owed'] as Record<string, unknown>);
  if (typeof v['preimageSubmittedAt'] === 'number') r.preimageSubmittedAt = v['preimageSubmittedAt'];
  if (v['preimageRegistered'] === true) r.preimageRegistered = true;
  return r;
}

function outcomeToJson(o: OutgoingOutcome): JsonObject {
  switch (o.kind) {
    case 'fulfilled': return { kind: o.kind, preimage: toHex(o.preimage) };
    case 'failed': return { kind: o.kind, reason: toHex(o.reason) };
    case 'malformed': return { kind: o.kind, failureCode: o.failureCode, sha256OfOnion: toHex(o.sha256OfOnion) };
    case 'refused': return { kind: o.kind, reason: o.reason };
  }
}

function outcomeFromJson(v: Record<string, unknown>): OutgoingOutcome {
  switch (v['kind']) {
    case 'fulfilled': return { kind: 'fulfilled', preimage: fromHex(String(v['preimage']), 'preimage', 32) };
    case 'failed': return { kind: 'failed', reason: fromHex(String(v['reason']), 'reason') };
    case 'malformed': return { kind: 'malformed', failureCode: Number(v['failureCode']), sha256OfOnion: fromHex(String(v['sha256OfOnion']), 'sha256OfOnion', 32) };
    default: return { kind: 'refused', reason: String(v['reason']) };
  }
}

export function putOutgoing(r: OutgoingRecord): AttachedWrite {
  const origin: JsonObject = r.origin.kind === 'local'
    ? { kind: 'local', paymentId: r.origin.paymentId, attemptId: r.origin.attemptId }
    : { kind: 'forward', channelId: r.origin.channelId, htlcId: r.origin.htlcId };
  const v: JsonObject = {
    channelId: r.channelId, htlcId: r.htlcId, amountMsat: r.amountMsat.toString(), paymentHash: toHex(r.paymentHash),
    expiryHeight: r.expiryHeight, origin, offeredHeight: r.offeredHeight,
  };
  if (r.outcome) v['outcome'] = outcomeToJson(r.outcome);
  if (r.abandoned) v['abandoned'] = true;
  return put(outKey(r.channelId, r.htlcId), v);
}

export const deleteOutgoing = (r: Pick<OutgoingRecord, 'channelId' | 'htlcId'>): RecordDelete => del(outKey(r.channelId, r.htlcId));

export function outgoingFromJson(v: Record<string, unknown>): OutgoingRecord {
  const o = v['origin'] as Record<string, unknown>;
  const origin: Origin = o['kind'] === 'local'
    ? { kind: 'local', paymentId: String(o['paymentId']), attemptId: String(o['attemptId']) }
    : { kind: 'forward', channelId: String(o['channelId']), htlcId: Number(o['htlcId']) };
  const r: OutgoingRecord = {
    channelId: String(v['channelId']), htlcId: Number(v['htlcId']), amountMsat: BigInt(String(v['amountMsat'])),
    paymentHash: fromHex(String(v['paymentHash']), 'paymentHash', 32), expiryHeight: Number(v['expiryHeight']),
    origin, offeredHeight: Number(v['offeredHeight']),
  };
  if (v['outcome']) r.outcome = outcomeFromJson(v['outcome'] as Record<string, unknown>);
  if (v['abandoned'] === true) r.abandoned = true;
  return r;
}

/** A replay entry, with the channel whose HTLC carried the onion (its share of the log, htlc-switch.ts). */
export type OwnedReplayEntry = ReplayEntry & { channelId?: string };

export const putReplay = (e: OwnedReplayEntry): AttachedWrite =>
  put(`replay/${e.hash}`, { hash: e.hash, expiryHeight: e.expiryHeight, ...(e.channelId !== undefined ? { channelId: e.channelId } : {}) });
export const deleteReplay = (hash: string): RecordDelete => del(`replay/${hash}`);

export const putRegistered = (hash: string, height: number): AttachedWrite => put(`registered/${hash}`, { hash, height });
export const deleteRegistered = (hash: string): RecordDelete => del(`registered/${hash}`);

export function putPolicy(channelId: string, p: ForwardingPolicy): AttachedWrite {
  const v: JsonObject = { feeBaseMsat: p.feeBaseMsat.toString(), feePpm: p.feePpm.toString(), cltvExpiryDelta: p.cltvExpiryDelta, htlcMinimumMsat: p.htlcMinimumMsat.toString() };
  if (p.htlcMaximumMsat !== undefined) v['htlcMaximumMsat'] = p.htlcMaximumMsat.toString();
  return put(`policy/${channelId}`, v);
}

export function policyFromJson(v: Record<string, unknown>): ForwardingPolicy {
  const p: ForwardingPolicy = {
    feeBaseMsat: BigInt(String(v['feeBaseMsat'])), feePpm: BigInt(String(v['feePpm'])),
    cltvExpiryDelta: Number(v['cltvExpiryDelta']), htlcMinimumMsat: BigInt(String(v['htlcMinimumMsat'])),
  };
  return v['htlcMaximumMsat'] === undefined ? p : { ...p, htlcMaximumMsat: BigInt(String(v['htlcMaximumMsat'])) };
}

/** Everything the switch stored, sorted into its families. */
export interface LoadedHtlcRecords {
  incoming: IncomingRecord[];
  outgoing: OutgoingRecord[];
  replay: OwnedReplayEntry[];
  policies: Map<string, ForwardingPolicy>;
  /** payment hash (hex) -> the height its preimage was registered at, oldest first */
  registered: Map<string, number>;
}

export function sortHtlcRecords(rows: readonly { key: string; value: JsonObject }[]): LoadedHtlcRecords {
  const out: LoadedHtlcRecords = { incoming: [], outgoing: [], replay: [], policies: new Map(), registered: new Map() };
  const registered: [string, number][] = [];
  for (const { key, value } of rows) {
    if (key.startsWith('in/')) out.incoming.push(incomingFromJson(value));
    else if (key.startsWith('out/')) out.outgoing.push(outgoingFromJson(value));
    else if (key.startsWith('replay/')) {
      out.replay.push({ hash: String(value['hash']), expiryHeight: Number(value['expiryHeight']), ...(typeof value['channelId'] === 'string' ? { channelId: value['channelId'] } : {}) });
    }
    else if (key.startsWith('policy/')) out.policies.set(key.slice('policy/'.length), policyFromJson(value));
    else if (key.startsWith('registered/')) registered.push([String(value['hash']), Number(value['height'])]);
  }
  for (const [hash, h] of registered.sort((x, y) => x[1] - y[1])) out.registered.set(hash, h);
  return out;
}
