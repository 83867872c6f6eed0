// The forwarding decision: one row per failure code with its exact data, the spec order when several
// checks fail at once, real onions through two hops, and a property that every forward pays the fee
// and keeps the expiry delta.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { decideForward, EXPIRY_TOO_SOON_BLOCKS, type DecideForwardInput, type OutChannelView } from '../../src/forward/decide.js';
import { decideReceive } from '../../src/forward/receive.js';
import { DEFAULT_FORWARDING_POLICY, forwardingFee, MAX_HTLC_CLTV_BLOCKS, type ForwardingPolicy } from '../../src/forward/policy.js';
import * as codes from '../../src/onion/failure-codes.js';
import { unwrapErrorPacket, wrapErrorPacket } from '../../src/onion/failure.js';
import type { FailureDetails } from '../../src/onion/failure-details.js';
import { encodeHopPayload } from '../../src/onion/payload.js';
import { buildOnion, peelOnion, type PeelResult } from '../../src/onion/sphinx.js';
import { channel, failureOf, forwardLayer, HEIGHT, incoming, NEXT_ONION, PAYMENT_HASH, PREIMAGE, SCID, SECRET } from './fixtures.js';

// Default policy: 1000 msat + 100 ppm, delta 12. Forwarding 100 000 msat costs 1010 msat.
const OUT = 100_000n;
const FEE = 1010n;
const IN = OUT + FEE;
const OUT_EXPIRY = 1088;
const IN_EXPIRY = OUT_EXPIRY + 12;
const UPDATE = fromHex('0102aabbcc'); // stands in for a channel_update message

function decide(over: Partial<DecideForwardInput> & { view?: OutChannelView | undefined } = {}) {
  const view = 'view' in over ? over.view : channel();
  return decideForward({
    incoming: incoming(IN, IN_EXPIRY),
    peeled: forwardLayer(OUT, OUT_EXPIRY),
    currentHeight: HEIGHT,
    outgoing: (scid) => (scid === SCID ? view : undefined),
    ...over,
  });
}

const empty = new Uint8Array(0);

