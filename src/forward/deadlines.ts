// A forwarding hop's deadlines: which incoming HTLCs to fail back now, and which need their preimage
// registered on the ledger because the upstream peer has not taken the fulfil in time. Pure: the
// forwards and the height are arguments; the shell runs this on every new block and after a restart.
//
// Why this is safe on sluice (multihop.md §7.0-1a): an HTLC lock pays its receiver iff its preimage is
// registered on the ledger *before* the lock's expiry height, whenever the channel settles. So
//   - once the outgoing HTLC's expiry height has passed with no preimage known, the outgoing lock can
//     only pay us back: failing the incoming one upstream cannot lose money, even while the downstream
//     peer still holds the lock (it is removed at the next update or at settlement);
//   - once we know the preimage, one `preimage` ledger transaction before the incoming expiry secures
//     the incoming lock, whether or not the upstream peer ever takes our fulfil. No close is needed.
//
// `currentHeight` must be a height whose preimage registrations the shell has already applied (the
// watcher's registry events), or "no preimage known" would be a guess.

/** One incoming HTLC this hop accepted, with what became of it downstream. */
export interface HopForward {
  /** the shell's key for the incoming HTLC (say, channel id and HTLC id) */
  readonly key: string;
  readonly incomingExpiry: number;
  /** the outgoing HTLC, once offered (absent: not forwarded yet) */
  readonly outgoing?: {
    readonly expiryHeight: number;
    /** 'pending': neither fulfilled nor failed by a both-signed downstream state yet */
    readonly state: 'pending' | 'fulfilled' | 'failed';
  };
  /** we know the preimage (from the downstream fulfil or the ledger's registry) */
  readonly preimageKnown: boolean;
  /** a `preimage` transaction for it is on the ledger (or was submitted and is awaited) */
  readonly preimageRegistered: boolean;
  /** the incoming HTLC is already gone from a both-signed upstream state: nothing left to do */
  readonly upstreamResolved: boolean;
}

export interface DeadlineOptions {
  /**
   * Register a known preimage once the incoming HTLC has this many blocks or fewer left and the
   * upstream peer still holds it. Half the default expiry delta: the fulfil normally goes through long
   * before, and a ledger transaction lands well within the rest.
   */
  readonly registerMarginBlocks?: number;
  /**
   * Fail an incoming HTLC that was never forwarded once it has this many blocks or fewer left (a
   * restart found it received but not offered, and it is too late to forward): the upstream peer
   * gets its money back by agreement rather than waiting for the lock's expiry.
   */
  readonly unforwardedFailMarginBlocks?: number;
}

export const DEFAULT_REGISTER_MARGIN_BLOCKS = 6;
export const DEFAULT_UNFORWARDED_FAIL_MARGIN_BLOCKS = 6;

export type FailBackWhy = 'outgoing_expired' | 'outgoing_failed' | 'not_forwarded';

export interface Deadlines {
  /** fail these incoming HTLCs upstream now (a failHtlc with an error this hop builds or relays) */
  readonly failBack: readonly { readonly key: string; readonly why: FailBackWhy }[];
  /** submit a `preimage` ledger transaction for these now */
  readonly registerPreimage: readonly string[];
  /**
   * The next height at which this answer would change with no other event (a timer for the shell),
   * or undefined when nothing waits on a height.
   */
  readonly nextHeight?: number;
}

export function hopDeadlines(forwards: readonly HopForward[], currentHeight: number, opts: DeadlineOptions = {}): Deadlines {
  const registerMargin = opts.registerMarginBlocks ?? DEFAULT_REGISTER_MARGIN_BLOCKS;
  const unforwardedMargin = opts.unforwardedFailMarginBlocks ?? DEFAULT_UNFORWARDED_FAIL_MARGIN_BLOCKS;
  const failBack: { key: string; why: FailBackWhy }[] = [];
  const registerPreimage: string[] = [];
  let nextHeight: number | undefined;
  const wake = (h: number) => {
    if (h > currentHeight && (nextHeight === undefined || h < nextHeight)) nextHeight = h;
  };

  for (const f of forwards) {
    if (f.upstreamResolved) continue;
    if (f.preimageKnown) {
      // A known preimage always wins: never fail upstream what downstream can claim from us.
      if (f.preimageRegistered) continue;
      const at = f.incomingExpiry - registerMargin;
      if (currentHeight >= at) registerPreimage.push(f.key);
      else wake(at);
      continue;
    }
    const out = f.outgoing;
    if (out === undefined) {
      const at = f.incomingExpiry - unforwardedMargin;
      if (currentHeight >= at) failBack.push({ key: f.key, why: 'not_forwarded' });
      else wake(at);
    } else if (out.state === 'failed') {
      failBack.push({ key: f.key, why: 'outgoing_failed' });
    } else if (out.state === 'pending') {
      // At the expiry height itself a registration can no longer count (it must be below it).
      if (currentHeight >= out.expiryHeight) failBack.push({ key: f.key, why: 'outgoing_expired' });
      else wake(out.expiryHeight);
    }
    // 'fulfilled' without a known preimage cannot happen (the fulfil carries it); nothing to do.
  }
  return { failBack, registerPreimage, ...(nextHeight !== undefined ? { nextHeight } : {}) };
}
