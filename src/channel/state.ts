// The channel state both parties sign and the ledger adjudicates, and its canonical encoding.
//
// The signed digest is sha256(taggedMessage(STATE_TAG, chainId, encodeState(state))): the tag and the
// chain id make a signature useless on another chain or for another kind of message, and the
// channel id inside the state makes it useless on another channel.
import { ByteReader, ByteWriter, ShortReadError, equalBytes, utf8 } from '../crypto/bytes.js';
import { sha256, taggedMessage } from '../crypto/hash.js';
import { signMessage, verifyMessage, type PublicKey, type SecretKey, type Signature } from '../crypto/keys.js';
import { MAX_MSAT, type Msat } from '../money.js';
import type { ValueResult } from '../util/result.js';

export const STATE_TAG = 'sluice/channel-state/v1';

/** The chain a channel is on, as `openChannel` and `init` carry it: sha256 of the chain id. */
export function chainHash(chainId: string): Uint8Array {
  return sha256(utf8(chainId));
}

/** Which side of the channel: A is the opener, B the peer it opened to. */
export type Side = 'A' | 'B';

export const otherSide = (s: Side): Side => (s === 'A' ? 'B' : 'A');

export interface HtlcLock {
  kind: 'htlc';
  id: number;
  from: Side;
  amount: Msat;
  paymentHash: Uint8Array; // 32 bytes
  expiryHeight: number;
}

/** PayWord budget: the receiver may claim k * unit by showing x with sha256^k(x) == root, k <= maxUnits. */
export interface HashchainLock {
  kind: 'hashchain';
  id: number;
  from: Side;
  root: Uint8Array; // 32 bytes
  unit: Msat;
  maxUnits: number;
  /**
   * With an expiry the lock is also paid from the ledger's chain registry: the deepest depth registered
   * for its root at a height below expiryHeight counts, whenever the channel settles (as an HTLC's
   * preimage does). Without one (states signed before expiries existed) only reveals on this channel count.
   */
  expiryHeight?: number;
}

export type Lock = HtlcLock | HashchainLock;

export interface ChannelState {
  channelId: Uint8Array; // 32 bytes
  seq: bigint;
  balanceA: Msat;
  balanceB: Msat;
  locks: Lock[];
  closing: boolean;
}

/** A state with both parties' signatures; the one with the highest seq counts. */
export interface SignedState {
  state: ChannelState;
  sigA: Signature;
  sigB: Signature;
}

export const MAX_LOCKS = 483; // as BOLT 2's max_accepted_htlcs: bounds the state size and the ledger's work

export function lockAmount(lock: Lock): Msat {
  return lock.kind === 'htlc' ? lock.amount : lock.unit * BigInt(lock.maxUnits);
}

export function lockedTotal(state: ChannelState): Msat {
  let sum = 0n;
  for (const l of state.locks) sum += lockAmount(l);
  return sum;
}

export function balanceOf(state: ChannelState, side: Side): Msat {
  return side === 'A' ? state.balanceA : state.balanceB;
}

/** The capacity invariant: balances and locks are non-negative and add up to the capacity. */
export function checkInvariant(state: ChannelState, capacity: Msat): string | null {
  if (state.seq < 0n) return 'negative seq';
  if (state.balanceA < 0n || state.balanceB < 0n) return 'negative balance';
  if (state.locks.length > MAX_LOCKS) return `more than ${MAX_LOCKS} locks`;
  const ids = new Set<number>();
  for (const l of state.locks) {
    if (ids.has(l.id)) return `duplicate lock id ${l.id}`;
    ids.add(l.id);
    if (lockAmount(l) <= 0n) return `lock ${l.id} holds nothing`;
    if (l.kind === 'hashchain' && (l.maxUnits < 1 || l.unit <= 0n)) return `lock ${l.id} has no units`;
  }
  if (state.closing && state.locks.length > 0) return 'a closing state must have no locks';
  const total = state.balanceA + state.balanceB + lockedTotal(state);
  if (total !== capacity) return `balances and locks add up to ${total} msat, capacity is ${capacity} msat`;
  return null;
}

const SIDE_BYTE: Record<Side, number> = { A: 0, B: 1 };

