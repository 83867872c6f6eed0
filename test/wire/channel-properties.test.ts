// Channel messages: round-trip properties for every message and op, and fuzzing of decodeMessage
// behind each channel type (arbitrary payloads, and valid frames cut, corrupted or extended).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { equalBytes } from '../../src/crypto/bytes.js';
import { MAX_MSAT } from '../../src/money.js';
import {
  CHANNEL_CODECS,
  CHANNEL_OP_SIZES,
  decodeOps,
  encodedOpSize,
  encodeOps,
  MAX_OP_SIZE,
  MAX_OPS_PER_UPDATE,
  measureOps,
  opsFitUpdate,
  type AcceptChannelMessage,
  type AckStateMessage,
  type ChannelMessage,
  type ChannelOp,
  type OpenChannelMessage,
  type ReestablishMessage,
  type UpdateStateMessage,
} from '../../src/wire/channel.js';
import { decodeMessage, encodeMessage, MAX_MESSAGE_SIZE } from '../../src/wire/message.js';
import { encodeTlvStream, type TlvRecord } from '../../src/wire/tlv.js';

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
const hash32 = bytes(32);
const sig64 = bytes(64);
const msat = fc.bigInt({ min: 0n, max: MAX_MSAT });
const u32 = fc.bigInt({ min: 0n, max: 0xffff_ffffn }).map(Number);
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

const op: fc.Arbitrary<ChannelOp> = fc.oneof(
  fc.record({ op: fc.constant('pay' as const), amount: msat }),
  fc.record({ op: fc.constant('addHtlc' as const), id: u32, amount: msat, paymentHash: hash32, expiryHeight: u32, onion: bytes(1366) }),
  fc.record({ op: fc.constant('fulfillHtlc' as const), id: u32, preimage: hash32 }),
  fc.record({ op: fc.constant('failHtlc' as const), id: u32, reason: fc.uint8Array({ minLength: 36, maxLength: 1316 }) }),
  fc.record({ op: fc.constant('failMalformedHtlc' as const), id: u32, sha256OfOnion: hash32, failureCode: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ op: fc.constant('addHashchain' as const), id: u32, root: hash32, unit: msat, maxUnits: u32 }),
  fc.record({ op: fc.constant('addHashchain' as const), id: u32, root: hash32, unit: msat, maxUnits: u32, expiryHeight: u32 }),
  fc.record({ op: fc.constant('claimHashchain' as const), id: u32, depth: u32, preimage: hash32 }),
  fc.record({ op: fc.constant('releaseHashchain' as const), id: u32 }),
  fc.record({ op: fc.constant('close' as const) }),
);
const ops = fc.array(op, { maxLength: 40 }); // 40 of the largest op (1415 bytes) still fit one update

const openChannel: fc.Arbitrary<OpenChannelMessage> = fc.record({
  kind: fc.constant('openChannel' as const),
  channelId: hash32,
  chainHash: hash32,
  capacity: msat,
  push: msat,
  reserve: msat,
  sigA: sig64,
});
const acceptChannel: fc.Arbitrary<AcceptChannelMessage> = fc.record({ kind: fc.constant('acceptChannel' as const), channelId: hash32, sigB: sig64 });
const updateState: fc.Arbitrary<UpdateStateMessage> = fc.record({ kind: fc.constant('updateState' as const), channelId: hash32, seq: u64, ops, sig: sig64 });
const ackState: fc.Arbitrary<AckStateMessage> = fc.record({ kind: fc.constant('ackState' as const), channelId: hash32, seq: u64, sig: sig64 });
const reestablish: fc.Arbitrary<ReestablishMessage> = fc.record({ kind: fc.constant('reestablish' as const), channelId: hash32, signedSeq: u64 });
const message: fc.Arbitrary<ChannelMessage> = fc.oneof(openChannel, acceptChannel, updateState, ackState, reestablish);

