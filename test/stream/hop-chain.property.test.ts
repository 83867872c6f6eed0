// A hash-chain stream across a 3-hop route (payer → H1 → H2 → payee) with the hubs run by the pure hop
// rules (src/stream/hop-chain.ts) and a model of the channels and the ledger's chain registry: a lock's
// root moves down by what was claimed in its channel (so a registration counts only against the root it
// was made for, as on the ledger), and a lock is paid at settlement its claimed units plus the depth
// registered for its current root before its expiry. Under random ticks, pauses, links going down and
// up, hub crashes (a hub comes back with what it last stored, then reads its channels, as the node
// does), checkpoints, and channels closed on the ledger in any order: the payee is paid at least what it
// metered, the payer never more than it revealed (so at most its cap plus the quoted fees), and every
// hub is paid upstream for at least every unit it paid downstream (so it keeps at least its fees).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../../src/crypto/bytes.js';
import { HashChainSecret, verifyReveal } from '../../src/stream/hashchain.js';
import {
  acceptTick, downstreamClaimed, learn, reconcile, registration, upstreamClaim, checkExtend, hopsFromQuote, RELAY_CHECKPOINT_TICKS, type ChainRelay,
} from '../../src/stream/hop-chain.js';

const SEED = new Uint8Array(32).fill(7);
const UNIT = 10_000n;
const FEES = [1001n, 501n]; // H1's and H2's per tick
const EXPIRY = [100_000, 100_000 - 12, 100_000 - 24]; // each lock's expiry, lower downstream

interface Link {
  /** units the receiver claimed (absolute); the lock's root is the chain at this depth */
  claimed: number;
  released: boolean;
  closed: boolean;
  up: boolean;
}

type Action =
  | { tick: number }
  | { pause: boolean }
  | { link: number; up: boolean }
  | { crash: number }
  | { flush: number }
  | 'payeeClaims'
  | { close: number }
  | 'block';

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => ({ tick: n })) },
  { weight: 1, arbitrary: fc.boolean().map((p) => ({ pause: p })) },
  { weight: 2, arbitrary: fc.record({ link: fc.integer({ min: 0, max: 2 }), up: fc.boolean() }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1 }).map((h) => ({ crash: h })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 1 }).map((h) => ({ flush: h })) },
  { weight: 2, arbitrary: fc.constant('payeeClaims' as const) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((l) => ({ close: l })) },
  { weight: 1, arbitrary: fc.constant('block' as const) },
);

function relayOf(hub: number, units: number, root: Uint8Array): ChainRelay {
  return {
    streamId: 'ab'.repeat(16), upPeer: `p${hub}`, upChannel: `c${hub}`, upLock: 1, unitIn: UNIT + FEES.slice(hub).reduce((a, b) => a + b, 0n), expiryIn: EXPIRY[hub]!,
    downPeer: `p${hub + 2}`, downChannel: `c${hub + 1}`, downLock: 2, unitOut: UNIT + FEES.slice(hub + 1).reduce((a, b) => a + b, 0n), expiryOut: EXPIRY[hub + 1]!,
    root: toHex(root), maxUnits: units, rest: [], status: 'relaying', depth: 0, claimedUp: 0, claimedDown: 0,
  };
}

