// A hop of a hash-chain stream across hops (docs/streams.md "Hash-chain mode across hops"; the pure
// rules are src/stream/hop-chain.ts). A payer's (or an earlier hop's) streamChain names a lock it made to
// us; once that lock is in our both-signed state we store a relay record, add our own lock under the
// same root on the channel to the next node (our fee less per unit, a lower expiry), and from then on
// check each streamTick with one hash against the last depth we took and forward it. We claim upstream
// with what we were given: every RELAY_CHECKPOINT_TICKS ticks, at once when the next node claims from
// us, and everything when it gives our lock back (then we give back the rest of the upstream lock).
// When the upstream channel closes on the ledger we register our depth in the chain registry instead
// (what the ledger shows for our locks, and when to register, is watched in streams-chain-watch.ts).
//
// What is stored when (the argument is in docs/streams.md): the relay record before our lock is
// proposed; the depth once a second (no write per tick); a downstream claim as soon as it is signed.
import type { Channel } from '../channel/machine.js';
import type { HashchainLock } from '../channel/state.js';
import { fromHex, toHex } from '../crypto/bytes.js';
import {
  acceptTick, chainExpiryDelta, checkExtend, DEFAULT_MAX_RELAYS, DEFAULT_MAX_RELAYS_PER_PEER, downstreamClaimed, reconcile, RELAY_CHECKPOINT_TICKS, takesTicks, upstreamClaim,
  type ChainHop, type ChainRelay,
} from '../stream/hop-chain.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import type { StreamChainMessage, StreamTickMessage } from '../wire/stream.js';
import type { LocalChannelView } from './htlc-types.js';
import { fromStored, toStored } from './stream-record.js';
import type { StreamShell } from './streams.js';
import { forwardingFee } from '../forward/policy.js';
import { freeLockId } from './streams-payer.js';
import { rebindPayees, registerUpstream } from './streams-chain-ledger.js';
import { DownstreamWatch } from './streams-chain-watch.js';
import { isEnded } from '../stream/record.js';
import { Coalescer } from '../util/coalesce.js';

/** The most units one tick may reveal at a hop: bounds the hashes a wrong preimage costs (once per relay: it ends it). */
const MAX_RELAY_STEP = 10_000;
/** A request to extend a lock not yet signed waits this long at most. */
const PENDING_MS = 30_000;
const FLUSH_EVERY_MS = 1000;

export interface ChainDeps {
  localChannels(): readonly LocalChannelView[];
  /** the ledger's dispute window (blocks): the least a hop takes off a lock's expiry (chainExpiryDelta) */
  disputeBlocks: number;
}

interface Pending {
  peerId: string;
  channelId: string;
  lockId: number;
  hops: ChainHop[];
  at: number;
}

export class ChainRelays {
  private readonly relays = new Map<string, ChainRelay>();
  /** streamChain requests whose lock is not yet signed, by stream id (bounded with the relays). */
  private readonly pending = new Map<string, Pending>();
  private readonly dirty = new Set<string>();
  /** One upstream claim at a time per relay, and one more queued for every tick that asks meanwhile. */
  private readonly claims = new Coalescer<boolean>((id, final) => this.claimPass(id, final), (a, b) => a || b);
  /** Relays whose peer sent a wrong preimage: no tick of theirs is checked again (in memory; one relay each at most). */
  private readonly spoiled = new Set<string>();
  /** What the ledger shows for our relays' locks (streams-chain-watch.ts). */
  private readonly watch: DownstreamWatch;
  private stopFlush?: () => void;
  private readonly maxPerPeer: number;
  private readonly maxTotal: number;

  constructor(private readonly s: StreamShell, private readonly d: ChainDeps) {
    this.maxPerPeer = s.o.policy.maxChainRelaysPerPeer ?? DEFAULT_MAX_RELAYS_PER_PEER;
    this.maxTotal = s.o.policy.maxChainRelays ?? DEFAULT_MAX_RELAYS;
    this.watch = new DownstreamWatch(s, d.disputeBlocks, {
      get: (id) => this.relays.get(id),
      all: () => this.relays.values(),
      keep: (r) => (this.relays.set(r.streamId, r), this.save(r)),
      claimUp: (id, final) => this.claimUp(id, final),
      afterDownstream: (r, released) => this.afterDownstream(r, released),
      downLock: (r) => this.downLock(r),
    });
  }

