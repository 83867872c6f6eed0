// The HTLC switch: every HTLC this node offers has an origin (a local payment attempt or an incoming
// HTLC it forwards), and every HTLC offered to it is peeled, decided (src/forward) and answered. The
// durable side (what each channel write stores) is htlc-persist.ts; the block-by-block deadlines are
// htlc-expiry.ts; the records are htlc-records.ts. This file holds the switch's memory and its actions.
//
// Order of things for a forward A -> H -> B, at H:
//   1. A's addHtlc is in a both-signed A-H state: the incoming record (and replay entry) is stored with it;
//   2. only then is addHtlc proposed on H-B, the outgoing record stored with that proposal;
//   3. B's fulfil, in the H-B state we sign: the preimage and the fulfil owed to A stored with it;
//   4. the fulfil proposed on A-H; the incoming record deleted with the both-signed state without the lock.
import { toHex } from '../crypto/bytes.js';
import type { Channel } from '../channel/machine.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import { EXPIRY_TOO_SOON_BLOCKS, type ForwardOut } from '../forward/decide.js';
import { decideIncoming } from './htlc-decide.js';
import { failWith } from '../forward/failures.js';
import { DEFAULT_FORWARDING_POLICY, checkForwardingPolicy } from '../forward/policy.js';
import { peelOnion, type PeelResult } from '../onion/sphinx.js';
import { ReplayLog } from '../onion/replay.js';
import { DEFAULT_HTLC_LIMITS, type HtlcLimits } from './htlc-limits.js';
import type { HopPayload } from '../onion/payload.js';
import {
  INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, TEMPORARY_CHANNEL_FAILURE,
} from '../onion/failure-codes.js';
import type { Logger } from '../util/log.js';
import type { ChannelManager, PersistHook } from './channels.js';
import {
  deleteOutgoing, htlcKey, owedOp, putIncoming, putOutgoing, putPolicy, sortHtlcRecords,
  type IncomingRecord, type OutgoingRecord, type Owed,
} from './htlc-records.js';
import { planPersist } from './htlc-persist.js';
import { sweepHtlcs, trimNeverOffered } from './htlc-expiry.js';
import { PreimageRegistryReader } from './htlc-registry.js';
import type { LedgerClient } from '../ledger/client.js';
import type {
  FinalHopReceiver, ForwardingPolicy, HtlcSwitchApi, LocalChannelView, LocalOutcomeSink, LocalSend, OutgoingOutcome,
} from './htlc-types.js';
import { freeLockId, localChannelView, localShortChannelId } from './htlc-views.js';
import type { AttachedWrite, NodeStore } from './store-port.js';
import type { ForwardView } from '../api/routing-types.js';
import { askReceiver } from './htlc-receive.js';
import { ReplayShares } from './htlc-replay-shares.js';
import { SlotWaiters } from './htlc-slots.js';
import type { Wallet } from './wallet.js';

export { DEFAULT_HTLC_LIMITS, type HtlcLimits } from './htlc-limits.js';

export interface HtlcSwitchOptions {
  store: NodeStore;
  channels: Pick<ChannelManager, 'channels' | 'submitOps' | 'withdraw'>;
  wallet: Pick<Wallet, 'submit'>;
  /** Read for the preimages next hops register on the ledger (htlc-registry.ts); absent in unit tests. */
  ledger?: Pick<LedgerClient, 'request' | 'channel'>;
  secretKey: Uint8Array;
  log: Logger;
  height(): number;
  limits?: Partial<HtlcLimits>;
  /** Whether gossip has announced the channel of this short id (an invoice then needs no route hint for it). */
  announced?(shortChannelId: string): boolean;
  /** Told of each forward that ended (settled downstream or failed) and each HTLC we refused to forward: the history. */
  onForward?(f: ForwardView): void;
}

/** An op the switch handed a channel that is not yet in a stored proposal. */
interface PendingProposal {
  stored: boolean;
  channelId: string;
  /** The ChannelManager's reference of the request (to withdraw it). */
  ref?: string;
  /** The height at which, still not in a stored proposal, it is withdrawn (an offer's expiry less the next hop's margin). */
  deadline?: number;
  /** An offer's amount, counted against the channel's spendable balance until its proposal holds it. */
  amountMsat: bigint;
  /** The incoming HTLC this op acts for (a forward's offer): not to be decided again meanwhile. */
  inKey?: string;
  onStored(): void;
}

