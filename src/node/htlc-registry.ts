// Following the ledger's preimage registry for the hashes of our outgoing HTLCs (multihop.md §7.0-1c):
// a next hop may register a preimage on the ledger instead of fulfilling off-chain, and then its lock
// pays it at settlement. Before the switch fails anything back at an outgoing expiry it must have
// read every block up to that height, or "no preimage known" would be a guess. The ledger has no
// lookup by hash, so the blocks are read (only while an outgoing HTLC is pending), from the oldest
// pending offer's height after a restart.
import { fromHex, toHex } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import type { LedgerClient } from '../ledger/client.js';
import { MAX_HTLC_CLTV_BLOCKS } from '../forward/policy.js';
import { deleteOutgoing, deleteRegistered, htlcKey, putIncoming, putRegistered, type IncomingRecord, type OutgoingRecord } from './htlc-records.js';
import type { RecordWrite } from './store-port.js';
import type { HtlcSwitch } from './htlc-switch.js';

/** Registrations remembered for late fulfils (one per outgoing HTLC paid through the ledger). */
const MAX_REMEMBERED = 10_000;

export class PreimageRegistryReader {
  /** The last height whose transactions were read. */
  private read?: number;
  private running = false;
  /** Registrations read that paid one of our outgoing HTLCs: hash -> height (bounded, oldest first out). */
  private readonly registered = new Map<string, number>();

  constructor(private readonly sw: HtlcSwitch, private readonly ledger: Pick<LedgerClient, 'request'>) {}

  /**
   * The registrations stored before a restart. They are stored because the next hop may fulfil the
   * lock off-chain long after it registered (and after the outgoing record is gone): refusing that
   * late fulfil as unregistered would fail a channel over a lock the ledger pays the peer anyway.
   */
  restore(registered: ReadonlyMap<string, number>): void {
    for (const [hash, h] of registered) this.registered.set(hash, h);
  }

  /**
   * Was this hash's preimage registered on the ledger below `expiryHeight`? Undefined while the blocks
   * below it are not all read. (An outgoing HTLC is only failed back or told 'refused' at its expiry
   * once they are, so a registration of one of ours below its expiry is never missed here.)
   */
  registeredBefore(paymentHash: Uint8Array, expiryHeight: number): boolean | undefined {
    const h = this.registered.get(toHex(paymentHash));
    if (h !== undefined && h < expiryHeight) return true;
    return this.read !== undefined && this.read >= expiryHeight - 1 ? false : undefined;
  }

  /** Has every block up to `height` been read? (The switch fails nothing back at an expiry until then.) */
  caughtUp(height: number): boolean {
    return this.pending().length === 0 || (this.read !== undefined && this.read >= height);
  }

  private pending(): OutgoingRecord[] {
    return [...this.sw.outgoing.values()].filter((r) => !r.outcome && !r.abandoned);
  }

  async onBlock(height: number): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const pending = this.pending();
      if (pending.length === 0) {
        this.read = height;
        return;
      }
      const oldest = Math.min(...pending.map((r) => r.offeredHeight));
      let from = this.read === undefined ? oldest : this.read + 1;
      // An HTLC lives at most max_htlc_cltv blocks: nothing older can matter.
      from = Math.max(from, height - MAX_HTLC_CLTV_BLOCKS, 1);
      for (let h = from; h <= height; h++) {
        for (const preimage of await this.preimagesAt(h)) await this.learned(preimage, h);
        this.read = h;
      }
    } catch (e) {
      this.sw.log.debug({ err: (e as Error).message }, 'could not read the ledger\'s preimages; retried at the next block');
    } finally {
      this.running = false;
    }
  }

  private async preimagesAt(height: number): Promise<Uint8Array[]> {
    const block = (await this.ledger.request('getBlock', { height })) as { txids?: unknown };
    const out: Uint8Array[] = [];
    for (const txid of Array.isArray(block.txids) ? block.txids : []) {
      const t = (await this.ledger.request('getTx', { txid: String(txid) })) as { tx?: Record<string, unknown> };
      if (t.tx?.['kind'] === 'preimage' && typeof t.tx['preimage'] === 'string') out.push(fromHex(t.tx['preimage'], 'preimage', 32));
    }
    return out;
  }

  /** A preimage registered at `height`: it pays every pending outgoing HTLC of its hash that expires later. */
  private async learned(preimage: Uint8Array, height: number): Promise<void> {
    const hash = toHex(sha256(preimage));
    for (const rec of this.pending()) {
      if (toHex(rec.paymentHash) !== hash || height >= rec.expiryHeight) continue;
      if (!this.registered.has(hash)) {
        // Stored before what it leads to, and remembered only once stored: a failed write throws, and
        // the block is read again at the next one.
        const oldest = this.registered.size >= MAX_REMEMBERED ? this.registered.keys().next().value! : undefined;
        const writes: RecordWrite[] = [putRegistered(hash, height), ...(oldest !== undefined ? [deleteRegistered(oldest)] : [])];
        await this.sw.o.store.writeRecords(writes);
        if (oldest !== undefined) this.registered.delete(oldest);
        this.registered.set(hash, height);
      }
      this.sw.log.info({ channel: rec.channelId.slice(0, 16), htlc: rec.htlcId, height }, 'the next hop registered the preimage on the ledger');
      if (rec.origin.kind === 'local') {
        await this.sw.endLocal(rec, { kind: 'fulfilled', preimage });
        continue;
      }
      const upKey = htlcKey(rec.origin.channelId, rec.origin.htlcId);
      const up = this.sw.incoming.get(upKey);
      const owed: IncomingRecord | undefined = up && !up.owed ? { ...up, owed: { kind: 'fulfil', preimage } } : undefined;
      await this.sw.o.store.writeRecords([deleteOutgoing(rec), ...(owed ? [putIncoming(owed)] : [])]);
      this.sw.outgoing.delete(htlcKey(rec.channelId, rec.htlcId));
      if (owed) {
        this.sw.incoming.set(upKey, owed);
        this.sw.relay(owed);
      }
    }
  }
}
