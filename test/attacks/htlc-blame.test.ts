// Attack on the payer's reading of failures: a forwarder answers with an error that claims to be the
// payee's final refusal (PERM|15, incorrect_or_unknown_payment_details) to end the payment, or that
// blames a hop after it. It holds only its own shared secret with the payer, so the payer attributes
// the error to it (or to nobody), avoids it, and keeps paying.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { buildFailure } from '../../src/onion/failure-details.js';
import { createErrorPacket, wrapErrorPacket } from '../../src/onion/failure.js';
import { INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS } from '../../src/onion/failure-codes.js';
import { buildOnion } from '../../src/onion/sphinx.js';
import { interpretFailure } from '../../src/payments/interpret.js';
import type { Attempt } from '../../src/payments/types.js';

const nodes = [0, 1, 2].map(() => publicKeyOf(randomSecretKey()));
const ids = nodes.map((k) => toHex(k));
const payer = toHex(publicKeyOf(randomSecretKey()));

function attempt(): { a: Attempt; secrets: Uint8Array[] } {
  const sessionKey = randomBytes(32);
  const built = buildOnion({ hops: nodes.map((publicKey) => ({ publicKey, payload: new Uint8Array(40) })), sessionKey, associatedData: randomBytes(32) });
  const from = [payer, ...ids];
  const hops = ids.map((to, i) => ({ shortChannelId: `000000000000000${i}`, from: from[i]!, to, capacityMsat: 10n ** 9n, amountMsat: 1000n, cltvExpiry: 100 }));
  const a: Attempt = { attemptId: 'x', route: { hops, amountMsat: 1000n, feeMsat: 0n, cltvExpiry: 100 } as Attempt['route'], sessionKey, sharedSecrets: built.sharedSecrets, status: 'inflight', startedMs: 0 };
  return { a, secrets: built.sharedSecrets };
}

const payeeRefusal = buildFailure(INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, { htlcMsat: 1000n, height: 1 });

describe('attack: a forwarder forges the payee\'s final refusal', () => {
  it('made under its own secret: attributed to the forwarder, not final; the forwarder is avoided', () => {
    const { a, secrets } = attempt();
    const forged = wrapErrorPacket({ sharedSecret: secrets[0]!, packet: createErrorPacket({ sharedSecret: secrets[1]!, failure: payeeRefusal }) });
    const lesson = interpretFailure(a, { kind: 'failed', reason: forged });
    expect(lesson.failure).toMatchObject({ failingHop: 1, failingNode: ids[1], final: false });
    expect(lesson.excludeEdges).toEqual([`0000000000000002/${ids[1]}`]);
  });

  it('made under a guessed secret for the payee: nobody authenticated it, every forwarder is avoided, not final', () => {
    const { a, secrets } = attempt();
    const guessed = wrapErrorPacket({ sharedSecret: secrets[0]!, packet: wrapErrorPacket({ sharedSecret: secrets[1]!, packet: createErrorPacket({ sharedSecret: randomBytes(32), failure: payeeRefusal }) }) });
    const lesson = interpretFailure(a, { kind: 'failed', reason: guessed });
    expect(lesson.failure.final).toBe(false);
    expect(lesson.failure.codeName).toBe('unattributable');
    expect([...lesson.excludeNodes].sort()).toEqual([ids[0], ids[1]].sort());
  });

  it('the payee\'s own refusal, relayed honestly, is final', () => {
    const { a, secrets } = attempt();
    let packet = createErrorPacket({ sharedSecret: secrets[2]!, failure: payeeRefusal });
    for (const i of [1, 0]) packet = wrapErrorPacket({ sharedSecret: secrets[i]!, packet });
    expect(interpretFailure(a, { kind: 'failed', reason: packet }).failure).toMatchObject({ failingHop: 2, final: true });
  });
});
