// The payee in the node: admitting a peer's stream within its bounds, feeding the machine what moved
// (streamPay ops in both-signed states, hash-chain reveals checked against our latest lock), and the
// channel work its chain needs: checkpoint claims, the final claim and release, and reveals on the
// ledger while the channel closes.
import type { Channel } from '../channel/machine.js';
import type { HashchainLock, Lock } from '../channel/state.js';
import { toHex } from '../crypto/bytes.js';
import { allClaimed, revealAgainst } from '../stream/chain.js';
import { admitPayee } from '../stream/open.js';
import { MAX_ROUTED_PAYEE_STREAMS, routedToMakeRoom } from '../stream/batch.js';
import { paymentGap } from '../stream/payee-step.js';
import { isEnded, type PayeeRecord } from '../stream/record.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import type { StreamOpenMessage } from '../wire/stream.js';
import { DEFAULT_KEEP_ENDED_PER_CHANNEL, DEFAULT_MAX_STREAMS_PER_CHANNEL, type StreamShell } from './streams.js';
import { revealWhileClosing, type ChainReveal } from './streams-reveals.js';
import { bindPayee } from './streams-chain-ledger.js';

/** How long a stream open waits for a channel that is still opening in our view, and how often it looks. */
const OPEN_WAIT_MS = 10_000;
const OPEN_POLL_MS = 50;

export class StreamPayee {
  private readonly claiming = new Map<string, Promise<void>>();
  /** Stream opens waiting for a channel our watcher has not yet seen opened, per channel. */
  private readonly waitingForOpen = new Map<string, number>();

  constructor(private readonly s: StreamShell) {}

  async admit(peerId: string, m: StreamOpenMessage): Promise<void> {
    const { o, records, clock } = this.s;
    const channelId = toHex(m.channelId);
    // No await unless we must wait: a stop that follows the open must find the record.
    const wait = this.untilOpened(peerId, channelId);
    if (wait) await wait;
    const ch = o.channels.channels.get(channelId);
    const on = records.payeeStreamsOn(channelId);
    // Streams across hops share the no-channel id: the bound is per peer there, and all peers' together
    // have one too (MAX_ROUTED_PAYEE_STREAMS: a peer needs no channel, only a new key, to be a new peer).
    let routedLive: PayeeRecord[] = [];
    if (m.batchMs !== undefined || m.chainRoot !== undefined) {
      routedLive = [...records.onChannel(channelId)].filter((r): r is PayeeRecord => r.role === 'payee' && !isEnded(r.status));
      on.live = routedLive.filter((r) => r.peerId === peerId).length;
    }
    for (const l of [...(ch?.signed.state.locks ?? []), ...(ch?.proposal?.state.locks ?? [])]) on.locks.add(l.id);
    const a = admitPayee(m, {
      peerId, now: clock.now(), idInUse: records.get(toHex(m.streamId)) !== undefined,
      channelOpen: !!ch && toHex(ch.remoteNodeId) === peerId && ch.status === 'open',
      liveStreams: on.live, maxStreams: o.policy.maxStreamsPerChannel ?? DEFAULT_MAX_STREAMS_PER_CHANNEL, locksInUse: on.locks,
      ...(o.policy.minRatePerSec !== undefined ? { minRatePerSec: o.policy.minRatePerSec } : {}),
    });
    if (!a.ok) {
      o.peers.send(peerId, { kind: 'streamReject', streamId: m.streamId, reason: a.reason });
      return;
    }
    // Only an open that would be taken makes room (a refused one must cost no one their place).
    if (routedLive.length >= MAX_ROUTED_PAYEE_STREAMS && !this.makeRoom(routedLive)) {
      o.peers.send(peerId, { kind: 'streamReject', streamId: m.streamId, reason: `at most ${MAX_ROUTED_PAYEE_STREAMS} streams across hops at once` });
      return;
    }
    // Taken at once (no await before it): a stop that follows the open must find the record.
    const admitted = this.s.apply(a.stream, a.effects, clock.now());
    await records.pruneEnded(channelId, o.policy.keepEndedPerChannel ?? DEFAULT_KEEP_ENDED_PER_CHANNEL);
    await admitted;
  }