  list(): ChainRelay[] {
    return [...this.relays.values()];
  }

  /** The latest expiry of the incoming locks we still relay on this channel: our own settle of it waits for that (ChannelManagerOptions.holdSettle). */
  holdSettle(channelId: string): number | undefined {
    let until: number | undefined;
    for (const r of this.relays.values()) if (r.upChannel === channelId && r.status !== 'ended') until = Math.max(until ?? 0, r.expiryIn); // an ended relay's downstream lock is given back: nothing more to be paid there
    return until;
  }

  async load(): Promise<void> {
    for (const { value } of await this.s.o.store.loadRecords('chain')) {
      const r = fromStored<ChainRelay>(value);
      this.relays.set(r.streamId, r);
    }
  }

  /** After a restart (channels loaded): catch up with what the channels say, then finish what was under way. */
  start(): void {
    this.stopFlush = this.s.clock.every(FLUSH_EVERY_MS, () => {
      void this.flush();
      this.watch.registerNearExpiry();
    });
    for (const r of this.relays.values()) {
      if (r.status === 'ended') continue;
      const caught = reconcile(r, this.downLock(r), this.signedLock(r.upChannel, r.upLock));
      this.relays.set(r.streamId, caught);
      const down = this.s.o.channels.channels.get(caught.downChannel)?.status;
      if (caught.status === 'adding') void this.addAfterRestart(caught);
      // closing when we stopped: the next node may still show a deeper chain there (no status change will say so)
      else if (down === 'closing' || down === 'forceClosing') this.watch.followThenEnd(caught.streamId);
      else this.afterDownstream(caught, this.downLock(caught) === undefined);
    }
    rebindPayees(this.s);
  }

  async stop(): Promise<void> {
    this.stopFlush?.();
    await this.flush();
  }

  /** Does this lock belong to a relay (or one asked for)? The payee side must not give it back as an orphan. */
  holds(channelId: string, lockId: number): boolean {
    for (const p of this.pending.values()) if (p.channelId === channelId && p.lockId === lockId) return true;
    for (const r of this.relays.values()) if (r.upChannel === channelId && r.upLock === lockId && r.status !== 'ended') return true;
    return false;
  }

  private count(peerId: string): { peer: number; total: number } {
    let peer = 0;
    let total = 0;
    const now = this.s.clock.now();
    for (const [id, p] of this.pending) {
      if (now - p.at > PENDING_MS) this.pending.delete(id);
      else if (p.peerId === peerId) peer++, total++;
      else total++;
    }
    for (const r of this.relays.values()) {
      if (r.status === 'ended') continue;
      total++;
      if (r.upPeer === peerId) peer++;
    }
    return { peer, total };
  }

  /** A streamChain from a peer: extend its lock now if it is signed, else once it is (onReceivedOps). */
  onChain(peerId: string, m: StreamChainMessage): void {
    const id = toHex(m.streamId);
    const known = this.relays.get(id);
    if (known) {
      // A repeat (the payer reconnected): the next node may have missed our own request.
      if (known.upPeer === peerId && known.status === 'relaying') this.sendOn(known);
      return;
    }
    const channelId = toHex(m.channelId);
    // One lock pays for one relay: a second request for it (under another stream id) would have us lock
    // our money twice against it.
    if (m.hops.length === 0 || this.pending.has(id) || [...this.pending.values()].some((p) => p.channelId === channelId && p.lockId === m.lockId)) return;
    const c = this.count(peerId);
    if (c.peer >= this.maxPerPeer || c.total >= this.maxTotal) {
      this.s.o.log.warn({ peer: peerId.slice(0, 16), stream: id }, 'chain relay refused: too many');
      return;
    }
    const p: Pending = { peerId, channelId, lockId: m.lockId, hops: m.hops.map((h) => ({ nodeId: toHex(h.nodeId), unit: h.unit })), at: this.s.clock.now() };
    this.pending.set(id, p);
    if (this.signedLock(p.channelId, p.lockId)) this.extend(id);
  }

  /** A lock that already pays for a relay, or backs a stream of ours as its payee. */
  private lockTaken(channelId: string, lockId: number): boolean {
    for (const r of this.relays.values()) if (r.upChannel === channelId && r.upLock === lockId) return true; // kept while that lock is there
    for (const r of this.s.records.onChannel(channelId)) if (r.chain?.lockId === lockId && !isEnded(r.status)) return true;
    return false;
  }

