// Hash-chain streams across hops (multihop.md §7.6, option S2; docs/streams.md "Hash-chain mode across
// hops"): every hop locks under the same chain root, each with its own unit (less its fee per tick) and an
// expiry lower than the lock it came in on. A tick is one small message per hop, checked with one hash
// against the last depth the hop accepted, then forwarded. A hop claims upstream with the preimages it
// was given, and the ledger's chain registry pays any lock under the root the deepest depth registered
// before that lock's expiry, so whatever order channels close in a hop is paid upstream for every unit
// it pays downstream. Pure: heights, fees and bounds are arguments.
import { equalBytes, fromHex, toHex } from '../crypto/bytes.js';
import { hashChain } from '../crypto/hash.js';
import { verifyReveal, type RevealError } from './hashchain.js';
import type { Result } from '../util/result.js';

/** One hop of a route as the payer quotes it: the node and the unit its incoming lock carries. */
export interface ChainHop {
  nodeId: string;
  unit: bigint;
}

/** What a payer keeps about a hash-chain stream across hops. */
export interface HopChainPayer {
  /** The first hop: our channel with it carries our lock, and our ticks go to it. */
  hub: string;
  /** Every hop after us, the payee last, with the unit its incoming lock carries. */
  hops: ChainHop[];
  /** What each tick costs us above the payee's unit: the sum of the hops' fees. */
  feePerTick: bigint;
  /** The most the payer allowed per tick in fees. */
  maxFeePerTick: bigint;
  /** The chain's root (hex), sent in the open so the payee knows the lock that backs the stream. */
  root: string;
}

/** What a payee keeps: the root the payer committed to in its open, so only a lock under it backs the stream. */
export interface HopChainPayee {
  root: string;
}

/** The expiry a hop takes off the lock it forwards, when its policy says less (blocks). */
export const MIN_CHAIN_EXPIRY_DELTA = 12;
/**
 * The expiry a hop takes off the lock it forwards: its policy's delta, but never less than the ledger's
 * dispute window plus the blocks a registration needs to land. The ledger refuses a reveal from one
 * window past a lock's expiry, so a downstream lock that expires less than a window before the upstream
 * one could be revealed downstream when the hop can no longer show it upstream (docs/ledger.md).
 */
export function chainExpiryDelta(policyDelta: number, disputeBlocks: number): number {
  return Math.max(policyDelta, MIN_CHAIN_EXPIRY_DELTA, disputeBlocks + CHAIN_REGISTER_BLOCKS);
}
/** Blocks a hop allows for its registerChain to be mined after it learns of a downstream reveal. */
export const CHAIN_REGISTER_BLOCKS = 3;
/** A hop refuses to forward a lock whose outgoing expiry would be nearer than this to the current height. */
export const CHAIN_EXPIRY_MARGIN_BLOCKS = 144;
/**
 * ...and a lock that expires further out than this. The ledger settles a channel holding a hash-chain
 * lock with an expiry no earlier than that expiry (unless the lock's receiver settles), and a hop holds
 * its own settle of the upstream channel until it: a lock ten million blocks out would freeze the hop's
 * channels that long once its peer (or the payee downstream) force-closes. A payer's lock expires a day
 * (86,400 blocks, streams-payer.ts STREAM_LOCK_EXPIRY_BLOCKS) after it is proposed, so a day and the
 * margin is plenty; the HTLC path bounds an HTLC's expiry the same way (max_htlc_cltv).
 */
export const MAX_CHAIN_EXPIRY_BLOCKS = 86_400 + CHAIN_EXPIRY_MARGIN_BLOCKS;
/** Chain relays one peer may have us hold at once (each locks up to maxUnits × unit of our money), and all peers together. */
export const DEFAULT_MAX_RELAYS_PER_PEER = 16;
export const DEFAULT_MAX_RELAYS = 256;
/** A hop claims upstream once this many relayed ticks are unclaimed (it also claims whenever downstream claims). */
export const RELAY_CHECKPOINT_TICKS = 30;

