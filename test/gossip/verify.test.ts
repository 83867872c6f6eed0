// Checking gossip against the ledger: one row per refusal, and sign -> verify properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { chainHash } from '../../src/channel/state.js';
import type { LedgerChannel } from '../../src/ledger/types.js';
import type { ChannelPolicy, GraphChannel } from '../../src/routing/graph.js';
import { decodeAddresses, encodeAddresses, type NodeAddress } from '../../src/gossip/address.js';
import {
  announcementForRecord, announcementSignaturesFor, assembleAnnouncement, compareKeys, signAnnouncement, signChannelUpdate,
  signNodeAnnouncement, policyFromUpdate,
} from '../../src/gossip/messages.js';
import {
  checkChannelAnnouncement, checkChannelUpdate, checkNodeAnnouncement, type GossipRefusalCode,
} from '../../src/gossip/verify.js';
import type { ChannelAnnouncementMessage, ChannelUpdateMessage, NodeAnnouncementMessage } from '../../src/wire/gossip.js';

const CHAIN = chainHash('sluice-test');
const OTHER_CHAIN = chainHash('sluice-other');
const NOW = 1_800_000_000;
const CAP = 100_000_000n;
const SCID = '0000070000020000';

const key = () => {
  const sk = randomSecretKey();
  return { sk, pk: publicKeyOf(sk) };
};
const [alice, bob, eve] = [key(), key(), key()];

function record(over: Partial<LedgerChannel> = {}): LedgerChannel {
  return { channelId: new Uint8Array(32).fill(9), a: alice.pk, b: bob.pk, capacity: CAP, locked: CAP, status: 'open', openedHeight: 7, reveals: {}, shortChannelId: SCID, ...over };
}

function signedAnnouncement(rec = record(), signers = [alice, bob]): ChannelAnnouncementMessage {
  const u = announcementForRecord(rec, CHAIN)!;
  const bySide = new Map(signers.map((s, i) => [toHex([rec.a, rec.b][i]!), s]));
  const s1 = signAnnouncement(u, bySide.get(toHex(u.nodeId1))!.sk);
  const s2 = signAnnouncement(u, bySide.get(toHex(u.nodeId2))!.sk);
  return assembleAnnouncement(u, { node: s1, bitcoin: s1 }, { node: s2, bitcoin: s2 });
}

const [first, second] = compareKeys(alice.pk, bob.pk) < 0 ? [alice, bob] : [bob, alice];
const channel: GraphChannel = { shortChannelId: SCID, node1: toHex(first.pk), node2: toHex(second.pk), capacityMsat: CAP };
const POLICY: ChannelPolicy = { feeBaseMsat: 1000n, feePpm: 100n, cltvExpiryDelta: 12, htlcMinimumMsat: 1000n, htlcMaximumMsat: CAP, disabled: false };

function update(over: { timestamp?: number; direction?: 0 | 1; policy?: Partial<ChannelPolicy>; chain?: Uint8Array; signer?: typeof alice } = {}): ChannelUpdateMessage {
  const direction = over.direction ?? 0;
  return signChannelUpdate({
    chainHash: over.chain ?? CHAIN, shortChannelId: SCID, timestamp: over.timestamp ?? NOW, direction, policy: { ...POLICY, ...over.policy },
  }, (over.signer ?? (direction === 0 ? first : second)).sk);
}