export class HtlcSwitch implements HtlcSwitchApi {
  readonly incoming = new Map<string, IncomingRecord>();
  readonly outgoing = new Map<string, OutgoingRecord>();
  readonly proposing = new Map<string, PendingProposal>();
  /** Incoming HTLCs whose owed fulfil or fail is queued on their channel now. */
  readonly relaying = new Set<string>();
  /** Final-hop HTLCs the receiver is being asked about. */
  readonly asking = new Set<string>();
  private readonly delivering = new Set<string>();
  private readonly policies = new Map<string, ForwardingPolicy>();
  /** Each open channel's short channel id from the ledger (its open's position), once read. */
  private readonly scids = new Map<string, string>();
  replay: ReplayLog;
  /** Each channel's share of the replay log (htlc-replay-shares.ts). */
  readonly replayShares = new ReplayShares();
  private receiver?: FinalHopReceiver;
  private sink?: LocalOutcomeSink;
  readonly limits: HtlcLimits;
  readonly log: Logger;
  readonly secretKey: Uint8Array;
  readonly hook: PersistHook = {
    beforePersist: (id, prev, next, effects) => this.slots.withWake(id, planPersist(this, id, prev, next, effects)),
    registeredBefore: (hash, expiry) => (this.registry ? this.registry.registeredBefore(hash, expiry) : false),
  };
  readonly registry?: PreimageRegistryReader;
  /** Our own sends waiting for a free HTLC slot on their channel (htlc-slots.ts). */
  readonly slots: SlotWaiters;
  private sweeping?: Promise<void>;

  constructor(readonly o: HtlcSwitchOptions) {
    this.limits = { ...DEFAULT_HTLC_LIMITS, ...o.limits };
    this.log = o.log;
    this.secretKey = o.secretKey;
    this.replay = new ReplayLog({ maxEntries: this.limits.replayLogEntries });
    if (o.ledger) this.registry = new PreimageRegistryReader(this, o.ledger);
    this.slots = new SlotWaiters({ channel: (id) => this.channel(id), queuedCount: (id) => this.queuedOn(id).count, maxWaiting: this.limits.maxWaitingForSlot });
  }