function run(units: number, actions: Action[]) {
  const chain = HashChainSecret.create(SEED, units);
  const at = (d: number) => (d === 0 ? chain.root : chain.preimageAt(d));
  const links: Link[] = [0, 1, 2].map(() => ({ claimed: 0, released: false, closed: false, up: true }));
  /** the chain registry: per root (named by its depth on the chain), the marks (height, depth below that root) */
  const registry = new Map<number, { height: number; depth: number }[]>();
  let height = 1;
  const registered = (rootAt: number, before = Infinity) => {
    let d = 0;
    for (const m of registry.get(rootAt) ?? []) if (m.height < before) d = Math.max(d, m.depth);
    return d;
  };
  const register = (rootAt: number, absolute: number) => {
    const r = registration({ ...relayOf(0, units, chain.root), depth: absolute, value: toHex(at(absolute)), claimedUp: rootAt }, at(rootAt), registered(rootAt));
    if (!r) return;
    // the ledger checks the preimage against the root's deepest registration before it takes it
    expect(verifyReveal({ root: at(rootAt), maxUnits: units - rootAt, prevDepth: 0, depth: r.depth, value: r.preimage, maxStep: units }).ok).toBe(true);
    registry.set(rootAt, [...(registry.get(rootAt) ?? []), { height, depth: r.depth }]);
  };

  let payerDepth = 0;
  let paused = false;
  let payeeDepth = 0;
  let hubs = [0, 1].map(() => relayOf(0, units, chain.root)).map((r, i) => ({ ...relayOf(i, units, chain.root), ...{ status: r.status } }));
  let stored = hubs.map((h) => ({ ...h }));

  const deliverToPayee = (depth: number, value: Uint8Array) => {
    if (!links[2]!.up || links[2]!.closed || depth <= payeeDepth) return;
    const v = verifyReveal({ root: at(payeeDepth), maxUnits: units - payeeDepth, prevDepth: 0, depth: depth - payeeDepth, value, maxStep: units });
    expect(v.ok).toBe(true);
    payeeDepth = depth;
  };
  /** Hub i claims upstream what the rules say is due: in its channel if open and reachable, else on the ledger. */
  const claimUp = (i: number, final: boolean) => {
    const h = hubs[i]!;
    const up = links[i]!;
    const c = upstreamClaim(h, RELAY_CHECKPOINT_TICKS, final);
    if (!c) return;
    if (up.closed) return register(up.claimed, h.depth);
    if (!up.up || up.released) return;
    up.claimed = h.claimedUp + c.depth;
    hubs[i] = { ...h, claimedUp: up.claimed };
    stored[i] = { ...stored[i]!, claimedUp: up.claimed, depth: Math.max(stored[i]!.depth, up.claimed), value: toHex(at(Math.max(stored[i]!.depth, up.claimed))) };
    if (i > 0) downClaimed(i - 1); // the hop before sees our claim op on its lock
  };
  const deliverToHub = (i: number, depth: number, value: Uint8Array) => {
    if (!links[i]!.up || links[i]!.closed) return;
    const t = acceptTick(hubs[i]!, depth, value, 10_000);
    if (!t.ok) return;
    hubs[i] = t.relay;
    if (i === 0) deliverToHub(1, depth, value);
    else deliverToPayee(depth, value);
    claimUp(i, false);
  };
  /** The next node claimed on hub i's downstream lock: the hub stores it at once and claims upstream. */
  const downClaimed = (i: number) => {
    const down = links[i + 1]!;
    hubs[i] = downstreamClaimed(hubs[i]!, down.claimed, at(down.claimed));
    stored[i] = downstreamClaimed(stored[i]!, down.claimed, at(down.claimed));
    claimUp(i, false);
  };
  /** After a restart, or when the downstream channel closed: what the channels and the registry show. */
  const catchUp = (i: number) => {
    const down = links[i + 1]!;
    const up = links[i]!;
    const lockOf = (l: Link) => (l.released ? undefined : { root: at(l.claimed), maxUnits: units - l.claimed });
    let h = reconcile(hubs[i]!, lockOf(down), lockOf(up));
    if (down.closed) {
      const reg = registered(down.claimed);
      if (reg > 0) h = learn(h, down.claimed + reg, at(down.claimed + reg));
    }
    hubs[i] = h;
  };

  for (const a of actions) {
    if (typeof a === 'object' && 'tick' in a) {
      if (paused || links[0]!.closed || !links[0]!.up || payerDepth >= units) continue;
      payerDepth = Math.min(units, payerDepth + a.tick);
      deliverToHub(0, payerDepth, at(payerDepth));
    } else if (typeof a === 'object' && 'pause' in a) paused = a.pause;
    else if (typeof a === 'object' && 'link' in a) {
      links[a.link]!.up = a.up;
      if (a.up && a.link === 0 && payerDepth > 0) deliverToHub(0, payerDepth, at(payerDepth)); // a reconnect re-reveals
      if (a.up && a.link > 0) claimUp(a.link - 1, false);
    } else if (typeof a === 'object' && 'crash' in a) {
      hubs[a.crash] = { ...stored[a.crash]! };
      catchUp(a.crash);
    } else if (typeof a === 'object' && 'flush' in a) stored[a.flush] = { ...hubs[a.flush]! };
    else if (a === 'payeeClaims') {
      const l = links[2]!;
      if (l.up && !l.closed && payeeDepth > l.claimed) {
        l.claimed = payeeDepth;
        downClaimed(1);
      }
    } else if (typeof a === 'object' && 'close' in a) {
      const l = links[a.close]!;
      if (l.closed) continue;
      l.closed = true;
      // the receiver shows its deepest on the ledger against the lock's current root (a reveal registers it)
      if (a.close === 2) register(l.claimed, payeeDepth);
      else register(l.claimed, hubs[a.close]!.depth);
      if (a.close > 0) {
        catchUp(a.close - 1);
        claimUp(a.close - 1, true);
      }
    } else if (a === 'block') height++;
  }

  // The end: every link comes back; the payee claims (or registers) what it has, then gives the lock back;
  // each hub does its duty: learn downstream, claim (or register) all upstream, give back the rest.
  for (const l of links) l.up = true;
  const l2 = links[2]!;
  if (l2.closed) register(l2.claimed, payeeDepth);
  else {
    if (payeeDepth > l2.claimed) {
      l2.claimed = payeeDepth;
      downClaimed(1);
    }
    l2.released = true;
  }
  for (const i of [1, 0]) {
    catchUp(i);
    claimUp(i, true);
    if (links[i]!.closed) register(links[i]!.claimed, hubs[i]!.depth);
    else links[i]!.released = true;
  }
  // settlement: a released lock paid its claims; a lock on a closed channel its claims plus its registry depth
  const paid = links.map((l, j) => Math.min(units, l.claimed + (l.released ? 0 : registered(l.claimed, EXPIRY[j]!))));
  return { paid, payerDepth, payeeDepth };
}

