import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import * as codes from '../../src/onion/failure-codes.js';
import { failureCodeName } from '../../src/onion/failure-codes.js';
import {
  createErrorPacket, encodeFailureMessage, unwrapErrorPacket, wrapErrorPacket, type FailureMessage,
} from '../../src/onion/failure.js';
import { buildFailure, readFailure } from '../../src/onion/failure-details.js';
import { keystream, onionKey, routeSecrets, xorInto } from '../../src/onion/primitives.js';

interface ErrorVector {
  generate: {
    session_key: string;
    failure_message: string;
    hops: { pubkey: string; hop_shared_secret: string; ammag_key: string; um_key?: string; payload?: string }[];
  };
  errorpacket: string;
}
const vector = JSON.parse(readFileSync(new URL('../vectors/bolt04-onion-error-test.json', import.meta.url), 'utf8')) as ErrorVector;
const hops = vector.generate.hops;
const secrets = hops.map((h) => fromHex(h.hop_shared_secret));
const failingHop = hops.findIndex((h) => h.um_key !== undefined);
const message = fromHex(vector.generate.failure_message);
const failure: FailureMessage = { code: (message[0]! << 8) | message[1]!, data: message.slice(2) };

describe('BOLT 4 error vector (bolt04-onion-error-test.json)', () => {
  it('the payer derives the same shared secrets from its session key', () => {
    const derived = routeSecrets(fromHex(vector.generate.session_key), hops.map((h) => fromHex(h.pubkey)));
    expect(derived.map((d) => toHex(d.sharedSecret))).toEqual(hops.map((h) => h.hop_shared_secret));
  });

  it('derives the ammag and um keys', () => {
    expect(hops.map((_, i) => toHex(onionKey('ammag', secrets[i]!)))).toEqual(hops.map((h) => h.ammag_key));
    expect(toHex(onionKey('um', secrets[failingHop]!))).toBe(hops[failingHop]!.um_key);
  });

  it('the failing hop builds the padded message the vector shows, and every hop wraps it to the final packet', () => {
    expect(encodeFailureMessage(failure)).toEqual(message);
    let packet = createErrorPacket({ sharedSecret: secrets[failingHop]!, failure });
    expect(packet.length).toBe(292);
    // undo the failing hop's own layer: hmac || the vector's payload
    const plain = packet.slice();
    xorInto(plain, keystream(onionKey('ammag', secrets[failingHop]!), plain.length));
    expect(toHex(plain.subarray(32))).toBe(hops[failingHop]!.payload);
    for (let i = failingHop - 1; i >= 0; i--) packet = wrapErrorPacket({ sharedSecret: secrets[i]!, packet });
    expect(toHex(packet)).toBe(vector.errorpacket);
  });

  it('the payer learns which hop failed and the code', () => {
    const r = unwrapErrorPacket({ sharedSecrets: secrets, packet: fromHex(vector.errorpacket) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.hopIndex).toBe(failingHop);
    expect(r.failure.code).toBe(codes.TEMPORARY_NODE_FAILURE);
    expect(r.codeName).toBe('temporary_node_failure');
    expect(r.failure.data.length).toBe(0);
  });
});

describe('error packets on any route', () => {
  it('attribute the failure to the hop that made it (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ maxLength: 300 }),
        (route, pick, code, data) => {
          const at = pick % route.length;
          let packet = createErrorPacket({ sharedSecret: route[at]!, failure: { code, data } });
          for (let i = at - 1; i >= 0; i--) packet = wrapErrorPacket({ sharedSecret: route[i]!, packet });
          const r = unwrapErrorPacket({ sharedSecrets: route, packet });
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(r.hopIndex).toBe(at);
          expect(r.failure.code).toBe(code);
          expect(toHex(r.failure.data)).toBe(toHex(data));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('pad short messages to the same size, so the size reveals nothing', () => {
    const a = createErrorPacket({ sharedSecret: secrets[0]!, failure: { code: codes.TEMPORARY_NODE_FAILURE, data: new Uint8Array(0) } });
    const b = createErrorPacket({ sharedSecret: secrets[0]!, failure: buildFailure(codes.FEE_INSUFFICIENT, { htlcMsat: 5n, channelUpdate: new Uint8Array(100) }) });
    expect(a.length).toBe(b.length);
  });

  it('garbled by a hop on the way back, the packet is not attributed to anyone', () => {
    let packet = createErrorPacket({ sharedSecret: secrets[3]!, failure });
    packet = wrapErrorPacket({ sharedSecret: secrets[2]!, packet });
    packet[40]! ^= 1;
    for (let i = 1; i >= 0; i--) packet = wrapErrorPacket({ sharedSecret: secrets[i]!, packet });
    const r = unwrapErrorPacket({ sharedSecrets: secrets, packet });
    expect(r).toMatchObject({ ok: false, reason: 'unattributable' });
  });

  it('refuses packets too short or too long without throwing', () => {
    expect(unwrapErrorPacket({ sharedSecrets: secrets, packet: new Uint8Array(10) })).toMatchObject({ ok: false, reason: 'malformed' });
    expect(unwrapErrorPacket({ sharedSecrets: secrets, packet: new Uint8Array(5000) })).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('failure codes and their data', () => {
  it('codes carry the spec flags', () => {
    expect(codes.INVALID_ONION_VERSION).toBe(0xc004);
    expect(codes.INVALID_ONION_HMAC).toBe(0xc005);
    expect(codes.INVALID_ONION_KEY).toBe(0xc006);
    expect(codes.TEMPORARY_CHANNEL_FAILURE).toBe(0x1007);
    expect(codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS).toBe(0x400f);
    expect(codes.INVALID_ONION_PAYLOAD).toBe(0x4016);
    expect(failureCodeName(0x1234)).toBe('unknown_0x1234');
  });

  const rows: [string, number, Parameters<typeof buildFailure>[1]][] = [
    ['invalid_onion_hmac', codes.INVALID_ONION_HMAC, { sha256OfOnion: new Uint8Array(32).fill(7) }],
    ['temporary_channel_failure', codes.TEMPORARY_CHANNEL_FAILURE, { channelUpdate: Uint8Array.of(1, 2, 3) }],
    ['amount_below_minimum', codes.AMOUNT_BELOW_MINIMUM, { htlcMsat: 999n, channelUpdate: new Uint8Array(0) }],
    ['fee_insufficient', codes.FEE_INSUFFICIENT, { htlcMsat: 2n ** 40n, channelUpdate: Uint8Array.of(9) }],
    ['incorrect_cltv_expiry', codes.INCORRECT_CLTV_EXPIRY, { cltvExpiry: 700_000, channelUpdate: new Uint8Array(0) }],
    ['incorrect_or_unknown_payment_details', codes.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, { htlcMsat: 1000n, height: 123 }],
    ['final_incorrect_cltv_expiry', codes.FINAL_INCORRECT_CLTV_EXPIRY, { cltvExpiry: 42 }],
    ['final_incorrect_htlc_amount', codes.FINAL_INCORRECT_HTLC_AMOUNT, { htlcMsat: 42n }],
    ['channel_disabled', codes.CHANNEL_DISABLED, { disabledFlags: 0, channelUpdate: new Uint8Array(0) }],
    ['invalid_onion_payload', codes.INVALID_ONION_PAYLOAD, { tlvType: 70000n, offset: 12 }],
    ['unknown_next_peer', codes.UNKNOWN_NEXT_PEER, {}],
  ];
  it.each(rows)('%s round-trips its data', (name, code, details) => {
    expect(failureCodeName(code)).toBe(name);
    const read = readFailure(buildFailure(code, details));
    expect(read).toEqual({ ok: true, value: details });
  });

  it('a missing field is a caller error; truncated data read from a peer is a typed error', () => {
    expect(() => buildFailure(codes.FEE_INSUFFICIENT, {})).toThrow(/htlcMsat/);
    const r = readFailure({ code: codes.FEE_INSUFFICIENT, data: Uint8Array.of(0, 0, 1) });
    expect(r.ok).toBe(false);
  });
});
