// The pure rules the hash-chain-across-hops attacks added to src/stream/hop-chain.ts, each against the
// case it exists for: an expiry bound from above, no tick from the outgoing lock's expiry, a
// registration due from then whatever the upstream channel does, and the roots a hub reads on a closing
// downstream channel (a lock of another chain under the same id is not ours).
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { hashChain } from '../../src/crypto/hash.js';
import { toHex } from '../../src/crypto/bytes.js';
import {
  checkExtend, downstreamRoots, MAX_CHAIN_EXPIRY_BLOCKS, onOurChain, registerDue, takesTicks, type ChainRelay, type ExtendContext, type IncomingLock,
} from '../../src/stream/hop-chain.js';

const N = 100;
const seed = randomBytes(32);
const at = (claimed: number) => hashChain(seed, N - claimed); // the root after `claimed` units were claimed
const lockAt = (claimed: number, over: Partial<IncomingLock> = {}): IncomingLock => ({ from: 'A', root: at(claimed), unit: 1000n, maxUnits: N - claimed, expiryHeight: 500, ...over });

const relay = (over: Partial<ChainRelay> = {}): ChainRelay => ({
  streamId: 'aa', upPeer: 'p', upChannel: 'u', upLock: 2, unitIn: 1100n, expiryIn: 520, downPeer: 'q', downChannel: 'd', downLock: 4, unitOut: 1000n, expiryOut: 500,
  root: toHex(at(0)), maxUnits: N, rest: [], status: 'relaying', depth: 10, value: toHex(at(10)), claimedUp: 0, claimedDown: 0, ...over,
});

describe('hop-chain rules added by the attack review', () => {
  it('checkExtend refuses a lock that expires more than MAX_CHAIN_EXPIRY_BLOCKS out, and takes one at the bound', () => {
    const c = (expiryHeight: number): ExtendContext => ({
      lock: { from: 'A', root: at(0), unit: 1100n, maxUnits: N, expiryHeight }, peerSide: 'A', height: 1000, unitOut: 1000n, feeOut: 50n, expiryDelta: 20,
      spendableOut: 10n ** 9n, relaysOfPeer: 0, relaysTotal: 0, maxRelaysPerPeer: 16, maxRelays: 256, known: false,
    });
    expect(checkExtend(c(1000 + MAX_CHAIN_EXPIRY_BLOCKS))).toEqual({ ok: true, expiryOut: 1000 + MAX_CHAIN_EXPIRY_BLOCKS - 20 });
    expect(checkExtend(c(1000 + MAX_CHAIN_EXPIRY_BLOCKS + 1))).toMatchObject({ ok: false, error: expect.stringContaining('too far out') });
  });

  it('no tick from the outgoing lock\'s expiry on; a registration due from then while anything is unclaimed upstream', () => {
    expect(takesTicks(relay(), 499)).toBe(true);
    expect(takesTicks(relay(), 500)).toBe(false);
    expect(registerDue(relay(), 499)).toBe(false);
    expect(registerDue(relay(), 500)).toBe(true);
    expect(registerDue(relay({ claimedUp: 10 }), 600)).toBe(false); // all claimed
    expect(registerDue(relay({ depth: 0, value: undefined }), 600)).toBe(false); // nothing held
  });

  it('onOurChain: a state from before (or after) a claim of ours is; a lock of another chain, or another unit or expiry, under the same id is not', () => {
    const ours = lockAt(30);
    expect(onOurChain(ours, lockAt(30))).toBe(true);
    expect(onOurChain(ours, lockAt(0))).toBe(true); // the state before the claim of 30
    expect(onOurChain(ours, lockAt(45))).toBe(true); // one claim further
    const other = randomBytes(32);
    expect(onOurChain(ours, { ...lockAt(0), root: hashChain(other, N) })).toBe(false);
    expect(onOurChain(ours, lockAt(0, { unit: 999n }))).toBe(false);
    expect(onOurChain(ours, lockAt(0, { expiryHeight: 501 }))).toBe(false);
  });

  it('downstreamRoots: our root, the adjudicated root and its anchors, the first root, each at the absolute depth it sits at', () => {
    const r = relay();
    const ours = lockAt(30);
    expect(downstreamRoots(r, ours, undefined, [])).toEqual([{ root: ours.root, base: 30 }, { root: at(0), base: 0 }]);
    // the next node closed with the state before our claim; a dispute had moved it from an older root before
    const roots = downstreamRoots(r, ours, lockAt(10), [{ root: at(0), offset: 10 }]);
    expect(roots).toEqual([{ root: ours.root, base: 30 }, { root: at(10), base: 10 }, { root: at(0), base: 0 }]);
    // a depth d registered under each root is the absolute depth base + d: the same preimage for all
    for (const x of roots) expect(toHex(hashChain(at(60), 60 - x.base))).toBe(toHex(x.root));
    expect(downstreamRoots(r, ours, lockAt(30), [])).toHaveLength(2); // each root once
  });
});