/** A TLV stream of unknown odd records, in order (what a newer peer might append). */
const oddTlvs: fc.Arbitrary<TlvRecord[]> = fc
  .uniqueArray(fc.record({ type: fc.bigInt({ min: 0n, max: 2n ** 62n }).map((t) => t * 2n + 1n), value: fc.uint8Array({ maxLength: 40 }) }), {
    selector: (r) => r.type,
    maxLength: 4,
  })
  .map((records) => [...records].sort((a, b) => (a.type < b.type ? -1 : 1)));

const channelType = fc.constantFrom(...CHANNEL_CODECS.map((c) => c.type));

const frame = (type: number, payload: Uint8Array): Uint8Array => {
  const out = new Uint8Array(2 + payload.length);
  out[0] = type >> 8;
  out[1] = type & 0xff;
  out.set(payload, 2);
  return out;
};

const CHANNEL_KINDS: ReadonlySet<string> = new Set(CHANNEL_CODECS.map((c) => c.kind));

/**
 * The invariant for any decode: no throw, nothing decoded from an oversized frame, and a decoded
 * message re-encodes within the input's length. A channel message re-encodes to exactly the frame
 * minus its TLV tail (which is dropped), so its re-encoding is a prefix of the input. (A corrupted
 * type byte can land on another family, e.g. init, whose re-encoding is canonical but not a prefix.)
 */
function checkDecode(input: Uint8Array): void {
  const r = decodeMessage(input);
  if (!r.ok || r.value.kind === 'unknown') return;
  expect(input.length).toBeLessThanOrEqual(MAX_MESSAGE_SIZE);
  const again = encodeMessage(r.value);
  expect(again.length).toBeLessThanOrEqual(input.length);
  if (CHANNEL_KINDS.has(r.value.kind)) expect(equalBytes(again, input.subarray(0, again.length))).toBe(true);
}