describe('channel_announcement against the ledger', () => {
  it('accepts one both parties signed for an open record, with the record\'s capacity', () => {
    const r = checkChannelAnnouncement(signedAnnouncement(), { chainHash: CHAIN, record: record() });
    expect(r).toEqual({ ok: true, channel });
  });

  const rows: [string, () => { m: ChannelAnnouncementMessage; rec: LedgerChannel | undefined; chain?: Uint8Array }, GossipRefusalCode][] = [
    ['wrong chain', () => ({ m: signedAnnouncement(), rec: record(), chain: OTHER_CHAIN }), 'wrong_chain'],
    ['unknown channel (no record under that short id)', () => ({ m: signedAnnouncement(), rec: undefined }), 'unknown_channel'],
    ['record under another short id', () => ({ m: signedAnnouncement(), rec: record({ shortChannelId: '0000080000000000' }) }), 'short_id_mismatch'],
    ['closing on the ledger', () => ({ m: signedAnnouncement(), rec: record({ status: 'closing' }) }), 'channel_not_open'],
    ['closed on the ledger', () => ({ m: signedAnnouncement(), rec: record({ status: 'closed' }) }), 'channel_not_open'],
    ['wrong keys: signed by eve and bob for a channel of alice and bob', () => ({ m: signedAnnouncement(record({ a: eve.pk }), [eve, bob]), rec: record() }), 'wrong_keys'],
    ['bad signature: eve signs in alice\'s place', () => {
      const m = signedAnnouncement();
      const u = announcementForRecord(record(), CHAIN)!;
      const forged = signAnnouncement(u, eve.sk);
      return { m: toHex(m.nodeId1) === toHex(alice.pk) ? { ...m, nodeSignature1: forged, bitcoinSignature1: forged } : { ...m, nodeSignature2: forged, bitcoinSignature2: forged }, rec: record() };
    }, 'bad_signature'],
    ['bad signature: a field changed after signing', () => ({ m: { ...signedAnnouncement(), extra: Uint8Array.of(1) }, rec: record() }), 'bad_signature'],
    ['bad bitcoin signature', () => ({ m: { ...signedAnnouncement(), bitcoinSignature2: signAnnouncement(announcementForRecord(record(), CHAIN)!, eve.sk) }, rec: record() }), 'bad_signature'],
    ['node ids not in order', () => {
      const m = signedAnnouncement();
      return { m: { ...m, nodeId1: m.nodeId2, nodeId2: m.nodeId1, bitcoinKey1: m.nodeId2, bitcoinKey2: m.nodeId1 }, rec: record() };
    }, 'keys_not_ordered'],
    ['bitcoin keys that are not the node keys', () => ({ m: { ...signedAnnouncement(), bitcoinKey1: eve.pk }, rec: record() }), 'bitcoin_keys_not_node_keys'],
    ['a node id that is not a point', () => ({ m: { ...signedAnnouncement(), nodeId1: new Uint8Array(33).fill(5) }, rec: record() }), 'bad_key'],
    ['an unknown required (even) feature', () => ({ m: { ...signedAnnouncement(), features: Uint8Array.of(0x01, 0x00) }, rec: record() }), 'unknown_required_feature'],
  ];
  it.each(rows)('refuses: %s', (_name, make, code) => {
    const { m, rec, chain } = make();
    const r = checkChannelAnnouncement(m, { chainHash: chain ?? CHAIN, record: rec });
    expect(r.ok ? 'accepted' : r.code).toBe(code);
  });

  it('announcement_signatures carry the signature the assembled announcement needs', () => {
    const u = announcementForRecord(record(), CHAIN)!;
    const fromAlice = announcementSignaturesFor(record().channelId, u, alice.sk);
    const fromBob = announcementSignaturesFor(record().channelId, u, bob.sk);
    const [s1, s2] = toHex(u.nodeId1) === toHex(alice.pk) ? [fromAlice, fromBob] : [fromBob, fromAlice];
    const m = assembleAnnouncement(u, { node: s1.nodeSignature, bitcoin: s1.bitcoinSignature }, { node: s2.nodeSignature, bitcoin: s2.bitcoinSignature });
    expect(checkChannelAnnouncement(m, { chainHash: CHAIN, record: record() }).ok).toBe(true);
    expect(announcementForRecord(record({ shortChannelId: undefined }), CHAIN)).toBeUndefined();
  });
});