describe('hash-chain streams across hops: no hop out of pocket (property)', () => {
  it('whatever the ticks, pauses, links, hub crashes and closes: payee paid at least its meter, payer at most what it revealed, each hub at least what it paid on', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.array(actionArb, { maxLength: 120 }), (units, actions) => {
        const { paid, payerDepth, payeeDepth } = run(units, actions);
        const [p0, p1, p2] = paid as [number, number, number];
        // The payee's meter never exceeds what reached it. It may be paid more: a registration upstream
        // under the same root pays its lock too (a hub that showed a depth the payee never got).
        expect(p2).toBeGreaterThanOrEqual(payeeDepth);
        expect(p0).toBeLessThanOrEqual(payerDepth); // the payer pays only what it revealed (≤ cap, at unit + fees)
        expect(p0).toBeGreaterThanOrEqual(p1); // H1: paid upstream for every unit it paid downstream
        expect(p1).toBeGreaterThanOrEqual(p2); // H2: the same
      }),
      { numRuns: 1000 },
    );
  });
});

describe('hop rules', () => {
  const lock = { from: 'A' as const, root: new Uint8Array(32), unit: UNIT + 1001n, maxUnits: 10, expiryHeight: 10_000 };
  const base = {
    lock, peerSide: 'A' as const, height: 100, unitOut: UNIT, feeOut: 1001n, expiryDelta: 12, spendableOut: UNIT * 10n,
    relaysOfPeer: 0, relaysTotal: 0, maxRelaysPerPeer: 2, maxRelays: 3, known: false,
  };
  it('forwards a lock only with its fee, an expiry margin, the money to lock, and within its bounds', () => {
    expect(checkExtend(base)).toEqual({ ok: true, expiryOut: 10_000 - 12 });
    expect(checkExtend({ ...base, feeOut: 1002n })).toMatchObject({ ok: false, error: expect.stringContaining('below this hop') });
    expect(checkExtend({ ...base, height: 10_000 - 12 - 143 })).toMatchObject({ ok: false, error: expect.stringContaining('expires too soon') });
    expect(checkExtend({ ...base, spendableOut: UNIT * 10n - 1n })).toMatchObject({ ok: false, error: expect.stringContaining('not enough') });
    expect(checkExtend({ ...base, relaysOfPeer: 2 })).toMatchObject({ ok: false, error: expect.stringContaining('per peer') });
    expect(checkExtend({ ...base, relaysTotal: 3 })).toMatchObject({ ok: false, error: expect.stringContaining('at most 3') });
    expect(checkExtend({ ...base, peerSide: 'B' })).toMatchObject({ ok: false, error: 'the lock is not from you' });
    expect(checkExtend({ ...base, lock: { ...lock, expiryHeight: undefined } })).toMatchObject({ ok: false, error: 'the lock has no expiry' });
    expect(checkExtend({ ...base, lock: undefined })).toMatchObject({ ok: false });
    expect(checkExtend({ ...base, known: true })).toMatchObject({ ok: false });
  });

  it('checks a tick with one hash per new unit from the last one taken, and refuses a wrong or stale one', () => {
    const chain = HashChainSecret.create(SEED, 10);
    const r0 = relayOf(0, 10, chain.root);
    const t1 = acceptTick(r0, 3, chain.preimageAt(3), 100);
    expect(t1).toMatchObject({ ok: true, relay: { depth: 3 } });
    const r1 = (t1 as { relay: ChainRelay }).relay;
    expect(acceptTick(r1, 3, chain.preimageAt(3), 100)).toMatchObject({ ok: false, error: 'not-deeper' });
    expect(acceptTick(r1, 5, chain.preimageAt(4), 100)).toMatchObject({ ok: false, error: 'wrong-preimage' });
    expect(acceptTick(r1, 11, chain.preimageAt(10), 100)).toMatchObject({ ok: false, error: 'beyond-max' });
    expect(acceptTick(r1, 10, chain.preimageAt(10), 2)).toMatchObject({ ok: false, error: 'step-too-large' });
    expect(acceptTick({ ...r1, status: 'ended' }, 4, chain.preimageAt(4), 100)).toMatchObject({ ok: false, error: 'not-relaying' });
  });

  it('claims upstream at a checkpoint, at once when downstream claimed past it, and all at the end', () => {
    const chain = HashChainSecret.create(SEED, 100);
    const r = { ...relayOf(0, 100, chain.root), depth: 5, value: toHex(chain.preimageAt(5)) };
    expect(upstreamClaim(r, 30, false)).toBeUndefined();
    expect(upstreamClaim(r, 30, true)).toMatchObject({ depth: 5 });
    expect(upstreamClaim(downstreamClaimed(r, 4, chain.preimageAt(4)), 30, false)).toMatchObject({ depth: 5 });
    expect(upstreamClaim({ ...r, depth: 40, value: toHex(chain.preimageAt(40)), claimedUp: 5 }, 30, false)).toMatchObject({ depth: 35 });
    // a claim downstream deeper than our ticks (we lost them in a crash) is learned
    expect(downstreamClaimed(r, 9, chain.preimageAt(9))).toMatchObject({ depth: 9, claimedDown: 9 });
  });

  it('after a restart, reads the claims of both sides off the channels (a claim moved each lock root to its preimage)', () => {
    const chain = HashChainSecret.create(SEED, 100);
    const stored = { ...relayOf(0, 100, chain.root), status: 'adding' as const, depth: 2, value: toHex(chain.preimageAt(2)) };
    const r = reconcile(stored, { root: chain.preimageAt(7), maxUnits: 93 }, { root: chain.preimageAt(5), maxUnits: 95 });
    expect(r).toMatchObject({ status: 'relaying', depth: 7, value: toHex(chain.preimageAt(7)), claimedDown: 7, claimedUp: 5 });
    expect(reconcile(stored, undefined, undefined)).toEqual(stored); // nothing to read: as stored
  });

  it('reads the fee per tick off a route quote', () => {
    expect(hopsFromQuote([{ nodeId: 'h', amountMsat: UNIT + 1001n }, { nodeId: 'p', amountMsat: UNIT }], UNIT)).toEqual({
      hops: [{ nodeId: 'h', unit: UNIT + 1001n }, { nodeId: 'p', unit: UNIT }], feePerTick: 1001n,
    });
  });
});
