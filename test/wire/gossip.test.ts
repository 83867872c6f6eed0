// BOLT 7 gossip codecs: field layout at the spec's offsets, exact round trips (signatures cover the
// bytes, so a relay must re-send what it got), and no throw on any bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import {
  ANNOUNCEMENT_SIGNATURES_TYPE, CHANNEL_ANNOUNCEMENT_TYPE, CHANNEL_UPDATE_TYPE, GOSSIP_CODECS, NODE_ANNOUNCEMENT_TYPE,
  type ChannelAnnouncementMessage, type ChannelUpdateMessage, type GossipMessage, type NodeAnnouncementMessage,
} from '../../src/wire/gossip.js';
import { decodeGossipMessage, encodeGossipMessage } from '../../src/wire/gossip-frame.js';
import { MESSAGE_CODECS, buildCodecTable } from '../../src/wire/message.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const scid = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => v.toString(16).padStart(16, '0'));
const tail = fc.uint8Array({ maxLength: 40 });

const announcement: fc.Arbitrary<ChannelAnnouncementMessage> = fc.record({
  kind: fc.constant('channelAnnouncement' as const),
  nodeSignature1: bytes(64), nodeSignature2: bytes(64), bitcoinSignature1: bytes(64), bitcoinSignature2: bytes(64),
  features: fc.uint8Array({ maxLength: 8 }), chainHash: bytes(32), shortChannelId: scid,
  nodeId1: bytes(33), nodeId2: bytes(33), bitcoinKey1: bytes(33), bitcoinKey2: bytes(33), extra: tail,
});
const nodeAnn: fc.Arbitrary<NodeAnnouncementMessage> = fc.record({
  kind: fc.constant('nodeAnnouncement' as const), signature: bytes(64), features: fc.uint8Array({ maxLength: 8 }),
  timestamp: fc.nat(0xffffffff), nodeId: bytes(33), rgbColor: bytes(3), alias: bytes(32), addresses: fc.uint8Array({ maxLength: 60 }), extra: tail,
});
const update: fc.Arbitrary<ChannelUpdateMessage> = fc.record({
  kind: fc.constant('channelUpdate' as const), signature: bytes(64), chainHash: bytes(32), shortChannelId: scid,
  timestamp: fc.nat(0xffffffff), messageFlags: fc.nat(255), channelFlags: fc.nat(255), cltvExpiryDelta: fc.nat(0xffff),
  htlcMinimumMsat: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), feeBaseMsat: fc.nat(0xffffffff), feeProportionalMillionths: fc.nat(0xffffffff),
  htlcMaximumMsat: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), extra: tail,
});
const sigs = fc.record({
  kind: fc.constant('announcementSignatures' as const), channelId: bytes(32), shortChannelId: scid, nodeSignature: bytes(64), bitcoinSignature: bytes(64),
});
const anyGossip: fc.Arbitrary<GossipMessage> = fc.oneof(announcement, nodeAnn, update, sigs);

