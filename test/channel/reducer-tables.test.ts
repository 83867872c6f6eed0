// The rules docs/protocol.md gives as tables (§6 updateState, ackState; §7 reestablish), one row each:
// the channel in the row's condition, the message, and the action the table names (an error action,
// or the effects in order). A is the leader throughout (lower node id), B the follower.
import { describe, expect, it } from 'vitest';
import { step, type Channel, type ChannelEffect, type StepContext, type StepResult } from '../../src/channel/machine.js';
import { signState, type ChannelState } from '../../src/channel/state.js';
import type { ChannelMessage, UpdateStateMessage } from '../../src/wire/channel.js';
import { CHAIN, openPair, type Pair, type Side } from '../helpers/channel-pair.js';

const ZERO_SIG = new Uint8Array(64);
const pay = (amount: bigint, ref: string) => ({ type: 'localBatch' as const, entries: [{ ops: [{ op: 'pay' as const, amount }], refs: [ref] }] });

interface Row {
  channel: Channel;
  ctx: StepContext;
  message: ChannelMessage;
}

function run(r: Row): StepResult {
  if (r.message.kind === 'openChannel') throw new Error('not a table row');
  return step(r.channel, { type: 'message', message: r.message }, r.ctx);
}

const kinds = (effects: ChannelEffect[]): string[] => effects.map((e) => (e.type === 'send' ? `send ${e.message.kind}` : e.type));

function errorAction(r: StepResult): string | undefined {
  return r.ok ? undefined : r.error.action;
}

/** A pair, each side at seq 1 after one payment A→B, with B holding a balance to pay from. */
function atSeq1(): Pair {
  const p = openPair({ leader: 'A', push: 100_000_000n });
  p.apply(p.a, pay(1000n, 'first'));
  p.flush();
  expect(p.a.ch.signed.state.seq).toBe(1n);
  expect(p.b.ch.signed.state.seq).toBe(1n);
  return p;
}

/** The message `from` sends next (taken off the peer's inbox, not delivered). */
function sent(p: Pair, from: Side, kind: ChannelMessage['kind']): ChannelMessage {
  const inbox = p.other(from).inbox;
  const i = inbox.findIndex((m) => m.kind === kind);
  if (i < 0) throw new Error(`${from.name} sent no ${kind}`);
  return inbox.splice(i, 1)[0]!;
}

const update = (p: Pair, seq: bigint, amount = 10n, sig: Uint8Array = ZERO_SIG): UpdateStateMessage =>
  ({ kind: 'updateState', channelId: p.a.ch.channelId, seq, ops: [{ op: 'pay', amount }], sig });

/** The state `side`'s peer would derive from `ops` paid by `payer` on top of `base`, signed by `side`. */
function signedNext(side: Side, base: ChannelState, amount: bigint, payer: 'A' | 'B'): Uint8Array {
  const next: ChannelState = {
    ...base, seq: base.seq + 1n,
    balanceA: payer === 'A' ? base.balanceA - amount : base.balanceA + amount,
    balanceB: payer === 'A' ? base.balanceB + amount : base.balanceB - amount,
  };
  return signState(CHAIN, next, side.sk);
}