  /** A new block (or the start): deadlines, retries, outcomes. One sweep at a time; a block that finds one running is skipped. */
  onBlock(height: number): Promise<void> {
    this.slots.onBlock(height);
    if (this.sweeping) return this.sweeping;
    this.sweeping = sweepHtlcs(this, height)
      .catch((e: unknown) => this.log.error({ err: e, height }, 'htlc switch: a block could not be processed; the next one retries'))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  height(): number {
    return this.o.height();
  }

  channel(id: string): Channel | undefined {
    return this.o.channels.channels.get(id);
  }

  /** Read what was stored; call after the channels are loaded and before any peer connects. */
  async load(): Promise<void> {
    const r = sortHtlcRecords(await this.o.store.loadRecords('htlc'));
    for (const rec of r.incoming) this.incoming.set(htlcKey(rec.channelId, rec.htlcId), rec);
    for (const rec of r.outgoing) this.outgoing.set(htlcKey(rec.channelId, rec.htlcId), rec);
    for (const [id, p] of r.policies) this.policies.set(id, p);
    this.replay = new ReplayLog({ maxEntries: this.limits.replayLogEntries, entries: r.replay });
    for (const e of r.replay) if (e.channelId) this.replayShares.owned(e.hash, e.channelId);
    this.registry?.restore(r.registered);
    await trimNeverOffered(this);
  }

  setReceiver(r: FinalHopReceiver): void {
    this.receiver = r;
  }

  setLocalSink(s: LocalOutcomeSink): void {
    this.sink = s;
    for (const rec of this.outgoing.values()) if (rec.outcome) void this.deliver(rec);
  }

  policy(channelId: string): ForwardingPolicy {
    return this.policies.get(channelId) ?? DEFAULT_FORWARDING_POLICY;
  }

  async setChannelPolicy(channelId: string, partial: Partial<ForwardingPolicy>): Promise<ForwardingPolicy> {
    const next = { ...this.policy(channelId), ...partial };
    const bad = checkForwardingPolicy(next);
    if (bad) throw new RangeError(bad);
    await this.o.store.writeRecords([putPolicy(channelId, next)]);
    this.policies.set(channelId, next);
    return next;
  }

  /**
   * The short channel id onions name this channel by: the ledger's (BOLT 7, what gossip announces) once
   * read, and until then the node-local one both ends derive from the channel id (htlc-views.ts).
   */
  shortChannelId(ch: Channel): string {
    return this.scids.get(toHex(ch.channelId)) ?? localShortChannelId(ch);
  }

  /** The ledger's short channel id of this channel, once read (undefined before). */
  ledgerShortChannelId(ch: Channel): string | undefined {
    return this.scids.get(toHex(ch.channelId));
  }

  /** Read the ledger's short channel id of open channels that have none yet (one request each, per block, until found). */
  async learnShortChannelIds(): Promise<void> {
    if (!this.o.ledger) return;
    for (const ch of this.o.channels.channels.values()) {
      const id = toHex(ch.channelId);
      if (ch.status !== 'open' || this.scids.has(id)) continue;
      const rec = await this.o.ledger.channel(ch.channelId).catch(() => undefined);
      if (rec?.shortChannelId) this.scids.set(id, rec.shortChannelId);
    }
  }

  /** What is handed to a channel and not yet in its proposal: counted against what it can still carry. */
  queuedOn(channelId: string): { count: number; msat: bigint } {
    let count = 0;
    let msat = 0n;
    for (const [k, p] of this.proposing) {
      if (!p.stored && p.amountMsat > 0n && k.startsWith(`${channelId}/`)) {
        count++;
        msat += p.amountMsat;
      }
    }
    return { count, msat };
  }

  localChannels(): LocalChannelView[] {
    return [...this.o.channels.channels.values()]
      .filter((c) => c.status === 'open')
      .map((c) => {
        const shortChannelId = this.shortChannelId(c);
        return { ...localChannelView(c, this.policy(toHex(c.channelId)), this.queuedOn(toHex(c.channelId))), shortChannelId, announced: this.o.announced?.(shortChannelId) ?? false };
      });
  }

  /** The forwarding decision for a peeled (or unreadable) incoming onion, as a record and what to do next. */
  decide(base: IncomingRecord, peeled: PeelResult, height: number): { record: IncomingRecord; act?: () => void } {
    return decideIncoming(this, base, peeled, height);
  }

  /** A lock id in this side's space that no state, record or pending op on the channel uses. */
  private freeHtlcId(ch: Channel): number {
    const id = toHex(ch.channelId);
    return freeLockId(ch, (n) => this.outgoing.has(htlcKey(id, n)) || this.proposing.has(htlcKey(id, n)));
  }

  /**
   * Hand an op to a channel. `attach` is stored with the proposal that carries it; `onStored` runs once
   * that proposal is stored; `onRefused` if the channel refuses the op before any proposal held it.
   */
  private propose(channelId: string, htlcId: number, op: ChannelOp, attach: Parameters<ChannelManager['submitOps']>[2], p: { amountMsat?: bigint; inKey?: string; onStored(): void; onRefused(reason: string): void }): void {
    const key = htlcKey(channelId, htlcId);
    const pending: PendingProposal = { stored: false, channelId, amountMsat: p.amountMsat ?? 0n, onStored: p.onStored, ...(p.inKey ? { inKey: p.inKey } : {}) };
    // An offer must not sit in a queue past the point where the next hop would refuse it (a peer
    // away): withdrawn then, it is refused here instead (htlc-expiry.ts).
    if (op.op === 'addHtlc') pending.deadline = op.expiryHeight - EXPIRY_TOO_SOON_BLOCKS;
    this.proposing.set(key, pending);
    const { ref, settled } = this.o.channels.submitOps(channelId, [op], attach);
    pending.ref = ref;
    settled.then(
      () => {
        if (this.proposing.get(key) === pending) this.proposing.delete(key);
      },
      (e: unknown) => {
        if (this.proposing.get(key) === pending) this.proposing.delete(key);
        const reason = (e as Error).message;
        // Once a proposal held it the peer may hold it too: only its expiry can tell (htlc-expiry.ts).
        if (pending.stored) this.log.info({ channel: channelId.slice(0, 16), htlc: htlcId, reason }, 'a stored HTLC proposal was dropped; its expiry resolves it');
        else p.onRefused(reason);
      },
    );
  }

  /** Called from the persist hook once the proposal carrying the op is durable. */
  proposalStored(key: string): void {
    const p = this.proposing.get(key);
    if (!p || p.stored) return;
    p.stored = true;
    p.onStored();
  }

  /** Withdraw offers still not in a stored proposal at their deadline; their refusal follows as usual. */
  async withdrawLate(height: number): Promise<void> {
    for (const p of [...this.proposing.values()]) {
      if (!p.stored && p.ref && p.deadline !== undefined && height >= p.deadline) await this.o.channels.withdraw(p.channelId, p.ref);
    }
  }

  /** Is this incoming HTLC being forwarded right now (its offer not yet in a stored proposal)? */
  offerPending(inKey: string): boolean {
    for (const p of this.proposing.values()) if (p.inKey === inKey && !p.stored) return true;
    return false;
  }

  forwardOut(rec: IncomingRecord, d: ForwardOut): void {
    const outCh = toHex(d.channelId);
    const ch = this.channel(outCh);
    if (!ch) return void this.failBack(rec, TEMPORARY_CHANNEL_FAILURE, 'the outgoing channel is gone');
    const htlcId = this.freeHtlcId(ch);
    const out: OutgoingRecord = {
      channelId: outCh, htlcId, amountMsat: d.amountMsat, paymentHash: rec.paymentHash, expiryHeight: d.expiryHeight,
      origin: { kind: 'forward', channelId: rec.channelId, htlcId: rec.htlcId }, offeredHeight: this.height(),
    };
    const up: IncomingRecord = { ...rec, out: { channelId: outCh, htlcId } };
    const op: ChannelOp = { op: 'addHtlc', id: htlcId, amount: d.amountMsat, paymentHash: rec.paymentHash, expiryHeight: d.expiryHeight, onion: d.onion };
    this.propose(outCh, htlcId, op, [putOutgoing(out), putIncoming(up)], {
      amountMsat: d.amountMsat,
      inKey: htlcKey(rec.channelId, rec.htlcId),
      onStored: () => {
        this.outgoing.set(htlcKey(outCh, htlcId), out);
        this.incoming.set(htlcKey(rec.channelId, rec.htlcId), up);
      },
      onRefused: (reason) => void this.failBack(rec, TEMPORARY_CHANNEL_FAILURE, `the outgoing channel refused the HTLC: ${reason}`),
    });
  }

  async sendLocal(send: LocalSend): Promise<{ htlcId: number }> {
    const ch = this.channel(send.channelId);
    if (!ch) throw new Error(`no channel ${send.channelId}`);
    if (ch.status !== 'open') throw new Error(`channel ${send.channelId.slice(0, 16)} is ${ch.status}`);
    // A full channel: if asked, wait in line for a slot (htlc-slots.ts), until the deadline an offer queued for an absent peer has.
    return new Promise((resolve, reject) => {
      const offer = () => {
        const now = this.channel(send.channelId);
        if (now?.status !== 'open') return reject(new Error(`channel ${send.channelId.slice(0, 16)} is ${now?.status ?? 'gone'}`));
        this.offerLocal(now, send).then(resolve, reject);
      };
      const waits = send.waitForSlot === true && this.slots.wait(send.channelId, { deadline: send.expiryHeight - EXPIRY_TOO_SOON_BLOCKS, offer, refuse: (why) => reject(new Error(why)) });
      if (!waits) offer();
    });
  }

  private offerLocal(ch: Channel, send: LocalSend): Promise<{ htlcId: number }> {
    const htlcId = this.freeHtlcId(ch);
    const out: OutgoingRecord = {
      channelId: send.channelId, htlcId, amountMsat: send.amountMsat, paymentHash: send.paymentHash, expiryHeight: send.expiryHeight,
      origin: { kind: 'local', paymentId: send.paymentId, attemptId: send.attemptId }, offeredHeight: this.height(),
    };
    const op: ChannelOp = { op: 'addHtlc', id: htlcId, amount: send.amountMsat, paymentHash: send.paymentHash, expiryHeight: send.expiryHeight, onion: send.onion };
    return new Promise((resolve, reject) => {
      this.propose(send.channelId, htlcId, op, [...send.attached, putOutgoing(out)], {
        amountMsat: send.amountMsat,
        onStored: () => {
          this.outgoing.set(htlcKey(send.channelId, htlcId), out);
          resolve({ htlcId });
        },
        onRefused: (reason) => reject(new Error(reason)),
      });
    });
  }

  /** Tell the payer an attempt's outcome; the record goes once the payer took it (at least once). */
  async deliver(rec: OutgoingRecord): Promise<void> {
    const key = htlcKey(rec.channelId, rec.htlcId);
    if (!rec.outcome || rec.origin.kind !== 'local' || !this.sink || this.delivering.has(key)) return;
    this.delivering.add(key);
    try {
      await this.sink.onLocalOutcome(rec.origin.paymentId, rec.origin.attemptId, rec.outcome);
      await this.o.store.writeRecords([deleteOutgoing(rec)]);
      if (this.outgoing.get(key) === rec) this.outgoing.delete(key);
    } catch (e) {
      this.log.warn({ err: (e as Error).message, attempt: rec.origin.attemptId }, 'a payment outcome was not taken; told again at the next block');
    } finally {
      this.delivering.delete(key);
    }
  }

  /** Record a local attempt's outcome that no channel state carries (it expired unanswered). */
  async endLocal(rec: OutgoingRecord, outcome: OutgoingOutcome): Promise<void> {
    const done = { ...rec, outcome };
    await this.o.store.writeRecords([putOutgoing(done)]);
    this.outgoing.set(htlcKey(rec.channelId, rec.htlcId), done);
    await this.deliver(done);
  }

  /** Ask the payee's code about an HTLC that ends here, and settle or fail it with the answer. */
  askReceiver(rec: IncomingRecord, payload: HopPayload): Promise<void> {
    return askReceiver(this, rec, payload);
  }

  get finalHopReceiver(): FinalHopReceiver | undefined {
    return this.receiver;
  }

  /** Fail an incoming HTLC back with one of our own codes. */
  async failBack(rec: IncomingRecord, code: number, why: string): Promise<void> {
    if (!rec.sharedSecret) return;
    const details = code === TEMPORARY_CHANNEL_FAILURE ? { channelUpdate: new Uint8Array(0) } : code === INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS ? { htlcMsat: rec.amountMsat, height: this.height() } : {};
    this.log.info({ channel: rec.channelId.slice(0, 16), htlc: rec.htlcId, why }, 'failing an HTLC back');
    await this.owe(rec, { kind: 'fail', reason: failWith(code, details, rec.sharedSecret, why).reason });
  }

  /** Store the answer owed upstream (with `attached`), then send it. False when nothing was stored. */
  async owe(rec: IncomingRecord, owed: Owed, attached: readonly AttachedWrite[] = []): Promise<boolean> {
    const key = htlcKey(rec.channelId, rec.htlcId);
    const now = this.incoming.get(key);
    if (!now || now.owed) return false;
    const up = { ...now, owed };
    try {
      await this.o.store.writeRecords([...attached, putIncoming(up)]);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'could not store an owed HTLC answer; retried at the next block');
      return false;
    }
    if (this.incoming.get(key)?.owed) return true;
    this.incoming.set(key, up);
    this.relay(up);
    return true;
  }

