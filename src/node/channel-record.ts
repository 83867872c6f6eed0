// A channel as stored by the node: the reducer's record minus what lives only in memory (the queue of
// unproposed operations and the connection flag). States and ops are kept in their canonical binary
// encodings (hex), so what is stored is byte for byte what was signed.
import { fromHex, toHex } from '../crypto/bytes.js';
import { decodeState, encodeState, type SignedState } from '../channel/state.js';
import type { Channel, ChannelStatus } from '../channel/machine.js';
import { decodeOps, encodeOps } from '../wire/channel.js';
import type { JsonObject } from '../util/json-fields.js';

function signedToJson(s: SignedState): JsonObject {
  return { state: toHex(encodeState(s.state)), sigA: toHex(s.sigA), sigB: toHex(s.sigB) };
}

function signedFromJson(o: Record<string, unknown>): SignedState {
  const st = decodeState(fromHex(String(o['state'])));
  if (!st.ok) throw new Error(`stored state does not decode: ${st.error}`);
  return { state: st.value, sigA: fromHex(String(o['sigA']), 'sigA', 64), sigB: fromHex(String(o['sigB']), 'sigB', 64) };
}

export function channelToRecord(ch: Channel): JsonObject {
  const r: JsonObject = {
    v: 1,
    channelId: toHex(ch.channelId),
    local: ch.local,
    localNodeId: toHex(ch.localNodeId),
    remoteNodeId: toHex(ch.remoteNodeId),
    capacity: ch.capacity.toString(),
    limits: { reserve: ch.limits.reserve.toString(), maxLocks: ch.limits.maxLocks, maxInFlight: ch.limits.maxInFlight.toString() },
    status: ch.status,
    signed: signedToJson(ch.signed),
  };
  if (ch.proposal) {
    const p: JsonObject = { state: toHex(encodeState(ch.proposal.state)), ops: toHex(encodeOps(ch.proposal.ops)), refs: ch.proposal.refs };
    if (ch.proposal.sig) p['sig'] = toHex(ch.proposal.sig);
    r['proposal'] = p;
  }
  if (ch.countersigned) {
    r['countersigned'] = { state: toHex(encodeState(ch.countersigned.state)), ops: toHex(encodeOps(ch.countersigned.ops)), sig: toHex(ch.countersigned.sig) };
  }
  if (ch.latestBy) r['latestBy'] = ch.latestBy;
  if (ch.settleHeight !== undefined) r['settleHeight'] = ch.settleHeight;
  if (ch.closingSeq !== undefined) r['closingSeq'] = ch.closingSeq.toString();
  if (ch.disputedAt !== undefined) r['disputedAt'] = ch.disputedAt;
  if (ch.settleAt !== undefined) r['settleAt'] = ch.settleAt;
  if (ch.payout) r['payout'] = { local: ch.payout.local.toString(), remote: ch.payout.remote.toString() };
  if (ch.failure) r['failure'] = ch.failure;
  if (ch.acceptedHeight !== undefined) r['acceptedHeight'] = ch.acceptedHeight;
  if (ch.private) r['private'] = true;
  return r;
}

export function channelFromRecord(v: unknown): Channel {
  const o = v as Record<string, unknown>;
  if (o['v'] !== 1) throw new Error(`unknown channel record version ${String(o['v'])}`);
  const limits = o['limits'] as Record<string, unknown>;
  const ch: Channel = {
    channelId: fromHex(String(o['channelId']), 'channelId', 32),
    local: o['local'] === 'A' ? 'A' : 'B',
    localNodeId: fromHex(String(o['localNodeId']), 'localNodeId', 33),
    remoteNodeId: fromHex(String(o['remoteNodeId']), 'remoteNodeId', 33),
    capacity: BigInt(String(o['capacity'])),
    limits: { reserve: BigInt(String(limits['reserve'])), maxLocks: Number(limits['maxLocks']), maxInFlight: BigInt(String(limits['maxInFlight'])) },
    status: String(o['status']) as ChannelStatus,
    signed: signedFromJson(o['signed'] as Record<string, unknown>),
    queue: [],
    connected: false,
  };
  const p = o['proposal'] as Record<string, unknown> | undefined;
  if (p) {
    const st = decodeState(fromHex(String(p['state'])));
    const ops = decodeOps(fromHex(String(p['ops'])));
    if (!st.ok || !ops.ok) throw new Error('stored proposal does not decode');
    ch.proposal = { state: st.value, ops: ops.value, refs: (p['refs'] as string[]) ?? [] };
    if (p['sig'] !== undefined) ch.proposal.sig = fromHex(String(p['sig']), 'sig', 64);
  }
  const c = o['countersigned'] as Record<string, unknown> | undefined;
  if (c) {
    const st = decodeState(fromHex(String(c['state'])));
    const ops = decodeOps(fromHex(String(c['ops'])));
    if (!st.ok || !ops.ok) throw new Error('stored countersigned state does not decode');
    ch.countersigned = { state: st.value, ops: ops.value, sig: fromHex(String(c['sig']), 'sig', 64) };
  }
  if (o['latestBy'] === 'A' || o['latestBy'] === 'B') ch.latestBy = o['latestBy'];
  if (o['settleHeight'] !== undefined) ch.settleHeight = Number(o['settleHeight']);
  if (o['closingSeq'] !== undefined) ch.closingSeq = BigInt(String(o['closingSeq']));
  if (typeof o['disputedAt'] === 'number') ch.disputedAt = o['disputedAt'];
  if (typeof o['settleAt'] === 'number') ch.settleAt = o['settleAt'];
  const pay = o['payout'] as Record<string, unknown> | undefined;
  if (pay) ch.payout = { local: BigInt(String(pay['local'])), remote: BigInt(String(pay['remote'])) };
  if (o['failure']) ch.failure = String(o['failure']);
  if (typeof o['acceptedHeight'] === 'number') ch.acceptedHeight = o['acceptedHeight'];
  if (o['private'] === true) ch.private = true;
  return ch;
}
