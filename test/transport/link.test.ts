import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { NoiseLink } from '../../src/transport/link.js';

const initiatorKey = randomSecretKey();
const responderKey = randomSecretKey();

function pair(expectedResponder = publicKeyOf(responderKey)) {
  const { link: initiator, actOne } = NoiseLink.initiator({
    localSecretKey: initiatorKey,
    remoteStaticKey: expectedResponder,
    ephemeralSecretKey: randomSecretKey(),
  });
  const responder = NoiseLink.responder({ localSecretKey: responderKey, ephemeralSecretKey: randomSecretKey() });
  return { initiator, responder, actOne };
}

function chunks(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    if (offset >= bytes.length) break;
    out.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  if (offset < bytes.length) out.push(bytes.subarray(offset));
  return out;
}

describe('NoiseLink', () => {
  it('completes the handshake and authenticates both node ids', () => {
    const { initiator, responder, actOne } = pair();
    const r1 = responder.receive(actOne);
    if (!r1.ok) throw new Error(r1.error.kind);
    expect(r1.outbound.length).toBe(1);
    const i1 = initiator.receive(r1.outbound[0]!);
    if (!i1.ok) throw new Error(i1.error.kind);
    expect(i1.established).toBe(true);
    const r2 = responder.receive(i1.outbound[0]!);
    if (!r2.ok) throw new Error(r2.error.kind);
    expect(r2.established).toBe(true);
    expect(toHex(responder.remoteNodeId!)).toBe(toHex(publicKeyOf(initiatorKey)));
    expect(toHex(initiator.remoteNodeId!)).toBe(toHex(publicKeyOf(responderKey)));
  });

  it('Act Three and the first messages may arrive split or merged arbitrarily (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 90 }), { maxLength: 40 }),
        (messages, sizes) => {
          const { initiator, responder, actOne } = pair();
          const r1 = responder.receive(actOne);
          if (!r1.ok) throw new Error(r1.error.kind);
          const i1 = initiator.receive(concatBytes(...r1.outbound));
          if (!i1.ok) throw new Error(i1.error.kind);
          // The initiator may send right after Act Three, before the responder has read it.
          const stream = concatBytes(...i1.outbound, ...messages.map((m) => initiator.encrypt(m)));
          const received: Uint8Array[] = [];
          for (const chunk of chunks(stream, sizes)) {
            const out = responder.receive(chunk);
            if (!out.ok) throw new Error(out.error.kind);
            received.push(...out.messages);
          }
          expect(responder.established).toBe(true);
          expect(received.map(toHex)).toEqual(messages.map(toHex));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('a wrong expected responder key fails Act One at the responder with bad-tag', () => {
    const { responder, actOne } = pair(publicKeyOf(randomSecretKey()));
    const out = responder.receive(actOne);
    expect(out).toEqual({ ok: false, error: { kind: 'bad-tag', act: 1 } });
    expect(responder.receive(new Uint8Array(10)).ok).toBe(false);
  });

  it('refuses to encrypt before the handshake', () => {
    const { initiator } = pair();
    expect(() => initiator.encrypt(new Uint8Array(2))).toThrow(/stage/);
  });

  it('random bytes in any phase never throw (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 6 }), (garbage) => {
        const { initiator, responder } = pair();
        for (const bytes of garbage) {
          responder.receive(bytes);
          initiator.receive(bytes);
        }
      }),
      { numRuns: 30 },
    );
  });
});
