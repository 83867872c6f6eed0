import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { signState } from '../../src/channel/state.js';
import { localBalance, remoteBalance, step } from '../../src/channel/machine.js';
import { acceptOpen, proposeOpen } from '../../src/channel/open.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { CHAIN, openPair, receivedTotal, rejectedRefs, committedRefs, type Pair } from '../helpers/channel-pair.js';

const CAP = 1_000_000_000n;

const pay = (amount: bigint, ref: string) => ({ type: 'localBatch' as const, entries: [{ ops: [{ op: 'pay' as const, amount }], refs: [ref] }] });

describe('opening', () => {
  it('signs state 0 on both sides before anything is locked, then opens on the ledger event', () => {
    const p = openPair({ push: 5_000n });
    expect(p.a.ch.status).toBe('open');
    expect(p.b.ch.status).toBe('open');
    expect(p.a.effects.some((e) => e.type === 'submit' && e.tx === 'open')).toBe(true);
    expect(localBalance(p.b.ch)).toBe(5_000n);
    expect(p.a.persisted.length).toBeGreaterThan(0);
  });

  const sk = randomSecretKey();
  const peer = randomSecretKey();
  const ctxA = { chainId: CHAIN, height: 1, sign: (s: Parameters<typeof signState>[1]) => signState(CHAIN, s, sk) };
  const ctxB = { chainId: CHAIN, height: 1, sign: (s: Parameters<typeof signState>[1]) => signState(CHAIN, s, peer) };
  const open = (capacity: bigint, push = 0n) => {
    const o = proposeOpen({ channelId: new Uint8Array(32).fill(1), localNodeId: publicKeyOf(sk), remoteNodeId: publicKeyOf(peer), capacity, push }, ctxA);
    const send = o.effects[1]!;
    if (send.type !== 'send' || send.message.kind !== 'openChannel') throw new Error('x');
    return send.message;
  };
  const accept = (m: ReturnType<typeof open>, ctx = ctxB) => acceptOpen(m, { localNodeId: publicKeyOf(peer), remoteNodeId: publicKeyOf(sk) }, ctx);

  it.each([
    ['a capacity under the minimum', () => accept(open(1000n)), /minimum/],
    ['a forged state-0 signature', () => accept({ ...open(CAP), sigA: signState(CHAIN, { channelId: new Uint8Array(32), seq: 0n, balanceA: CAP, balanceB: 0n, locks: [], closing: false }, sk) }), /bad signature/],
    ['another chain', () => accept(open(CAP), { ...ctxB, chainId: 'other' }), /another chain/],
    ['a push above capacity', () => accept({ ...open(CAP), push: CAP + 1n }), /push/],
    ['a wrong reserve', () => accept({ ...open(CAP), reserve: 0n }), /reserve/],
  ])('refuses %s', (_n, run, re) => {
    expect(run()).toMatch(re);
  });
});

describe('opening across a reconnect', () => {
  it('asks again with the same signed open when the connection comes back', () => {
    const sk = randomSecretKey();
    const peer = randomSecretKey();
    const ctx = { chainId: CHAIN, height: 1, sign: (s: Parameters<typeof signState>[1]) => signState(CHAIN, s, sk) };
    const o = proposeOpen({ channelId: new Uint8Array(32).fill(3), localNodeId: publicKeyOf(sk), remoteNodeId: publicKeyOf(peer), capacity: CAP, push: 7n }, ctx);
    const first = o.effects.find((e) => e.type === 'send')!;
    const down = step(o.channel, { type: 'disconnected' }, ctx);
    if (!down.ok) throw new Error('x');
    const up = step(down.channel, { type: 'connected' }, ctx);
    if (!up.ok) throw new Error('x');
    const again = up.effects.find((e) => e.type === 'send');
    expect(again).toEqual(first);
  });
});

