// Follows the ledger for the node's channels: new blocks (for settle deadlines) and the events of every
// channel the node is a party to, through ONE `party` subscription (plus one for blocks), whatever the
// number of channels: watching costs the ledger no per-channel resource (issue 7, item 1).
//
// An event only says something happened; what it means is read from the ledger's record, checked to be
// ours. Each channel is reconciled on its own: a failure (a read that fails, a dispatch that throws) is
// logged and retried at the next block, and never stops the other channels being watched. Nothing here
// rejects into the void: every entry point catches, so a watcher failure never ends the process.
//
// Events could be missed while the ledger connection is down. On one connection a block's events come
// before its block notice, so a gap in block heights (a reconnect) triggers a full reconcile; channels in
// a transition are re-read every block (for dispute retries and front-run opens), and open ones a slice
// every few blocks, as a safety net.
import { equalBytes, toHex } from '../crypto/bytes.js';
import type { Channel, ChannelEvent } from '../channel/machine.js';
import type { LedgerClient } from '../ledger/client.js';
import type { LedgerChannel } from '../ledger/types.js';
import type { Logger } from '../util/log.js';

/** Channel reads in flight at once (the ledger bounds unfinished requests per connection: 256). */
const READ_CONCURRENCY = 16;
/** Channels in a transition re-read per block at most (round robin past it). */
const TRANSITION_READS_PER_BLOCK = 512;
/** Open channels re-read as a safety net (round robin): this many every SWEEP_EVERY_BLOCKS blocks. */
const SWEEP_READS = 64;
const SWEEP_EVERY_BLOCKS = 5;

/** Is the ledger's channel under this id really ours: the same two parties, in order, and capacity? */
export function ledgerRecordMatches(ch: Channel, lc: LedgerChannel): boolean {
  const [a, b] = ch.local === 'A' ? [ch.localNodeId, ch.remoteNodeId] : [ch.remoteNodeId, ch.localNodeId];
  return equalBytes(lc.a, a) && equalBytes(lc.b, b) && lc.capacity === ch.capacity;
}

/** What the ledger's record of a channel means for our state machine. */
export function eventsFromLedgerRecord(ch: Channel, lc: LedgerChannel | undefined): ChannelEvent[] {
  if (!lc) return [];
  if (!ledgerRecordMatches(ch, lc)) {
    // Someone else's channel under our id (a front-run open, or a peer that never funded ours): it
    // locks none of our money, so our channel never opened.
    return ch.status === 'opening' || ch.status === 'proposed'
      ? [{ type: 'openFailed', reason: 'the ledger channel with this id is not ours (other parties or capacity)' }]
      : [];
  }
  switch (lc.status) {
    case 'open':
      return ch.status === 'opening' ? [{ type: 'ledgerOpened', state0: lc.openState }] : [];
    case 'closing': {
      const closing: ChannelEvent = { type: 'ledgerClosing', seq: lc.latest!.state.seq, by: lc.submittedBy!, deadlineHeight: lc.deadlineHeight! };
      return ch.status === 'opening' ? [{ type: 'ledgerOpened', state0: lc.openState }, closing] : [closing];
    }
    case 'closed':
      return ch.status === 'closed' ? [] : [{ type: 'ledgerClosed', payoutA: lc.payoutA ?? 0n, payoutB: lc.payoutB ?? 0n }];
  }
}

/** The part of the ledger client the watcher uses (a port: tests give it a fake or a wrapper). */
export type WatcherLedger = Pick<LedgerClient, 'info' | 'subscribeBlocks' | 'subscribeParty' | 'channel' | 'account'>;

export interface WatcherOptions {
  ledger: WatcherLedger;
  /** The node's key: the party whose channels' events the ledger sends us. */
  nodeId: Uint8Array;
  log: Logger;
  channels(): Channel[];
  /** Look a channel up by hex id (defaults to a scan of channels()). */
  channel?(id: string): Channel | undefined;
  dispatch(id: string, ev: ChannelEvent): Promise<void>;
  onHeight(height: number): void;
}