describe('channel message round trips', () => {
  it('decode(encode(m)) == m for every channel message', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual({ ok: true, value: m });
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['openChannel', openChannel],
    ['acceptChannel', acceptChannel],
    ['updateState', updateState],
    ['ackState', ackState],
    ['reestablish', reestablish],
  ] as [string, fc.Arbitrary<ChannelMessage>][])('%s round-trips, with or without odd TLVs appended', (_kind, arb) => {
    fc.assert(
      fc.property(arb, oddTlvs, (m, tlvs) => {
        const plain = encodeMessage(m);
        expect(decodeMessage(plain)).toEqual({ ok: true, value: m });
        const extended = new Uint8Array([...plain, ...encodeTlvStream(tlvs)]);
        expect(decodeMessage(extended)).toEqual({ ok: true, value: m });
      }),
      { numRuns: 200 },
    );
  });

  it('every op round-trips alone, at its measured size', () => {
    fc.assert(
      fc.property(op, (o) => {
        const enc = encodeOps([o]);
        expect(enc.length).toBe(2 + encodedOpSize(o));
        expect(enc.length).toBeLessThanOrEqual(2 + CHANNEL_OP_SIZES[o.op]);
        expect(enc.length).toBeLessThanOrEqual(2 + MAX_OP_SIZE);
        expect(decodeOps(enc)).toEqual({ ok: true, value: [o] });
      }),
      { numRuns: 1000 },
    );
  });

  it('opsFitUpdate says yes exactly when the update encodes, and then the frame fits 65535 bytes', () => {
    const heavy = fc.oneof(
      { weight: 3, arbitrary: fc.record({ op: fc.constant('addHtlc' as const), id: u32, amount: msat, paymentHash: hash32, expiryHeight: u32, onion: bytes(1366) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('failHtlc' as const), id: u32, reason: fc.uint8Array({ minLength: 36, maxLength: 1316 }) }) },
      { weight: 1, arbitrary: op },
    );
    fc.assert(
      fc.property(fc.array(heavy, { minLength: 30, maxLength: 70 }), sig64, (someOps, sig) => {
        const m: UpdateStateMessage = { kind: 'updateState', channelId: new Uint8Array(32), seq: 1n, ops: someOps, sig };
        const measured = measureOps(someOps);
        expect(measured.ok).toBe(true);
        const fits = measured.ok && opsFitUpdate(measured.size) === null;
        if (fits) {
          const bytes = encodeMessage(m);
          expect(bytes.length).toBeLessThanOrEqual(MAX_MESSAGE_SIZE);
          expect(bytes.length).toBe(108 + (measured.ok ? measured.size.bytes : 0));
          expect(decodeMessage(bytes)).toEqual({ ok: true, value: m });
        } else {
          expect(() => encodeMessage(m)).toThrow(/one update may carry/);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('encodeOps is exactly the ops section of an updateState frame', () => {
    fc.assert(
      fc.property(updateState, (m) => {
        const section = encodeOps(m.ops);
        const bytes = encodeMessage(m);
        expect(equalBytes(bytes.subarray(2 + 32 + 8, 2 + 32 + 8 + section.length), section)).toBe(true);
        expect(bytes.length).toBe(2 + 32 + 8 + section.length + 64);
        expect(decodeOps(section)).toEqual({ ok: true, value: m.ops });
      }),
    );
  });

  it('an unknown even TLV appended fails any channel message', () => {
    fc.assert(
      fc.property(message, fc.bigInt({ min: 0n, max: 2n ** 62n }), fc.uint8Array({ maxLength: 10 }), (m, half, value) => {
        const tail = encodeTlvStream([{ type: half * 2n, value }]);
        const r = decodeMessage(new Uint8Array([...encodeMessage(m), ...tail]));
        expect(r.ok ? 'ok' : r.error.kind).toBe('tlv_unknown_even');
      }),
      { numRuns: 200 },
    );
  });

  it('any cut of a valid message is truncated', () => {
    fc.assert(
      fc.property(message, fc.nat(), (m, pos) => {
        const bytes = encodeMessage(m);
        const r = decodeMessage(bytes.subarray(0, pos % bytes.length));
        expect(r.ok ? 'ok' : r.error.kind).toBe('truncated');
      }),
      { numRuns: 500 },
    );
  });
});

describe('channel message fuzz', () => {
  it('decodeMessage never throws on arbitrary payloads behind each channel type', () => {
    fc.assert(
      fc.property(channelType, fc.uint8Array({ maxLength: 400 }), (type, payload) => checkDecode(frame(type, payload))),
      { numRuns: 3000 },
    );
  });

  it('… nor on long payloads, up to past the frame limit', () => {
    fc.assert(
      fc.property(channelType, fc.uint8Array({ minLength: 60_000, maxLength: 70_000 }), (type, payload) => checkDecode(frame(type, payload))),
      { numRuns: 40 },
    );
  });

  it('… nor on op sections made of plausible tags', () => {
    // random bytes rarely start a valid op; this builds updates whose op bytes begin with a real tag
    const opish = fc.tuple(fc.integer({ min: 0, max: 11 }), fc.oneof(fc.uint8Array({ maxLength: 60 }), fc.uint8Array({ minLength: 1300, maxLength: 1450 }))).map(([tag, rest]) => [tag, ...rest]);
    fc.assert(
      fc.property(hash32, fc.nat({ max: MAX_OPS_PER_UPDATE + 2 }), fc.array(opish, { maxLength: 8 }), fc.uint8Array({ maxLength: 80 }), (cid, count, chunks, tail) => {
        const payload = new Uint8Array([...cid, ...new Uint8Array(8), count >> 8, count & 0xff, ...chunks.flat(), ...tail]);
        checkDecode(frame(32772, payload));
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
        checkDecode(new Uint8Array([...bytes, ...tail]));
      }),
      { numRuns: 1000 },
    );
  });
});