describe('updates', () => {
  it.each(['A', 'B'] as const)('one update settles a payment on both sides (leader %s)', (leader) => {
    const p = openPair({ leader });
    p.apply(p.a, pay(1000n, 'p1'));
    expect(p.a.ch.proposal?.state.seq).toBe(1n);
    p.flush();
    expect(p.a.ch.signed.state.seq).toBe(1n);
    expect(p.b.ch.signed.state).toEqual(p.a.ch.signed.state);
    expect(committedRefs(p.a)).toEqual(['p1']);
    expect(receivedTotal(p.b)).toBe(1000n);
    expect(remoteBalance(p.a.ch)).toBe(1000n);
  });

  it('persists before every send: no signature leaves before the state it signs is stored (any interleaving)', () => {
    // Checked at each send against the channel as stored at that moment (the step's own persists
    // included): resends after a reconnect carry signatures stored by an earlier step and pass; a
    // signature for a state only in memory fails, whatever the step and the message.
    const kinds = new Map<string, number>();
    fc.assert(
      fc.property(fc.constantFrom('A' as const, 'B' as const), fc.array(fc.oneof(
        { weight: 4, arbitrary: fc.record({ t: fc.constant('pay' as const), from: fc.constantFrom('a' as const, 'b' as const), amount: fc.bigInt({ min: 1n, max: 100_000_000n }) }) },
        { weight: 5, arbitrary: fc.record({ t: fc.constant('deliver' as const), to: fc.constantFrom('a' as const, 'b' as const) }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('bounce' as const) }) },
      ), { minLength: 1, maxLength: 60 }), fc.boolean(), (leader, acts, close) => {
        const p = openPair({ push: 300_000_000n, leader });
        let n = 0;
        for (const x of acts) {
          if (x.t === 'pay') p.apply(p[x.from], pay(x.amount, `r${n++}`));
          else if (x.t === 'deliver') p.deliver(p[x.to]);
          else {
            p.disconnect();
            p.reconnect();
          }
        }
        p.flush();
        if (close) {
          p.apply(p.a, { type: 'closeCooperatively' });
          p.flush();
        }
        expect(p.a.unstored).toEqual([]);
        expect(p.b.unstored).toEqual([]);
        for (const s of [p.a, p.b]) for (const [k, c] of s.signatureSends) kinds.set(k, (kinds.get(k) ?? 0) + c);
      }),
      { numRuns: 120 },
    );
    // every kind of signed message was checked, many times
    for (const k of ['openChannel', 'acceptChannel', 'updateState', 'ackState', 'commitState']) expect(kinds.get(k) ?? 0).toBeGreaterThan(10);
  });

  it('the persist-before-send check catches a signature sent for a state only in memory', () => {
    const p = openPair({ leader: 'A' });
    // a step whose effects send the leader's signature on a proposal before persisting it
    const r = step(p.a.ch, pay(1000n, 'x'), p.a.ctx);
    if (!r.ok) throw new Error(r.error.message);
    const persistAt = r.effects.findIndex((e) => e.type === 'persist');
    const sendAt = r.effects.findIndex((e) => e.type === 'send');
    expect(persistAt).toBeLessThan(sendAt);
    const swapped = [...r.effects];
    [swapped[persistAt], swapped[sendAt]] = [swapped[sendAt]!, swapped[persistAt]!];
    p.applyEffects(p.a, r.channel, swapped);
    expect(p.a.unstored).toEqual([{ kind: 'updateState', seq: 1n }]);
  });

  it('batches payments made while an update is in flight into one update', () => {
    const p = openPair();
    p.apply(p.a, pay(1n, 'first'));
    for (let i = 0; i < 50; i++) p.apply(p.a, pay(10n, `b${i}`));
    p.flush();
    expect(p.a.ch.signed.state.seq).toBe(2n); // one update for the first, one for the 50 batched
    expect(committedRefs(p.a)).toHaveLength(51);
    expect(remoteBalance(p.a.ch)).toBe(501n);
  });

  it('rejects a payment beyond the balance and keeps the others', () => {
    const p = openPair();
    p.apply(p.a, pay(CAP, 'too-much'));
    p.apply(p.a, pay(5n, 'fine'));
    p.flush();
    expect(rejectedRefs(p.a)).toContain('too-much');
    expect(committedRefs(p.a)).toContain('fine');
  });

  it('keeps the reserve: the payer cannot spend below 1% of capacity', () => {
    const p = openPair();
    p.apply(p.a, pay(CAP - CAP / 100n + 1n, 'over'));
    p.apply(p.a, pay(CAP - CAP / 100n, 'to-reserve'));
    p.flush();
    expect(rejectedRefs(p.a)).toEqual(['over']);
    expect(localBalance(p.a.ch)).toBe(CAP / 100n);
  });

  it.each(['A', 'B'] as const)('resolves simultaneous proposals (leader %s): the leader wins, the other re-proposes, nothing lost', (leader) => {
    const p = openPair({ push: 100_000_000n, leader });
    p.apply(p.a, pay(700n, 'fromA'));
    p.apply(p.b, pay(300n, 'fromB'));
    // both updates for seq 1 cross on the wire
    expect(p.a.ch.proposal?.state.seq).toBe(1n);
    expect(p.b.ch.proposal?.state.seq).toBe(1n);
    p.flush();
    expect(p.a.ch.signed.state).toEqual(p.b.ch.signed.state);
    expect(p.a.ch.signed.state.seq).toBe(2n);
    expect(committedRefs(p.a)).toEqual(['fromA']);
    expect(committedRefs(p.b)).toEqual(['fromB']);
    expect(localBalance(p.b.ch)).toBe(100_000_000n + 700n - 300n);
  });

  it.each([
    ['a bad signature', (p: Pair) => {
      p.apply(p.a, pay(1000n, 'x'));
      const m = p.b.inbox.shift()!;
      if (m.kind !== 'updateState') throw new Error();
      return { ...m, sig: new Uint8Array(64).fill(1) };
    }, 'fail'],
    ['ops that take money from the receiver', (p: Pair) => {
      const ops = [{ op: 'pay' as const, amount: 1000n }];
      // B "proposes" that A pays it: applying the ops as B's proposal would make B pay instead, so the
      // signature (made over a state where A pays) cannot match what A derives
      const forged = { ...p.b.ch.signed.state, seq: 1n, balanceA: CAP - 1000n, balanceB: 1000n };
      return { kind: 'updateState' as const, channelId: p.a.ch.channelId, seq: 1n, ops, sig: signState(CHAIN, forged, p.b.sk) };
    }, 'fail'],
    ['a seq that skips ahead', (p: Pair) => {
      p.apply(p.a, pay(1000n, 'x'));
      const m = p.b.inbox.shift()!;
      if (m.kind !== 'updateState') throw new Error();
      return { ...m, seq: 5n };
    }, 'disconnect'],
    ['a pay the proposer cannot afford', (p: Pair) => {
      const ops = [{ op: 'pay' as const, amount: 1n }];
      const st = { ...p.b.ch.signed.state, seq: 1n };
      return { kind: 'updateState' as const, channelId: p.a.ch.channelId, seq: 1n, ops, sig: signState(CHAIN, st, p.b.sk) };
    }, 'fail'],
  ])('refuses %s without changing state', (_n, make, action) => {
    const p = openPair({ leader: 'A' });
    const msg = make(p);
    const target = msg.ops.length && p.b.inbox.length === 0 && p.a.ch.proposal ? p.b : p.a;
    const before = target.ch.signed;
    const r = step(target.ch, { type: 'message', message: msg }, target.ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.action).toBe(action);
    expect(target.ch.signed).toBe(before);
  });

  it.each(['A', 'B'] as const)('reestablish after a lost ack (leader %s): the missing signature is resent, settled once', (leader) => {
    const p = openPair({ leader });
    p.apply(p.a, pay(1000n, 'p1'));
    p.deliver(p.b); // B answers with its ack; the ack is lost
    p.disconnect();
    expect(p.a.ch.signed.state.seq).toBe(0n);
    // a follower holds the full state once it acks; a leader only has its countersignature until the commit
    expect(p.b.ch.signed.state.seq).toBe(leader === 'A' ? 1n : 0n);
    p.reconnect();
    p.flush();
    expect(p.a.ch.signed.state.seq).toBe(1n);
    expect(p.a.ch.signed.state).toEqual(p.b.ch.signed.state);
    expect(committedRefs(p.a)).toEqual(['p1']);
    expect(receivedTotal(p.b)).toBe(1000n);
  });

  it('reestablish after a lost commit: the follower resends it', () => {
    const p = openPair({ leader: 'B' });
    p.apply(p.a, pay(1000n, 'p1'));
    p.deliver(p.b); // B (leader) countersigns and acks
    p.deliver(p.a); // A commits; the commit is lost
    p.disconnect();
    expect(p.a.ch.signed.state.seq).toBe(1n);
    expect(p.b.ch.signed.state.seq).toBe(0n);
    p.reconnect();
    p.flush();
    expect(p.b.ch.signed.state).toEqual(p.a.ch.signed.state);
    expect(receivedTotal(p.b)).toBe(1000n);
  });

  it("a follower's losing proposal carries no signature (no second state at the same seq)", () => {
    const p = openPair({ leader: 'A', push: 100_000_000n });
    p.apply(p.a, pay(700n, 'fromA'));
    p.apply(p.b, pay(300n, 'fromB'));
    const fromFollower = p.a.inbox[0]!;
    expect(fromFollower.kind).toBe('updateState');
    if (fromFollower.kind === 'updateState') expect(fromFollower.sig.every((x) => x === 0)).toBe(true);
    p.flush();
    expect(p.a.ch.signed.state).toEqual(p.b.ch.signed.state);
    expect(committedRefs(p.b)).toEqual(['fromB']);
  });

  it('reestablish after a lost update: the proposer resends it', () => {
    const p = openPair();
    p.apply(p.a, pay(1000n, 'p1'));
    p.disconnect(); // update lost
    p.reconnect();
    p.flush();
    expect(p.b.ch.signed.state.seq).toBe(1n);
    expect(committedRefs(p.a)).toEqual(['p1']);
  });
});