const isLive = (ch: Channel) => ch.status !== 'closed' && ch.status !== 'failed' && ch.status !== 'proposed';
const inTransition = (ch: Channel) => ch.status === 'opening' || ch.status === 'closing' || ch.status === 'forceClosing';

export class Watcher {
  private readonly unsubscribe: (() => Promise<void>)[] = [];
  private lastHeight: number | undefined;
  private fullPending = false;
  private fullRunning: Promise<void> | undefined;
  /** Channels whose last reconcile failed: read again at the next block. */
  private readonly retry = new Set<string>();
  /** Channels with an event this block whose record has not come (yet): read at the block notice. */
  private readonly unread = new Set<string>();
  private transitionCursor = 0;
  private sweepCursor = 0;
  private blocksSeen = 0;
  private stopped = false;
  private loggedFailing = 0;
  private fee: bigint | undefined;
  private warnedUnfunded = false;

  constructor(private readonly o: WatcherOptions) {}

  async start(): Promise<void> {
    const info = await this.o.ledger.info();
    this.o.onHeight(info.height);
    this.lastHeight = info.height;
    this.fee = info.fee;
    this.unsubscribe.push(await this.o.ledger.subscribeParty(this.o.nodeId, (n) => {
      if (n.event.kind === 'channelClosing') void this.checkFeeFunds();
      // A channel's last notice of a block carries its record as the block left it: no read needed. The
      // earlier ones do not; acting on each (a peer can make hundreds per block) would cost a read each.
      // Those are read at the block notice (which comes after all of the block's events) unless a later
      // notice brought the record: at most one read per channel per block, whatever the peer sends.
      const id = toHex(n.event.channelId);
      if (n.channel) {
        this.unread.delete(id);
        void this.reconcileOne(id, n.channel);
      } else {
        this.unread.add(id);
      }
    }));
    this.unsubscribe.push(await this.o.ledger.subscribeBlocks((b) => void this.onBlock(b.height)));
    await this.reconcileAll();
    await this.checkFeeFunds();
  }

  /**
   * Every ledger transaction is paid from the node's own account: with live channels and less than one
   * fee there, the node could not dispute a stale close. Say so once (until it is funded again).
   */
  private async checkFeeFunds(): Promise<void> {
    try {
      if (this.fee === undefined || !this.o.channels().some(isLive)) return;
      const { balance } = await this.o.ledger.account(this.o.nodeId);
      const short = balance < this.fee;
      if (short && !this.warnedUnfunded) {
        this.o.log.warn({ balance: balance.toString(), fee: this.fee.toString() }, 'the node\'s ledger account cannot pay one transaction fee: it could not dispute a stale close or settle; fund it (sluice wallet faucet, or a transfer)');
      }
      this.warnedUnfunded = short;
    } catch (e) {
      this.o.log.debug({ err: (e as Error).message }, 'watcher: could not read the node\'s ledger balance');
    }
  }

  /** A channel we just put on the ledger (opening): read its record now. Never rejects. */
  async watch(ch: Channel): Promise<void> {
    await this.reconcileOne(toHex(ch.channelId));
  }

  /** How many channels the last rounds could not reconcile (they are retried every block). */
  get failing(): number {
    return this.retry.size;
  }

  private lookup(id: string): Channel | undefined {
    return this.o.channel ? this.o.channel(id) : this.o.channels().find((c) => toHex(c.channelId) === id);
  }

