// Checking gossip from peers (BOLT 7) against sluice's ledger. Pure: the ledger record, what we already
// hold and the time are arguments. Each refusal says what the shell does: 'ignore' the message, or also
// 'warn' the peer (BOLT 7 asks for a warning on a bad signature or a malformed message).
//
// Checks run cheapest first. A channel_announcement's signatures are checked before its ledger record
// is needed (checkAnnouncementSignatures, then checkAnnouncementAgainstLedger), so the shell spends a
// ledger request only on an announcement both parties really signed.
import { equalBytes, fromHex, toHex } from '../crypto/bytes.js';
import { isValidPublicKey, verifyMessage } from '../crypto/keys.js';
import type { LedgerChannel } from '../ledger/types.js';
import type { ChannelPolicy, GraphChannel } from '../routing/graph.js';
import { FeatureVector } from '../wire/features.js';
import {
  CHANNEL_FLAG_DIRECTION, MESSAGE_FLAG_DONT_FORWARD,
  channelAnnouncementSignedPart, channelUpdateSignedPart, nodeAnnouncementSignedPart,
  type ChannelAnnouncementMessage, type ChannelUpdateMessage, type NodeAnnouncementMessage,
} from '../wire/gossip.js';
import { decodeAddresses, type NodeAddress } from './address.js';
import { compareKeys, decodeAlias, gossipDigestInput, policyFromUpdate } from './messages.js';

export type GossipRefusalCode =
  | 'wrong_chain'
  | 'bad_key'
  | 'keys_not_ordered'
  | 'bitcoin_keys_not_node_keys'
  | 'unknown_required_feature'
  | 'bad_signature'
  | 'unknown_channel'
  | 'short_id_mismatch'
  | 'channel_not_open'
  | 'wrong_keys'
  | 'stale'
  | 'duplicate'
  | 'too_far_in_future'
  | 'bad_policy'
  | 'unknown_node'
  | 'bad_alias'
  | 'bad_addresses'
  // the shell's own reasons (src/node/gossip.ts)
  | 'not_our_channel'
  | 'too_large'
  | 'refused_before'
  | 'update_rate'
  | 'graph_full'
  | 'ledger_unavailable'
  | 'store_failed';

export interface GossipRefusal {
  readonly ok: false;
  readonly code: GossipRefusalCode;
  readonly action: 'ignore' | 'warn';
  readonly message: string;
}

export const refuse = (code: GossipRefusalCode, action: 'ignore' | 'warn', message: string): GossipRefusal => ({ ok: false, code, action, message });

/** Gossip dated further ahead of our clock than this is refused (BOLT 7: "unreasonably far in the future"). */
export const DEFAULT_MAX_FUTURE_SECONDS = 3600;

/** Even feature bits are "required"; sluice understands none in gossip yet, so any even bit is unknown. */
function hasUnknownRequiredBit(features: Uint8Array): boolean {
  return FeatureVector.fromBytes(features).bits().some((b) => b % 2 === 0);
}

/** A signature over the double SHA-256 of `signedPart`, by `key`. */
function signedBy(sig: Uint8Array, signedPart: Uint8Array, key: Uint8Array): boolean {
  return verifyMessage(sig, gossipDigestInput(signedPart), key);
}

