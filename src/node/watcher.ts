// Follows the ledger for the node's channels: new blocks (for settle deadlines) and each channel's
// events (opened, closing, disputed, closed). Events can be missed while the ledger connection is down,
// so channels in a transition are also reconciled against the ledger's record on every block, and all
// live channels every few blocks and at start.
import { equalBytes, toHex } from '../crypto/bytes.js';
import type { Channel, ChannelEvent } from '../channel/machine.js';
import type { LedgerClient } from '../ledger/client.js';
import type { LedgerChannel } from '../ledger/types.js';
import type { Logger } from '../util/log.js';

const FULL_RECONCILE_EVERY = 5;

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


export interface WatcherOptions {
  ledger: LedgerClient;
  log: Logger;
  channels(): Channel[];
  dispatch(id: string, ev: ChannelEvent): Promise<void>;
  onHeight(height: number): void;
}

export class Watcher {
  private readonly subscribed = new Map<string, () => Promise<void>>();
  private unsubscribeBlocks?: () => Promise<void>;
  private blocksSeen = 0;
  private reconciling = false;

  constructor(private readonly o: WatcherOptions) {}

  async start(): Promise<void> {
    const info = await this.o.ledger.info();
    this.o.onHeight(info.height);
    this.unsubscribeBlocks = await this.o.ledger.subscribeBlocks((b) => void this.onBlock(b.height));
    await this.reconcile(true);
  }

  /** Make sure we hear about this channel's ledger events. */
  async watch(ch: Channel): Promise<void> {
    const id = toHex(ch.channelId);
    if (this.subscribed.has(id) || ch.status === 'closed' || ch.status === 'failed') return;
    // An event only says something happened: what it means is read from the ledger's record, which is
    // checked to be ours (a channel opened by others under our id must not count as our funding).
    const unsub = await this.o.ledger.subscribeChannel(ch.channelId, () => void this.reconcileOne(id));
    this.subscribed.set(id, unsub);
  }

  /** Stop hearing about a channel the node has forgotten (an unfunded open past its deadline). */
  async unwatch(id: string): Promise<void> {
    const unsub = this.subscribed.get(id);
    this.subscribed.delete(id);
    await unsub?.().catch(() => undefined);
  }

  private async onBlock(height: number): Promise<void> {
    this.o.onHeight(height);
    this.blocksSeen++;
    for (const ch of this.o.channels()) {
      if (ch.status === 'forceClosing') await this.o.dispatch(toHex(ch.channelId), { type: 'block', height });
    }
    await this.reconcile(this.blocksSeen % FULL_RECONCILE_EVERY === 0);
  }

  private async reconcileOne(id: string): Promise<void> {
    const ch = this.o.channels().find((c) => toHex(c.channelId) === id);
    if (!ch) return;
    try {
      const lc = await this.o.ledger.channel(ch.channelId);
      for (const ev of eventsFromLedgerRecord(ch, lc)) await this.o.dispatch(id, ev);
    } catch (e) {
      this.o.log.debug({ err: (e as Error).message }, 'reading the ledger failed; the next block retries');
    }
  }

  private async reconcile(all: boolean): Promise<void> {
    if (this.reconciling) return;
    this.reconciling = true;
    try {
      for (const ch of this.o.channels()) {
        if (ch.status === 'closed' || ch.status === 'failed' || ch.status === 'proposed') continue;
        if (!all && ch.status === 'open') continue;
        const id = toHex(ch.channelId);
        await this.watch(ch);
        const lc = await this.o.ledger.channel(ch.channelId);
        for (const ev of eventsFromLedgerRecord(ch, lc)) await this.o.dispatch(id, ev);
      }
    } catch (e) {
      this.o.log.debug({ err: (e as Error).message }, 'reconcile with the ledger failed; will retry');
    } finally {
      this.reconciling = false;
    }
  }

  async stop(): Promise<void> {
    await this.unsubscribeBlocks?.().catch(() => undefined);
    for (const u of this.subscribed.values()) await u().catch(() => undefined);
    this.subscribed.clear();
  }
}
