// Hash-chain locks with an expiry (issue 11), and compatibility with what was signed and stored before:
// a lock without one keeps its exact bytes (so every signature made over it still verifies) and its
// JSON; a lock with one is a new kind in the encoding and an extra field in JSON.
import { describe, expect, it } from 'vitest';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { hashChain } from '../../src/crypto/hash.js';
import { ByteWriter } from '../../src/crypto/bytes.js';
import { signMessage } from '../../src/crypto/keys.js';
import { taggedMessage } from '../../src/crypto/hash.js';
import { decodeState, encodeState, STATE_TAG, verifyStateSig, type ChannelState, type HashchainLock } from '../../src/channel/state.js';
import { lockFromJson, lockToJson, stateFromJson, stateToJson } from '../../src/channel/state-json.js';
import { applyOps, defaultLimits } from '../../src/channel/ops.js';
import { channelFromJson, channelToJson } from '../../src/ledger/records-json.js';
import { txFromJson, txToJson, signTx, verifyTxSig } from '../../src/ledger/tx-codec.js';
import type { LedgerChannel } from '../../src/ledger/types.js';
import { CHAIN, party } from '../helpers/ledger-fixture.js';

const randomBytes = (n: number) => new Uint8Array(nodeRandomBytes(n));
const root = new Uint8Array(32).fill(7);
const legacy: HashchainLock = { kind: 'hashchain', id: 3, from: 'B', root, unit: 250n, maxUnits: 40 };
const expiring: HashchainLock = { ...legacy, expiryHeight: 123_456 };
const st = (lock: HashchainLock): ChannelState => ({ channelId: new Uint8Array(32).fill(1), seq: 9n, balanceA: 100n, balanceB: 0n, locks: [lock], closing: false });

/** The encoding as it was written before expiries: kind 2, no expiry field. */
function legacyBytes(s: ChannelState, l: HashchainLock): Uint8Array {
  return new ByteWriter(256).bytes(s.channelId).u64(s.seq).u64(s.balanceA).u64(s.balanceB).u8(0).u16(1)
    .u8(2).u32(l.id).u8(1).bytes(l.root).u64(l.unit).u32(l.maxUnits).finish();
}

describe('hash-chain lock encoding', () => {
  it('a lock without an expiry encodes to the bytes states were signed over before, and an old signature still verifies', () => {
    const s = st(legacy);
    expect(encodeState(s)).toEqual(legacyBytes(s, legacy));
    const a = party();
    const oldSig = signMessage(a.sk, taggedMessage(STATE_TAG, CHAIN, legacyBytes(s, legacy)));
    expect(verifyStateSig(CHAIN, s, oldSig, a.pk)).toBe(true);
    const back = decodeState(legacyBytes(s, legacy));
    expect(back.ok && back.value.locks[0]).toEqual(legacy);
    expect(back.ok && 'expiryHeight' in back.value.locks[0]!).toBe(false);
  });

  it('a lock with an expiry is kind 3 with the expiry after maxUnits, round-trips, and signs differently', () => {
    const s = st(expiring);
    const bytes = encodeState(s);
    const old = legacyBytes(s, legacy);
    expect(bytes.length).toBe(old.length + 4);
    expect(bytes[old.length - 1 - 4 - 8 - 32 - 1 - 4]).toBe(3); // the kind byte
    expect(decodeState(bytes)).toEqual({ ok: true, value: s });
    const a = party();
    expect(verifyStateSig(CHAIN, st(legacy), signMessage(a.sk, taggedMessage(STATE_TAG, CHAIN, bytes)), a.pk)).toBe(false);
    // cut anywhere in the expiry: refused, not read as a legacy lock
    for (let cut = 1; cut <= 4; cut++) expect(decodeState(bytes.subarray(0, bytes.length - cut)).ok).toBe(false);
  });

  it('JSON: a record without expiryHeight loads as a lock without one; with one it round-trips', () => {
    const oldJson = { kind: 'hashchain', id: 3, from: 'B', root: '07'.repeat(32), unit: '250', maxUnits: 40 };
    expect(lockToJson(legacy)).toEqual(oldJson);
    const loaded = lockFromJson(oldJson);
    expect(loaded).toEqual(legacy);
    expect('expiryHeight' in loaded).toBe(false);
    expect(lockFromJson(lockToJson(expiring))).toEqual(expiring);
    expect(stateFromJson(stateToJson(st(expiring)))).toEqual(st(expiring));
    expect(() => lockFromJson({ ...oldJson, expiryHeight: -1 })).toThrow(/expiryHeight/);
    expect(() => lockFromJson({ ...oldJson, expiryHeight: 2 ** 32 })).toThrow(/expiryHeight/);
  });
});