/** The ledger-free checks of a channel_announcement: chain, keys, features and all four signatures. */
export function checkAnnouncementSignatures(m: ChannelAnnouncementMessage, chainHash: Uint8Array): GossipRefusal | undefined {
  if (!equalBytes(m.chainHash, chainHash)) return refuse('wrong_chain', 'ignore', 'channel_announcement for another chain');
  if (!isValidPublicKey(m.nodeId1) || !isValidPublicKey(m.nodeId2)) return refuse('bad_key', 'warn', 'channel_announcement: a node id is not a valid compressed key');
  if (compareKeys(m.nodeId1, m.nodeId2) >= 0) return refuse('keys_not_ordered', 'warn', 'channel_announcement: node_id_1 must be the lesser key');
  // On sluice the funds are locked under the account keys, which are the node keys (gossip/messages.ts).
  if (!equalBytes(m.bitcoinKey1, m.nodeId1) || !equalBytes(m.bitcoinKey2, m.nodeId2)) {
    return refuse('bitcoin_keys_not_node_keys', 'ignore', 'channel_announcement: on sluice the funding keys are the node keys');
  }
  if (hasUnknownRequiredBit(m.features)) return refuse('unknown_required_feature', 'ignore', 'channel_announcement requires a feature we do not know');
  const part = channelAnnouncementSignedPart(m);
  const pairs: [Uint8Array, Uint8Array, Uint8Array][] = [[m.nodeSignature1, m.nodeId1, m.bitcoinSignature1], [m.nodeSignature2, m.nodeId2, m.bitcoinSignature2]];
  for (const [nodeSig, key, bitcoinSig] of pairs) {
    if (!signedBy(nodeSig, part, key)) return refuse('bad_signature', 'warn', 'channel_announcement: a node signature does not verify');
    // the same key over the same digest: identical bytes need no second check
    if (!equalBytes(bitcoinSig, nodeSig) && !signedBy(bitcoinSig, part, key)) return refuse('bad_signature', 'warn', 'channel_announcement: a bitcoin signature does not verify');
  }
  return undefined;
}

/**
 * The ledger's proof: the record the short id names exists, carries that id, is open, and is between
 * exactly the two announced nodes. The capacity is the record's (an announcement states none).
 */
export function checkAnnouncementAgainstLedger(m: ChannelAnnouncementMessage, record: LedgerChannel | undefined): GossipRefusal | { ok: true; channel: GraphChannel } {
  if (!record) return refuse('unknown_channel', 'ignore', `no ledger channel has short id ${m.shortChannelId}`);
  if (record.shortChannelId !== m.shortChannelId) return refuse('short_id_mismatch', 'ignore', 'the ledger record carries another short channel id');
  if (record.status !== 'open') return refuse('channel_not_open', 'ignore', `the ledger channel is ${record.status}`);
  const parties = [toHex(record.a), toHex(record.b)].sort();
  if (parties[0] !== toHex(m.nodeId1) || parties[1] !== toHex(m.nodeId2)) return refuse('wrong_keys', 'ignore', 'the announced nodes are not the ledger channel\'s two parties');
  return { ok: true, channel: { shortChannelId: m.shortChannelId, node1: toHex(m.nodeId1), node2: toHex(m.nodeId2), capacityMsat: record.capacity } };
}

/** Both steps, for a caller that already holds the record. */
export function checkChannelAnnouncement(m: ChannelAnnouncementMessage, opts: { chainHash: Uint8Array; record: LedgerChannel | undefined }): GossipRefusal | { ok: true; channel: GraphChannel } {
  return checkAnnouncementSignatures(m, opts.chainHash) ?? checkAnnouncementAgainstLedger(m, opts.record);
}

export interface AcceptedUpdate {
  readonly ok: true;
  /** the node whose policy this is: node1 for direction 0, node2 for direction 1 */
  readonly from: string;
  readonly direction: 0 | 1;
  readonly policy: ChannelPolicy;
  readonly dontForward: boolean;
}

/**
 * A channel_update for a channel we know. `previous` is the update we hold for the same direction.
 * Newer wins; an equal timestamp is a duplicate (or, with other fields, an equivocation we also ignore).
 */