  /** Send (again) the fulfil or fail owed for an incoming HTLC, unless it is on its way. */
  relay(rec: IncomingRecord): void {
    const key = htlcKey(rec.channelId, rec.htlcId);
    if (!rec.owed || this.relaying.has(key)) return;
    const ch = this.channel(rec.channelId);
    if (!ch || ch.status !== 'open') return;
    const op = owedOp(rec.htlcId, rec.owed);
    this.relaying.add(key);
    const { settled } = this.o.channels.submitOps(rec.channelId, [op]);
    settled.catch((e: unknown) => {
      this.relaying.delete(key);
      this.log.info({ channel: rec.channelId.slice(0, 16), htlc: rec.htlcId, reason: (e as Error).message }, 'an owed HTLC answer was not taken; sent again at the next block');
    });
  }

  /** Peel a stored incoming onion again (after a restart, or to decide again): deterministic. */
  repeel(rec: IncomingRecord): PeelResult {
    return peelOnion({ packet: rec.onion, nodeSecretKey: this.secretKey, associatedData: rec.paymentHash });
  }

  sizes(): { incoming: number; outgoing: number; replay: number; proposing: number } {
    return { incoming: this.incoming.size, outgoing: this.outgoing.size, replay: this.replay.size, proposing: this.proposing.size };
  }
}

