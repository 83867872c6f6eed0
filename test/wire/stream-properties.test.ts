// Stream messages and the streamPay op: round-trip properties, and fuzzing of decodeMessage behind
// each stream type (arbitrary payloads, arbitrary reason bytes, valid frames cut, corrupted or
// extended).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { equalBytes } from '../../src/crypto/bytes.js';
import { MAX_MSAT } from '../../src/money.js';
import { CHANNEL_OP_SIZES, decodeOps, encodeOps, type ChannelOp, type UpdateStateMessage } from '../../src/wire/channel.js';
import { decodeMessage, encodeMessage, MAX_MESSAGE_SIZE } from '../../src/wire/message.js';
import {
  MAX_STREAM_REASON_LENGTH,
  STREAM_CODECS,
  type StreamAcceptMessage,
  type StreamControlMessage,
  type StreamMessage,
  type StreamOpenMessage,
  type StreamRejectMessage,
  type StreamTickMessage,
} from '../../src/wire/stream.js';
import { encodeTlvStream, type TlvRecord } from '../../src/wire/tlv.js';

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
const streamId = bytes(16);
const msat = fc.bigInt({ min: 0n, max: MAX_MSAT });
const u32 = fc.bigInt({ min: 0n, max: 0xffff_ffffn }).map(Number);
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Any well-formed string whose UTF-8 fits a reason: up to 125 code points of at most 4 bytes. */
const reason: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 125 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => utf8Length(s) <= MAX_STREAM_REASON_LENGTH),
  fc.string({ unit: 'binary-ascii', minLength: 490, maxLength: 500 }),
);

const streamOpen: fc.Arbitrary<StreamOpenMessage> = fc.record({
  kind: fc.constant('streamOpen' as const),
  channelId: bytes(32),
  streamId,
  mode: fc.constantFrom('signed' as const, 'hashchain' as const),
  rateAmount: msat,
  ratePerMs: u32,
  tickMs: u32,
  max: u64,
  durationMs: u64,
  hashchainLockId: u32,
});
const streamAccept: fc.Arbitrary<StreamAcceptMessage> = fc.record({ kind: fc.constant('streamAccept' as const), streamId });
const streamReject: fc.Arbitrary<StreamRejectMessage> = fc.record({ kind: fc.constant('streamReject' as const), streamId, reason });
const streamTick: fc.Arbitrary<StreamTickMessage> = fc.record({ kind: fc.constant('streamTick' as const), streamId, depth: u32, preimage: bytes(32) });
const streamControl: fc.Arbitrary<StreamControlMessage> = fc.record({
  kind: fc.constant('streamControl' as const),
  streamId,
  action: fc.constantFrom('pause' as const, 'resume' as const, 'stop' as const),
  reason,
});
const message: fc.Arbitrary<StreamMessage> = fc.oneof(streamOpen, streamAccept, streamReject, streamTick, streamControl);

const streamPay: fc.Arbitrary<ChannelOp> = fc.record({ op: fc.constant('streamPay' as const), streamId, amount: msat, ticks: u32 });
const updateState: fc.Arbitrary<UpdateStateMessage> = fc.record({
  kind: fc.constant('updateState' as const),
  channelId: bytes(32),
  seq: u64,
  ops: fc.array(fc.oneof(streamPay, fc.record({ op: fc.constant('pay' as const), amount: msat }), fc.constant<ChannelOp>({ op: 'close' })), { maxLength: 20 }),
  sig: bytes(64),
});

/** A TLV stream of unknown odd records, in order (what a newer peer might append). */
const oddTlvs: fc.Arbitrary<TlvRecord[]> = fc
  .uniqueArray(fc.record({ type: fc.bigInt({ min: 0n, max: 2n ** 62n }).map((t) => t * 2n + 1n), value: fc.uint8Array({ maxLength: 40 }) }), {
    selector: (r) => r.type,
    maxLength: 4,
  })
  .map((records) => [...records].sort((a, b) => (a.type < b.type ? -1 : 1)));

const streamType = fc.constantFrom(...STREAM_CODECS.map((c) => c.type));

const frame = (type: number, payload: Uint8Array): Uint8Array => {
  const out = new Uint8Array(2 + payload.length);
  out[0] = type >> 8;
  out[1] = type & 0xff;
  out.set(payload, 2);
  return out;
};

const STREAM_KINDS: ReadonlySet<string> = new Set(STREAM_CODECS.map((c) => c.kind));

/**
 * The invariant for any decode: no throw, nothing decoded from an oversized frame, and a decoded
 * message re-encodes within the input's length. A stream message re-encodes to exactly the frame
 * minus its TLV tail, so its re-encoding is a prefix of the input: the decoding is canonical
 * (one byte string per mode, action and reason).
 */
function checkDecode(input: Uint8Array): void {
  const r = decodeMessage(input);
  if (!r.ok || r.value.kind === 'unknown') return;
  expect(input.length).toBeLessThanOrEqual(MAX_MESSAGE_SIZE);
  const again = encodeMessage(r.value);
  expect(again.length).toBeLessThanOrEqual(input.length);
  if (STREAM_KINDS.has(r.value.kind)) expect(equalBytes(again, input.subarray(0, again.length))).toBe(true);
}

/** Valid UTF-8, by an oracle other than the decoder's: Buffer replaces bad bytes, so they don't survive a round trip. */
const isUtf8 = (b: Uint8Array): boolean => equalBytes(Buffer.from(Buffer.from(b).toString('utf8'), 'utf8'), b);