describe('closing', () => {
  it('cooperative close: a closing state signed by both, then both submit it', () => {
    const p = openPair();
    p.apply(p.a, pay(1000n, 'p1'));
    p.apply(p.a, { type: 'closeCooperatively' });
    p.flush();
    expect(p.a.ch.status).toBe('closing');
    expect(p.b.ch.status).toBe('closing');
    expect(p.a.ch.signed.state.closing).toBe(true);
    expect(p.a.ch.signed.state.balanceB).toBe(1000n);
    const submits = [...p.a.effects, ...p.b.effects].filter((e) => e.type === 'submit' && e.tx === 'close');
    expect(submits).toHaveLength(2);
    // no more payments
    p.apply(p.a, pay(1n, 'late'));
    expect(rejectedRefs(p.a)).toContain('late');
    p.apply(p.a, { type: 'ledgerClosed', payoutA: CAP - 1000n - 200n, payoutB: 1000n });
    expect(p.a.ch.status).toBe('closed');
    expect(p.a.ch.payout).toEqual({ local: CAP - 1200n, remote: 1000n });
  });

  it('the watcher disputes a stale unilateral close and settles after the window', () => {
    const p = openPair();
    for (let i = 0; i < 3; i++) {
      p.apply(p.a, pay(1000n, `p${i}`));
      p.flush();
    }
    // A closes with state 1 (stale); B's watcher sees it
    p.apply(p.b, { type: 'ledgerClosing', seq: 1n, by: 'A', deadlineHeight: 30 });
    const dispute = p.b.effects.find((e) => e.type === 'submit' && e.tx === 'dispute');
    expect(dispute && dispute.type === 'submit' ? dispute.state?.state.seq : undefined).toBe(3n);
    p.apply(p.b, { type: 'block', height: 29 });
    expect(p.b.effects.some((e) => e.type === 'submit' && e.tx === 'settle')).toBe(false);
    p.apply(p.b, { type: 'block', height: 30 });
    expect(p.b.effects.filter((e) => e.type === 'submit' && e.tx === 'settle')).toHaveLength(1);
    p.apply(p.b, { type: 'block', height: 31 });
    expect(p.b.effects.filter((e) => e.type === 'submit' && e.tx === 'settle')).toHaveLength(1);
  });

  it('resubmits a dispute and a settle the ledger has not acted on a few blocks later', () => {
    const p = openPair();
    for (let i = 0; i < 3; i++) {
      p.apply(p.a, pay(1000n, `p${i}`));
      p.flush();
    }
    const disputes = () => p.b.effects.filter((e) => e.type === 'submit' && e.tx === 'dispute').length;
    const settles = () => p.b.effects.filter((e) => e.type === 'submit' && e.tx === 'settle').length;
    p.b.ctx.height = 20;
    p.apply(p.b, { type: 'ledgerClosing', seq: 1n, by: 'A', deadlineHeight: 30 });
    expect(disputes()).toBe(1);
    p.b.ctx.height = 21; // the ledger still shows the stale state: too soon to resend
    p.apply(p.b, { type: 'ledgerClosing', seq: 1n, by: 'A', deadlineHeight: 30 });
    expect(disputes()).toBe(1);
    p.b.ctx.height = 23;
    p.apply(p.b, { type: 'ledgerClosing', seq: 1n, by: 'A', deadlineHeight: 30 });
    expect(disputes()).toBe(2);
    p.apply(p.b, { type: 'ledgerClosing', seq: 3n, by: 'A', deadlineHeight: 30 }); // taken: nothing more
    expect(disputes()).toBe(2);
    p.apply(p.b, { type: 'block', height: 30 });
    p.apply(p.b, { type: 'block', height: 32 });
    expect(settles()).toBe(1);
    p.apply(p.b, { type: 'block', height: 33 }); // still not closed three blocks later
    expect(settles()).toBe(2);
  });

  it('a late ledger read that still says closing does not reopen a closed channel to settling', () => {
    const p = openPair();
    p.apply(p.a, pay(1000n, 'p'));
    p.flush();
    p.apply(p.b, { type: 'ledgerClosing', seq: 1n, by: 'A', deadlineHeight: 30 });
    p.apply(p.b, { type: 'ledgerClosed', payoutA: CAP - 1000n, payoutB: 1000n });
    expect(p.b.ch.status).toBe('closed');
    const before = p.b.effects.length;
    p.apply(p.b, { type: 'ledgerClosing', seq: 1n, by: 'A', deadlineHeight: 30 }); // a read that started earlier
    expect(p.b.ch.status).toBe('closed');
    p.b.ctx.height = 40;
    p.apply(p.b, { type: 'block', height: 40 });
    expect(p.b.effects.slice(before).filter((e) => e.type === 'submit')).toHaveLength(0);
  });

  it('does not dispute its own close or a current state', () => {
    const p = openPair();
    p.apply(p.a, pay(1000n, 'p'));
    p.flush();
    p.apply(p.b, { type: 'ledgerClosing', seq: 1n, by: 'A', deadlineHeight: 30 });
    p.apply(p.a, { type: 'forceClose' });
    p.apply(p.a, { type: 'ledgerClosing', seq: 1n, by: 'A', deadlineHeight: 30 });
    expect([...p.a.effects, ...p.b.effects].some((e) => e.type === 'submit' && e.tx === 'dispute')).toBe(false);
  });
});

