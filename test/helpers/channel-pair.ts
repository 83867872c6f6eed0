// Two channel state machines wired through an in-memory "network" of message queues, for reducer tests.
// Runs effects the way the shell does, minus I/O: persist is recorded, sends are queued for the peer.
import { randomBytes } from 'node:crypto';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { toHex } from '../../src/crypto/bytes.js';
import { encodeState, signState, type ChannelState } from '../../src/channel/state.js';
import { step, type Channel, type ChannelEffect, type ChannelEvent, type StepContext, type ChannelError } from '../../src/channel/machine.js';
import { acceptOpen, proposeOpen } from '../../src/channel/open.js';
import type { ChannelMessage } from '../../src/wire/channel.js';

export const CHAIN = 'sluice-test';

export interface Side {
  name: 'A' | 'B';
  sk: Uint8Array;
  pk: Uint8Array;
  ch: Channel;
  ctx: StepContext;
  inbox: ChannelMessage[]; // messages on their way to this side
  persisted: Channel[]; // snapshots at each persist
  effects: ChannelEffect[];
  errors: ChannelError[];
  /** Every state this side signed, by seq: two different states at one seq would be a double-spend risk. */
  signedBySeq: Map<bigint, string>;
  conflicts: bigint[];
  /** The channel as of this side's last persist: what a crash right now would leave on disk. */
  stored?: Channel;
  /** Signature-bearing sends checked against `stored`, by message kind. */
  signatureSends: Map<string, number>;
  /** Sends whose signature was not in the stored channel when they went out: each one a funds-safety bug. */
  unstored: { kind: string; seq?: bigint }[];
}

/** The signature a message carries, if any (a follower's unsigned update carries none). */
function sentSignature(m: ChannelMessage): Uint8Array | undefined {
  switch (m.kind) {
    case 'openChannel': return m.sigA;
    case 'acceptChannel': return m.sigB;
    case 'updateState': return m.sig.every((b) => b === 0) ? undefined : m.sig;
    case 'ackState':
    case 'commitState': return m.sig;
    case 'reestablish': return undefined;
  }
}

function storedSignatures(ch: Channel | undefined): Set<string> {
  if (!ch) return new Set();
  return new Set([ch.signed.sigA, ch.signed.sigB, ch.proposal?.sig, ch.countersigned?.sig].filter((x) => x !== undefined).map(toHex));
}

/**
 * Run effects as the shell does (a persist stores the step's resulting channel) and check the rule the
 * shell relies on: a signature leaves only once the state it signs is stored, by a persist earlier in
 * the same step or before it.
 */
function runEffects(s: Side, effects: ChannelEffect[], send: (m: ChannelMessage) => void): void {
  for (const e of effects) {
    s.effects.push(e);
    if (e.type === 'persist') {
      s.persisted.push({ ...s.ch, queue: [] });
      s.stored = { ...s.ch, queue: [] };
    }
    if (e.type === 'send') {
      const sig = sentSignature(e.message);
      if (sig) {
        s.signatureSends.set(e.message.kind, (s.signatureSends.get(e.message.kind) ?? 0) + 1);
        if (!storedSignatures(s.stored).has(toHex(sig))) s.unstored.push({ kind: e.message.kind, seq: 'seq' in e.message ? e.message.seq : undefined });
      }
      send(e.message);
    }
  }
}

function makeCtx(sk: Uint8Array, record?: (s: ChannelState) => void): StepContext {
  return { chainId: CHAIN, height: 10, sign: (s: ChannelState) => { record?.(s); return signState(CHAIN, s, sk); } };
}

export interface Pair {
  a: Side;
  b: Side;
  other(s: Side): Side;
  /** Apply an event to one side and run its effects. Returns the error, if any. */
  apply(s: Side, ev: ChannelEvent): ChannelError | undefined;
  /** Run effects a step produced (or a test built) on one side, as the shell would. */
  applyEffects(s: Side, ch: Channel, effects: ChannelEffect[]): void;
  /** Deliver the oldest message waiting for `to`. */
  deliver(to: Side): boolean;
  /** Deliver everything until both inboxes are empty. */
  flush(limit?: number): void;
  /** Lose every message in flight and tell both sides. */
  disconnect(): void;
  reconnect(): void;
}