describe('stream message round trips', () => {
  it('decode(encode(m)) == m for every stream message', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual({ ok: true, value: m });
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['streamOpen', streamOpen],
    ['streamAccept', streamAccept],
    ['streamReject', streamReject],
    ['streamTick', streamTick],
    ['streamControl', streamControl],
  ] as [string, fc.Arbitrary<StreamMessage>][])('%s round-trips, with or without odd TLVs appended', (_kind, arb) => {
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

  it('a reason is carried as its UTF-8 bytes behind a u16 length', () => {
    fc.assert(
      fc.property(streamReject, (m) => {
        const enc = encodeMessage(m);
        const utf8 = Buffer.from(m.reason, 'utf8');
        expect(enc.length).toBe(2 + 16 + 2 + utf8.length);
        expect((enc[18]! << 8) | enc[19]!).toBe(utf8.length);
        expect(equalBytes(enc.subarray(20), utf8)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a reason over 500 UTF-8 bytes is refused on encode, at or under is not', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 100, maxLength: 400 }), (s) => {
        const m: StreamControlMessage = { kind: 'streamControl', streamId: new Uint8Array(16), action: 'stop', reason: s };
        if (utf8Length(s) > MAX_STREAM_REASON_LENGTH) expect(() => encodeMessage(m)).toThrow(/500-byte limit/);
        else expect(decodeMessage(encodeMessage(m))).toEqual({ ok: true, value: m });
      }),
      { numRuns: 300 },
    );
  });

  it('the streamPay op round-trips alone at 29 bytes, and inside updates', () => {
    fc.assert(
      fc.property(streamPay, (o) => {
        const enc = encodeOps([o]);
        expect(enc.length).toBe(2 + CHANNEL_OP_SIZES.streamPay);
        expect(decodeOps(enc)).toEqual({ ok: true, value: [o] });
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(updateState, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual({ ok: true, value: m });
      }),
      { numRuns: 300 },
    );
  });

  it('an unknown even TLV appended fails any stream message', () => {
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
      fc.property(fc.oneof(message, updateState), fc.nat(), (m, pos) => {
        const b = encodeMessage(m);
        const r = decodeMessage(b.subarray(0, pos % b.length));
        expect(r.ok ? 'ok' : r.error.kind).toBe('truncated');
      }),
      { numRuns: 500 },
    );
  });
});

describe('stream message fuzz', () => {
  it('decodeMessage never throws on arbitrary payloads behind each stream type', () => {
    fc.assert(
      fc.property(streamType, fc.uint8Array({ maxLength: 400 }), (type, payload) => checkDecode(frame(type, payload))),
      { numRuns: 3000 },
    );
  });

  it('… nor on long payloads, up to past the frame limit', () => {
    fc.assert(
      fc.property(streamType, fc.uint8Array({ minLength: 60_000, maxLength: 70_000 }), (type, payload) => checkDecode(frame(type, payload))),
      { numRuns: 40 },
    );
  });

  it('arbitrary reason bytes decode exactly when they are UTF-8 of at most 500 bytes', () => {
    // random bytes are rarely UTF-8; mixing in encoded strings reaches the accepting side too
    const reasonBytes = fc.oneof(
      fc.uint8Array({ maxLength: 520 }),
      fc.string({ unit: 'binary', maxLength: 140 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
      fc.tuple(fc.string({ unit: 'binary', maxLength: 60 }), fc.uint8Array({ minLength: 1, maxLength: 3 })).map(([s, junk]) => new Uint8Array([...Buffer.from(s, 'utf8'), ...junk])),
    );
    fc.assert(
      fc.property(streamId, fc.boolean(), reasonBytes, (sid, isControl, rb) => {
        const payload = isControl
          ? new Uint8Array([...sid, 3, rb.length >> 8, rb.length & 0xff, ...rb])
          : new Uint8Array([...sid, rb.length >> 8, rb.length & 0xff, ...rb]);
        const input = frame(isControl ? 32788 : 32784, payload);
        checkDecode(input);
        const r = decodeMessage(input);
        const valid = rb.length <= MAX_STREAM_REASON_LENGTH && isUtf8(rb);
        expect(r.ok ? 'ok' : r.error.kind).toBe(valid ? 'ok' : 'bad_field');
        if (r.ok && (r.value.kind === 'streamReject' || r.value.kind === 'streamControl')) {
          expect(equalBytes(Buffer.from(r.value.reason, 'utf8'), rb)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on streamOpen and streamControl frames with any mode or action byte', () => {
    fc.assert(
      fc.property(streamOpen, fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 12 }), (m, byte, tail) => {
        const b = encodeMessage(m);
        b[2 + 32 + 16] = byte; // the mode
        checkDecode(new Uint8Array([...b, ...tail]));
        const r = decodeMessage(b);
        expect(r.ok ? 'ok' : r.error.kind).toBe(byte === 1 || byte === 2 ? 'ok' : 'bad_field');
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(streamControl, fc.nat({ max: 255 }), (m, byte) => {
        const b = encodeMessage(m);
        b[2 + 16] = byte; // the action
        checkDecode(b);
        const r = decodeMessage(b);
        expect(r.ok ? 'ok' : r.error.kind).toBe(byte >= 1 && byte <= 3 ? 'ok' : 'bad_field');
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on valid messages that are cut, extended or corrupted', () => {
    fc.assert(
      fc.property(fc.oneof(message, updateState), fc.nat(), fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 20 }), (m, pos, byte, tail) => {
        const b = encodeMessage(m);
        const at = pos % b.length;
        checkDecode(b.subarray(0, at));
        const flipped = b.slice();
        flipped[at] = byte;
        checkDecode(flipped);
        checkDecode(new Uint8Array([...b, ...tail]));
      }),
      { numRuns: 1000 },
    );
  });
});
