// Round-trip properties over every known message, and a fuzz that decodeMessage never throws.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FeatureVector } from '../../src/wire/features.js';
import type { InitMessage } from '../../src/wire/init.js';
import { decodeMessage, encodeMessage, MAX_MESSAGE_SIZE, MESSAGE_CODECS, type Message } from '../../src/wire/message.js';
import type { TlvRecord } from '../../src/wire/tlv.js';

const features = fc.uniqueArray(fc.nat({ max: 600 }), { maxLength: 30 }).map((bits) => FeatureVector.fromBits(bits));

// Unknown init TLVs must be odd and not the known types 1 and 3; decoding returns them sorted.
const unknownTlvs: fc.Arbitrary<TlvRecord[]> = fc
  .uniqueArray(
    fc.record({ type: fc.bigInt({ min: 2n, max: (1n << 63n) - 1n }).map((t) => t * 2n + 1n), value: fc.uint8Array({ maxLength: 40 }) }),
    { selector: (r) => r.type, maxLength: 4 },
  )
  .map((records) => [...records].sort((a, b) => (a.type < b.type ? -1 : 1)));

const initMessage: fc.Arbitrary<InitMessage> = fc.record({
  kind: fc.constant('init' as const),
  globalFeatures: features,
  features,
  tlvs: fc.record(
    { networks: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 4 }), remoteAddr: fc.uint8Array({ maxLength: 30 }) },
    { requiredKeys: [] },
  ),
  unknownTlvs,
});

const channelId = fc.uint8Array({ minLength: 32, maxLength: 32 });
const message: fc.Arbitrary<Message> = fc.oneof(
  initMessage,
  fc.record({ kind: fc.constant('error' as const), channelId, data: fc.uint8Array({ maxLength: 500 }) }),
  fc.record({ kind: fc.constant('warning' as const), channelId, data: fc.uint8Array({ maxLength: 500 }) }),
  fc.record({ kind: fc.constant('ping' as const), numPongBytes: fc.nat({ max: 0xffff }), ignored: fc.uint8Array({ maxLength: 500 }) }),
  fc.record({ kind: fc.constant('pong' as const), ignored: fc.uint8Array({ maxLength: 500 }) }),
);

/** The invariant for any decode: no throw, never a result from an oversized frame, re-encodable. */
function checkDecode(bytes: Uint8Array): void {
  const r = decodeMessage(bytes);
  if (!r.ok) return;
  expect(bytes.length).toBeLessThanOrEqual(MAX_MESSAGE_SIZE);
  if (r.value.kind === 'unknown') return;
  // a decoded known message re-encodes (canonically) within the limit
  expect(encodeMessage(r.value).length).toBeLessThanOrEqual(bytes.length);
}

describe('message round trips', () => {
  it('decode(encode(m)) == m for every known message', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual({ ok: true, value: m });
      }),
      { numRuns: 500 },
    );
  });

  it('encode(decode(bytes)) == bytes for canonical encodings', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeMessage(m);
        const again = decodeMessage(bytes);
        expect(again.ok && again.value.kind !== 'unknown' ? encodeMessage(again.value) : undefined).toEqual(bytes);
      }),
    );
  });
});

describe('decodeMessage fuzz', () => {
  it('never throws on arbitrary bytes up to ~70000', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 70_000 }), checkDecode), { numRuns: 150 });
  });

  it('never throws on arbitrary payloads behind a known type', () => {
    const knownType = fc.constantFrom(...MESSAGE_CODECS.map((c) => c.type));
    fc.assert(
      fc.property(knownType, fc.uint8Array({ maxLength: 300 }), (type, payload) => {
        const bytes = new Uint8Array(2 + payload.length);
        bytes[0] = type >> 8;
        bytes[1] = type & 0xff;
        bytes.set(payload, 2);
        checkDecode(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on valid messages that are cut, extended or corrupted', () => {
    fc.assert(
      fc.property(message, fc.nat(), fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 20 }), (m, pos, byte, tail) => {
        const bytes = encodeMessage(m);
        const at = pos % bytes.length;
        checkDecode(bytes.subarray(0, at));
        const flipped = bytes.slice();
        flipped[at] = byte;
        checkDecode(flipped);
        const extended = new Uint8Array(bytes.length + tail.length);
        extended.set(bytes);
        extended.set(tail, bytes.length);
        checkDecode(extended);
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects any frame over the limit as too_long', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_MESSAGE_SIZE + 1, max: 70_000 }), fc.nat({ max: 0xffff }), (len, type) => {
        const bytes = new Uint8Array(len);
        bytes[0] = type >> 8;
        bytes[1] = type & 0xff;
        const r = decodeMessage(bytes);
        expect(r.ok ? 'ok' : r.error.kind).toBe('too_long');
      }),
      { numRuns: 30 },
    );
  });
});