  /** All routed places are taken: stop a never-paid stream to make room (routedToMakeRoom), at once in memory. */
  private makeRoom(live: PayeeRecord[]): boolean {
    const victim = routedToMakeRoom(live);
    if (!victim) return false;
    const now = this.s.clock.now();
    const effects = this.s.stepNow(victim, { type: 'control', action: 'stop', now });
    if (effects) void this.s.apply(this.s.records.get(victim.id) ?? victim, effects, now).catch((e: unknown) => this.s.o.log.warn({ err: e, stream: victim.id }, 'making room for a routed stream failed'));
    return true;
  }

  /**
   * The payer counts its channel open when its own watcher sees the ledger's open, which may be a moment
   * before ours does: a stream opened in that moment waits (a bounded time, a bounded number per
   * channel) for our view to catch up instead of being refused. Anything else is decided at once.
   */
  private untilOpened(peerId: string, channelId: string): Promise<void> | undefined {
    const { o, clock } = this.s;
    const opening = () => {
      const ch = o.channels.channels.get(channelId);
      return !!ch && toHex(ch.remoteNodeId) === peerId && ch.status === 'opening';
    };
    const waiting = this.waitingForOpen.get(channelId) ?? 0;
    if (!opening() || waiting >= (o.policy.maxStreamsPerChannel ?? DEFAULT_MAX_STREAMS_PER_CHANNEL)) return undefined;
    this.waitingForOpen.set(channelId, waiting + 1);
    return (async () => {
      try {
        for (let waited = 0; opening() && waited < OPEN_WAIT_MS; waited += OPEN_POLL_MS) await clock.sleep(OPEN_POLL_MS);
      } finally {
        const left = (this.waitingForOpen.get(channelId) ?? 1) - 1;
        if (left > 0) this.waitingForOpen.set(channelId, left);
        else this.waitingForOpen.delete(channelId);
      }
    })();
  }

  onReceivedOps(ch: Channel, ops: ChannelOp[]): void {
    const { records, clock, o } = this.s;
    const seq = ch.signed.state.seq;
    for (const op of ops) {
      if (op.op === 'addHashchain') this.releaseOrphan(ch, op.id);
      if (op.op !== 'streamPay') continue;
      const r = records.get(toHex(op.streamId));
      if (!r || r.role !== 'payee' || r.channelId !== toHex(ch.channelId)) continue;
      // The meter may have come back from disk behind the channel (its progress is stored once a
      // second): states signed since it was stored may have paid it. Only then may one payment be short.
      const gap = records.recovered.has(r.id) && paymentGap(r, seq);
      records.recovered.delete(r.id);
      void this.s.run(r.id, { type: 'paid', amount: op.amount, ticks: op.ticks, seq, gap, now: clock.now() })
        .catch((e: unknown) => o.log.warn({ err: e, stream: r.id }, 'stream payment failed'));
    }
  }

  /**
   * A hash-chain lock the payer added that backs none of our running streams (its stream was stopped or
   * dropped before the lock was signed, or there never was one): only we can release it, and nothing
   * else would, so it would stay locked until the channel closes. Give it back at once.
   */
  private releaseOrphan(ch: Channel, lockId: number): void {
    const channelId = toHex(ch.channelId);
    for (const r of this.s.records.onChannel(channelId)) {
      if (r.role === 'payee' && r.chain?.lockId === lockId && !isEnded(r.status)) return;
    }
    // Across hops: a lock this node relays as a hop, or the lock the last hop added for one of our streams.
    if (this.s.chain?.holds(channelId, lockId) || bindPayee(this.s, ch, lockId)) return;
    this.s.o.log.info({ channel: channelId.slice(0, 16), lockId }, 'giving back a hash-chain lock no running stream uses');
    void this.releaseLock(channelId, lockId, { channel: channelId.slice(0, 16) }, 'giving back a lock failed');
  }

  /**
   * Give a hash-chain lock back to its payer (only the payee can release one). Resolves once the state
   * that releases it is signed, or the refusal is logged: the lock then stays until a later try or the close.
   */
  private releaseLock(channelId: string, lockId: number, logAs: Record<string, string>, failed: string): Promise<void> {
    const { settled } = this.s.o.channels.submitOps(channelId, [{ op: 'releaseHashchain', id: lockId }]);
    return settled.then(() => undefined, (e: unknown) => this.s.o.log.warn({ ...logAs, err: (e as Error).message }, failed));
  }