describe('decideForward: one row per failure code', () => {
  // [code name, input, expected code, expected data (as readFailure gives it)]
  const rows: [string, Parameters<typeof decide>[0], number, FailureDetails][] = [
    ['invalid_onion_payload: no amount', { peeled: { ok: true, value: { payload: Uint8Array.of(4, 2, 4, 0x40), sharedSecret: SECRET, next: NEXT_ONION } } },
      codes.INVALID_ONION_PAYLOAD, { tlvType: 2n, offset: 0 }],
    ['invalid_onion_payload: a forward without short_channel_id', { peeled: { ok: true, value: { payload: encodeHopPayload({ amountToForwardMsat: OUT, outgoingCltvValue: 1088n }), sharedSecret: SECRET, next: NEXT_ONION } } },
      codes.INVALID_ONION_PAYLOAD, { tlvType: 6n, offset: 0 }],
    ['invalid_onion_payload: the peel found the framing unusable', { peeled: { ok: false, error: { kind: 'bad_payload', code: codes.INVALID_ONION_PAYLOAD, sharedSecret: SECRET, message: 'length 0' } } },
      codes.INVALID_ONION_PAYLOAD, { tlvType: 0n, offset: 0 }],
    ['unknown_next_peer', { view: undefined }, codes.UNKNOWN_NEXT_PEER, {}],
    ['permanent_channel_failure: closing', { view: channel({ closing: true, active: false }) }, codes.PERMANENT_CHANNEL_FAILURE, {}],
    ['channel_disabled', { view: channel({ active: false }) }, codes.CHANNEL_DISABLED, { disabledFlags: 0, channelUpdate: empty }],
    ['channel_disabled, with a channel_update', { view: channel({ active: false, channelUpdate: UPDATE }) }, codes.CHANNEL_DISABLED, { disabledFlags: 0, channelUpdate: UPDATE }],
    ['amount_below_minimum: reports the outgoing amount', { view: channel({ policy: { ...DEFAULT_FORWARDING_POLICY, htlcMinimumMsat: OUT + 1n } }) },
      codes.AMOUNT_BELOW_MINIMUM, { htlcMsat: OUT, channelUpdate: empty }],
    ['temporary_channel_failure: above htlc_maximum', { view: channel({ policy: { ...DEFAULT_FORWARDING_POLICY, htlcMaximumMsat: OUT - 1n }, channelUpdate: UPDATE }) },
      codes.TEMPORARY_CHANNEL_FAILURE, { channelUpdate: UPDATE }],
    ['fee_insufficient: 1 msat short, reports the incoming amount', { incoming: incoming(IN - 1n, IN_EXPIRY) },
      codes.FEE_INSUFFICIENT, { htlcMsat: IN - 1n, channelUpdate: empty }],
    ['fee_insufficient: less in than out', { incoming: incoming(OUT - 1n, IN_EXPIRY) }, codes.FEE_INSUFFICIENT, { htlcMsat: OUT - 1n, channelUpdate: empty }],
    ['incorrect_cltv_expiry: 1 block short of the delta, reports the outgoing expiry', { incoming: incoming(IN, IN_EXPIRY - 1) },
      codes.INCORRECT_CLTV_EXPIRY, { cltvExpiry: OUT_EXPIRY, channelUpdate: empty }],
    ['expiry_too_soon', { currentHeight: OUT_EXPIRY - EXPIRY_TOO_SOON_BLOCKS + 1 }, codes.EXPIRY_TOO_SOON, { channelUpdate: empty }],
    ['expiry_too_soon: already past', { currentHeight: OUT_EXPIRY + 1 }, codes.EXPIRY_TOO_SOON, { channelUpdate: empty }],
    ['expiry_too_far', { currentHeight: IN_EXPIRY - MAX_HTLC_CLTV_BLOCKS - 1, incoming: incoming(IN, IN_EXPIRY) }, codes.EXPIRY_TOO_FAR, {}],
    ['temporary_channel_failure: no HTLC slot', { view: channel({ htlcCount: 30, maxHtlcs: 30 }) }, codes.TEMPORARY_CHANNEL_FAILURE, { channelUpdate: empty }],
    ['temporary_channel_failure: 1 msat short of balance', { view: channel({ spendableMsat: OUT - 1n }) }, codes.TEMPORARY_CHANNEL_FAILURE, { channelUpdate: empty }],
  ];

  it.each(rows)('%s', (_name, input, code, data) => {
    const d = decide(input);
    expect(d.kind).toBe('fail');
    if (d.kind !== 'fail') return;
    expect(d.codeName).toBe(codes.failureCodeName(code));
    expect(failureOf(d)).toEqual({ code, details: data });
  });

  it.each([
    ['invalid_onion_version', codes.INVALID_ONION_VERSION],
    ['invalid_onion_hmac', codes.INVALID_ONION_HMAC],
    ['invalid_onion_key', codes.INVALID_ONION_KEY],
  ] as const)('malformed: %s is answered without an error onion', (_name, code) => {
    const hash = sha256(Uint8Array.of(1));
    const d = decide({ peeled: { ok: false, error: { kind: 'bad_onion', code, sha256OfOnion: hash, message: 'x' } } });
    expect(d).toEqual({ kind: 'malformed', failureCode: code, sha256OfOnion: hash, message: 'x' });
  });

  it('forwards at the exact boundaries: fee paid to the msat, delta kept to the block, minimum met, balance exact', () => {
    const d = decide({ view: channel({ spendableMsat: OUT, policy: { ...DEFAULT_FORWARDING_POLICY, htlcMinimumMsat: OUT, htlcMaximumMsat: OUT }, htlcCount: 29 }), currentHeight: OUT_EXPIRY - EXPIRY_TOO_SOON_BLOCKS });
    expect(d).toEqual({ kind: 'forward', channelId: channel().channelId, shortChannelId: SCID, amountMsat: OUT, expiryHeight: OUT_EXPIRY, onion: NEXT_ONION, feeMsat: FEE, sharedSecret: SECRET });
  });

  it('an overpaid fee and a longer delta are kept by the hop', () => {
    const d = decide({ incoming: incoming(IN + 500n, IN_EXPIRY + 7) });
    expect(d).toMatchObject({ kind: 'forward', amountMsat: OUT, expiryHeight: OUT_EXPIRY, feeMsat: FEE + 500n });
  });

  it('the final hop is handed to decideReceive', () => {
    const payload = encodeHopPayload({ amountToForwardMsat: OUT, outgoingCltvValue: 1088n });
    const d = decide({ peeled: { ok: true, value: { payload, sharedSecret: SECRET, next: 'final' } } });
    expect(d).toMatchObject({ kind: 'receive', payload: { amountToForwardMsat: OUT, outgoingCltvValue: 1088n }, sharedSecret: SECRET });
  });
});