  private signedLock(channelId: string, lockId: number): HashchainLock | undefined {
    const l = this.s.o.channels.channels.get(channelId)?.signed.state.locks.find((x) => x.id === lockId);
    return l?.kind === 'hashchain' ? l : undefined;
  }

  /** From a both-signed state a peer proposed: a lock we were asked to extend, or the next node's claim or release. */
  onReceivedOps(ch: Channel, ops: readonly ChannelOp[]): void {
    const channelId = toHex(ch.channelId);
    const { o } = this.s;
    for (const op of ops) {
      if (op.op === 'addHashchain') {
        for (const [id, p] of this.pending) if (p.channelId === channelId && p.lockId === op.id) this.extend(id);
        continue;
      }
      if (op.op !== 'claimHashchain' && op.op !== 'releaseHashchain') continue;
      for (const r of this.relays.values()) {
        if (r.downChannel !== channelId || r.downLock !== op.id || r.status === 'ended') continue;
        if (op.op === 'claimHashchain') {
          const next = downstreamClaimed(r, r.claimedDown + op.depth, op.preimage);
          this.relays.set(r.streamId, next);
          // Stored before this channel handles anything more: this preimage is what we are paid upstream with,
          // and the next state (the release) removes the lock whose root shows it.
          void o.channels.afterPending(channelId, () => this.save(next)).finally(() => this.claimUp(next.streamId, false));
        } else this.afterDownstream(r, true);
      }
    }
  }

  private extend(id: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const { o } = this.s;
    const ch = o.channels.channels.get(p.channelId);
    const lock = this.signedLock(p.channelId, p.lockId);
    const next = p.hops[0]!;
    const out = this.outgoing(next.nodeId);
    const c = this.count(p.peerId);
    const taken = this.lockTaken(p.channelId, p.lockId);
    const verdict = ch && toHex(ch.remoteNodeId) === p.peerId && ch.status === 'open' && out
      ? checkExtend({
        lock, peerSide: ch.local === 'A' ? 'B' : 'A', height: o.height(), unitOut: next.unit, feeOut: forwardingFee(out.view.policy, next.unit),
        expiryDelta: chainExpiryDelta(out.view.policy.cltvExpiryDelta, this.d.disputeBlocks), spendableOut: out.view.spendableMsat, relaysOfPeer: c.peer, relaysTotal: c.total,
        maxRelaysPerPeer: this.maxPerPeer, maxRelays: this.maxTotal, known: this.relays.has(id) || taken,
      })
      : { ok: false as const, error: out ? 'no open channel with you by that id' : `no usable channel to ${next.nodeId}` };
    if (!verdict.ok) {
      o.log.warn({ stream: id, reason: verdict.error }, 'chain relay refused');
      // A lock we will not forward is given back, so the payer's budget is not stuck until a close; but
      // never one that pays for a relay of ours or backs a stream we are paid by: the request naming it
      // is the lie, and giving it back would return the payer what we owe on (hopchain-lock-named-again).
      if (ch && lock && lock.from !== ch.local && !taken) void o.channels.submitOps(p.channelId, [{ op: 'releaseHashchain', id: p.lockId }]).settled.catch(() => undefined);
      return;
    }
    const r: ChainRelay = {
      streamId: id, upPeer: p.peerId, upChannel: p.channelId, upLock: p.lockId, unitIn: lock!.unit, expiryIn: lock!.expiryHeight!,
      downPeer: next.nodeId, downChannel: out!.view.channelId, downLock: freeLockId(out!.ch), unitOut: next.unit, expiryOut: verdict.expiryOut,
      root: toHex(lock!.root), maxUnits: lock!.maxUnits, rest: p.hops.slice(1), status: 'adding', depth: 0, claimedUp: 0, claimedDown: 0,
    };
    this.relays.set(id, r);
    // Stored before our lock is proposed: after a crash we know which incoming lock pays for it.
    void this.save(r).then(() => this.addOutgoing(r), (e: unknown) => {
      this.relays.delete(id);
      o.log.error({ err: e, stream: id }, 'storing a chain relay failed: not forwarded');
    });
  }

