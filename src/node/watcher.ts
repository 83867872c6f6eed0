// Follows the ledger for the node's channels: new blocks (for settle deadlines) and each channel's
// events (opened, closing, disputed, closed). Events can be missed while the ledger connection is down,
// so channels in a transition are also reconciled against the ledger's record on every block, and all
// live channels every few blocks and at start.
import { toHex } from '../crypto/bytes.js';
import type { Channel, ChannelEvent } from '../channel/machine.js';
import type { LedgerClient } from '../ledger/client.js';
import type { LedgerChannel, LedgerEvent } from '../ledger/types.js';
import type { Logger } from '../util/log.js';

const FULL_RECONCILE_EVERY = 5;

/** What the ledger's record of a channel means for our state machine. */
export function eventsFromLedgerRecord(ch: Channel, lc: LedgerChannel | undefined): ChannelEvent[] {
  if (!lc) return [];
  switch (lc.status) {
    case 'open':
      return ch.status === 'opening' ? [{ type: 'ledgerOpened' }] : [];
    case 'closing': {
      const seq = lc.latest!.state.seq;
      // Already handled, unless a stale close from the peer still stands undisputed (a failed submission).
      const undisputed = lc.submittedBy !== ch.local && seq < ch.signed.state.seq && !ch.disputed;
      if (ch.status === 'forceClosing' && ch.closingSeq === seq && ch.settleHeight === lc.deadlineHeight && !undisputed) return [];
      if (ch.status === 'opening') return [{ type: 'ledgerOpened' }, { type: 'ledgerClosing', seq, by: lc.submittedBy!, deadlineHeight: lc.deadlineHeight! }];
      return [{ type: 'ledgerClosing', seq, by: lc.submittedBy!, deadlineHeight: lc.deadlineHeight! }];
    }
    case 'closed':
      return ch.status === 'closed' ? [] : [{ type: 'ledgerClosed', payoutA: lc.payoutA ?? 0n, payoutB: lc.payoutB ?? 0n }];
  }
}

export function eventFromLedgerEvent(e: LedgerEvent): ChannelEvent | undefined {
  switch (e.kind) {
    case 'channelOpened': return { type: 'ledgerOpened' };
    case 'channelClosing': return { type: 'ledgerClosing', seq: e.seq, by: e.by, deadlineHeight: e.deadlineHeight };
    case 'channelDisputed': return { type: 'ledgerDisputed', seq: e.seq };
    case 'channelClosed': return { type: 'ledgerClosed', payoutA: e.payoutA, payoutB: e.payoutB };
    case 'chainRevealed': return undefined;
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
    const unsub = await this.o.ledger.subscribeChannel(ch.channelId, (n) => {
      const ev = eventFromLedgerEvent(n.event);
      if (ev) void this.o.dispatch(id, ev);
    });
    this.subscribed.set(id, unsub);
  }

  private async onBlock(height: number): Promise<void> {
    this.o.onHeight(height);
    this.blocksSeen++;
    for (const ch of this.o.channels()) {
      if (ch.status === 'forceClosing') await this.o.dispatch(toHex(ch.channelId), { type: 'block', height });
    }
    await this.reconcile(this.blocksSeen % FULL_RECONCILE_EVERY === 0);
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