describe('decideForward: spec order when several checks fail', () => {
  const poor = channel({ spendableMsat: 1n, htlcCount: 30, maxHtlcs: 30 });
  it.each<[string, Parameters<typeof decide>[0], string]>([
    ['underpaid and over the balance: the fee (lnd #5721)', { incoming: incoming(IN - 1n, IN_EXPIRY), view: channel({ spendableMsat: OUT - 1n }) }, 'fee_insufficient'],
    ['underpaid, no HTLC slot and no balance: the fee', { incoming: incoming(IN - 1n, IN_EXPIRY), view: poor }, 'fee_insufficient'],
    ['short delta and no balance: the delta', { incoming: incoming(IN, IN_EXPIRY - 1), view: poor }, 'incorrect_cltv_expiry'],
    ['too soon and no balance: too soon', { currentHeight: OUT_EXPIRY, view: poor }, 'expiry_too_soon'],
    ['underpaid and a short delta: the fee', { incoming: incoming(IN - 1n, IN_EXPIRY - 1) }, 'fee_insufficient'],
    ['below the minimum and underpaid: the minimum', { incoming: incoming(IN - 1n, IN_EXPIRY), view: channel({ policy: { ...DEFAULT_FORWARDING_POLICY, htlcMinimumMsat: OUT + 1n } }) }, 'amount_below_minimum'],
    ['disabled and underpaid: disabled', { incoming: incoming(1n, IN_EXPIRY), view: channel({ active: false }) }, 'channel_disabled'],
    ['closing and disabled: permanent', { view: channel({ active: false, closing: true }) }, 'permanent_channel_failure'],
    ['short delta and too soon: the delta', { incoming: incoming(IN, IN_EXPIRY - 1), currentHeight: OUT_EXPIRY }, 'incorrect_cltv_expiry'],
    ['too soon and too far cannot both hold; too far and no balance: too far', { currentHeight: IN_EXPIRY - MAX_HTLC_CLTV_BLOCKS - 1, view: poor }, 'expiry_too_far'],
    ['no HTLC slot and no balance: the slot (both temporary_channel_failure)', { view: poor }, 'temporary_channel_failure'],
  ])('%s', (_name, input, codeName) => {
    const d = decide(input);
    expect(d.kind === 'fail' ? d.codeName : d.kind).toBe(codeName);
  });
});

describe('decideForward with real onions', () => {
  const hopKey = randomSecretKey();
  const payeeKey = randomSecretKey();
  const sessionKey = new Uint8Array(32).fill(0x42);
  const paymentSecret = new Uint8Array(32).fill(0x77);

  function onion() {
    return buildOnion({
      sessionKey,
      associatedData: PAYMENT_HASH,
      hops: [
        { publicKey: publicKeyOf(hopKey), payload: encodeHopPayload({ amountToForwardMsat: OUT, outgoingCltvValue: BigInt(OUT_EXPIRY), shortChannelId: fromHex(SCID) }) },
        { publicKey: publicKeyOf(payeeKey), payload: encodeHopPayload({ amountToForwardMsat: OUT, outgoingCltvValue: BigInt(OUT_EXPIRY), paymentData: { paymentSecret, totalMsat: OUT } }) },
      ],
    });
  }
  const peelAt = (packet: Uint8Array, key: Uint8Array): PeelResult => peelOnion({ packet, nodeSecretKey: key, associatedData: PAYMENT_HASH });

  it('hop forwards, payee settles, and a payee failure unwraps at the payer to the payee', () => {
    const built = onion();
    const atHop = decide({ peeled: peelAt(built.packet, hopKey) });
    if (atHop.kind !== 'forward') throw new Error(`hop: ${atHop.kind}`);
    expect(atHop.sharedSecret).toEqual(built.sharedSecrets[0]);
    const atPayee = decideForward({ incoming: incoming(atHop.amountMsat, atHop.expiryHeight), peeled: peelAt(atHop.onion, payeeKey), currentHeight: HEIGHT, outgoing: () => undefined });
    if (atPayee.kind !== 'receive') throw new Error(`payee: ${atPayee.kind}`);
    const invoice = { paymentSecret, amountMsat: OUT, expiresAtSeconds: 2000, minFinalCltvExpiryDelta: 12, state: 'open' as const, preimage: PREIMAGE };
    const base = { htlc: incoming(atHop.amountMsat, atHop.expiryHeight), payload: atPayee.payload, sharedSecret: atPayee.sharedSecret, keysend: { accepted: false }, currentHeight: HEIGHT, nowSeconds: 1000 };
    expect(decideReceive({ ...base, invoice })).toEqual({ kind: 'settle', preimage: PREIMAGE, via: 'invoice', amountMsat: OUT });

    const refused = decideReceive({ ...base, invoice: { ...invoice, state: 'paid' } });
    if (refused.kind !== 'fail') throw new Error('expected a failure');
    // the hop wraps it on the way back; the payer finds the payee (hop index 1) and its code
    const relayed = wrapErrorPacket({ sharedSecret: atHop.sharedSecret, packet: refused.reason });
    expect(unwrapErrorPacket({ sharedSecrets: built.sharedSecrets, packet: relayed })).toMatchObject({ ok: true, hopIndex: 1, codeName: 'incorrect_or_unknown_payment_details' });
  });

  it.each<[string, (p: Uint8Array) => void, number]>([
    ['a version byte of 1', (p) => { p[0] = 1; }, codes.INVALID_ONION_VERSION],
    ['an ephemeral key off the curve', (p) => { p.fill(0xff, 1, 34); p[1] = 0x02; }, codes.INVALID_ONION_KEY],
    ['a flipped hmac bit', (p) => { p[p.length - 1]! ^= 1; }, codes.INVALID_ONION_HMAC],
  ])('a packet with %s is malformed, with the hash of the packet as received', (_name, spoil, code) => {
    const packet = onion().packet.slice();
    spoil(packet);
    const d = decide({ peeled: peelAt(packet, hopKey) });
    expect(d).toMatchObject({ kind: 'malformed', failureCode: code, sha256OfOnion: sha256(packet) });
  });
});

