// Shared fixtures for the forwarding tests: a peeled layer built directly (the decision does not care
// how it was peeled; test/forward/decide.test.ts also runs real onions), an outgoing channel, and a way
// to read back the error packet a decision built.
import { expect } from 'vitest';
import { fromHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import type { FailDecision } from '../../src/forward/failures.js';
import type { IncomingHtlc, OutChannelView } from '../../src/forward/decide.js';
import { DEFAULT_FORWARDING_POLICY } from '../../src/forward/policy.js';
import { unwrapErrorPacket } from '../../src/onion/failure.js';
import { readFailure, type FailureDetails } from '../../src/onion/failure-details.js';
import { encodeHopPayload, type HopPayloadFields } from '../../src/onion/payload.js';
import type { PeelResult } from '../../src/onion/sphinx.js';

export const SECRET = new Uint8Array(32).fill(0x5e);
export const SCID = '0000010000020001';
export const NEXT_ONION = new Uint8Array(1366).fill(0x4e);
export const PREIMAGE = new Uint8Array(32).fill(0x11);
export const PAYMENT_HASH = sha256(PREIMAGE);
export const HEIGHT = 1000;

export function peeledLayer(fields: HopPayloadFields, final = false): PeelResult {
  return { ok: true, value: { payload: encodeHopPayload(fields), sharedSecret: SECRET, next: final ? 'final' : NEXT_ONION } };
}

/** A forward of `out` msat at `outExpiry`, over SCID. */
export function forwardLayer(out: bigint, outExpiry: number): PeelResult {
  return peeledLayer({ amountToForwardMsat: out, outgoingCltvValue: BigInt(outExpiry), shortChannelId: fromHex(SCID) });
}

export function incoming(amountMsat: bigint, expiryHeight: number): IncomingHtlc {
  return { amountMsat, expiryHeight, paymentHash: PAYMENT_HASH };
}

export function channel(over: Partial<OutChannelView> = {}): OutChannelView {
  return {
    channelId: new Uint8Array(32).fill(0xcc),
    active: true,
    spendableMsat: 1_000_000_000n,
    htlcCount: 0,
    maxHtlcs: 30,
    policy: DEFAULT_FORWARDING_POLICY,
    ...over,
  };
}

/**
 * The failure a decision carries, read back both ways: from its failure message, and from its error
 * packet as the payer would unwrap it (so the reason really is attributable to this hop).
 */
export function failureOf(d: FailDecision): { code: number; details: FailureDetails } {
  const read = readFailure(d.failureMessage);
  if (!read.ok) throw new Error(read.error.message);
  const unwrapped = unwrapErrorPacket({ sharedSecrets: [SECRET], packet: d.reason });
  expect(unwrapped).toMatchObject({ ok: true, hopIndex: 0, failure: { code: d.code }, codeName: d.codeName });
  if (unwrapped.ok) expect(unwrapped.failure.data).toEqual(d.failureMessage.data);
  return { code: d.code, details: read.value };
}
