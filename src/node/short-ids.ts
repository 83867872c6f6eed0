// Which short channel id (BOLT 7: the block, the transaction's place in it, output 0) names each of
// our channels. The ledger gives one to every open in a block; onions, invoices' route hints and gossip
// all name channels by it. Until the node has read it from the ledger (a channel just opened, the
// ledger away at start), a channel is named by the first 8 bytes of its id, which both ends compute
// alike; a forwarding hop accepts either name.
import { toHex } from '../crypto/bytes.js';
import type { LedgerChannel } from '../ledger/types.js';
import type { Logger } from '../util/log.js';

export interface ShortIds {
  /** The name to give a channel (16 hex characters). */
  scidOf(channelId: string): string;
  /** Our channel this name gives, if it is one of ours. */
  channelOf(scid: string): string | undefined;
}

export const fallbackShortId = (channelId: string): string => channelId.slice(0, 16);

export class ShortIdBook implements ShortIds {
  private readonly byChannel = new Map<string, string>();
  private readonly byScid = new Map<string, string>();

  constructor(private readonly o: { ledger: { channel(id: Uint8Array): Promise<LedgerChannel | undefined> }; log: Logger }) {}

  scidOf(channelId: string): string {
    return this.byChannel.get(channelId) ?? fallbackShortId(channelId);
  }

  channelOf(scid: string): string | undefined {
    return this.byScid.get(scid);
  }

  /** Read a channel's id from its ledger record (once it is open); a failure leaves the fallback name. */
  async learn(channelId: Uint8Array): Promise<void> {
    const id = toHex(channelId);
    if (this.byChannel.has(id)) return;
    try {
      const rec = await this.o.ledger.channel(channelId);
      if (rec?.shortChannelId === undefined) return;
      this.byChannel.set(id, rec.shortChannelId);
      this.byScid.set(rec.shortChannelId, id);
    } catch (e) {
      this.o.log.debug({ channelId: id.slice(0, 16), err: (e as Error).message }, 'short channel id not read yet');
    }
  }
}