describe('decideForward property', () => {
  const policy: fc.Arbitrary<ForwardingPolicy> = fc.record({
    feeBaseMsat: fc.bigInt({ min: 0n, max: 10_000n }),
    feePpm: fc.bigInt({ min: 0n, max: 10_000n }),
    cltvExpiryDelta: fc.integer({ min: 1, max: 200 }),
    htlcMinimumMsat: fc.bigInt({ min: 1n, max: 100_000n }),
    htlcMaximumMsat: fc.option(fc.bigInt({ min: 100_000n, max: 10_000_000n }), { nil: undefined }),
  });

  it('every forward pays at least the fee and keeps at least the delta; every well-paid, well-timed HTLC forwards', () => {
    fc.assert(
      fc.property(
        policy,
        fc.bigInt({ min: 1n, max: 20_000_000n }), // amount in
        fc.bigInt({ min: 1n, max: 20_000_000n }), // amount out
        fc.integer({ min: 0, max: 3000 }), // expiry in
        fc.integer({ min: 0, max: 3000 }), // expiry out
        fc.integer({ min: 0, max: 1000 }), // height
        fc.bigInt({ min: 0n, max: 20_000_000n }), // spendable
        (p, amountIn, amountOut, expiryIn, expiryOut, height, spendable) => {
          const d = decideForward({
            incoming: incoming(amountIn, expiryIn),
            peeled: forwardLayer(amountOut, expiryOut),
            currentHeight: height,
            outgoing: () => channel({ policy: p, spendableMsat: spendable }),
          });
          const fee = forwardingFee(p, amountOut);
          const shouldForward = amountOut >= p.htlcMinimumMsat && (p.htlcMaximumMsat === undefined || amountOut <= p.htlcMaximumMsat)
            && amountOut + fee <= amountIn && expiryOut + p.cltvExpiryDelta <= expiryIn && expiryOut >= height + EXPIRY_TOO_SOON_BLOCKS
            && expiryIn <= height + MAX_HTLC_CLTV_BLOCKS && amountOut <= spendable;
          expect(d.kind).toBe(shouldForward ? 'forward' : 'fail');
          if (d.kind === 'forward') {
            expect(d.amountMsat + forwardingFee(p, d.amountMsat)).toBeLessThanOrEqual(amountIn);
            expect(d.expiryHeight + p.cltvExpiryDelta).toBeLessThanOrEqual(expiryIn);
            expect(d.feeMsat).toBe(amountIn - d.amountMsat);
            expect(d.amountMsat).toBeLessThanOrEqual(spendable);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