describe('random interleavings (property)', () => {
  type Act =
    | { t: 'pay'; from: 'a' | 'b'; amount: bigint }
    | { t: 'deliver'; to: 'a' | 'b' }
    | { t: 'bounce' };
  const act: fc.Arbitrary<Act> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ t: fc.constant('pay' as const), from: fc.constantFrom('a' as const, 'b' as const), amount: fc.bigInt({ min: 1n, max: 400_000_000n }) }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant('deliver' as const), to: fc.constantFrom('a' as const, 'b' as const) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('bounce' as const) }) },
  );

  it('both sides end on the same state, capacity conserved, every payment settled once or rejected', () => {
    let settledTotal = 0;
    let races = 0;
    fc.assert(
      fc.property(fc.array(act, { minLength: 5, maxLength: 120 }), (acts) => {
        const p = openPair({ push: 300_000_000n });
        const amounts = new Map<string, { from: 'a' | 'b'; amount: bigint }>();
        let n = 0;
        for (const x of acts) {
          if (x.t === 'pay') {
            const ref = `r${n++}`;
            amounts.set(ref, { from: x.from, amount: x.amount });
            p.apply(p[x.from], pay(x.amount, ref));
          } else if (x.t === 'deliver') {
            p.deliver(p[x.to]);
          } else {
            p.disconnect();
            p.reconnect();
          }
        }
        p.flush();
        const sa = p.a.ch.signed.state;
        expect(p.b.ch.signed.state).toEqual(sa);
        expect(sa.balanceA + sa.balanceB).toBe(CAP);
        const settled = [...committedRefs(p.a), ...committedRefs(p.b)];
        const rejected = [...rejectedRefs(p.a), ...rejectedRefs(p.b)];
        expect(new Set(settled).size).toBe(settled.length); // never twice
        settledTotal += settled.length;
        races += p.a.errors.filter((e) => /simultaneous/.test(e.message)).length + p.b.errors.filter((e) => /simultaneous/.test(e.message)).length;
        expect(settled.length + rejected.length).toBe(amounts.size); // nothing left hanging
        let fromA = 0n;
        let fromB = 0n;
        for (const r of settled) {
          const a = amounts.get(r)!;
          if (a.from === 'a') fromA += a.amount;
          else fromB += a.amount;
        }
        expect(sa.balanceA).toBe(CAP - 300_000_000n - fromA + fromB);
        expect(receivedTotal(p.b)).toBe(fromA);
        expect(receivedTotal(p.a)).toBe(fromB);
        // the safety property behind the leader/follower rule: nobody ever signs two states at one seq
        expect(p.a.conflicts).toEqual([]);
        expect(p.b.conflicts).toEqual([]);
        expect(p.a.errors.filter((e) => e.action === 'fail')).toEqual([]);
        expect(p.b.errors.filter((e) => e.action === 'fail')).toEqual([]);
      }),
      { numRuns: 150 },
    );
    // the generator must reach the interesting cases
    expect(settledTotal).toBeGreaterThan(250); // ~700 typical; 500 was crossed downward by chance (seen at 497)
    expect(races).toBeGreaterThan(5);
  });
});
