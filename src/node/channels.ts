// Drives the channel state machines: feeds them events one at a time per channel, and runs their
// effects in order. A `persist` is awaited (LevelDB, sync) before any later effect runs, so no signature
// leaves this process for a state that is not on disk. A persist that fails leaves the channel as it was
// last stored and answers every request the unstored state carried at once (see persistFailed).
import { randomBytes } from 'node:crypto';
import { toHex } from '../crypto/bytes.js';
import { acceptOpen, proposeOpen } from '../channel/open.js';
import { localBalance, step, type Channel, type ChannelEffect, type ChannelEvent, type QueuedOps, type StepContext } from '../channel/machine.js';
import { eventRefs, pendingRefs } from '../channel/refs.js';
import { signState, type ChannelState } from '../channel/state.js';
import type { ChannelMessage, OpenChannelMessage } from '../wire/channel.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import { StoreWriteError, type AttachedWrite } from './store-port.js';
import { DEFAULT_OPEN_LIMITS, UnfundedOpens, answerOpen } from './unfunded-opens.js';
import { assertNever } from '../wire/assert-never.js';
import { submitChannelTx } from './ledger-submit.js';
import { ChannelRefused, MAX_QUEUED_PEER_MESSAGES, type ChannelManagerOptions, type PersistPlan, type Settlement, type Waiter } from './channel-manager-types.js';
import { answerRefusal, lateFulfil } from './channel-refusals.js';

export { ChannelRefused, MAX_QUEUED_PEER_MESSAGES, type ChannelManagerOptions, type PersistHook, type PersistPlan, type Settlement } from './channel-manager-types.js';

export class ChannelManager {
  readonly channels = new Map<string, Channel>();
  private readonly serial = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly incoming = new Map<string, QueuedOps[]>();
  /** Records a caller gave with its ops, stored with the first channel state that carries them. */
  private readonly attached = new Map<string, readonly AttachedWrite[]>();
  /** Opens we signed state 0 for and are storing now: no second open under the id until it is stored. */
  private readonly accepting = new Map<string, { peer: string; ch: Channel }>();
  /** Peer messages waiting in each channel's queue. */
  private readonly peerQueued = new Map<string, number>();
  readonly unfunded: UnfundedOpens;
  private readonly ctx: StepContext;
  /**
   * Request refs are this prefix and a count. They key the waiters and are stored in proposals, so they
   * must not repeat across restarts: the prefix is drawn once per start (64 random bits). One draw per
   * request from the OS was ~10% of a busy payer's CPU (randomBytes per call).
   */
  private readonly refPrefix = randomBytes(8).toString('hex');
  private refCount = 0;

  constructor(private readonly o: ChannelManagerOptions) {
    this.unfunded = new UnfundedOpens({ ...DEFAULT_OPEN_LIMITS, ...o.openLimits });
    const sk = o.secretKey;
    const chainId = o.chainId;
    this.ctx = {
      chainId,
      sign: (s: ChannelState) => signState(chainId, s, sk),
      get height() {
        return o.height();
      },
    };
  }

  async load(): Promise<void> {
    for (const ch of await this.o.store.loadChannels()) this.put(toHex(ch.channelId), ch);
  }

  /** The one place the channel map changes, so the unfunded-open count always matches it. */
  private put(id: string, ch: Channel | undefined): void {
    if (ch) this.channels.set(id, ch);
    else this.channels.delete(id);
    if (ch && ch.local === 'B' && ch.status === 'opening') {
      this.unfunded.add(id, toHex(ch.remoteNodeId), ch.acceptedHeight ?? this.o.height());
    } else if (!this.accepting.has(id)) {
      this.unfunded.remove(id);
    }
  }

  /** How much this manager holds, for tests and metrics: everything a peer can make it keep is bounded. */
  sizes(): { channels: number; queues: number; accepting: number; waiters: number } {
    return { channels: this.channels.size, queues: this.serial.size, accepting: this.accepting.size, waiters: this.waiters.size };
  }