  private outgoing(nodeId: string): { view: LocalChannelView; ch: Channel } | undefined {
    let best: LocalChannelView | undefined;
    for (const v of this.d.localChannels()) if (v.peerNodeId === nodeId && v.active && (!best || v.spendableMsat > best.spendableMsat)) best = v;
    const ch = best && this.s.o.channels.channels.get(best.channelId);
    return best && ch ? { view: best, ch } : undefined;
  }

  private addOutgoing(r: ChainRelay): void {
    const { o } = this.s;
    const op: ChannelOp = { op: 'addHashchain', id: r.downLock, root: fromHex(r.root), unit: r.unitOut, maxUnits: r.maxUnits, expiryHeight: r.expiryOut };
    // The next hop hears which lock to extend before the lock itself (as from the payer): a lock that
    // comes first, backing nothing it knows, it would give back at once.
    this.sendOn(r);
    o.channels.submitOps(r.downChannel, [op]).settled.then(() => {
      const now = this.relays.get(r.streamId);
      if (now?.status !== 'adding') return;
      const relaying: ChainRelay = { ...now, status: 'relaying' };
      this.relays.set(r.streamId, relaying);
      this.dirty.add(r.streamId);
      this.forward(relaying);
    }, (e: unknown) => {
      o.log.warn({ stream: r.streamId, err: (e as Error).message }, 'the outgoing chain lock was refused');
      this.afterDownstream(r, true);
    });
  }

  /**
   * A relay stored as 'adding' when the node stopped: our lock may be in a stored proposal (the channel
   * sends it again on reconnect), so it is proposed again only if the channel has no trace of it; else
   * we wait (bounded) for it to be signed.
   */
  private async addAfterRestart(r: ChainRelay): Promise<void> {
    const ch = this.s.o.channels.channels.get(r.downChannel);
    if (!ch?.proposal?.state.locks.some((l) => l.id === r.downLock)) return this.addOutgoing(r);
    for (let i = 0; i < PENDING_MS / 100 && !this.downLock(r); i++) await this.s.clock.sleep(100);
    const now = this.relays.get(r.streamId);
    if (!now || now.status !== 'adding') return;
    if (!this.downLock(now)) return this.afterDownstream(now, true);
    const relaying: ChainRelay = { ...now, status: 'relaying' };
    this.relays.set(r.streamId, relaying);
    this.dirty.add(r.streamId);
    this.sendOn(relaying);
  }

  /** Ask the next node to extend our lock, if it is a hop (the payee finds our lock by its root). */
  private sendOn(r: ChainRelay): void {
    if (r.rest.length === 0) return;
    this.s.o.peers.send(r.downPeer, {
      kind: 'streamChain', streamId: fromHex(r.streamId), channelId: fromHex(r.downChannel), lockId: r.downLock,
      hops: r.rest.map((h) => ({ nodeId: fromHex(h.nodeId), unit: h.unit })),
    });
  }

  private forward(r: ChainRelay): void {
    if (r.status !== 'relaying' || !r.value) return;
    this.s.o.peers.send(r.downPeer, { kind: 'streamTick', streamId: fromHex(r.streamId), depth: r.depth, preimage: fromHex(r.value) });
  }

  /** A streamTick: ours to relay if it is for a relay from this peer (true), else the stream layer's (false). */
  onTick(peerId: string, m: StreamTickMessage): boolean {
    const id = toHex(m.streamId);
    const r = this.relays.get(id);
    if (!r || r.upPeer !== peerId) return this.pending.has(id);
    if (this.spoiled.has(id)) return true;
    // A tick we cannot pass on is not taken: we are paid only for what the next node could be. Nor one
    // from the outgoing lock's expiry on: all we forward must be registered upstream before the incoming one's.
    if (this.s.o.channels.channels.get(r.downChannel)?.status !== 'open' || !takesTicks(r, this.s.o.height())) return true;
    const t = acceptTick(r, m.depth, m.preimage, MAX_RELAY_STEP);
    if (!t.ok) {
      if (t.error === 'wrong-preimage') {
        // An honest hop never sends one: we stop relaying (and claim what we have), so the work is not asked twice.
        this.s.o.log.warn({ stream: id, depth: m.depth }, 'a wrong hash-chain tick: the relay ends');
        this.spoiled.add(id);
        this.afterDownstream(r, false);
      }
      return true;
    }
    this.relays.set(id, t.relay);
    this.dirty.add(id);
    this.forward(t.relay);
    if (upstreamClaim(t.relay, RELAY_CHECKPOINT_TICKS, false)) void this.claimUp(id, false);
    return true;
  }

