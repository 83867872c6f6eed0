// Building and signing sluice's own gossip (BOLT 7). Pure: keys, chain hash and timestamps are arguments.
//
// Every gossip signature is over the double SHA-256 of the message after its signature fields (BOLT 7).
// sluice's signMessage(sk, m) signs sha256(m), so handing it sha256(signedPart) signs exactly that digest.
//
// Bitcoin keys. A Lightning channel_announcement carries two more keys and signatures, proving that the
// nodes own the 2-of-2 funding output. sluice has no funding output: the ledger record names the two
// parties' accounts, and a node's account key IS its node key (src/node/wallet.ts). So the funding keys
// are the node keys: bitcoin_key_i = node_id_i, and bitcoin_signature_i is the same key's signature over
// the same digest (deterministic RFC 6979 signing makes it the same bytes as node_signature_i). A reader
// that knows nothing of sluice still sees four valid signatures; a sluice reader checks the keys against
// the ledger record, which is the proof BOLT 7 gets from the funding script.
import { InputError, toHex, utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { publicKeyOf, signMessage, type SecretKey } from '../crypto/keys.js';
import type { LedgerChannel } from '../ledger/types.js';
import type { ChannelPolicy } from '../routing/graph.js';
import {
  ALIAS_LENGTH, CHANNEL_FLAG_DIRECTION, CHANNEL_FLAG_DISABLE, MESSAGE_FLAG_DONT_FORWARD, MESSAGE_FLAG_MUST_BE_ONE,
  channelAnnouncementSignedPart, channelUpdateSignedPart, nodeAnnouncementSignedPart,
  type AnnouncementSignaturesMessage, type ChannelAnnouncementMessage, type ChannelUpdateMessage, type NodeAnnouncementMessage,
} from '../wire/gossip.js';
import { encodeAddresses, type NodeAddress } from './address.js';

export type UnsignedChannelAnnouncement = Omit<ChannelAnnouncementMessage, 'kind' | 'nodeSignature1' | 'nodeSignature2' | 'bitcoinSignature1' | 'bitcoinSignature2'>;

/** The digest every gossip signature signs (before signMessage's own hash): sha256 of the signed part. */
export function gossipDigestInput(signedPart: Uint8Array): Uint8Array {
  return sha256(signedPart);
}

/** Lexicographic order of compressed keys: node_id_1 is the lesser (BOLT 7). */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const x = toHex(a);
  const y = toHex(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The channel_announcement both parties sign for a ledger channel, built only from the record (so both
 * build the same bytes); undefined while the record has no short channel id.
 */
export function announcementForRecord(record: LedgerChannel, chainHash: Uint8Array): UnsignedChannelAnnouncement | undefined {
  if (record.shortChannelId === undefined) return undefined;
  const [nodeId1, nodeId2] = compareKeys(record.a, record.b) < 0 ? [record.a, record.b] : [record.b, record.a];
  return {
    features: new Uint8Array(0), chainHash, shortChannelId: record.shortChannelId,
    nodeId1, nodeId2, bitcoinKey1: nodeId1, bitcoinKey2: nodeId2, extra: new Uint8Array(0),
  };
}

/** One party's signature on the announcement (it serves as both its node and its bitcoin signature). */
export function signAnnouncement(u: UnsignedChannelAnnouncement, sk: SecretKey): Uint8Array {
  return signMessage(sk, gossipDigestInput(channelAnnouncementSignedPart(u)));
}

/** What we send our channel peer so it can complete the announcement (BOLT 7 type 259). */
export function announcementSignaturesFor(channelId: Uint8Array, u: UnsignedChannelAnnouncement, sk: SecretKey): AnnouncementSignaturesMessage {
  const sig = signAnnouncement(u, sk);
  return { kind: 'announcementSignatures', channelId, shortChannelId: u.shortChannelId, nodeSignature: sig, bitcoinSignature: sig };
}

/** The full announcement from both parties' signatures, given as (node 1's, node 2's). */
export function assembleAnnouncement(
  u: UnsignedChannelAnnouncement,
  sig1: { node: Uint8Array; bitcoin: Uint8Array },
  sig2: { node: Uint8Array; bitcoin: Uint8Array },
): ChannelAnnouncementMessage {
  return { kind: 'channelAnnouncement', nodeSignature1: sig1.node, nodeSignature2: sig2.node, bitcoinSignature1: sig1.bitcoin, bitcoinSignature2: sig2.bitcoin, ...u };
}

export interface ChannelUpdateFields {
  chainHash: Uint8Array;
  shortChannelId: string;
  /** seconds since 1970; must grow with every update of this direction */
  timestamp: number;
  /** 0 when the signer is node_id_1 (the lesser key), 1 when it is node_id_2 */
  direction: 0 | 1;
  policy: ChannelPolicy;
  /** a private channel's update, for the channel peer only */
  dontForward?: boolean;
}

/** Why a policy cannot be written in a channel_update, or undefined when it can. */
export function policyProblem(p: ChannelPolicy, capacityMsat?: bigint): string | undefined {
  if (p.feeBaseMsat < 0n || p.feeBaseMsat > 0xffffffffn) return 'the base fee must fit a u32 (msat)';
  if (p.feePpm < 0n || p.feePpm > 0xffffffffn) return 'the proportional fee must fit a u32 (ppm)';
  if (!Number.isInteger(p.cltvExpiryDelta) || p.cltvExpiryDelta < 0 || p.cltvExpiryDelta > 0xffff) return 'the expiry delta must fit a u16';
  if (p.htlcMaximumMsat > 0xffffffffffffffffn) return 'htlc_maximum must fit a u64';
  const max = capacityMsat !== undefined && capacityMsat < p.htlcMaximumMsat ? capacityMsat : p.htlcMaximumMsat;
  if (p.htlcMinimumMsat < 0n || p.htlcMinimumMsat > max) return 'need 0 <= htlc_minimum <= htlc_maximum (and the capacity)';
  return undefined;
}

/** Our channel_update for one direction. Throws InputError when a policy field does not fit BOLT 7's width. */
export function signChannelUpdate(f: ChannelUpdateFields, sk: SecretKey): ChannelUpdateMessage {
  const p = f.policy;
  const bad = policyProblem(p);
  if (bad) throw new InputError(`channel_update: ${bad}`);
  if (!Number.isInteger(f.timestamp) || f.timestamp < 1 || f.timestamp > 0xffffffff) throw new InputError('channel_update: the timestamp must be 1..2^32-1 seconds');
  const fields: Omit<ChannelUpdateMessage, 'kind' | 'signature'> = {
    chainHash: f.chainHash,
    shortChannelId: f.shortChannelId,
    timestamp: f.timestamp,
    messageFlags: MESSAGE_FLAG_MUST_BE_ONE | (f.dontForward ? MESSAGE_FLAG_DONT_FORWARD : 0),
    channelFlags: (f.direction === 1 ? CHANNEL_FLAG_DIRECTION : 0) | (p.disabled ? CHANNEL_FLAG_DISABLE : 0),
    cltvExpiryDelta: p.cltvExpiryDelta,
    htlcMinimumMsat: p.htlcMinimumMsat,
    feeBaseMsat: Number(p.feeBaseMsat),
    feeProportionalMillionths: Number(p.feePpm),
    htlcMaximumMsat: p.htlcMaximumMsat,
    extra: new Uint8Array(0),
  };
  return { kind: 'channelUpdate', signature: signMessage(sk, gossipDigestInput(channelUpdateSignedPart(fields))), ...fields };
}

/** The routing policy a channel_update states (src/routing's type). */
export function policyFromUpdate(m: ChannelUpdateMessage): ChannelPolicy {
  return {
    feeBaseMsat: BigInt(m.feeBaseMsat),
    feePpm: BigInt(m.feeProportionalMillionths),
    cltvExpiryDelta: m.cltvExpiryDelta,
    htlcMinimumMsat: m.htlcMinimumMsat,
    htlcMaximumMsat: m.htlcMaximumMsat,
    disabled: (m.channelFlags & CHANNEL_FLAG_DISABLE) !== 0,
  };
}

export interface NodeAnnouncementFields {
  timestamp: number;
  /** at most 32 bytes of UTF-8 */
  alias: string;
  addresses: readonly NodeAddress[];
  /** feature bytes as BOLT 9 writes them (shortest big-endian); none by default */
  features?: Uint8Array;
  rgbColor?: Uint8Array;
}

export function encodeAlias(alias: string): Uint8Array {
  const bytes = utf8(alias);
  if (bytes.length > ALIAS_LENGTH) throw new InputError(`alias: ${bytes.length} bytes of UTF-8 is over ${ALIAS_LENGTH}`);
  const out = new Uint8Array(ALIAS_LENGTH);
  out.set(bytes);
  return out;
}

/** The alias as text, or undefined when it is not valid UTF-8 followed only by zero bytes (BOLT 7). */
export function decodeAlias(alias: Uint8Array): string | undefined {
  let end = alias.length;
  while (end > 0 && alias[end - 1] === 0) end--;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(alias.subarray(0, end));
    return text.includes('\u0000') ? undefined : text;
  } catch {
    return undefined;
  }
}

export function signNodeAnnouncement(f: NodeAnnouncementFields, sk: SecretKey): NodeAnnouncementMessage {
  if (!Number.isInteger(f.timestamp) || f.timestamp < 1 || f.timestamp > 0xffffffff) throw new InputError('node_announcement: the timestamp must be 1..2^32-1 seconds');
  const fields: Omit<NodeAnnouncementMessage, 'kind' | 'signature'> = {
    features: f.features ?? new Uint8Array(0),
    timestamp: f.timestamp,
    nodeId: publicKeyOf(sk),
    rgbColor: f.rgbColor ?? new Uint8Array(3),
    alias: encodeAlias(f.alias),
    addresses: encodeAddresses(f.addresses),
    extra: new Uint8Array(0),
  };
  return { kind: 'nodeAnnouncement', signature: signMessage(sk, gossipDigestInput(nodeAnnouncementSignedPart(fields))), ...fields };
}