export function checkChannelUpdate(m: ChannelUpdateMessage, opts: {
  chainHash: Uint8Array;
  channel: GraphChannel | undefined;
  previous?: ChannelUpdateMessage;
  nowSeconds: number;
  maxFutureSeconds?: number;
}): GossipRefusal | AcceptedUpdate {
  if (!equalBytes(m.chainHash, opts.chainHash)) return refuse('wrong_chain', 'ignore', 'channel_update for another chain');
  const ch = opts.channel;
  if (!ch || ch.shortChannelId !== m.shortChannelId) return refuse('unknown_channel', 'ignore', `channel_update for unknown channel ${m.shortChannelId}`);
  const direction = (m.channelFlags & CHANNEL_FLAG_DIRECTION) === 0 ? 0 : 1;
  const from = direction === 0 ? ch.node1 : ch.node2;
  if (opts.previous && m.timestamp <= opts.previous.timestamp) {
    return m.timestamp === opts.previous.timestamp
      ? refuse('duplicate', 'ignore', 'channel_update with the timestamp of the one we hold')
      : refuse('stale', 'ignore', 'channel_update older than the one we hold');
  }
  const maxFuture = opts.maxFutureSeconds ?? DEFAULT_MAX_FUTURE_SECONDS;
  if (m.timestamp > opts.nowSeconds + maxFuture) return refuse('too_far_in_future', 'ignore', `channel_update dated more than ${maxFuture} s ahead`);
  if (!signedBy(m.signature, channelUpdateSignedPart(m), fromHex(from, 'node id', 33))) {
    return refuse('bad_signature', 'warn', 'channel_update signature does not verify for its node');
  }
  if (m.timestamp === 0) return refuse('bad_policy', 'ignore', 'channel_update timestamp 0');
  if (m.htlcMinimumMsat > m.htlcMaximumMsat || m.htlcMaximumMsat > ch.capacityMsat) {
    return refuse('bad_policy', 'ignore', 'channel_update: htlc_maximum is below htlc_minimum or above the capacity');
  }
  return { ok: true, from, direction, policy: policyFromUpdate(m), dontForward: (m.messageFlags & MESSAGE_FLAG_DONT_FORWARD) !== 0 };
}

export interface AcceptedNode {
  readonly ok: true;
  readonly nodeId: string;
  readonly alias: string;
  readonly addresses: NodeAddress[];
}

/** A node_announcement: only for a node with a channel we know (`known`), and newer than the one we hold. */
export function checkNodeAnnouncement(m: NodeAnnouncementMessage, opts: {
  known: boolean;
  previous?: NodeAnnouncementMessage;
  nowSeconds: number;
  maxFutureSeconds?: number;
}): GossipRefusal | AcceptedNode {
  if (!isValidPublicKey(m.nodeId)) return refuse('bad_key', 'warn', 'node_announcement: node_id is not a valid compressed key');
  if (!opts.known) return refuse('unknown_node', 'ignore', 'node_announcement for a node with no channel we know');
  if (opts.previous && m.timestamp <= opts.previous.timestamp) {
    return m.timestamp === opts.previous.timestamp
      ? refuse('duplicate', 'ignore', 'node_announcement with the timestamp of the one we hold')
      : refuse('stale', 'ignore', 'node_announcement older than the one we hold');
  }
  const maxFuture = opts.maxFutureSeconds ?? DEFAULT_MAX_FUTURE_SECONDS;
  if (m.timestamp > opts.nowSeconds + maxFuture) return refuse('too_far_in_future', 'ignore', `node_announcement dated more than ${maxFuture} s ahead`);
  if (!signedBy(m.signature, nodeAnnouncementSignedPart(m), m.nodeId)) return refuse('bad_signature', 'warn', 'node_announcement signature does not verify');
  const alias = decodeAlias(m.alias);
  if (alias === undefined) return refuse('bad_alias', 'warn', 'node_announcement alias is not UTF-8 padded with zeros');
  const addrs = decodeAddresses(m.addresses);
  if (!addrs.ok) return refuse('bad_addresses', 'warn', `node_announcement addresses: ${addrs.reason}`);
  return { ok: true, nodeId: toHex(m.nodeId), alias, addresses: addrs.addresses };
}