describe('§6 updateState: by seq and status', () => {
  it.each<[string, () => Row, string | string[]]>([
    ['seq < current: ignore', () => { const p = atSeq1(); return { channel: p.b.ch, ctx: p.b.ctx, message: update(p, 0n) }; }, 'ignore'],
    ['seq == current, follower, the leader proposed our latest: re-send ackState', () => {
      const p = atSeq1();
      return { channel: p.b.ch, ctx: p.b.ctx, message: update(p, 1n) };
    }, ['send ackState']],
    ['seq == current, otherwise (we lead): ignore', () => { const p = atSeq1(); return { channel: p.a.ch, ctx: p.a.ctx, message: update(p, 1n) }; }, 'ignore'],
    ['seq > current + 1: disconnect', () => { const p = atSeq1(); return { channel: p.b.ch, ctx: p.b.ctx, message: update(p, 3n) }; }, 'disconnect'],
    ['seq == current + 1 while opening: ignore', () => {
      const p = atSeq1();
      return { channel: { ...p.a.ch, status: 'opening' }, ctx: p.a.ctx, message: update(p, 2n) };
    }, 'ignore'],
    ['seq == current + 1 in another status than open: warn', () => {
      const p = atSeq1();
      return { channel: { ...p.a.ch, status: 'closing' }, ctx: p.a.ctx, message: update(p, 2n) };
    }, 'warn'],
  ])('%s', (_name, build, want) => {
    const r = run(build());
    if (typeof want === 'string') expect(errorAction(r)).toBe(want);
    else {
      expect(r.ok).toBe(true);
      if (r.ok) expect(kinds(r.effects)).toEqual(want);
    }
  });

  it('the re-sent ackState carries the signature already stored (idempotent, not a new one)', () => {
    const p = atSeq1();
    const r = run({ channel: p.b.ch, ctx: p.b.ctx, message: update(p, 1n) });
    if (!r.ok) throw new Error(r.error.message);
    const e = r.effects[0]!;
    expect(e.type === 'send' && e.message.kind === 'ackState' && e.message.sig).toEqual(p.b.ch.signed.sigB);
    expect(r.channel).toBe(p.b.ch);
  });
});

describe('§6 updateState received by the leader (the follower\'s, unsigned)', () => {
  it('our own proposal in flight: ignore (ours wins)', () => {
    const p = atSeq1();
    p.apply(p.a, pay(5n, 'ours'));
    expect(p.a.ch.proposal).toBeDefined();
    expect(errorAction(run({ channel: p.a.ch, ctx: p.a.ctx, message: update(p, 2n) }))).toBe('ignore');
  });

  it('a countersigned state with this seq: the same ackState again', () => {
    const p = atSeq1();
    p.apply(p.b, pay(7n, 'fromB'));
    const m = sent(p, p.b, 'updateState');
    p.apply(p.a, { type: 'message', message: m as UpdateStateMessage });
    sent(p, p.a, 'ackState'); // lost
    const held = p.a.ch.countersigned!;
    const r = run({ channel: p.a.ch, ctx: p.a.ctx, message: m });
    if (!r.ok) throw new Error(r.error.message);
    expect(kinds(r.effects)).toEqual(['send ackState']);
    const e = r.effects[0]!;
    expect(e.type === 'send' && e.message.kind === 'ackState' && e.message.sig).toEqual(held.sig);
  });

  it('a countersigned state with another seq: disconnect', () => {
    const p = atSeq1();
    p.apply(p.b, pay(7n, 'fromB'));
    p.apply(p.a, { type: 'message', message: sent(p, p.b, 'updateState') as UpdateStateMessage });
    const c = p.a.ch.countersigned!;
    const odd: Channel = { ...p.a.ch, countersigned: { ...c, state: { ...c.state, seq: 5n } } };
    expect(errorAction(run({ channel: odd, ctx: p.a.ctx, message: update(p, 2n) }))).toBe('disconnect');
  });

  it('ops that do not apply (the follower pays more than it has): fail', () => {
    const p = atSeq1();
    expect(errorAction(run({ channel: p.a.ch, ctx: p.a.ctx, message: update(p, 2n, 1_000_000_000n) }))).toBe('fail');
  });

  it('all good: persist as countersigned, then send ackState', () => {
    const p = atSeq1();
    const r = run({ channel: p.a.ch, ctx: p.a.ctx, message: update(p, 2n) });
    if (!r.ok) throw new Error(r.error.message);
    expect(kinds(r.effects)).toEqual(['persist', 'send ackState']);
    expect(r.channel.countersigned?.state.seq).toBe(2n);
    expect(r.channel.signed).toBe(p.a.ch.signed);
  });
});