  list(): Channel[] {
    return [...this.channels.values()];
  }

  withPeer(peerId: string): Channel[] {
    return this.list().filter((c) => toHex(c.remoteNodeId) === peerId);
  }

  /** Run `fn` after everything already queued for this channel (messages, updates, persists). */
  afterPending(id: string, fn: () => Promise<void>): Promise<void> {
    return this.serialize(id, fn);
  }

  /** Run `fn` after everything already queued for this channel. */
  private serialize<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.serial.get(id) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail: Promise<void> = run
      .catch((e: unknown) => this.o.log.error({ err: e, channel: id.slice(0, 16) }, 'channel task failed'))
      .then(() => {
        // A channel that is gone (a refused or forgotten open) leaves no queue behind.
        if (this.serial.get(id) === tail && !this.channels.has(id)) this.serial.delete(id);
      });
    this.serial.set(id, tail);
    return run;
  }

  /**
   * Feed one event to a channel (after what is already queued for it) and run its effects. Never
   * rejects on a store failure (callers that fire and forget must not crash the node); a caller that
   * must know whether the step was stored awaits the StoreWriteError it resolves with.
   */
  dispatch(id: string, ev: ChannelEvent): Promise<StoreWriteError | undefined> {
    return this.serialize(id, async () => {
      const r = await this.step(id, ev);
      return r instanceof StoreWriteError ? r : undefined;
    });
  }

  /**
   * Our own request to close: a refusal is the caller's answer (not a warning to the peer, who did
   * nothing wrong), so the caller learns it at once instead of waiting for a status that never comes.
   */
  command(id: string, ev: { type: 'closeCooperatively' } | { type: 'forceClose' }): Promise<StoreWriteError | ChannelRefused | undefined> {
    return this.serialize(id, () => this.step(id, ev, true));
  }

  private async step(id: string, ev: ChannelEvent, local = false): Promise<StoreWriteError | ChannelRefused | undefined> {
    const ch = this.channels.get(id);
    if (!ch) {
      for (const ref of eventRefs(ev)) this.takeWaiter(ref)?.reject(new Error(`no channel ${id}`));
      return;
    }
    const failed = await this.stepKnown(id, ch, ev, local);
    // Every request handed in is now in the channel's queue or proposal, or has had its answer.
    const handed = eventRefs(ev).filter((ref) => this.waiters.has(ref));
    if (handed.length) {
      const now = this.channels.get(id);
      const held = new Set(now ? pendingRefs(now) : []);
      for (const ref of handed) if (!held.has(ref)) this.takeWaiter(ref)?.reject(new Error('the request was dropped without an answer'));
    }
    return failed;
  }

  private async stepKnown(id: string, ch: Channel, ev: ChannelEvent, local: boolean): Promise<StoreWriteError | ChannelRefused | undefined> {
    const late = ev.type === 'message' && ev.message.kind === 'updateState' ? lateFulfil(ch, ev.message.ops, this.o.height(), this.o.persistHook?.registeredBefore?.bind(this.o.persistHook)) : undefined;
    const r = late ? { ok: false as const, error: late } : step(ch, ev, this.ctx);
    if (!r.ok && local) return new ChannelRefused(r.error.message);
    if (!r.ok) {
      // A peer that broke the protocol: after answering it, the channel closes with our latest state.
      if (answerRefusal(this.o, id, ch, r.error)) {
        const closed = step(ch, { type: 'forceClose' }, this.ctx);
        if (closed.ok) return this.runEffects(id, ch, closed.channel, closed.effects);
      }
      return undefined;
    }
    return this.runEffects(id, ch, r.channel, r.effects, ev.type === 'message');
  }

  /**
   * Run a step's effects; `prev` is the channel as last stored (undefined for a new one), `fromPeer`
   * whether the step takes in a peer's message. Returns the store failure that stopped them, if one did.
   */
  private async runEffects(id: string, prev: Channel | undefined, ch: Channel, effects: ChannelEffect[], fromPeer = false): Promise<StoreWriteError | undefined> {
    // The new state becomes the channel's only once it is stored: if the write fails, the channel stays
    // as it was and nothing after the failed persist (no signature) goes out.
    if (!effects.some((e) => e.type === 'persist')) this.put(id, ch);
    const peer = toHex(ch.remoteNodeId);
    let stored = prev;
    for (const [i, e] of effects.entries()) {
      switch (e.type) {
        case 'persist': {
          let plan: PersistPlan | undefined;
          try {
            plan = this.o.persistHook?.beforePersist(id, stored, ch, effects);
            await this.o.store.saveChannel(ch, [...this.takeAttached(ch.proposal?.refs ?? []), ...(plan?.writes ?? [])]);
          } catch (cause) {
            // The peer's message was taken in but what it led to is not stored, or a later write of
            // the step failed after the new state was stored and not all it says to send went out:
            // hang up, so that after the reconnect reestablish resends from what is stored.
            if (fromPeer || stored === ch) this.o.peers.disconnect(peer, 'local store failure');
            return this.persistFailed(id, stored, ch, effects.slice(i + 1), cause);
          }
          this.put(id, ch);
          stored = ch;
          plan?.after();
          break;
        }
        case 'send':
          this.o.peers.send(peer, e.message);
          break;
        case 'submit':
          if (e.tx === 'settle' && this.settleHeld(id)) break; // the machine asks again a few blocks on
          void submitChannelTx({ wallet: this.o.wallet, log: this.o.log, dispatch: (i, ev) => this.dispatch(i, ev) }, id, ch, e.tx, e.state);
          break;
        case 'committed':
          for (const ref of e.refs) this.takeWaiter(ref)?.resolve({ seq: e.seq });
          this.o.onChange(ch, e);
          break;
        case 'rejected':
          for (const ref of e.refs) this.takeWaiter(ref)?.reject(new Error(e.reason));
          break;
        case 'received':
        case 'statusChanged':
          this.o.onChange(ch, e);
          break;
        default: {
          const never: never = e;
          return never;
        }
      }
    }
  }

  /**
   * The new state is not stored, so it never happened: the channel stays as last stored (what the peer
   * may hold of it came from earlier, stored states), nothing after the failed write was sent, and every
   * request the unstored state carried is refused now, with the reason, instead of waiting for an answer
   * that will not come. Requests the stored state already carries stay open: they were sent.
   */
  private persistFailed(id: string, prev: Channel | undefined, ch: Channel, skipped: ChannelEffect[], cause: unknown): StoreWriteError {
    const what = `channel ${id.slice(0, 16)} at seq ${(ch.proposal ?? ch.signed).state.seq} (${ch.status})`;
    const failure = new StoreWriteError(what, cause);
    this.o.log.error({ channel: id.slice(0, 16), err: failure.message }, 'channel state not stored; nothing that depends on it was sent');
    const stored = new Set(prev ? pendingRefs(prev) : []);
    const carried = [...pendingRefs(ch), ...skipped.flatMap((e) => (e.type === 'committed' || e.type === 'rejected' ? e.refs : []))];
    const refused = new StoreWriteError(what, cause, 'it was not sent to the peer and will not complete');
    for (const ref of carried) if (!stored.has(ref)) this.takeWaiter(ref)?.reject(refused);
    return failure;
  }

  private settleHeld(id: string): boolean {
    const until = this.o.holdSettle?.(id);
    if (until === undefined || this.o.height() >= until) return false;
    this.o.log.debug({ channel: id.slice(0, 16), until }, 'settle held: a relayed hash-chain lock is paid by registrations until its expiry');
    return true;
  }

  private takeWaiter(ref: string): Waiter | undefined {
    const w = this.waiters.get(ref);
    this.waiters.delete(ref);
    this.attached.delete(ref);
    return w;
  }

  private takeAttached(refs: readonly string[]): AttachedWrite[] {
    const out: AttachedWrite[] = [];
    for (const ref of refs) {
      const w = this.attached.get(ref);
      if (!w) continue;
      this.attached.delete(ref);
      out.push(...w);
    }
    return out;
  }

  /** Open a channel to a connected peer: persist the proposal, then send it. */
  async open(peerId: string, capacity: bigint, push: bigint, opts: { private?: boolean } = {}): Promise<Channel> {
    const remoteNodeId = Uint8Array.from(Buffer.from(peerId, 'hex'));
    const channelId = randomBytes(32);
    const proposed = proposeOpen({ channelId, localNodeId: this.o.nodeId, remoteNodeId, capacity, push }, this.ctx);
    const channel: Channel = opts.private ? { ...proposed.channel, private: true } : proposed.channel;
    const effects = proposed.effects;
    const id = toHex(channelId);
    const failed = await this.serialize(id, () => this.runEffects(id, undefined, channel, effects));
    if (failed) throw failed;
    return channel;
  }

  /**
   * A peer proposes a channel: accept (persist, countersign) or refuse with a BOLT 1 error. Everything
   * up to reserving the id runs without a pause, so two opens under one id can never both be signed:
   * the second sees the first (stored, or being stored) and is answered from it.
   */
  onOpenChannel(peerId: string, m: OpenChannelMessage): Promise<void> {
    const id = toHex(m.channelId);
    const refuse = (reason: string): Promise<void> => {
      this.o.log.info({ peer: peerId.slice(0, 16), channel: id.slice(0, 16), reason }, 'refused a channel');
      this.o.peers.sendError(peerId, m.channelId, reason, 'error');
      return Promise.resolve();
    };
    const answer = answerOpen({ peer: peerId, m, known: this.channels.get(id), inFlight: this.accepting.get(id), unfunded: this.unfunded });
    switch (answer.kind) {
      case 'again':
        this.o.peers.send(peerId, { kind: 'acceptChannel', channelId: m.channelId, sigB: answer.sigB });
        return Promise.resolve();
      case 'none': return Promise.resolve();
      case 'refuse': return refuse(answer.reason);
      case 'admit': break;
      default: return assertNever(answer);
    }
    const remoteNodeId = Uint8Array.from(Buffer.from(peerId, 'hex'));
    const r = acceptOpen(m, { localNodeId: this.o.nodeId, remoteNodeId }, this.ctx);
    if (typeof r === 'string') return refuse(`channel refused: ${r}`);
    this.accepting.set(id, { peer: peerId, ch: r.channel });
    this.unfunded.add(id, peerId, this.o.height());
    return this.serialize(id, async () => {
      try {
        const failed = await this.runEffects(id, undefined, r.channel, r.effects);
        if (failed) this.o.peers.sendError(peerId, m.channelId, 'channel refused: the node could not store it', 'error');
      } finally {
        this.accepting.delete(id);
        this.put(id, this.channels.get(id));
      }
    });
  }

  /**
   * A new block: forget the opens peers never funded by their deadline. Each is read from the ledger
   * first; one the ledger holds (funded, or someone's channel under the id) is left to the watcher.
   */
  async onHeight(height: number): Promise<void> {
    for (const id of this.unfunded.due(height)) {
      if (this.accepting.has(id)) continue;
      await this.serialize(id, () => this.forgetUnfunded(id));
    }
  }

  private async forgetUnfunded(id: string): Promise<void> {
    const ch = this.channels.get(id);
    if (!ch || ch.local !== 'B' || ch.status !== 'opening') return;
    let onLedger: boolean;
    try {
      onLedger = (await this.o.ledger.channel(ch.channelId)) !== undefined;
    } catch {
      return; // the ledger is away: ask again at the next block
    }
    if (onLedger) return;
    try {
      await this.o.store.deleteChannel(id);
    } catch (e) {
      this.o.log.warn({ channel: id.slice(0, 16), err: (e as Error).message }, 'could not forget an unfunded open; will retry');
      return;
    }
    this.put(id, undefined);
    this.o.log.info({ channel: id.slice(0, 16), peer: toHex(ch.remoteNodeId).slice(0, 16) }, 'forgot an open its peer never funded');
  }

  onMessage(peerId: string, m: ChannelMessage): void {
    if (m.kind === 'openChannel') {
      void this.onOpenChannel(peerId, m);
      return;
    }
    const id = toHex(m.channelId);
    const ch = this.channels.get(id);
    if (!ch || toHex(ch.remoteNodeId) !== peerId) {
      this.o.peers.sendError(peerId, m.channelId, 'unknown channel');
      return;
    }
    // The protocol has at most a few messages in flight per channel; a peer that piles up more while a
    // write is slow is flooding, and each queued message holds memory until its turn.
    const queued = this.peerQueued.get(id) ?? 0;
    if (queued >= MAX_QUEUED_PEER_MESSAGES) {
      this.o.peers.sendError(peerId, m.channelId, `more than ${MAX_QUEUED_PEER_MESSAGES} messages queued for this channel`);
      this.o.peers.disconnect(peerId, 'channel message flood');
      return;
    }
    this.peerQueued.set(id, queued + 1);
    void this.dispatch(id, { type: 'message', message: m }).finally(() => {
      const left = (this.peerQueued.get(id) ?? 1) - 1;
      if (left > 0) this.peerQueued.set(id, left);
      else this.peerQueued.delete(id);
    });
  }

  /**
   * Queue operations on a channel; resolves when a both-signed state carries them. Requests that arrive
   * while the channel is busy are gathered and handed to the state machine in one event. `attach`: records
   * stored in the same atomic batch as the first state that carries these ops (a stream's paid total).
   */
  submitOps(id: string, ops: ChannelOp[], attach?: readonly AttachedWrite[]): { ref: string; settled: Promise<Settlement> } {
    const ref = this.refPrefix + (this.refCount++).toString(16).padStart(16, '0');
    const settled = new Promise<Settlement>((resolve, reject) => this.waiters.set(ref, { resolve, reject }));
    if (attach?.length) this.attached.set(ref, attach);
    let pending = this.incoming.get(id);
    if (!pending) {
      pending = [];
      this.incoming.set(id, pending);
      void this.serialize(id, async () => {
        const entries = this.incoming.get(id) ?? [];
        this.incoming.delete(id);
        await this.step(id, { type: 'localBatch', entries });
      });
    }
    pending.push({ ops, refs: [ref] });
    return { ref, settled };
  }

  /**
   * Take back a request not yet in a proposal (waiting for the peer, say): true if it was withdrawn (its
   * caller is answered with an error and it will never be proposed), false if a proposal holds it or it
   * has had its answer. Runs after what is queued for the channel, so it never races a step.
   */
  withdraw(id: string, ref: string): Promise<boolean> {
    return this.serialize(id, async () => {
      const ch = this.channels.get(id);
      if (!ch || !ch.queue.some((q) => q.refs.includes(ref))) return false;
      this.put(id, { ...ch, queue: ch.queue.filter((q) => !q.refs.includes(ref)) });
      this.takeWaiter(ref)?.reject(new Error('withdrawn before it was proposed'));
      return true;
    });
  }

  /** The channel to pay a peer through: open, connected, with the most spendable balance. */
  payable(peerId: string, amount: bigint): Channel | undefined {
    return this.withPeer(peerId)
      .filter((c) => c.status === 'open')
      .sort((a, b) => (localBalance(b) > localBalance(a) ? 1 : -1))
      .find((c) => localBalance(c) - c.limits.reserve >= amount);
  }
}
