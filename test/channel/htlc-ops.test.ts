// HTLC ops in the channel core: the onion and the error packet travel with an op but never reach the
// signed state; failMalformedHtlc needs a BADONION code and returns the lock like failHtlc; and a
// proposal stops at the wire's count and byte limits (opsFitUpdate), refusing a request that never fits.
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/hash.js';
import { applyOps, defaultLimits, type ChannelLimits } from '../../src/channel/ops.js';
import { encodeState, MAX_LOCKS, stateMessage, type ChannelState } from '../../src/channel/state.js';
import type { ChannelEffect } from '../../src/channel/machine.js';
import { encodeMessage } from '../../src/wire/message.js';
import { MAX_OPS_PER_UPDATE, type ChannelOp } from '../../src/wire/channel.js';
import { committedRefs, openPair, rejectedRefs } from '../helpers/channel-pair.js';

const CAPACITY = 1_000_000_000n;
const limits: ChannelLimits = { ...defaultLimits(CAPACITY), maxLocks: MAX_LOCKS };
const preimage = new Uint8Array(32).fill(3);
const paymentHash = sha256(preimage);
const onion = (fill: number) => new Uint8Array(1366).fill(fill);
const reason = new Uint8Array(292).fill(5);

const base: ChannelState = { channelId: new Uint8Array(32).fill(1), seq: 4n, balanceA: 600_000_000n, balanceB: 400_000_000n, locks: [], closing: false };
const add = (id: number, amount = 1000n, fill = 0): ChannelOp => ({ op: 'addHtlc', id, amount, paymentHash, expiryHeight: 500, onion: onion(fill) });

function withHtlcFromA(): ChannelState {
  const r = applyOps(base, [add(2)], 'A', CAPACITY, limits);
  if (!r.ok) throw new Error(r.error.reason);
  return r.state;
}

describe('HTLC ops and the signed state', () => {
  it('the lock keeps amount, hash and expiry only: two onions give the same state bytes and digest', () => {
    const one = applyOps(base, [add(2, 1000n, 0x11)], 'A', CAPACITY, limits);
    const two = applyOps(base, [add(2, 1000n, 0x22)], 'A', CAPACITY, limits);
    if (!one.ok || !two.ok) throw new Error('addHtlc refused');
    expect(one.state.locks).toEqual([{ kind: 'htlc', id: 2, from: 'A', amount: 1000n, paymentHash, expiryHeight: 500 }]);
    expect(encodeState(one.state)).toEqual(encodeState(two.state));
    expect(stateMessage('c', one.state)).toEqual(stateMessage('c', two.state));
    // the state encoding has exactly the pre-onion size: 32 + 8*3 + 1 + 2 header, 1+4+1+8+32+4 per HTLC
    expect(encodeState(one.state).length).toBe(32 + 24 + 1 + 2 + 50);
  });

  it('two fail reasons give the same state', () => {
    const s = withHtlcFromA();
    const one = applyOps(s, [{ op: 'failHtlc', id: 2, reason }], 'B', CAPACITY, limits);
    const two = applyOps(s, [{ op: 'failHtlc', id: 2, reason: new Uint8Array(36) }], 'B', CAPACITY, limits);
    if (!one.ok || !two.ok) throw new Error('failHtlc refused');
    expect(encodeState(one.state)).toEqual(encodeState(two.state));
    expect(one.state.balanceA).toBe(base.balanceA);
  });

  // [name, op proposed by B on a state where A offered HTLC 2, result]
  it.each<[string, ChannelOp, 'A' | 'B', string | { balanceA: bigint; balanceB: bigint }]>([
    ['failMalformedHtlc invalid_onion_hmac returns the lock to A', { op: 'failMalformedHtlc', id: 2, sha256OfOnion: sha256(onion(0)), failureCode: 0xc005 }, 'B', { balanceA: 600_000_000n, balanceB: 400_000_000n }],
    ['failMalformedHtlc with just the BADONION bit', { op: 'failMalformedHtlc', id: 2, sha256OfOnion: new Uint8Array(32), failureCode: 0x8000 }, 'B', { balanceA: 600_000_000n, balanceB: 400_000_000n }],
    ['failMalformedHtlc temporary_channel_failure (no BADONION bit)', { op: 'failMalformedHtlc', id: 2, sha256OfOnion: new Uint8Array(32), failureCode: 0x1007 }, 'B', 'lacks the BADONION bit'],
    ['failMalformedHtlc by the offerer', { op: 'failMalformedHtlc', id: 2, sha256OfOnion: new Uint8Array(32), failureCode: 0xc005 }, 'A', 'was not offered to the proposer'],
    ['failMalformedHtlc of an unknown HTLC', { op: 'failMalformedHtlc', id: 9, sha256OfOnion: new Uint8Array(32), failureCode: 0xc005 }, 'B', 'no HTLC 9'],
    ['failHtlc returns the lock to A', { op: 'failHtlc', id: 2, reason }, 'B', { balanceA: 600_000_000n, balanceB: 400_000_000n }],
    ['fulfillHtlc pays B', { op: 'fulfillHtlc', id: 2, preimage }, 'B', { balanceA: 599_999_000n, balanceB: 400_001_000n }],
  ])('%s', (_name, op, proposer, want) => {
    const r = applyOps(withHtlcFromA(), [op], proposer, CAPACITY, limits);
    if (typeof want === 'string') {
      expect(r).toMatchObject({ ok: false, error: { reason: expect.stringContaining(want) } });
    } else {
      expect(r).toMatchObject({ ok: true, state: { ...want, locks: [] } });
    }
  });
});