  /** Claim upstream what is due (everything when `final`); one claim at a time per relay. */
  private claimUp(id: string, final: boolean): Promise<void> {
    return this.claims.run(id, final);
  }

  private async claimPass(id: string, final: boolean): Promise<void> {
    const r = this.relays.get(id);
    const c = r && upstreamClaim(r, RELAY_CHECKPOINT_TICKS, final);
    if (!r || !c) return;
    const up = this.s.o.channels.channels.get(r.upChannel);
    if (!up || up.status !== 'open') {
      await registerUpstream(this.s, r);
      return;
    }
    const target = r.claimedUp + c.depth;
    try {
      await this.s.o.channels.submitOps(r.upChannel, [{ op: 'claimHashchain', id: r.upLock, depth: c.depth, preimage: c.preimage }]).settled;
      const now = this.relays.get(id)!;
      const next = { ...now, claimedUp: Math.max(now.claimedUp, target) };
      this.relays.set(id, next);
      await this.save(next);
    } catch (e) {
      this.s.o.log.warn({ stream: id, err: (e as Error).message }, 'claiming upstream failed');
      const now = this.s.o.channels.channels.get(r.upChannel);
      if (now && now.status !== 'open') await registerUpstream(this.s, this.relays.get(id)!);
    }
  }

  /** The next node gave our lock back (or it never was signed): claim all upstream, then give back the rest there. */
  private afterDownstream(r: ChainRelay, released: boolean): void {
    if (!released) {
      void this.claimUp(r.streamId, true);
      return;
    }
    void this.claimUp(r.streamId, true).then(async () => {
      const now = this.relays.get(r.streamId);
      if (!now || now.status === 'ended') return;
      const up = this.s.o.channels.channels.get(now.upChannel);
      if (up?.status === 'open' && up.signed.state.locks.some((l) => l.id === now.upLock)) {
        await this.s.o.channels.submitOps(now.upChannel, [{ op: 'releaseHashchain', id: now.upLock }]).settled
          .catch((e: unknown) => this.s.o.log.warn({ stream: now.streamId, err: (e as Error).message }, 'giving back the upstream chain lock failed'));
      }
      const ended: ChainRelay = { ...this.relays.get(r.streamId)!, status: 'ended' };
      const stillLocked = this.signedLock(now.upChannel, now.upLock) !== undefined;
      // Settled on both sides: nothing is owed either way, so the record goes (ended relays are not kept).
      if (!stillLocked && ended.claimedUp >= ended.claimedDown) {
        this.relays.delete(r.streamId);
        this.dirty.delete(r.streamId);
        this.spoiled.delete(r.streamId);
        this.watch.forget(r.streamId);
        await this.s.o.store.writeRecords([{ kind: 'chain', key: r.streamId, delete: true }]);
        return;
      }
      this.relays.set(r.streamId, ended);
      await this.save(ended);
    });
  }

  /** A channel of a relay is closing: claim or register what we hold upstream. */
  onChannelEnded(ch: Channel): void {
    const id = toHex(ch.channelId);
    for (const r of this.relays.values()) {
      if (r.status === 'ended') continue;
      if (r.upChannel === id) void registerUpstream(this.s, r);
      // Ticks stop being taken now (we could not pass them on); once the ledger is done, the rest goes back.
      else if (r.downChannel === id) this.watch.followThenEnd(r.streamId);
    }
  }

  private downLock(r: ChainRelay): HashchainLock | undefined {
    return this.signedLock(r.downChannel, r.downLock);
  }

  private save(r: ChainRelay): Promise<void> {
    this.dirty.delete(r.streamId);
    return this.s.o.store.writeRecords([{ kind: 'chain', key: r.streamId, value: toStored(r) }]);
  }

  /** The depths taken since the last write, in one synced batch (no write per tick). */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const ids = [...this.dirty];
    this.dirty.clear();
    const writes = ids.flatMap((id) => {
      const r = this.relays.get(id);
      return r ? [{ kind: 'chain' as const, key: id, value: toStored(r) }] : [];
    });
    await this.s.o.store.writeRecords(writes).catch((e: unknown) => {
      for (const id of ids) this.dirty.add(id);
      this.s.o.log.error({ err: e }, 'storing chain relays failed');
    });
  }
}