describe('§6 updateState received by the follower (the leader\'s, signed)', () => {
  const leaderUpdate = (p: Pair, amount = 10n): UpdateStateMessage =>
    update(p, 2n, amount, signedNext(p.a, p.a.ch.signed.state, amount, 'A'));

  it('our own proposal in flight: dropped back to the head of the queue, the leader\'s applied, ours proposed again on top', () => {
    const p = atSeq1();
    p.apply(p.b, pay(3n, 'ours'));
    sent(p, p.b, 'updateState'); // lost in the race
    const r = run({ channel: p.b.ch, ctx: p.b.ctx, message: leaderUpdate(p) });
    if (!r.ok) throw new Error(r.error.message);
    expect(kinds(r.effects)).toEqual(['persist', 'send ackState', 'received', 'persist', 'send updateState']);
    expect(r.channel.signed.state.seq).toBe(2n);
    expect(r.channel.proposal?.state.seq).toBe(3n);
    expect(r.channel.proposal?.refs).toEqual(['ours']);
  });

  it('ops that do not apply: fail', () => {
    const p = atSeq1();
    expect(errorAction(run({ channel: p.b.ch, ctx: p.b.ctx, message: update(p, 2n, 10_000_000_000n, ZERO_SIG) }))).toBe('fail');
  });

  it('the leader\'s signature on the derived state is bad: fail', () => {
    const p = atSeq1();
    const wrong = update(p, 2n, 10n, signedNext(p.a, p.a.ch.signed.state, 11n, 'A'));
    expect(errorAction(run({ channel: p.b.ch, ctx: p.b.ctx, message: wrong }))).toBe('fail');
  });

  it('all good: persist the both-signed state, send ackState, report what was received', () => {
    const p = atSeq1();
    const r = run({ channel: p.b.ch, ctx: p.b.ctx, message: leaderUpdate(p, 10n) });
    if (!r.ok) throw new Error(r.error.message);
    expect(kinds(r.effects)).toEqual(['persist', 'send ackState', 'received']);
    expect(r.channel.signed.state.seq).toBe(2n);
    const got = r.effects[2]!;
    expect(got.type === 'received' && got.amount).toBe(10n);
  });
});

describe('§6 ackState (by the proposer)', () => {
  const ack = (p: Pair, seq: bigint, sig: Uint8Array = ZERO_SIG): ChannelMessage => ({ kind: 'ackState', channelId: p.a.ch.channelId, seq, sig });

  it.each<[string, bigint, string]>([
    ['no proposal, seq ≤ current: ignore', 1n, 'ignore'],
    ['no proposal, seq > current: disconnect', 2n, 'disconnect'],
  ])('%s', (_name, seq, want) => {
    const p = atSeq1();
    expect(errorAction(run({ channel: p.a.ch, ctx: p.a.ctx, message: ack(p, seq) }))).toBe(want);
  });

  it('a proposal of another seq, seq > current: disconnect', () => {
    const p = atSeq1();
    p.apply(p.a, pay(5n, 'x'));
    expect(errorAction(run({ channel: p.a.ch, ctx: p.a.ctx, message: ack(p, 3n) }))).toBe('disconnect');
  });

  it('a bad signature on the proposed state: fail', () => {
    const p = atSeq1();
    p.apply(p.a, pay(5n, 'x'));
    expect(errorAction(run({ channel: p.a.ch, ctx: p.a.ctx, message: ack(p, 2n, signState(CHAIN, p.a.ch.signed.state, p.b.sk)) }))).toBe('fail');
  });

  it.each<[string, 'a' | 'b', string[]]>([
    ['good, we lead: persist the both-signed state, the caller\'s ops committed, no commitState', 'a', ['persist', 'committed']],
    ['good, we follow: sign now, persist, send commitState, the caller\'s ops committed', 'b', ['persist', 'send commitState', 'committed']],
  ])('%s', (_name, who, want) => {
    const p = atSeq1();
    const proposer = p[who];
    p.apply(proposer, pay(5n, 'mine'));
    p.deliver(p.other(proposer));
    const r = run({ channel: proposer.ch, ctx: proposer.ctx, message: sent(p, p.other(proposer), 'ackState') });
    if (!r.ok) throw new Error(r.error.message);
    expect(kinds(r.effects)).toEqual(want);
    expect(r.channel.signed.state.seq).toBe(2n);
    expect(r.channel.proposal).toBeUndefined();
    const c = r.effects.at(-1)!;
    expect(c.type === 'committed' && c.refs).toEqual(['mine']);
  });
});