/** A hop's view of one relayed stream: the lock it came in on and the one it added. Plain data. */
export interface ChainRelay {
  streamId: string;
  /** upstream: the peer, channel and lock (from the peer) */
  upPeer: string;
  upChannel: string;
  upLock: number;
  unitIn: bigint;
  expiryIn: number;
  /** downstream: the next node, our channel with it, and our lock on it (chosen before it is proposed) */
  downPeer: string;
  downChannel: string;
  downLock: number;
  unitOut: bigint;
  expiryOut: number;
  /** The first root, shared by every lock of the stream (hex), and the units both locks started with. */
  root: string;
  maxUnits: number;
  /** The hops after the next node (the next node forwards to them). */
  rest: ChainHop[];
  /** 'adding': stored, our lock proposed; 'relaying': both locks signed; 'ended': downstream released, upstream settled. */
  status: 'adding' | 'relaying' | 'ended';
  /** The deepest depth we hold the preimage of (absolute, from the first root), and that preimage (hex). */
  depth: number;
  value?: string;
  /** Units already claimed on each side (absolute depths). */
  claimedUp: number;
  claimedDown: number;
}

export interface IncomingLock {
  from: 'A' | 'B';
  root: Uint8Array;
  unit: bigint;
  maxUnits: number;
  expiryHeight?: number;
}

export interface ExtendContext {
  /** The incoming lock, in the channel's both-signed state (undefined if it is not there). */
  lock: IncomingLock | undefined;
  /** The side of the channel the peer is on: the lock must come from it. */
  peerSide: 'A' | 'B';
  height: number;
  /** The unit the next hop's lock is to carry (the payer's quote). */
  unitOut: bigint;
  /** Our fee for forwarding one tick of unitOut on the outgoing channel (its policy). */
  feeOut: bigint;
  /** Our policy's expiry delta for the outgoing channel. */
  expiryDelta: number;
  /** What our lock on the outgoing channel may spend. */
  spendableOut: bigint;
  relaysOfPeer: number;
  relaysTotal: number;
  maxRelaysPerPeer: number;
  maxRelays: number;
  /** A relay for this stream exists already. */
  known: boolean;
}

/**
 * May we forward this lock? Cheapest first. On yes, the outgoing lock's expiry. The outgoing lock has the
 * same root and maxUnits, a unit no larger than the incoming one less our fee, and an expiry at least our
 * delta below it: so any depth the next hop can be paid for, we can be paid for upstream, for longer.
 */
export function checkExtend(c: ExtendContext): Result<{ expiryOut: number }, string> {
  const no = (error: string) => ({ ok: false as const, error });
  if (c.known) return no('this stream is relayed already');
  if (c.relaysOfPeer >= c.maxRelaysPerPeer) return no(`at most ${c.maxRelaysPerPeer} chain relays per peer`);
  if (c.relaysTotal >= c.maxRelays) return no(`at most ${c.maxRelays} chain relays`);
  const l = c.lock;
  if (!l) return no('no such hash-chain lock in a signed state');
  if (l.from !== c.peerSide) return no('the lock is not from you');
  if (l.expiryHeight === undefined) return no('the lock has no expiry');
  if (c.unitOut <= 0n) return no('the outgoing unit must be positive');
  if (l.unit - c.unitOut < c.feeOut) return no(`the fee per tick is ${l.unit - c.unitOut} msat, below this hop's ${c.feeOut} msat`);
  const expiryOut = l.expiryHeight - Math.max(c.expiryDelta, MIN_CHAIN_EXPIRY_DELTA);
  if (expiryOut < c.height + CHAIN_EXPIRY_MARGIN_BLOCKS) return no(`the lock expires too soon (at ${l.expiryHeight}, height ${c.height})`);
  if (l.expiryHeight > c.height + MAX_CHAIN_EXPIRY_BLOCKS) return no(`the lock expires too far out (at ${l.expiryHeight}, height ${c.height}; at most ${MAX_CHAIN_EXPIRY_BLOCKS} blocks)`);
  if (c.unitOut * BigInt(l.maxUnits) > c.spendableOut) return no('not enough to lock on the next channel');
  return { ok: true, expiryOut };
}

