// The ledger's LevelDB store. Each block — header, transactions and every state change it makes —
// is written in one batch with sync: true, so after a crash (even kill -9) the store holds either
// the whole block or none of it.
import { Level } from 'level';
import { toHex } from '../crypto/bytes.js';
import type { JsonObject } from '../util/json-fields.js';
import {
  accountFromJson, accountToJson, blockFromJson, blockToJson, channelFromJson, channelToJson, chainMarkFromJson, supplyFromJson, supplyToJson,
} from './records-json.js';
import type { Block } from './types.js';
import { MemoryState, type Write } from './view.js';

export interface StoredTx {
  txid: string;
  height: number;
  index: number;
  tx: JsonObject;
  events: JsonObject[];
}

type Value = JsonObject;

const heightKey = (h: number) => h.toString().padStart(12, '0');

export class LedgerStore {
  private readonly db: Level<string, Value>;
  private readonly meta;
  private readonly blocks;
  private readonly txs;
  private readonly accounts;
  private readonly channels;
  private readonly preimages;
  private readonly chainMarks;

  constructor(path: string) {
    this.db = new Level<string, Value>(path, { valueEncoding: 'json' });
    const sub = (name: string) => this.db.sublevel<string, Value>(name, { valueEncoding: 'json' });
    this.meta = sub('meta');
    this.blocks = sub('blocks');
    this.txs = sub('txs');
    this.accounts = sub('accounts');
    this.channels = sub('channels');
    this.preimages = sub('preimages');
    // One key per (root, block that deepened it): a registration writes O(1), however many came before.
    this.chainMarks = sub('chainMarks');
  }

  async open(): Promise<void> {
    await this.db.open();
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Load the current state and tip. An empty store has no tip. */
  async load(): Promise<{ state: MemoryState; tip: Block | undefined }> {
    const state = new MemoryState();
    for await (const [k, v] of this.accounts.iterator()) state.accounts.set(k, accountFromJson(v));
    // through apply, so the short-channel-id index is built too
    for await (const v of this.channels.values()) state.apply([{ kind: 'channel', value: channelFromJson(v) }]);
    for await (const [k, v] of this.preimages.iterator()) state.preimages.set(k, Number(v['height']));
    // Keys sort by root, then height (padded): each root's marks come back in the order they were made.
    for await (const [k, v] of this.chainMarks.iterator()) state.apply([chainMarkFromJson(k, v)]);
    const supply = await this.meta.get('supply');
    if (supply) state.apply([{ kind: 'supply', value: supplyFromJson(supply) }]);
    const tipRef = await this.meta.get('tip');
    const tip = tipRef ? await this.block(Number(tipRef['height'])) : undefined;
    return { state, tip };
  }

  async block(height: number): Promise<Block | undefined> {
    const v = await this.blocks.get(heightKey(height));
    return v ? blockFromJson(v) : undefined;
  }

  async tx(txid: string): Promise<StoredTx | undefined> {
    const v = await this.txs.get(txid);
    return v as unknown as StoredTx | undefined;
  }

  /** Write a block and its state changes atomically and durably. */
  async commitBlock(block: Block, txs: StoredTx[], writes: readonly Write[]): Promise<void> {
    const batch = this.db.batch();
    batch.put(heightKey(block.header.height), blockToJson(block), { sublevel: this.blocks });
    for (const t of txs) batch.put(t.txid, t as unknown as Value, { sublevel: this.txs });
    // Later writes of the same key win within a batch, which matches the overlay's order.
    for (const w of writes) {
      switch (w.kind) {
        case 'account': batch.put(toHex(w.id), accountToJson(w.value), { sublevel: this.accounts }); break;
        case 'channel': batch.put(toHex(w.value.channelId), channelToJson(w.value), { sublevel: this.channels }); break;
        case 'preimage': batch.put(toHex(w.hash), { height: w.height }, { sublevel: this.preimages }); break;
        case 'chainMark': batch.put(`${toHex(w.root)}:${heightKey(w.height)}`, { depth: w.depth, preimage: toHex(w.preimage) }, { sublevel: this.chainMarks }); break;
        case 'supply': batch.put('supply', supplyToJson(w.value), { sublevel: this.meta }); break;
      }
    }
    batch.put('tip', { height: block.header.height, hash: toHex(block.header.hash) }, { sublevel: this.meta });
    await batch.write({ sync: true });
  }
}
