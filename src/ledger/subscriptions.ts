// What a ledger connection can subscribe to, and how a new block is told to subscribers.
//
// - `blocks`: every block header.
// - `channel` (channelId): one channel's events.
// - `party` (party: a public key): the events of every channel that key is a party to, so a node
//   watches all its channels, however many, with one subscription (issue 7, item 1: watching must cost
//   no per-channel resource the ledger caps). A channel's last notice of a block carries the channel's
//   record as the block left it, so the subscriber need not ask for it (earlier ones of the block do not).
//
// On each connection a block's channel events are sent before that block's notice, so a subscriber
// that sees block h's notice has seen every event of block h it subscribed to; one that sees h+1 right
// after h missed nothing in between.
import { InputError, toHex } from '../crypto/bytes.js';
import { assertNever } from '../wire/assert-never.js';
import { hexField, pubkeyField, str, type JsonObject } from '../util/json-fields.js';
import type { MinedBlock } from './chain.js';
import { blockToJson, channelToJson, eventToJson } from './records-json.js';
import type { LedgerChannel } from './types.js';

export type Subscription =
  | { topic: 'blocks' }
  | { topic: 'channel'; channelId: string }
  | { topic: 'party'; party: string };

export function subscriptionFromParams(p: Record<string, unknown>): Subscription {
  const topic = str(p, 'topic');
  switch (topic) {
    case 'blocks': return { topic };
    case 'channel': return { topic, channelId: toHex(hexField(p, 'channelId', 32)) };
    case 'party': return { topic, party: toHex(pubkeyField(p, 'party')) };
    default: throw new InputError('topic: expected "blocks", "channel" or "party"');
  }
}

/** The notifications one block makes, keyed so each subscription finds its own without a scan. */
export interface BlockNotices {
  block: JsonObject;
  byChannel: Map<string, JsonObject[]>;
  byParty: Map<string, JsonObject[]>;
}

export function blockNotices(m: MinedBlock, channel: (id: Uint8Array) => LedgerChannel | undefined): BlockNotices {
  const height = m.block.header.height;
  const byChannel = new Map<string, JsonObject[]>();
  const byParty = new Map<string, JsonObject[]>();
  const add = (map: Map<string, JsonObject[]>, key: string, n: JsonObject) => {
    const list = map.get(key);
    if (list) list.push(n);
    else map.set(key, [n]);
  };
  // The record goes on each channel's LAST event of the block only: a peer can make hundreds of events
  // for one channel in a block (one-unit reveals), and a copy of a many-lock record on each would be
  // megabytes, enough to push the victim past the send bound and get its connection dropped.
  const last = new Map<string, { notice: JsonObject; ch: LedgerChannel }>();
  for (const a of m.applied) {
    for (const e of a.events) {
      const notice: JsonObject = { txid: a.txid, height, event: eventToJson(e) };
      const id = toHex(e.channelId);
      add(byChannel, id, notice);
      const ch = channel(e.channelId);
      if (!ch) continue;
      const party: JsonObject = { ...notice };
      last.set(id, { notice: party, ch });
      add(byParty, toHex(ch.a), party);
      add(byParty, toHex(ch.b), party);
    }
  }
  for (const { notice, ch } of last.values()) notice['channel'] = channelToJson(ch);
  return { block: blockToJson(m.block), byChannel, byParty };
}

/** The notices one connection's subscriptions get for a block, events first, then the block notices. */
export function noticesFor(subs: ReadonlyMap<string, Subscription>, b: BlockNotices): JsonObject[] {
  const events: JsonObject[] = [];
  const blocks: JsonObject[] = [];
  for (const [subscription, sub] of subs) {
    switch (sub.topic) {
      case 'blocks':
        blocks.push({ subscription, block: b.block });
        break;
      case 'channel':
        for (const n of b.byChannel.get(sub.channelId) ?? []) events.push({ subscription, ...n });
        break;
      case 'party':
        for (const n of b.byParty.get(sub.party) ?? []) events.push({ subscription, ...n });
        break;
      default:
        assertNever(sub, 'subscription');
    }
  }
  return [...events, ...blocks];
}
