import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../../src/crypto/bytes.js';
import { encodeTlvStream } from '../../src/wire/tlv.js';
import { encodeTruncated } from '../../src/wire/truncated-int.js';
import { decodeHopPayload, encodeHopPayload, KEYSEND_TLV_TYPE, type HopPayloadFields } from '../../src/onion/payload.js';
import { INVALID_ONION_PAYLOAD } from '../../src/onion/failure-codes.js';

const scid = Uint8Array.of(0, 0, 1, 0, 0, 2, 0, 3);
const forward: HopPayloadFields = { amountToForwardMsat: 15_000n, outgoingCltvValue: 700n, shortChannelId: scid };
const final: HopPayloadFields = {
  amountToForwardMsat: 10_000n,
  outgoingCltvValue: 650n,
  paymentData: { paymentSecret: new Uint8Array(32).fill(0x11), totalMsat: 10_000n },
};

describe('hop payloads', () => {
  it('round-trip for a forwarder and for the payee, keeping odd custom records', () => {
    const custom = [{ type: 65537n, value: Uint8Array.of(1, 2) }];
    const f = decodeHopPayload(encodeHopPayload({ ...forward, customRecords: custom }), false);
    expect(f).toEqual({ ok: true, value: { ...forward, customRecords: custom } });
    const p = decodeHopPayload(encodeHopPayload(final), true);
    expect(p).toEqual({ ok: true, value: { ...final, customRecords: [] } });
  });

  it('carry a keysend preimage to the payee', () => {
    const preimage = new Uint8Array(32).fill(3);
    const p = decodeHopPayload(encodeHopPayload({ amountToForwardMsat: 1n, outgoingCltvValue: 1n, keysendPreimage: preimage }), true);
    expect(p.ok && toHex(p.value.keysendPreimage!)).toBe(toHex(preimage));
  });

  const refusals: [string, Uint8Array, boolean, bigint][] = [
    ['no amount', encodeTlvStream([{ type: 4n, value: encodeTruncated(1n, 4) }, { type: 6n, value: scid }]), false, 2n],
    ['no expiry', encodeTlvStream([{ type: 2n, value: encodeTruncated(1n) }, { type: 6n, value: scid }]), false, 4n],
    ['forwarder without short_channel_id', encodeHopPayload({ amountToForwardMsat: 1n, outgoingCltvValue: 1n }), false, 6n],
    ['payee with a short_channel_id', encodeHopPayload(forward), true, 6n],
    ['forwarder with payment_data', encodeHopPayload({ ...forward, paymentData: final.paymentData! }), false, 8n],
    ['forwarder with a keysend preimage', encodeHopPayload({ ...forward, keysendPreimage: new Uint8Array(32) }), false, KEYSEND_TLV_TYPE],
    ['an unknown even type', encodeTlvStream([{ type: 2n, value: encodeTruncated(1n) }, { type: 4n, value: Uint8Array.of(1) }, { type: 100n, value: new Uint8Array(0) }]), true, 0n],
    ['a non-minimal amount', encodeTlvStream([{ type: 2n, value: Uint8Array.of(0, 1) }, { type: 4n, value: Uint8Array.of(1) }]), true, 0n],
    ['a 7-byte short_channel_id', encodeTlvStream([{ type: 2n, value: Uint8Array.of(1) }, { type: 4n, value: Uint8Array.of(1) }, { type: 6n, value: new Uint8Array(7) }]), false, 0n],
  ];
  it.each(refusals)('refuse %s with invalid_onion_payload', (_name, bytes, isFinal, tlvType) => {
    const r = decodeHopPayload(bytes, isFinal);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(INVALID_ONION_PAYLOAD);
    expect(r.error.tlvType).toBe(tlvType);
  });

  it('report the byte offset of the offending record', () => {
    const bytes = encodeHopPayload(forward);
    const r = decodeHopPayload(bytes, true);
    // type 2 (1+1+2 bytes) and type 4 (1+1+2 bytes) come first
    expect(r.ok ? -1 : r.error.offset).toBe(8);
    expect(bytes[8]).toBe(6);
  });

  it('never throw on random bytes (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (b, isFinal) => {
      decodeHopPayload(b, isFinal);
    }));
  });
});