/** `leader`: which side gets the lower node id (signs first, wins races); random if not given. */
export function openPair(opts: { capacity?: bigint; push?: bigint; leader?: 'A' | 'B' } = {}): Pair {
  const capacity = opts.capacity ?? 1_000_000_000n;
  const push = opts.push ?? 0n;
  let skA = randomSecretKey();
  let skB = randomSecretKey();
  const aLeads = toHex(publicKeyOf(skA)) < toHex(publicKeyOf(skB));
  if (opts.leader && (opts.leader === 'A') !== aLeads) [skA, skB] = [skB, skA];
  const pkA = publicKeyOf(skA);
  const pkB = publicKeyOf(skB);
  const id = randomBytes(32);
  const opened = proposeOpen({ channelId: id, localNodeId: pkA, remoteNodeId: pkB, capacity, push }, makeCtx(skA));
  const openMsg = opened.effects.find((e) => e.type === 'send')!;
  if (openMsg.type !== 'send' || openMsg.message.kind !== 'openChannel') throw new Error('no openChannel');
  const acc = acceptOpen(openMsg.message, { localNodeId: pkB, remoteNodeId: pkA }, makeCtx(skB));
  if (typeof acc === 'string') throw new Error(acc);
  const mk = (name: 'A' | 'B', sk: Uint8Array, pk: Uint8Array, ch: Channel): Side => {
    const side: Side = { name, sk, pk, ch, ctx: makeCtx(sk), inbox: [], persisted: [], effects: [], errors: [], signedBySeq: new Map(), conflicts: [], signatureSends: new Map(), unstored: [] };
    side.ctx = makeCtx(sk, (st) => {
      const enc = toHex(encodeState(st));
      const prev = side.signedBySeq.get(st.seq);
      if (prev !== undefined && prev !== enc) side.conflicts.push(st.seq);
      side.signedBySeq.set(st.seq, enc);
    });
    return side;
  };
  const a = mk('A', skA, pkA, opened.channel);
  const b = mk('B', skB, pkB, acc.channel);
  runEffects(a, opened.effects, () => undefined); // delivered by hand below
  runEffects(b, acc.effects, () => undefined);
  let linked = true;
  const pair: Pair = {
    a, b,
    other: (s) => (s === a ? b : a),
    apply(s, ev) {
      const r = step(s.ch, ev, s.ctx);
      if (!r.ok) {
        s.errors.push(r.error);
        return r.error;
      }
      pair.applyEffects(s, r.channel, r.effects);
      return undefined;
    },
    applyEffects(s, ch, effects) {
      s.ch = ch;
      runEffects(s, effects, (m) => {
        if (linked) pair.other(s).inbox.push(m);
      });
    },
    deliver(to) {
      const m = to.inbox.shift();
      if (!m) return false;
      if (m.kind === 'openChannel') throw new Error('unexpected openChannel');
      pair.apply(to, { type: 'message', message: m });
      return true;
    },
    flush(limit = 10_000) {
      for (let i = 0; i < limit; i++) {
        if (!pair.deliver(a) && !pair.deliver(b)) return;
      }
      throw new Error('messages kept flowing');
    },
    disconnect() {
      linked = false;
      a.inbox.length = 0;
      b.inbox.length = 0;
      pair.apply(a, { type: 'disconnected' });
      pair.apply(b, { type: 'disconnected' });
    },
    reconnect() {
      linked = true;
      pair.apply(a, { type: 'connected' });
      pair.apply(b, { type: 'connected' });
    },
  };
  pair.apply(a, { type: 'message', message: { kind: 'acceptChannel', channelId: id, sigB: acc.channel.signed.sigB } });
  pair.apply(a, { type: 'ledgerOpened', state0: opened.channel.signed.state });
  pair.apply(b, { type: 'ledgerOpened', state0: opened.channel.signed.state });
  pair.flush(); // the reestablish each side sends when it sees the open
  return pair;
}

export function committedRefs(s: Side): string[] {
  return s.effects.flatMap((e) => (e.type === 'committed' ? e.refs : []));
}

export function rejectedRefs(s: Side): string[] {
  return s.effects.flatMap((e) => (e.type === 'rejected' ? e.refs : []));
}

export function receivedTotal(s: Side): bigint {
  return s.effects.reduce((sum, e) => (e.type === 'received' ? sum + e.amount : sum), 0n);
}