export type TickOutcome = { ok: true; relay: ChainRelay } | { ok: false; error: RevealError | 'not-relaying' };

/** One tick from upstream: one hash per new unit, against the last depth we accepted (never from the root). */
export function acceptTick(r: ChainRelay, depth: number, value: Uint8Array, maxStep: number): TickOutcome {
  if (r.status !== 'relaying' && r.status !== 'adding') return { ok: false, error: 'not-relaying' };
  const v = verifyReveal({
    root: fromHex(r.root), maxUnits: r.maxUnits, prevDepth: r.depth, ...(r.depth > 0 && r.value ? { prevValue: fromHex(r.value) } : {}),
    depth, value, maxStep,
  });
  if (!v.ok) return v;
  return { ok: true, relay: { ...r, depth, value: toHex(value) } };
}

/**
 * Whether a tick may still be taken (and forwarded) at this height. From the outgoing lock's expiry on,
 * no: everything the next node can be paid for must be registered upstream before the incoming lock's
 * expiry (registerDue), and a depth forwarded later would need a registration of its own each time.
 */
export function takesTicks(r: ChainRelay, height: number): boolean {
  return height < r.expiryOut;
}

/**
 * Whether to register what we hold unclaimed upstream now, whatever state the upstream channel is in.
 * A claim in the channel needs the peer's signature: a peer that is gone, or never signs, leaves it
 * open and the claim pending, and once the incoming lock has expired nothing we hold can be shown for
 * it (the registry pays a lock what was registered below its expiry; reveals are refused from a window
 * past it). From the outgoing lock's expiry on (the incoming one is at least a dispute window and the
 * blocks a registration needs later, chainExpiryDelta) the depth can grow only by what the next node
 * shows on the ledger, so this is one registration, plus one per deeper reveal learned later.
 */
export function registerDue(r: ChainRelay, height: number): boolean {
  return height >= r.expiryOut && r.value !== undefined && r.depth > r.claimedUp;
}

/**
 * A preimage we learned downstream (the next hop's claim op carries it, checked by the channel against
 * our lock; or the ledger's registry): take it if it is deeper than ours. Absolute depth.
 */
export function learn(r: ChainRelay, depth: number, value: Uint8Array): ChainRelay {
  return depth > r.depth && depth <= r.maxUnits ? { ...r, depth, value: toHex(value) } : r;
}

/** The next hop claimed on our lock up to this absolute depth (its claim op carried the preimage). */
export function downstreamClaimed(r: ChainRelay, depth: number, value: Uint8Array): ChainRelay {
  const l = learn(r, depth, value);
  return depth > l.claimedDown ? { ...l, claimedDown: depth } : l;
}

/**
 * What to claim on the upstream lock now, as its claim op wants it (a depth below the lock's current
 * root, which our earlier claims moved down), or undefined. We claim once `every` ticks are unclaimed,
 * at once when downstream has claimed past us (we are out of pocket until we do), and all at the end.
 */
export function upstreamClaim(r: ChainRelay, every: number, final: boolean): { depth: number; preimage: Uint8Array } | undefined {
  if (!r.value || r.depth <= r.claimedUp) return undefined;
  const due = final || r.claimedDown > r.claimedUp || r.depth - r.claimedUp >= every;
  return due ? { depth: r.depth - r.claimedUp, preimage: fromHex(r.value) } : undefined;
}

/**
 * What to register on the ledger for our upstream lock when it cannot be claimed in its channel (the
 * upstream channel is closing, or its peer is gone): the deepest we hold, against the lock's current
 * root, if the registry does not have it yet. `registered` is the registry's depth for that root.
 */