describe('the expiry through ops', () => {
  const s0: ChannelState = { channelId: new Uint8Array(32).fill(1), seq: 1n, balanceA: 10_000n, balanceB: 0n, locks: [], closing: false };
  it('addHashchain with an expiry makes a lock that keeps it; a claim keeps it too (the registry is keyed by the moved root)', () => {
    const seed = randomBytes(32);
    const top = hashChain(seed, 5);
    const limits = defaultLimits(10_000n);
    const r = applyOps(s0, [{ op: 'addHashchain', id: 2, root: top, unit: 10n, maxUnits: 5, expiryHeight: 77 }], 'A', 10_000n, limits);
    if (!r.ok) throw new Error(r.error.reason);
    expect(r.state.locks).toEqual([{ kind: 'hashchain', id: 2, from: 'A', root: top, unit: 10n, maxUnits: 5, expiryHeight: 77 }]);
    const claimed = applyOps(r.state, [{ op: 'claimHashchain', id: 2, depth: 2, preimage: hashChain(seed, 3) }], 'B', 10_000n, limits);
    if (!claimed.ok) throw new Error(claimed.error.reason);
    expect(claimed.state.locks).toEqual([{ kind: 'hashchain', id: 2, from: 'A', root: hashChain(seed, 3), unit: 10n, maxUnits: 3, expiryHeight: 77 }]);
    const plain = applyOps(s0, [{ op: 'addHashchain', id: 2, root: top, unit: 10n, maxUnits: 5 }], 'A', 10_000n, limits);
    expect(plain.ok && 'expiryHeight' in plain.state.locks[0]!).toBe(false);
  });
});

describe('ledger records and transactions', () => {
  it('a channel record with anchors round-trips; one without (written before the registry) loads with none', () => {
    const ch: LedgerChannel = {
      channelId: randomBytes(32), a: party().pk, b: party().pk, capacity: 5n, locked: 5n, status: 'closing', openedHeight: 2,
      reveals: {}, anchors: { 3: [{ root, offset: 12 }] },
    };
    expect(channelFromJson(channelToJson(ch))).toEqual(ch);
    const { anchors: _a, ...old } = ch;
    const json = channelToJson(old);
    expect('anchors' in json).toBe(false);
    expect(channelFromJson(json).anchors).toBeUndefined();
  });

  it('registerChain round-trips through JSON and its signature covers every field', () => {
    const p = party();
    const tx = signTx(CHAIN, { kind: 'registerChain', from: p.pk, nonce: 4, root, depth: 900, preimage: randomBytes(32) }, p.sk);
    const back = txFromJson(JSON.parse(JSON.stringify(txToJson(tx))));
    expect(back).toEqual(tx);
    expect(verifyTxSig(CHAIN, back)).toBe(true);
    for (const forged of [{ ...tx, depth: 901 }, { ...tx, root: randomBytes(32) }, { ...tx, preimage: randomBytes(32) }]) expect(verifyTxSig(CHAIN, forged)).toBe(false);
    expect(() => txFromJson({ ...txToJson(tx), preimage: '00' })).toThrow(/preimage/);
    expect(() => txFromJson({ ...txToJson(tx), depth: -1 })).toThrow(/depth/);
  });
});
