import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../src/crypto/bytes.js';
import { MessageDecryptor, MessageEncryptor } from '../../src/transport/cipher.js';
import { Deframer } from '../../src/transport/deframer.js';
import { MAX_ENCRYPTED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from '../../src/transport/primitives.js';
import { findCase, hex, loadVectors, single, valuesOf } from './bolt08-vectors.js';

const vector = findCase(loadVectors(), 'transport-message test');
const ck = hex(single(valuesOf(vector, 'ck'), 'ck'));
const sk = hex(single(valuesOf(vector, 'sk'), 'sk'));

/** "output 500: 0x..." -> [500, bytes] */
const expectedOutputs = vector.lines
  .filter((l) => !l.comment && /^output \d+$/.test(l.key))
  .map((l) => [Number(l.key.slice('output '.length)), hex(l.value)] as const);

/** The plaintext, read from the vector's "encrypt m: cleartext=0x..." comment. */
const plaintext = hex(/encrypt m: cleartext=(0x[0-9a-f]+)/.exec(vector.lines.map((l) => l.raw).join('\n'))![1]!);

describe('message encryption (BOLT 8 vectors)', () => {
  it('holds outputs 0, 1, 500, 501, 1000, 1001 for "hello"', () => {
    expect(expectedOutputs.map(([n]) => n)).toEqual([0, 1, 500, 501, 1000, 1001]);
    expect(new TextDecoder().decode(plaintext)).toBe('hello');
  });

  it('encrypts every vector message, rotating keys every 1000 nonces', () => {
    const encryptor = new MessageEncryptor(sk, ck);
    const expected = new Map(expectedOutputs.map(([n, bytes]) => [n, toHex(bytes)]));
    const last = Math.max(...expected.keys());
    for (let i = 0; i <= last; i++) {
      const out = encryptor.encrypt(plaintext);
      const want = expected.get(i);
      if (want !== undefined) expect(toHex(out), `message ${i}`).toBe(want);
    }
  });

  it('the receiving side (rk = sender sk) decrypts the same stream in two steps', () => {
    const encryptor = new MessageEncryptor(sk, ck);
    const decryptor = new MessageDecryptor(sk, ck);
    for (let i = 0; i < 1500; i++) {
      const wire = encryptor.encrypt(plaintext);
      const header = decryptor.decryptLength(wire.subarray(0, 18));
      if (!header.ok) throw new Error(`header ${i}`);
      expect(header.length).toBe(plaintext.length);
      const body = decryptor.decryptBody(wire.subarray(18));
      if (!body.ok) throw new Error(`body ${i}`);
      expect(toHex(body.message)).toBe(toHex(plaintext));
    }
  });

  it('encrypts the largest message to the largest frame and refuses one byte more', () => {
    const encryptor = new MessageEncryptor(sk, ck);
    expect(encryptor.encrypt(new Uint8Array(MAX_MESSAGE_LENGTH)).length).toBe(MAX_ENCRYPTED_MESSAGE_LENGTH);
    expect(() => encryptor.encrypt(new Uint8Array(MAX_MESSAGE_LENGTH + 1))).toThrow(/at most 65535/);
  });

  it('a flipped bit in a header or body is a typed error', () => {
    const wire = new MessageEncryptor(sk, ck).encrypt(plaintext);
    const badHeader = wire.slice();
    badHeader[3]! ^= 1;
    expect(new MessageDecryptor(sk, ck).decryptLength(badHeader.subarray(0, 18))).toEqual({
      ok: false,
      error: { kind: 'bad-length-tag' },
    });
    const badBody = wire.slice();
    badBody[20]! ^= 1;
    const decryptor = new MessageDecryptor(sk, ck);
    expect(decryptor.decryptLength(badBody.subarray(0, 18)).ok).toBe(true);
    expect(decryptor.decryptBody(badBody.subarray(18))).toEqual({ ok: false, error: { kind: 'bad-body-tag' } });
  });
});

/** Cut `bytes` at the given (unsorted, possibly repeated) positions. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  return chunks;
}

const messagesArb = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 64 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 5000 }) },
  ),
  { minLength: 0, maxLength: 30 },
);

describe('Deframer', () => {
  it('random split points give the same messages (property)', () => {
    fc.assert(
      fc.property(messagesArb, fc.array(fc.nat(), { maxLength: 60 }), (messages, cuts) => {
        const encryptor = new MessageEncryptor(sk, ck);
        const stream = concatBytes(...messages.map((m) => encryptor.encrypt(m)));
        const deframer = new Deframer(new MessageDecryptor(sk, ck));
        const received: Uint8Array[] = [];
        for (const chunk of split(stream, cuts)) {
          const out = deframer.push(chunk);
          if (!out.ok) throw new Error(`deframer failed: ${out.error.kind}`);
          received.push(...out.messages);
        }
        expect(received.map(toHex)).toEqual(messages.map(toHex));
        expect(deframer.buffered).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('delivers across key rotations when fed one byte at a time', () => {
    const encryptor = new MessageEncryptor(sk, ck);
    const deframer = new Deframer(new MessageDecryptor(sk, ck));
    let received = 0;
    for (let i = 0; i < 1100; i++) {
      const wire = encryptor.encrypt(Uint8Array.of(i >> 8, i & 0xff));
      for (const byte of wire) {
        const out = deframer.push(Uint8Array.of(byte));
        if (!out.ok) throw new Error(out.error.kind);
        for (const m of out.messages) {
          expect((m[0]! << 8) | m[1]!).toBe(received);
          received++;
        }
      }
    }
    expect(received).toBe(1100);
  });

  it('never throws on corrupted or random bytes, and stays failed (property)', () => {
    fc.assert(
      fc.property(
        messagesArb,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 10 }),
        (messages, position, flip, garbage) => {
          const encryptor = new MessageEncryptor(sk, ck);
          const stream = concatBytes(...messages.map((m) => encryptor.encrypt(m)), ...garbage);
          if (stream.length === 0) return;
          const corrupted = stream.slice();
          corrupted[position % corrupted.length]! ^= flip;
          const deframer = new Deframer(new MessageDecryptor(sk, ck));
          const first = deframer.push(corrupted);
          if (!first.ok) {
            expect(['bad-length-tag', 'bad-body-tag']).toContain(first.error.kind);
            expect(deframer.push(Uint8Array.of(0)).ok).toBe(false);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