export function registration(r: ChainRelay, upstreamRoot: Uint8Array, registered: number): { root: Uint8Array; depth: number; preimage: Uint8Array; registeredDepth: number } | undefined {
  const depth = r.depth - r.claimedUp;
  if (!r.value || depth <= 0 || depth <= registered) return undefined;
  return { root: upstreamRoot, depth, preimage: fromHex(r.value), registeredDepth: registered };
}

/** A root under which the ledger may pay our downstream lock, and the absolute depth it sits at (a depth d shown under it is base + d). */
export interface ShownRoot {
  root: Uint8Array;
  base: number;
}

/**
 * Is the ledger's lock (of the state under adjudication on our closing downstream channel) our lock:
 * the same side, unit and expiry, and a root on our chain (the next node closed with an older state,
 * from before a claim, or one we signed last)? At most maxUnits hashes: the caller remembers the answer.
 */
export function onOurChain(ours: IncomingLock, theirs: IncomingLock): boolean {
  if (ours.from !== theirs.from || ours.unit !== theirs.unit || ours.expiryHeight !== theirs.expiryHeight) return false;
  const k = theirs.maxUnits - ours.maxUnits; // units claimed between the two states
  if (k === 0) return equalBytes(ours.root, theirs.root);
  return k > 0 ? equalBytes(hashChain(ours.root, k), theirs.root) : equalBytes(hashChain(theirs.root, -k), ours.root);
}

/**
 * Every root under which the ledger can pay our downstream lock while its channel closes: our lock's,
 * and, if the state under adjudication holds our lock (onOurChain), that lock's root and its anchors
 * (roots a dispute moved it from, `offset` units above it), and the chain's first root. The next node
 * is paid a depth shown under any of them (a reveal against the old state's root, carried by a dispute; a registration under an
 * anchor), so the hop must read them all, not only its own.
 */
export function downstreamRoots(r: ChainRelay, ours: IncomingLock, adjudicated: IncomingLock | undefined, anchors: readonly { root: Uint8Array; offset: number }[]): ShownRoot[] {
  const out: ShownRoot[] = [{ root: ours.root, base: r.maxUnits - ours.maxUnits }];
  const add = (x: ShownRoot) => {
    if (!out.some((o) => equalBytes(o.root, x.root))) out.push(x);
  };
  if (adjudicated) {
    const base = r.maxUnits - adjudicated.maxUnits;
    add({ root: adjudicated.root, base });
    for (const a of anchors) add({ root: a.root, base: base - a.offset });
  }
  add({ root: fromHex(r.root), base: 0 }); // the first root: a close with the state before any claim is paid by it
  return out;
}

/**
 * After a restart: the channels are the truth for claims. Our downstream lock's units show how far the
 * next node claimed, and its root is the preimage at that depth (the claim op moved it there); our
 * upstream lock's, how far we did. A lock stored as being added that is signed now is relaying.
 */
export function reconcile(r: ChainRelay, down: Pick<IncomingLock, 'root' | 'maxUnits'> | undefined, up: Pick<IncomingLock, 'root' | 'maxUnits'> | undefined): ChainRelay {
  let next = r;
  if (down) {
    if (next.status === 'adding') next = { ...next, status: 'relaying' };
    const claimed = r.maxUnits - down.maxUnits;
    if (claimed > next.claimedDown) next = downstreamClaimed(next, claimed, down.root);
  }
  if (up) {
    const claimed = r.maxUnits - up.maxUnits;
    if (claimed > next.claimedUp) next = learn({ ...next, claimedUp: claimed }, claimed, up.root);
  }
  return next;
}

/**
 * The hops of a route's quote for one tick (the payments layer's query for `unit`): each node with the
 * amount that arrives at it, which is the unit of its incoming lock; the fee per tick is what the first
 * hop gets above the payee's unit.
 */
export function hopsFromQuote(route: readonly { nodeId: string; amountMsat: bigint }[], unit: bigint): { hops: ChainHop[]; feePerTick: bigint } {
  const hops = route.map((h) => ({ nodeId: h.nodeId, unit: h.amountMsat }));
  return { hops, feePerTick: (route[0]?.amountMsat ?? unit) - unit };
}