describe('gossip codecs', () => {
  it('the four types are BOLT 7\'s and clash with no sluice message', () => {
    expect(GOSSIP_CODECS.map((c) => c.type)).toEqual([CHANNEL_ANNOUNCEMENT_TYPE, NODE_ANNOUNCEMENT_TYPE, CHANNEL_UPDATE_TYPE, ANNOUNCEMENT_SIGNATURES_TYPE]);
    expect([256, 257, 258, 259]).toEqual([CHANNEL_ANNOUNCEMENT_TYPE, NODE_ANNOUNCEMENT_TYPE, CHANNEL_UPDATE_TYPE, ANNOUNCEMENT_SIGNATURES_TYPE]);
    expect(() => buildCodecTable([...MESSAGE_CODECS, ...GOSSIP_CODECS])).not.toThrow();
  });

  it('channel_update fields sit at the spec offsets', () => {
    const m: ChannelUpdateMessage = {
      kind: 'channelUpdate', signature: new Uint8Array(64).fill(0xaa), chainHash: new Uint8Array(32).fill(0xcc), shortChannelId: '0000070000030000',
      timestamp: 0x01020304, messageFlags: 1, channelFlags: 3, cltvExpiryDelta: 12, htlcMinimumMsat: 1000n, feeBaseMsat: 1000,
      feeProportionalMillionths: 10, htlcMaximumMsat: 5_000_000n, extra: new Uint8Array(0),
    };
    const b = encodeGossipMessage(m);
    expect(b.length).toBe(2 + 64 + 32 + 8 + 4 + 1 + 1 + 2 + 8 + 4 + 4 + 8); // 138
    expect(toHex(b.subarray(0, 2))).toBe('0102');
    expect(toHex(b.subarray(98, 106))).toBe('0000070000030000');
    expect(toHex(b.subarray(106, 110))).toBe('01020304');
    expect([b[110], b[111]]).toEqual([1, 3]);
    expect(toHex(b.subarray(112, 114))).toBe('000c');
    expect(toHex(b.subarray(130, 138))).toBe((5_000_000).toString(16).padStart(16, '0'));
  });

  it('channel_announcement: features after the four signatures, keys at the end', () => {
    const m: ChannelAnnouncementMessage = {
      kind: 'channelAnnouncement', nodeSignature1: new Uint8Array(64).fill(1), nodeSignature2: new Uint8Array(64).fill(2),
      bitcoinSignature1: new Uint8Array(64).fill(3), bitcoinSignature2: new Uint8Array(64).fill(4), features: Uint8Array.of(0x02),
      chainHash: new Uint8Array(32).fill(5), shortChannelId: '0000010000000000', nodeId1: new Uint8Array(33).fill(6), nodeId2: new Uint8Array(33).fill(7),
      bitcoinKey1: new Uint8Array(33).fill(8), bitcoinKey2: new Uint8Array(33).fill(9), extra: new Uint8Array(0),
    };
    const b = encodeGossipMessage(m);
    expect(b.length).toBe(2 + 256 + 2 + 1 + 32 + 8 + 4 * 33);
    expect(toHex(b.subarray(258, 261))).toBe('000102');
    expect(b[b.length - 1]).toBe(9);
    expect(b[2 + 256 + 3 + 32 + 8]).toBe(6);
  });

  it('encode(decode(bytes)) gives the bytes back, extra fields included (property)', () => {
    fc.assert(fc.property(anyGossip, (m) => {
      const b = encodeGossipMessage(m);
      const d = decodeGossipMessage(b);
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      expect(d.value).toEqual(m);
      expect(toHex(encodeGossipMessage(d.value))).toBe(toHex(b));
    }), { numRuns: 300 });
  });

  it('any bytes after a gossip type decode or fail with a typed error, never throw (property)', () => {
    fc.assert(fc.property(fc.constantFrom(256, 257, 258, 259), fc.uint8Array({ maxLength: 600 }), (type, payload) => {
      const frame = new Uint8Array(2 + payload.length);
      frame[0] = type >> 8;
      frame[1] = type & 0xff;
      frame.set(payload, 2);
      const d = decodeGossipMessage(frame);
      if (!d.ok) expect(d.error.kind).toBe('truncated');
    }), { numRuns: 500 });
    expect(decodeGossipMessage(Uint8Array.of(1)).ok).toBe(false);
    expect(decodeGossipMessage(Uint8Array.of(0, 18, 0, 0)).ok).toBe(false);
  });

  it('every truncation of a valid message is refused as truncated', () => {
    const m = fc.sample(anyGossip, { numRuns: 8, seed: 7 });
    for (const msg of m) {
      const b = encodeGossipMessage({ ...msg, ...('extra' in msg ? { extra: new Uint8Array(0) } : {}) } as GossipMessage);
      for (let cut = 2; cut < b.length; cut += 7) {
        const d = decodeGossipMessage(b.subarray(0, cut));
        expect(d.ok ? 'decoded' : d.error.kind).toBe('truncated');
      }
    }
  });
});