  private lockOf(r: PayeeRecord): HashchainLock | undefined {
    const l = this.s.o.channels.channels.get(r.channelId)?.signed.state.locks.find((x) => x.id === r.chain?.lockId);
    return l?.kind === 'hashchain' ? l : undefined;
  }

  async onReveal(id: string, depth: number, value: Uint8Array): Promise<void> {
    const r = this.s.records.get(id);
    if (!r || r.role !== 'payee') return;
    const ch = this.s.o.channels.channels.get(r.channelId);
    if (!ch) return;
    const lock = this.lockOf(r);
    await this.s.run(id, { type: 'reveal', depth, value, localSide: ch.local, now: this.s.clock.now(), ...(lock ? { lock } : {}) });
  }

  /** Turn revealed ticks into a signed balance: claim them from the lock. Resolves once it is signed. */
  checkpoint(id: string): Promise<void> {
    const inFlight = this.claiming.get(id);
    if (inFlight) return inFlight;
    const run = (async () => {
      const r = this.s.records.get(id);
      if (r?.role !== 'payee' || !r.chain) return;
      const lock = this.lockOf(r);
      const show = lock && revealAgainst(r.chain, lock);
      if (!show) return;
      const { settled } = this.s.o.channels.submitOps(r.channelId, [{ op: 'claimHashchain', id: r.chain.lockId, depth: show.depth, preimage: show.preimage }]);
      await settled.catch((e: unknown) => this.s.o.log.warn({ stream: id, err: (e as Error).message }, 'hash-chain checkpoint failed'));
    })().finally(() => this.claiming.delete(id));
    this.claiming.set(id, run);
    return run;
  }

  /** At the end: claim what was revealed, then give back the rest of the budget once all of it is claimed. */
  async settleChain(id: string): Promise<void> {
    await this.claiming.get(id);
    await this.checkpoint(id);
    const r = this.s.records.get(id);
    if (r?.role !== 'payee' || !r.chain) return;
    const lock = this.lockOf(r);
    if (!lock) return;
    if (!allClaimed(r.chain, lock)) {
      this.s.o.log.warn({ stream: id }, 'revealed ticks are not claimed yet; keeping the budget locked');
      return;
    }
    await this.releaseLock(r.channelId, r.chain.lockId, { stream: id }, 'releasing the hash-chain budget failed');
  }

  /**
   * A never-paid hash-chain stream is dropped: give back its budget if the payer locked it, since once the
   * record is gone nothing else would release it (only the payee can), and it would stay locked until the
   * channel closes. Nothing was revealed, so there is nothing to claim first.
   */
  giveBack(r: PayeeRecord): void {
    const lock = r.chain && this.lockOf(r);
    if (!lock || lock.from === this.s.o.channels.channels.get(r.channelId)?.local) return;
    void this.releaseLock(r.channelId, lock.id, { stream: r.id }, 'giving back an idle budget failed');
  }

  /** A channel closing unilaterally: show our hash-chain reveals to the ledger until the close ends. */
  async revealOnLedger(ch: Channel): Promise<void> {
    const id = toHex(ch.channelId);
    const { o, records, clock } = this.s;
    const mine = (): PayeeRecord[] => [...records.onChannel(id)].filter((r): r is PayeeRecord => r.role === 'payee' && !!r.chain?.revealedValue);
    if (mine().length === 0) return;
    await revealWhileClosing({
      channelId: ch.channelId, ledger: o.ledger, wallet: o.wallet, log: o.log, height: o.height, sleep: (ms) => clock.sleep(ms),
      revealsFor: (locks: readonly Lock[]) => mine().flatMap((r): ChainReveal[] => {
        const lock = locks.find((l) => l.id === r.chain!.lockId);
        const show = lock?.kind === 'hashchain' ? revealAgainst(r.chain!, lock) : undefined;
        return show ? [{ lockId: r.chain!.lockId, ...show }] : [];
      }),
    });
  }
}

