// Opens that peers asked of us and no ledger open has funded yet. Accepting one costs the peer nothing
// (state 0 is signed before any money moves) and costs us a record, a watch and a slot, so they are
// bounded per peer and in all, and forgotten when the deadline passes without a ledger open. Also the
// answer to an openChannel, decided before anything is signed.
import { toHex } from '../crypto/bytes.js';
import type { Channel } from '../channel/machine.js';
import type { OpenChannelMessage } from '../wire/channel.js';

export interface OpenLimits {
  /** Unfunded opens one peer may have with us at once. */
  perPeer: number;
  /** Unfunded opens from all peers together. */
  total: number;
  /** Blocks after our acceptance by which the opener must have funded the channel on the ledger. */
  deadlineBlocks: number;
}

/**
 * 4 per peer is more than an honest opener needs in flight; 64 in all keeps the cost of strangers'
 * opens small next to the node's real channels; 600 blocks is 10 minutes at the ledger's default 1 s
 * block time, while an honest opener submits its open right after our acceptance.
 */
export const DEFAULT_OPEN_LIMITS: OpenLimits = { perPeer: 4, total: 64, deadlineBlocks: 600 };

export class UnfundedOpens {
  private readonly byId = new Map<string, { peer: string; since: number }>();
  private readonly perPeer = new Map<string, number>();

  constructor(readonly limits: OpenLimits) {}

  get size(): number {
    return this.byId.size;
  }

  countFor(peer: string): number {
    return this.perPeer.get(peer) ?? 0;
  }

  /** Why a new open from this peer must be refused now, or undefined to admit it. */
  refusal(peer: string): string | undefined {
    if (this.countFor(peer) >= this.limits.perPeer) {
      return `you have ${this.countFor(peer)} unfunded channels with us (limit ${this.limits.perPeer} per peer); fund or abandon one first`;
    }
    if (this.byId.size >= this.limits.total) {
      return `this node has ${this.byId.size} unfunded channels (limit ${this.limits.total} in all); try again later`;
    }
    return undefined;
  }

  /** Count this open from the height it was accepted at (idempotent). */
  add(id: string, peer: string, since: number): void {
    if (this.byId.has(id)) return;
    this.byId.set(id, { peer, since });
    this.perPeer.set(peer, this.countFor(peer) + 1);
  }

  remove(id: string): void {
    const e = this.byId.get(id);
    if (!e) return;
    this.byId.delete(id);
    const n = this.countFor(e.peer) - 1;
    if (n > 0) this.perPeer.set(e.peer, n);
    else this.perPeer.delete(e.peer);
  }

  /** Opens whose funding deadline has passed at this height. */
  due(height: number): string[] {
    const out: string[] = [];
    for (const [id, e] of this.byId) if (height >= e.since + this.limits.deadlineBlocks) out.push(id);
    return out;
  }
}

/** What to do with an openChannel: answer a repeat again, say nothing, refuse, or go on to check and sign it. */
export type OpenAnswer = { kind: 'again'; sigB: Uint8Array } | { kind: 'none' } | { kind: 'refuse'; reason: string } | { kind: 'admit' };

/** Is this open message the one that proposed this channel's state 0? */
function sameOpen(ch: Channel, m: OpenChannelMessage): boolean {
  return ch.capacity === m.capacity && ch.signed.state.balanceB === m.push && toHex(ch.signed.sigA) === toHex(m.sigA);
}

/**
 * `known`: our channel under the id; `inFlight`: an acceptance under the id being stored now. Either
 * one means the id is taken: only a repeat of that very open gets an answer (the same acceptance, or,
 * while it is being stored, none: it goes out once stored), so no second state 0 is ever signed.
 */
export function answerOpen(o: {
  peer: string; m: OpenChannelMessage; known?: Channel; inFlight?: { peer: string; ch: Channel }; unfunded: UnfundedOpens;
}): OpenAnswer {
  const { peer, m, known, inFlight } = o;
  if (known) {
    // a repeat of an open we accepted (our acceptance was lost): the same answer again
    const same = toHex(known.remoteNodeId) === peer && known.local === 'B' && sameOpen(known, m);
    if (same && known.status !== 'failed' && known.status !== 'closed') return { kind: 'again', sigB: known.signed.sigB };
    return { kind: 'refuse', reason: 'channel id already in use' };
  }
  if (inFlight) {
    return inFlight.peer === peer && sameOpen(inFlight.ch, m) ? { kind: 'none' } : { kind: 'refuse', reason: 'channel id already in use' };
  }
  const limit = o.unfunded.refusal(peer);
  return limit ? { kind: 'refuse', reason: `channel refused: ${limit}` } : { kind: 'admit' };
}