describe('§7 reestablish', () => {
  const re = (p: Pair, signedSeq: bigint): ChannelMessage => ({ kind: 'reestablish', channelId: p.a.ch.channelId, signedSeq });

  it('theirs == ours with a proposal in flight: re-send its updateState', () => {
    const p = atSeq1();
    p.apply(p.a, pay(5n, 'x'));
    const r = run({ channel: p.a.ch, ctx: p.a.ctx, message: re(p, 1n) });
    if (!r.ok) throw new Error(r.error.message);
    expect(kinds(r.effects)).toEqual(['send updateState']);
    const e = r.effects[0]!;
    expect(e.type === 'send' && e.message.kind === 'updateState' && e.message.sig).toEqual(p.a.ch.proposal!.sig);
  });

  it('theirs == ours while closing: submit the closing state again', () => {
    const p = atSeq1();
    const r = run({ channel: { ...p.a.ch, status: 'closing' }, ctx: p.a.ctx, message: re(p, 1n) });
    if (!r.ok) throw new Error(r.error.message);
    expect(kinds(r.effects)).toEqual(['submit']);
  });

  it('theirs == ours, nothing in flight: propose from the queue (nothing queued: no effects)', () => {
    const p = atSeq1();
    const r = run({ channel: p.a.ch, ctx: p.a.ctx, message: re(p, 1n) });
    expect(r.ok && kinds(r.effects)).toEqual([]);
  });

  it.each<[string, 'a' | 'b', string]>([
    ['theirs == ours − 1, we lead: re-send ackState(ours)', 'a', 'send ackState'],
    ['theirs == ours − 1, we follow and the leader proposed it: re-send ackState(ours)', 'b', 'send ackState'],
  ])('%s', (_name, who, want) => {
    const p = atSeq1();
    const s = p[who];
    const r = run({ channel: s.ch, ctx: s.ctx, message: re(p, 0n) });
    if (!r.ok) throw new Error(r.error.message);
    expect(kinds(r.effects)).toEqual([want]);
  });

  it('theirs == ours − 1, we follow and proposed it: re-send commitState(ours)', () => {
    const p = atSeq1();
    p.apply(p.b, pay(5n, 'y'));
    p.flush();
    expect(p.b.ch.latestBy).toBe('B');
    const r = run({ channel: p.b.ch, ctx: p.b.ctx, message: re(p, 1n) });
    if (!r.ok) throw new Error(r.error.message);
    expect(kinds(r.effects)).toEqual(['send commitState']);
  });

  it.each<[string, bigint, string | undefined]>([
    ['theirs == ours + 1: nothing (they re-send the missing signature)', 2n, undefined],
    ['theirs > ours + 1: disconnect (we are behind; the peer must close)', 3n, 'disconnect'],
  ])('%s', (_name, theirs, want) => {
    const p = atSeq1();
    const r = run({ channel: p.a.ch, ctx: p.a.ctx, message: re(p, theirs) });
    expect(errorAction(r)).toBe(want);
    if (r.ok) expect(r.effects).toEqual([]);
  });

  it('theirs < ours − 1: fail (the peer lost states)', () => {
    const p = atSeq1();
    p.apply(p.a, pay(5n, 'x'));
    p.flush();
    expect(errorAction(run({ channel: p.a.ch, ctx: p.a.ctx, message: re(p, 0n) }))).toBe('fail');
  });
});