export function encodeState(s: ChannelState): Uint8Array {
  const w = new ByteWriter(128 + s.locks.length * 96);
  w.bytes(s.channelId).u64(s.seq).u64(s.balanceA).u64(s.balanceB).u8(s.closing ? 1 : 0).u16(s.locks.length);
  for (const l of s.locks) {
    // Kind 3 is a hash-chain lock with an expiry; kind 2 keeps the bytes (and so the signatures) of
    // states signed before expiries existed.
    const kind = l.kind === 'htlc' ? 1 : l.expiryHeight === undefined ? 2 : 3;
    w.u8(kind).u32(l.id).u8(SIDE_BYTE[l.from]);
    if (l.kind === 'htlc') w.u64(l.amount).bytes(l.paymentHash).u32(l.expiryHeight);
    else {
      w.bytes(l.root).u64(l.unit).u32(l.maxUnits);
      if (l.expiryHeight !== undefined) w.u32(l.expiryHeight);
    }
  }
  return w.finish();
}

export type DecodeResult<T> = ValueResult<T, string>;

/** Decode untrusted bytes; never throws. Trailing bytes are an error (the encoding is canonical). */
export function decodeState(bytes: Uint8Array): DecodeResult<ChannelState> {
  try {
    const r = new ByteReader(bytes);
    const channelId = r.bytes(32, 'channelId');
    const seq = r.u64('seq');
    const balanceA = r.u64('balanceA');
    const balanceB = r.u64('balanceB');
    const closingByte = r.u8('closing');
    if (closingByte > 1) return { ok: false, error: 'closing flag must be 0 or 1' };
    const n = r.u16('lock count');
    if (n > MAX_LOCKS) return { ok: false, error: `more than ${MAX_LOCKS} locks` };
    const locks: Lock[] = [];
    for (let i = 0; i < n; i++) {
      const kind = r.u8('lock kind');
      const id = r.u32('lock id');
      const fromByte = r.u8('lock side');
      if (fromByte > 1) return { ok: false, error: 'lock side must be 0 or 1' };
      const from: Side = fromByte === 0 ? 'A' : 'B';
      if (kind === 1) {
        locks.push({ kind: 'htlc', id, from, amount: r.u64('amount'), paymentHash: r.bytes(32, 'hash'), expiryHeight: r.u32('expiry') });
      } else if (kind === 2 || kind === 3) {
        const lock: HashchainLock = { kind: 'hashchain', id, from, root: r.bytes(32, 'root'), unit: r.u64('unit'), maxUnits: r.u32('maxUnits') };
        if (kind === 3) lock.expiryHeight = r.u32('expiry');
        locks.push(lock);
      } else {
        return { ok: false, error: `unknown lock kind ${kind}` };
      }
    }
    if (r.remaining !== 0) return { ok: false, error: 'trailing bytes after state' };
    for (const v of [balanceA, balanceB]) if (v > MAX_MSAT) return { ok: false, error: 'amount past 2^63-1' };
    return { ok: true, value: { channelId, seq, balanceA, balanceB, locks, closing: closingByte === 1 } };
  } catch (e) {
    if (e instanceof ShortReadError) return { ok: false, error: e.message };
    throw e;
  }
}

export function stateMessage(chainId: string, state: ChannelState): Uint8Array {
  return taggedMessage(STATE_TAG, chainId, encodeState(state));
}

export function signState(chainId: string, state: ChannelState, sk: SecretKey): Signature {
  return signMessage(sk, stateMessage(chainId, state));
}

export function verifyStateSig(chainId: string, state: ChannelState, sig: Uint8Array, pk: PublicKey): boolean {
  return verifyMessage(sig, stateMessage(chainId, state), pk);
}

export interface ChannelParties {
  channelId: Uint8Array;
  a: PublicKey;
  b: PublicKey;
  capacity: Msat;
}

/** Full check of a both-signed state against the channel it claims to belong to. */
export function checkSignedState(chainId: string, signed: SignedState, parties: ChannelParties): string | null {
  const { state } = signed;
  if (!equalBytes(state.channelId, parties.channelId)) return 'state is for another channel';
  const bad = checkInvariant(state, parties.capacity);
  if (bad) return bad;
  const msg = stateMessage(chainId, state);
  if (!verifyMessage(signed.sigA, msg, parties.a)) return 'bad signature from A';
  if (!verifyMessage(signed.sigB, msg, parties.b)) return 'bad signature from B';
  return null;
}