  private async onBlock(height: number): Promise<void> {
    if (this.stopped) return;
    try {
      const gap = this.lastHeight !== undefined && height > this.lastHeight + 1;
      this.lastHeight = Math.max(this.lastHeight ?? height, height);
      this.o.onHeight(height);
      const all = this.o.channels();
      for (const ch of all) {
        if (ch.status !== 'forceClosing') continue;
        const id = toHex(ch.channelId);
        try {
          await this.o.dispatch(id, { type: 'block', height });
        } catch (e) {
          this.failed(id, e);
        }
      }
      if (gap) {
        this.unread.clear();
        // We were away (a reconnect): events of the blocks in between may be lost.
        void this.reconcileAll();
        return;
      }
      await this.reconcileIds(this.perBlockIds(all));
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message, height }, 'watcher: a block could not be processed; the next one retries');
    }
  }

  /** This block's reads: failed ones, transitions (bounded, round robin) and now and then a slice of open channels. */
  private perBlockIds(all: Channel[]): string[] {
    const ids = new Set([...this.retry, ...this.unread]);
    this.unread.clear();
    const moving = all.filter(inTransition);
    const open = all.filter((c) => c.status === 'open');
    for (const ch of slice(moving, this.transitionCursor, TRANSITION_READS_PER_BLOCK)) ids.add(toHex(ch.channelId));
    this.transitionCursor += TRANSITION_READS_PER_BLOCK;
    if (++this.blocksSeen % SWEEP_EVERY_BLOCKS === 0) {
      for (const ch of slice(open, this.sweepCursor, SWEEP_READS)) ids.add(toHex(ch.channelId));
      this.sweepCursor += SWEEP_READS;
    }
    return [...ids];
  }

  /** Every live channel, each on its own; at most one full round at a time (a second one is queued). */
  private reconcileAll(): Promise<void> {
    if (this.fullRunning) {
      this.fullPending = true;
      return this.fullRunning;
    }
    const run = async () => {
      do {
        this.fullPending = false;
        await this.reconcileIds(this.o.channels().filter(isLive).map((c) => toHex(c.channelId)));
      } while (this.fullPending && !this.stopped);
    };
    this.fullRunning = run().finally(() => (this.fullRunning = undefined));
    return this.fullRunning;
  }

  private async reconcileIds(ids: string[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < ids.length && !this.stopped) await this.reconcileOne(ids[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, ids.length) }, worker));
    if (this.retry.size !== this.loggedFailing) {
      this.loggedFailing = this.retry.size;
      if (this.retry.size > 0) this.o.log.warn({ failing: this.retry.size }, 'watcher: some channels could not be reconciled with the ledger; retrying every block');
      else this.o.log.info('watcher: every channel is reconciled with the ledger again');
    }
  }

  /** Read one channel's ledger record (unless given) and feed what it means to the channel. Never rejects. */
  private async reconcileOne(id: string, record?: LedgerChannel): Promise<void> {
    const ch = this.lookup(id);
    if (!ch || !isLive(ch) || this.stopped) {
      this.retry.delete(id);
      return;
    }
    try {
      const lc = record ?? await this.o.ledger.channel(ch.channelId);
      // the channel may have moved while we read: interpret the record against its state now
      const now = this.lookup(id) ?? ch;
      for (const ev of eventsFromLedgerRecord(now, lc)) await this.o.dispatch(id, ev);
      this.retry.delete(id);
    } catch (e) {
      this.failed(id, e);
    }
  }

  private failed(id: string, e: unknown): void {
    if (!this.retry.has(id)) this.o.log.debug({ channel: id.slice(0, 16), err: (e as Error).message }, 'watcher: reconciling a channel failed; retrying at the next block');
    this.retry.add(id);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) await u().catch(() => undefined);
    await this.fullRunning?.catch(() => undefined);
  }
}

/** Up to `n` items of `list` from `cursor` on, wrapping around. */
function slice<T>(list: readonly T[], cursor: number, n: number): T[] {
  if (list.length <= n) return [...list];
  const start = cursor % list.length;
  const out = list.slice(start, start + n);
  if (out.length < n) out.push(...list.slice(0, n - out.length));
  return out;
}