describe('channel_update', () => {
  it('direction 0 is node 1\'s policy, direction 1 node 2\'s; the fields map to the routing policy', () => {
    const r0 = checkChannelUpdate(update(), { chainHash: CHAIN, channel, nowSeconds: NOW });
    expect(r0).toEqual({ ok: true, from: channel.node1, direction: 0, policy: POLICY, dontForward: false });
    const r1 = checkChannelUpdate(update({ direction: 1, policy: { disabled: true } }), { chainHash: CHAIN, channel, nowSeconds: NOW });
    expect(r1.ok && r1.from === channel.node2 && r1.policy.disabled).toBe(true);
  });

  const rows: [string, () => { m: ChannelUpdateMessage; previous?: ChannelUpdateMessage; channel?: GraphChannel | undefined }, GossipRefusalCode][] = [
    ['wrong chain', () => ({ m: update({ chain: OTHER_CHAIN }) }), 'wrong_chain'],
    ['unknown channel', () => ({ m: update(), channel: undefined }), 'unknown_channel'],
    ['bad signature: node 2 signs direction 0', () => ({ m: update({ direction: 0, signer: second }) }), 'bad_signature'],
    ['bad signature: fee changed after signing', () => ({ m: { ...update(), feeBaseMsat: 1 } }), 'bad_signature'],
    ['stale timestamp', () => ({ m: update({ timestamp: NOW - 10 }), previous: update({ timestamp: NOW - 5 }) }), 'stale'],
    ['same timestamp as the one held', () => ({ m: update({ timestamp: NOW - 5, policy: { feePpm: 7n } }), previous: update({ timestamp: NOW - 5 }) }), 'duplicate'],
    ['too far in the future', () => ({ m: update({ timestamp: NOW + 3601 }) }), 'too_far_in_future'],
    ['htlc maximum above the capacity', () => ({ m: update({ policy: { htlcMaximumMsat: CAP + 1n } }) }), 'bad_policy'],
  ];
  it.each(rows)('refuses: %s', (_name, make, code) => {
    const made = make();
    const { m, previous } = made;
    const r = checkChannelUpdate(m, { chainHash: CHAIN, channel: 'channel' in made ? made.channel : channel, nowSeconds: NOW, ...(previous ? { previous } : {}) });
    expect(r.ok ? 'accepted' : r.code).toBe(code);
  });

  it('a newer update than the one held is accepted; one an hour ahead is still within the bound', () => {
    expect(checkChannelUpdate(update({ timestamp: NOW + 3600 }), { chainHash: CHAIN, channel, nowSeconds: NOW, previous: update() }).ok).toBe(true);
  });

  it('sign -> check gives back any policy that fits the fields (property)', () => {
    fc.assert(fc.property(
      fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffff), fc.bigInt({ min: 0n, max: CAP }), fc.bigInt({ min: 0n, max: CAP }), fc.boolean(), fc.constantFrom<0 | 1>(0, 1),
      (base, ppm, delta, x, y, disabled, direction) => {
        const policy: ChannelPolicy = { feeBaseMsat: BigInt(base), feePpm: BigInt(ppm), cltvExpiryDelta: delta, htlcMinimumMsat: x < y ? x : y, htlcMaximumMsat: x < y ? y : x, disabled };
        const m = update({ direction, policy });
        expect(policyFromUpdate(m)).toEqual(policy);
        const r = checkChannelUpdate(m, { chainHash: CHAIN, channel, nowSeconds: NOW });
        expect(r.ok && r.policy).toEqual(policy);
      }), { numRuns: 40 });
  });
});

