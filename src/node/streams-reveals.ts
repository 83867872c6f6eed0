// The payee's hash-chain reveals on the ledger while a channel closes unilaterally. The state the
// ledger adjudicates can change during the window (a dispute replaces an old state with a newer one,
// whose lock root has moved past the claimed ticks), and the ledger drops reveals made against a root
// that changed. So this follows the close until it ends, and (re)reveals against whatever state is
// under adjudication each time it changes: revealed ticks are paid whichever state wins.
import { toHex } from '../crypto/bytes.js';
import type { Lock } from '../channel/state.js';
import type { LedgerClient } from '../ledger/client.js';
import type { Logger } from '../util/log.js';
import type { Wallet } from './wallet.js';

export interface ChainReveal {
  lockId: number;
  /** Depth below the given lock's root. */
  depth: number;
  preimage: Uint8Array;
}

export interface LedgerRevealOptions {
  channelId: Uint8Array;
  ledger: Pick<LedgerClient, 'channel'>;
  wallet: Pick<Wallet, 'reveal'>;
  log: Logger;
  /** What our chains can show against these locks (the payee's records know). */
  revealsFor(locks: readonly Lock[]): ChainReveal[];
  /** The ledger height as the node knows it: reveals are accepted until the window's deadline. */
  height(): number;
  sleep(ms: number): Promise<void>;
  pollMs?: number;
  /** Bound on ledger reads, whatever the window (10,000 polls of 200 ms is over half an hour). */
  maxPolls?: number;
}

export async function revealWhileClosing(o: LedgerRevealOptions): Promise<void> {
  const tried = new Set<string>();
  const id = toHex(o.channelId).slice(0, 16);
  for (let i = 0; i < (o.maxPolls ?? 10_000); i++) {
    const lc = await o.ledger.channel(o.channelId).catch(() => undefined);
    if (lc?.status === 'closed') return;
    if (lc?.status === 'closing' && lc.latest) {
      if (lc.deadlineHeight !== undefined && o.height() >= lc.deadlineHeight) return;
      const seq = lc.latest.state.seq;
      for (const r of o.revealsFor(lc.latest.state.locks)) {
        const shownDepth = lc.reveals[r.lockId]?.depth ?? 0;
        if (shownDepth >= r.depth) continue;
        // One try per (state, lock, depth): a refused reveal is not resent until something changes.
        const key = `${seq}:${r.lockId}:${r.depth}`;
        if (tried.has(key)) continue;
        tried.add(key);
        try {
          // in steps if the ledger's per-request bound needs it (docs/ledger.md)
          const txids = await o.wallet.reveal({ channelId: o.channelId, lockId: r.lockId, preimage: r.preimage, depth: r.depth, shownDepth });
          o.log.info({ channel: id, lockId: r.lockId, depth: r.depth, seq: seq.toString(), txids }, 'revealed hash-chain ticks to the ledger');
        } catch (e) {
          o.log.warn({ channel: id, err: (e as Error).message }, 'hash-chain reveal refused');
        }
      }
    }
    await o.sleep(o.pollMs ?? 200);
  }
}
