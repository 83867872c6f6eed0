// What a hop of a hash-chain stream across hops reads on the ledger while its relays run
// (streams-chain.ts runs the relays): the closing downstream channel it follows until nothing more can
// pay the next node, the registry it reads once past the outgoing lock's expiry, and the registrations it
// makes upstream near the incoming lock's expiry. What the ledger shows is learned into the relay and
// claimed upstream through the relays (WatchedRelays); the reads themselves are streams-chain-ledger.ts.
import type { HashchainLock } from '../channel/state.js';
import { learn, registerDue, type ChainRelay } from '../stream/hop-chain.js';
import type { StreamShell } from './streams.js';
import { registerUpstream, shownDownstream } from './streams-chain-ledger.js';

/**
 * How often a hop looks at its closing downstream channel; it reads the registry at most once a block.
 * It watches until nothing more can pay the next node: the channel is closed, or the lock's expiry and a
 * dispute window have passed (no registration counts from its expiry, no reveal from a window past it).
 * Not a number of reads: the next node (the lock's receiver) may hold its settle for as long as the lock
 * runs, and show a deeper chain at the end of it.
 */
const FOLLOW_EVERY_MS = 1000;

/** What the watch needs of the relays it watches (ChainRelays). */
export interface WatchedRelays {
  get(id: string): ChainRelay | undefined;
  all(): Iterable<ChainRelay>;
  /** Keep a relay that learned a deeper chain, and store it. */
  keep(r: ChainRelay): Promise<void>;
  /** Claim upstream what is due (everything when `final`). */
  claimUp(id: string, final: boolean): Promise<void>;
  /** The downstream lock is done with: claim all upstream, then give back the rest (released) or not. */
  afterDownstream(r: ChainRelay, released: boolean): void;
  /** Our lock on the relay's downstream channel, if it is in the both-signed state. */
  downLock(r: ChainRelay): HashchainLock | undefined;
}

export class DownstreamWatch {
  /** Relays whose downstream channel we are watching on the ledger (followDownstream), one loop each. */
  private readonly following = new Set<string>();
  /** The depth registered upstream near the incoming lock's expiry (registerNearExpiry), and those in flight. */
  private readonly registeredUp = new Map<string, number>();
  /** Relays whose downstream registry was read once past the outgoing lock's expiry (checkDownstream). */
  private readonly checkedDown = new Set<string>();

  constructor(private readonly s: StreamShell, private readonly disputeBlocks: number, private readonly relays: WatchedRelays) {}

  /** A relay's record is gone (settled on both sides): so are its marks here. */
  forget(id: string): void {
    this.registeredUp.delete(id);
    this.checkedDown.delete(id);
  }

  /**
   * Once per relay, from the outgoing lock's expiry on (no registration counts for it from then): what
   * the registry holds for it, though its channel is open. The next node may have registered a chain it
   * had from the payer, against a root its claim moved apart from the upstream lock's (a payer that
   * does not sign our claim keeps them apart), and close after the upstream lock's expiry, when we could
   * no longer register it upstream. A closing channel is watched by followDownstream instead. True if
   * a read started (it registers what is due when done).
   */
  private checkDownstream(id: string): boolean {
    const r = this.relays.get(id);
    const ch = r && this.s.o.channels.channels.get(r.downChannel);
    const lock = r && this.relays.downLock(r);
    if (!r || !ch || !lock || this.following.has(id) || !this.s.o.ledger.chain) return false;
    this.checkedDown.add(id);
    void shownDownstream(this.s, r, lock, new Map()).then(async (shown) => {
      const now = this.relays.get(id);
      if (now && shown && shown.depth > now.depth) {
        await this.relays.keep(learn(now, shown.depth, shown.preimage));
        void this.relays.claimUp(id, true);
      }
      this.registerNearExpiry();
    }).catch((e: unknown) => {
      this.checkedDown.delete(id); // tried again at the next pass
      this.s.o.log.warn({ stream: id, err: (e as Error).message }, 'reading the registry for a chain relay failed');
    });
    return true;
  }

  /** Watch the closing downstream channel (once per relay), then claim all upstream and give back the rest. */
  followThenEnd(id: string): void {
    if (this.following.has(id)) return; // the running loop sees the close too
    this.following.add(id);
    void this.followDownstream(id)
      .catch((e: unknown) => this.s.o.log.warn({ stream: id, err: (e as Error).message }, 'following a closing chain relay failed'))
      .finally(() => {
        this.following.delete(id);
        const r = this.relays.get(id);
        if (r) this.relays.afterDownstream(r, true);
      });
  }

  /**
   * Near (from the outgoing lock's expiry on) and past the incoming lock's expiry, register what we hold
   * unclaimed upstream, whatever the upstream channel's state: a claim there needs the peer's signature
   * (registerDue). Every relay still kept, ended ones too (their upstream lock may still be there).
   */
  registerNearExpiry(): void {
    const height = this.s.o.height();
    for (const r of this.relays.all()) {
      // what the next node registered first (it registers again at once once read), so one registration covers both
      if (height >= r.expiryOut && !this.checkedDown.has(r.streamId) && this.checkDownstream(r.streamId)) continue;
      if (!registerDue(r, height) || (this.registeredUp.get(r.streamId) ?? 0) >= r.depth) continue;
      this.registeredUp.set(r.streamId, r.depth);
      void registerUpstream(this.s, r).then((done) => {
        if (!done) this.registeredUp.delete(r.streamId); // tried again at the next pass
      });
    }
  }

  /**
   * Our downstream channel is closing on the ledger: the next node may show a depth there that we never
   * had (we crashed after forwarding it), in a reveal or a registration, both in the chain registry under
   * our lock's current root. Watch it until nothing more can pay the next node (FOLLOW_EVERY_MS), learn
   * what it shows, and claim (or register) all of it upstream.
   */
  private async followDownstream(id: string): Promise<void> {
    const { o, clock } = this.s;
    // Not awaited, here or below: a claim waits for the upstream peer's signature, and a peer that never
    // answers must not keep us from reading what the next node shows (registerNearExpiry then registers it).
    void this.relays.claimUp(id, true);
    if (!o.ledger.chain) return;
    let readAt = -1;
    const ours = new Map<string, boolean>(); // adjudicated roots checked against our chain (onOurChain)
    for (;;) {
      const r = this.relays.get(id);
      const ch = r && o.channels.channels.get(r.downChannel);
      const lock = ch?.signed.state.locks.find((l) => l.id === r!.downLock);
      if (!r || !ch || lock?.kind !== 'hashchain') return;
      const height = o.height();
      // Taken before the read: a read that starts after the close (or the last block that could pay) is the last one needed.
      const last = ch.status === 'closed' || ch.status === 'failed' || height >= r.expiryOut + this.disputeBlocks;
      let read = true;
      if (last || height !== readAt) {
        const shown = await shownDownstream(this.s, r, lock, ours).catch(() => (read = false, undefined));
        if (read) readAt = height;
        if (shown && shown.depth > r.depth) {
          await this.relays.keep(learn(r, shown.depth, shown.preimage)).catch(() => undefined);
          void this.relays.claimUp(id, true);
        }
      }
      if (last && read) return; // the last read must succeed: else again in a second
      await clock.sleep(FOLLOW_EVERY_MS);
    }
  }
}