describe('node_announcement', () => {
  const ADDRS: NodeAddress[] = [{ type: 'ipv4', host: '10.0.0.7', port: 9735 }, { type: 'dns', host: 'node.example', port: 9736 }];
  const ann = (over: { timestamp?: number; alias?: string } = {}) => signNodeAnnouncement({ timestamp: over.timestamp ?? NOW, alias: over.alias ?? 'alice ⚡', addresses: ADDRS }, alice.sk);

  it('gives the alias and the WebSocket addresses of a node with a known channel', () => {
    expect(checkNodeAnnouncement(ann(), { known: true, nowSeconds: NOW })).toEqual({ ok: true, nodeId: toHex(alice.pk), alias: 'alice ⚡', addresses: ADDRS });
  });

  const rows: [string, () => { m: NodeAnnouncementMessage; known?: boolean; previous?: NodeAnnouncementMessage }, GossipRefusalCode][] = [
    ['a node with no channel we know', () => ({ m: ann(), known: false }), 'unknown_node'],
    ['bad signature', () => ({ m: { ...ann(), timestamp: NOW + 1 } }), 'bad_signature'],
    ['stale timestamp', () => ({ m: ann({ timestamp: NOW - 1 }), previous: ann() }), 'stale'],
    ['same timestamp', () => ({ m: ann({ alias: 'other' }), previous: ann() }), 'duplicate'],
    ['too far in the future', () => ({ m: ann({ timestamp: NOW + 7200 }) }), 'too_far_in_future'],
    ['node id not a point', () => ({ m: { ...ann(), nodeId: new Uint8Array(33) } }), 'bad_key'],
  ];
  it.each(rows)('refuses: %s', (_name, make, code) => {
    const { m, known, previous } = make();
    const r = checkNodeAnnouncement(m, { known: known ?? true, nowSeconds: NOW, ...(previous ? { previous } : {}) });
    expect(r.ok ? 'accepted' : r.code).toBe(code);
  });

  it('refuses a signed alias that is not UTF-8 and signed addresses that do not parse', async () => {
    const { signMessage } = await import('../../src/crypto/keys.js');
    const { nodeAnnouncementSignedPart } = await import('../../src/wire/gossip.js');
    const { gossipDigestInput } = await import('../../src/gossip/messages.js');
    const resign = (m: NodeAnnouncementMessage) => ({ ...m, signature: signMessage(alice.sk, gossipDigestInput(nodeAnnouncementSignedPart(m))) });
    const badAlias = resign({ ...ann(), alias: new Uint8Array(32).fill(0xff) });
    expect((checkNodeAnnouncement(badAlias, { known: true, nowSeconds: NOW }) as { code: string }).code).toBe('bad_alias');
    const badAddr = resign({ ...ann(), addresses: Uint8Array.of(1, 10, 0) });
    expect((checkNodeAnnouncement(badAddr, { known: true, nowSeconds: NOW }) as { code: string }).code).toBe('bad_addresses');
  });

  it('addresses: round trip, an unknown type ends the list, refusals', () => {
    const all: NodeAddress[] = [
      { type: 'ipv4', host: '127.0.0.1', port: 1 }, { type: 'ipv6', host: '2001:db8:0:0:0:0:0:1', port: 65535 },
      { type: 'torv3', onion: new Uint8Array(35).fill(3), port: 9735 }, { type: 'dns', host: 'a.b', port: 80 },
    ];
    const b = encodeAddresses(all);
    expect(decodeAddresses(b)).toEqual({ ok: true, addresses: all, skipped: 'none' });
    expect(decodeAddresses(Uint8Array.of(...b, 9, 1, 2, 3))).toEqual({ ok: true, addresses: all, skipped: 'unknown_type' });
    expect(decodeAddresses(Uint8Array.of(5, 1, 0x41, 0, 0)).ok).toBe(false); // port 0
    expect(decodeAddresses(encodeAddresses([{ type: 'dns', host: 'x', port: 1 }, { type: 'ipv4', host: '1.2.3.4', port: 2 }])).ok).toBe(true); // sorted on write
    expect(decodeAddresses(Uint8Array.of(5, 1, 0x41, 0, 1, 1, 1, 2, 3, 4, 0, 1)).ok).toBe(false); // descending
    expect(decodeAddresses(Uint8Array.of(5, 1, 0x41, 0, 1, 5, 1, 0x42, 0, 1)).ok).toBe(false); // two DNS names
    expect(decodeAddresses(Uint8Array.of(5, 2, 0x41, 0x80, 0, 1)).ok).toBe(false); // not ASCII
    expect(() => encodeAddresses([{ type: 'ipv4', host: '1.2.3', port: 1 }])).toThrow();
  });
});
