import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { publicKeyOf } from '../../src/crypto/keys.js';
import { decodeBigSize } from '../../src/wire/bigsize.js';
import {
  INVALID_ONION_HMAC, INVALID_ONION_KEY, INVALID_ONION_PAYLOAD, INVALID_ONION_VERSION,
} from '../../src/onion/failure-codes.js';
import { buildOnion, ONION_PACKET_SIZE, peelOnion, type PeelResult } from '../../src/onion/sphinx.js';

interface OnionVector {
  generate: { session_key: string; associated_data: string; hops: { pubkey: string; payload: string }[] };
  onion: string;
  decode: string[];
}
const vector = JSON.parse(readFileSync(new URL('../vectors/bolt04-onion-test.json', import.meta.url), 'utf8')) as OnionVector;

/** The vector's payloads carry their bigsize length; the builder takes the bare TLV stream. */
function barePayload(hex: string): Uint8Array {
  const framed = fromHex(hex);
  const len = decodeBigSize(framed);
  if (!len.ok) throw new Error('vector payload has no length');
  expect(framed.length).toBe(len.value.length + Number(len.value.value));
  return framed.subarray(len.value.length);
}

const hops = vector.generate.hops.map((h) => ({ publicKey: fromHex(h.pubkey), payload: barePayload(h.payload) }));
const sessionKey = fromHex(vector.generate.session_key);
const associatedData = fromHex(vector.generate.associated_data);
const hopKeys = vector.decode.map((k) => fromHex(k));

function peeled(r: PeelResult) {
  if (!r.ok) throw new Error(`peel failed: ${r.error.message}`);
  return r.value;
}

describe('BOLT 4 onion vector (bolt04-onion-test.json)', () => {
  it('the decode keys are the route hops', () => {
    expect(hopKeys.map((k) => toHex(publicKeyOf(k)))).toEqual(vector.generate.hops.map((h) => h.pubkey));
  });

  it('builds the exact 1366-byte packet', () => {
    const built = buildOnion({ hops, sessionKey, associatedData });
    expect(built.packet.length).toBe(ONION_PACKET_SIZE);
    expect(toHex(built.packet)).toBe(vector.onion);
    expect(built.sharedSecrets).toHaveLength(hops.length);
  });

  it('each hop peels its payload and the secret the payer holds; the last one is final', () => {
    const { sharedSecrets } = buildOnion({ hops, sessionKey, associatedData });
    let packet: Uint8Array = fromHex(vector.onion);
    for (const [i, key] of hopKeys.entries()) {
      const layer = peeled(peelOnion({ packet, nodeSecretKey: key, associatedData }));
      expect(toHex(layer.payload)).toBe(toHex(hops[i]!.payload));
      expect(toHex(layer.sharedSecret)).toBe(toHex(sharedSecrets[i]!));
      if (i < hopKeys.length - 1) {
        expect(layer.next).not.toBe('final');
        packet = layer.next as Uint8Array;
        expect(packet.length).toBe(ONION_PACKET_SIZE);
      } else {
        expect(layer.next).toBe('final');
      }
    }
  });
});

describe('peeling refuses bad bytes with the BOLT 4 code, never throwing', () => {
  const packet = fromHex(vector.onion);
  const first = hopKeys[0]!;
  const peel = (p: Uint8Array, ad = associatedData, key = first) => peelOnion({ packet: p, nodeSecretKey: key, associatedData: ad });

  function expectBadOnion(r: PeelResult, code: number, onion: Uint8Array): void {
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('bad_onion');
    expect(r.error.code).toBe(code);
    if (r.error.kind === 'bad_onion') expect(toHex(r.error.sha256OfOnion)).toBe(toHex(sha256(onion)));
  }

  it('a version other than 0 is invalid_onion_version', () => {
    const p = packet.slice();
    p[0] = 1;
    expectBadOnion(peel(p), INVALID_ONION_VERSION, p);
  });

  it('an ephemeral key off the curve is invalid_onion_key', () => {
    const p = packet.slice();
    p.fill(0, 2, 34); // 0x02 || zeros: no such point
    expectBadOnion(peel(p), INVALID_ONION_KEY, p);
    const q = packet.slice();
    q[1] = 0x05; // not a compressed-key prefix
    expectBadOnion(peel(q), INVALID_ONION_KEY, q);
  });

  it('a flipped payload bit, another payment hash or the wrong node is invalid_onion_hmac', () => {
    const p = packet.slice();
    p[500]! ^= 1;
    expectBadOnion(peel(p), INVALID_ONION_HMAC, p);
    expectBadOnion(peel(packet, sha256(associatedData)), INVALID_ONION_HMAC, packet);
    expectBadOnion(peel(packet, associatedData, hopKeys[1]!), INVALID_ONION_HMAC, packet);
  });

  it('a packet of the wrong size is refused', () => {
    expectBadOnion(peel(packet.subarray(0, 1000)), INVALID_ONION_HMAC, packet.subarray(0, 1000));
  });

  it('an authentic layer with an unusable length is invalid_onion_payload with the shared secret', () => {
    // a payload of 1 byte cannot be a TLV record (the old zero length meant the removed legacy format)
    const built = buildOnion({ hops: [{ publicKey: publicKeyOf(first), payload: Uint8Array.of(0x01) }], sessionKey, associatedData });
    const r = peel(built.packet);
    expect(r).toMatchObject({ ok: false, error: { kind: 'bad_payload', code: INVALID_ONION_PAYLOAD } });
    if (!r.ok && r.error.kind === 'bad_payload') expect(toHex(r.error.sharedSecret)).toBe(toHex(built.sharedSecrets[0]!));
  });

  it('random bytes never throw (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: ONION_PACKET_SIZE, maxLength: ONION_PACKET_SIZE }), fc.boolean(), (bytes, keepHeader) => {
        const p = keepHeader ? Uint8Array.from([...packet.subarray(0, 34), ...bytes.subarray(34)]) : bytes;
        const r = peel(p);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 50 },
    );
  });
});

describe('building refuses routes that cannot fit', () => {
  it('no hops, or payloads over 1300 bytes', () => {
    expect(() => buildOnion({ hops: [], sessionKey, associatedData })).toThrow(/at least one hop/);
    const big = { publicKey: hops[0]!.publicKey, payload: new Uint8Array(700) };
    expect(() => buildOnion({ hops: [big, big], sessionKey, associatedData })).toThrow(/1300/);
  });

  it('any route of up to 20 small hops round-trips (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 31 }), fc.uint8Array({ minLength: 2, maxLength: 30 })), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        (route, session) => {
          const keys = route.map(([k]) => fromHex(k.toString(16).padStart(64, '0')));
          const sk = fromHex(session.toString(16).padStart(64, '0'));
          const built = buildOnion({ hops: route.map(([, payload], i) => ({ publicKey: publicKeyOf(keys[i]!), payload })), sessionKey: sk, associatedData });
          let p: Uint8Array | 'final' = built.packet;
          for (const [i, key] of keys.entries()) {
            expect(p).not.toBe('final');
            const layer = peeled(peelOnion({ packet: p as Uint8Array, nodeSecretKey: key, associatedData }));
            expect(toHex(layer.payload)).toBe(toHex(route[i]![1]));
            p = layer.next;
          }
          expect(p).toBe('final');
        },
      ),
      { numRuns: 15 },
    );
  });
});