describe('a proposal stops at the wire limits', () => {
  const sentUpdates = (effects: ChannelEffect[]) =>
    effects.flatMap((e) => (e.type === 'send' && e.message.kind === 'updateState' ? [e.message] : []));

  function pairWithRoomForLocks() {
    const p = openPair({ leader: 'A', capacity: CAPACITY });
    p.a.ch = { ...p.a.ch, limits };
    p.b.ch = { ...p.b.ch, limits };
    return p;
  }

  it('50 one-HTLC requests: the first update carries 46 (the byte budget), the rest follow', () => {
    const p = pairWithRoomForLocks();
    const entries = Array.from({ length: 50 }, (_, i) => ({ ops: [add(2 * i)], refs: [`h${i}`] }));
    p.apply(p.a, { type: 'localBatch', entries });
    const first = sentUpdates(p.a.effects);
    expect(first).toHaveLength(1);
    expect(first[0]!.ops).toHaveLength(46);
    expect(encodeMessage(first[0]!).length).toBeLessThanOrEqual(65535);
    p.flush();
    const all = sentUpdates(p.a.effects);
    expect(all.map((m) => m.ops.length)).toEqual([46, 4]);
    expect(committedRefs(p.a)).toHaveLength(50);
    expect(p.a.ch.signed.state.locks).toHaveLength(50);
  });

  it('a request too big for any update is refused with a reason, and the requests behind it still go', () => {
    const p = pairWithRoomForLocks();
    const tooManyHtlcs = { ops: Array.from({ length: 47 }, (_, i) => add(2 * i)), refs: ['big'] };
    const tooManyPays = { ops: Array.from({ length: MAX_OPS_PER_UPDATE + 1 }, (): ChannelOp => ({ op: 'pay', amount: 1n })), refs: ['many'] };
    const badOnion = { ops: [{ ...add(200), onion: new Uint8Array(10) }], refs: ['bad'] };
    const fine = { ops: Array.from({ length: 46 }, (_, i) => add(300 + 2 * i)), refs: ['fine'] };
    p.apply(p.a, { type: 'localBatch', entries: [tooManyHtlcs, tooManyPays, badOnion, fine] });
    const rejected = p.a.effects.filter((e) => e.type === 'rejected');
    expect(rejected).toEqual([
      { type: 'rejected', refs: ['big'], reason: expect.stringMatching(/can never be sent: 66505 bytes of operations is more than the 65427/) },
      { type: 'rejected', refs: ['many'], reason: expect.stringMatching(/can never be sent: 1235 operations is more than the 1234/) },
      { type: 'rejected', refs: ['bad'], reason: expect.stringMatching(/can never be sent: operation 0: .*onion: expected 1366 bytes/) },
    ]);
    p.flush();
    expect(rejectedRefs(p.a).sort()).toEqual(['bad', 'big', 'many']);
    expect(committedRefs(p.a)).toEqual(['fine']);
  });
});
