// The read side of ledger state that rules see, and an overlay that stacks a block's changes on top
// of committed state. Rules read through the view and return writes; only the overlay applies them.
import { toHex } from '../crypto/bytes.js';
import type { Account, ChainEntry, ChainMark, LedgerChannel, Supply } from './types.js';

export interface LedgerView {
  account(id: Uint8Array): Account;
  channel(id: Uint8Array): LedgerChannel | undefined;
  /** Height at which sha256(preimage) == hash was registered, if it was. */
  preimageHeight(hash: Uint8Array): number | undefined;
  /** The chain registry's record for a hash-chain root, if anything was registered for it. */
  chain(root: Uint8Array): ChainEntry | undefined;
  supply(): Supply;
}

/**
 * Record one registration at `height` in an entry the caller owns (a second one in the same block moves
 * the same mark). In place, so a root with many marks costs O(1) per registration, not a copy of them all.
 */
function addMark(e: { depth: number; preimage: Uint8Array; marks: ChainMark[] }, height: number, depth: number, preimage: Uint8Array): void {
  const last = e.marks[e.marks.length - 1];
  if (last && last.height === height) last.depth = depth;
  else e.marks.push({ height, depth });
  e.depth = depth;
  e.preimage = preimage;
}

type OwnedEntry = { depth: number; preimage: Uint8Array; marks: ChainMark[] };

const ownedCopy = (e: ChainEntry | undefined): OwnedEntry => (e ? { depth: e.depth, preimage: e.preimage, marks: e.marks.map((m) => ({ ...m })) } : { depth: 0, preimage: new Uint8Array(), marks: [] });

export type Write =
  | { kind: 'account'; id: Uint8Array; value: Account }
  | { kind: 'channel'; value: LedgerChannel }
  | { kind: 'preimage'; hash: Uint8Array; height: number }
  /** The chain registry: `root` reached `depth` (shown by `preimage`) in the block at `height`. */
  | { kind: 'chainMark'; root: Uint8Array; height: number; depth: number; preimage: Uint8Array }
  | { kind: 'supply'; value: Supply };

export const ZERO_ACCOUNT: Account = Object.freeze({ balance: 0n, nonce: 0 }) as Account;

/** Plain in-memory ledger state (what the store loads at start and keeps current). */
export class MemoryState implements LedgerView {
  readonly accounts = new Map<string, Account>();
  readonly channels = new Map<string, LedgerChannel>();
  readonly preimages = new Map<string, number>();
  readonly chains = new Map<string, OwnedEntry>();
  /** short channel id -> channel id (hex): gossip names a channel by its short id only. */
  private readonly byShortId = new Map<string, string>();
  private totals: Supply = { minted: 0n, fees: 0n };

  account(id: Uint8Array): Account {
    return this.accounts.get(toHex(id)) ?? ZERO_ACCOUNT;
  }
  channel(id: Uint8Array): LedgerChannel | undefined {
    return this.channels.get(toHex(id));
  }
  preimageHeight(hash: Uint8Array): number | undefined {
    return this.preimages.get(toHex(hash));
  }
  chain(root: Uint8Array): ChainEntry | undefined {
    return this.chains.get(toHex(root));
  }
  supply(): Supply {
    return this.totals;
  }
  /** The channel a BOLT 7 short channel id (16 hex characters) names, if any. */
  channelByShortId(shortChannelId: string): LedgerChannel | undefined {
    const id = this.byShortId.get(shortChannelId);
    return id === undefined ? undefined : this.channels.get(id);
  }

  apply(writes: readonly Write[]): void {
    for (const w of writes) {
      switch (w.kind) {
        case 'account': this.accounts.set(toHex(w.id), w.value); break;
        case 'channel': {
          const id = toHex(w.value.channelId);
          this.channels.set(id, w.value);
          if (w.value.shortChannelId !== undefined) this.byShortId.set(w.value.shortChannelId, id);
          break;
        }
        case 'preimage': this.preimages.set(toHex(w.hash), w.height); break;
        case 'chainMark': {
          const key = toHex(w.root);
          let e = this.chains.get(key);
          if (!e) this.chains.set(key, (e = ownedCopy(undefined)));
          addMark(e, w.height, w.depth, w.preimage);
          break;
        }
        case 'supply': this.totals = w.value; break;
      }
    }
  }
}

/** Uncommitted changes over a base view; `writes` lists the net changes in order, for one atomic batch. */
export class Overlay implements LedgerView {
  private readonly accounts = new Map<string, Account>();
  private readonly channels = new Map<string, LedgerChannel>();
  private readonly preimages = new Map<string, number>();
  /** Entries this overlay changed: copied from the base once, then changed in place. */
  private readonly chains = new Map<string, OwnedEntry>();
  private totals: Supply | undefined;
  private readonly log: Write[] = [];

  constructor(private readonly base: LedgerView) {}

  account(id: Uint8Array): Account {
    return this.accounts.get(toHex(id)) ?? this.base.account(id);
  }
  channel(id: Uint8Array): LedgerChannel | undefined {
    return this.channels.get(toHex(id)) ?? this.base.channel(id);
  }
  preimageHeight(hash: Uint8Array): number | undefined {
    return this.preimages.get(toHex(hash)) ?? this.base.preimageHeight(hash);
  }
  chain(root: Uint8Array): ChainEntry | undefined {
    return this.chains.get(toHex(root)) ?? this.base.chain(root);
  }
  supply(): Supply {
    return this.totals ?? this.base.supply();
  }

  apply(writes: readonly Write[]): void {
    for (const w of writes) {
      this.log.push(w);
      switch (w.kind) {
        case 'account': this.accounts.set(toHex(w.id), w.value); break;
        case 'channel': this.channels.set(toHex(w.value.channelId), w.value); break;
        case 'preimage': this.preimages.set(toHex(w.hash), w.height); break;
        case 'chainMark': {
          const key = toHex(w.root);
          let e = this.chains.get(key);
          if (!e) this.chains.set(key, (e = ownedCopy(this.base.chain(w.root))));
          addMark(e, w.height, w.depth, w.preimage);
          break;
        }
        case 'supply': this.totals = w.value; break;
      }
    }
  }

  /** All writes in order; applying them to the base gives this overlay's view. */
  writes(): Write[] {
    return [...this.log];
  }
}
