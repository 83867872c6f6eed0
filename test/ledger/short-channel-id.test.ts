// Short channel ids: given to each open when its block is made, kept by the store, found again by id.
import { afterEach, describe, expect, it } from 'vitest';
import { Chain } from '../../src/ledger/chain.js';
import { channelFromJson, channelToJson } from '../../src/ledger/records-json.js';
import {
  decodeShortChannelId, encodeShortChannelId, formatShortChannelId, parseShortChannelId, shortChannelIdAt,
} from '../../src/ledger/short-channel-id.js';
import { LedgerStore } from '../../src/ledger/store.js';
import type { LedgerParams } from '../../src/ledger/types.js';
import { CHAIN, bothSign, faucetTx, newChannelId, party, signed, state, type Party } from '../helpers/ledger-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import fc from 'fast-check';

const PARAMS: LedgerParams = { chainId: CHAIN, fee: 1000n, disputeBlocks: 10, faucet: true };
const CAP = 50_000_000n;

function openTx(a: Party, b: Party, nonce: number) {
  const channelId = Uint8Array.from(newChannelId());
  const s0 = bothSign(state(channelId, 0n, CAP, 0n), a, b);
  return { channelId, tx: signed(a, nonce, { kind: 'open', channelId, peer: b.pk, capacity: CAP, state: s0 }) };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openChain(dir: string): Promise<{ chain: Chain; store: LedgerStore }> {
  const store = new LedgerStore(dir);
  await store.open();
  return { chain: await Chain.open(store, PARAMS, 1_000), store };
}

describe('short channel ids on the ledger', () => {
  it('two opens in one block get distinct ids naming their block and place; the store keeps them', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    let { chain, store } = await openChain(dir);
    const [a, b, c] = [party(), party(), party()];
    for (const p of [a, c]) expect(chain.submit(faucetTx(p.pk, 1_000_000_000n)).ok).toBe(true);
    await chain.mine(2_000); // height 1: the faucets
    // a transfer first, so the opens are not simply at index 0 and 1
    expect(chain.submit(signed(c, 0, { kind: 'transfer', to: b.pk, amount: 5n })).ok).toBe(true);
    const first = openTx(a, b, 0);
    const second = openTx(c, a, 1);
    expect(chain.submit(first.tx).ok).toBe(true);
    expect(chain.submit(second.tx).ok).toBe(true);
    // in the mempool an open has no place in a block yet, so it has no id
    const mined = await chain.mine(3_000);
    expect(mined.block.header.height).toBe(2);
    const r1 = chain.state.channel(first.channelId)!;
    const r2 = chain.state.channel(second.channelId)!;
    expect(r1.shortChannelId).toBe(encodeShortChannelId({ height: 2, txIndex: 1, output: 0 }));
    expect(r2.shortChannelId).toBe(encodeShortChannelId({ height: 2, txIndex: 2, output: 0 }));
    expect(formatShortChannelId(r2.shortChannelId!)).toBe('2x2x0');
    // the index is the one the chain stores with the transaction
    const stored = await chain.txRecord(mined.applied[2]!.txid);
    expect(stored?.index).toBe(decodeShortChannelId(r2.shortChannelId!).txIndex);
    expect(chain.state.channelByShortId(r1.shortChannelId!)?.channelId).toEqual(first.channelId);
    expect(chain.state.channelByShortId(encodeShortChannelId({ height: 2, txIndex: 0, output: 0 }))).toBeUndefined();

    // after a restart the ids and the index come back from LevelDB
    await store.close();
    ({ chain, store } = await openChain(dir));
    cleanups.push(() => store.close());
    expect(chain.state.channel(first.channelId)?.shortChannelId).toBe(r1.shortChannelId);
    expect(chain.state.channelByShortId(r2.shortChannelId!)?.channelId).toEqual(second.channelId);
  });

  it('the record round-trips through JSON with its id, and an old record without one still loads', () => {
    const [a, b] = [party(), party()];
    const id = Uint8Array.from(newChannelId());
    const rec = {
      // keys as the JSON reader gives them back (plain Uint8Array, not the Buffer randomBytes made)
      channelId: id, a: Uint8Array.from(a.pk), b: Uint8Array.from(b.pk), capacity: CAP, locked: CAP, status: 'open' as const, openedHeight: 7, reveals: {},
      shortChannelId: encodeShortChannelId({ height: 7, txIndex: 3, output: 0 }),
    };
    expect(channelFromJson(JSON.parse(JSON.stringify(channelToJson(rec))))).toEqual(rec);
    const { shortChannelId: _gone, ...old } = rec;
    const oldJson = JSON.parse(JSON.stringify(channelToJson(old)));
    expect('shortChannelId' in oldJson).toBe(false);
    expect(channelFromJson(oldJson).shortChannelId).toBeUndefined();
    expect(() => channelFromJson({ ...oldJson, shortChannelId: 'zz' })).toThrow(/shortChannelId/);
  });

  it('positions past 3 bytes get no id; the text forms parse back (property)', () => {
    expect(shortChannelIdAt(0x1000000, 0)).toBeUndefined();
    expect(shortChannelIdAt(5, 0x1000000)).toBeUndefined();
    expect(shortChannelIdAt(0xffffff, 0xffffff)).toBe('ffffffffffff0000');
    expect(() => parseShortChannelId('1x2')).toThrow();
    fc.assert(fc.property(fc.nat(0xffffff), fc.nat(0xffffff), fc.nat(0xffff), (height, txIndex, output) => {
      const hex = encodeShortChannelId({ height, txIndex, output });
      expect(decodeShortChannelId(hex)).toEqual({ height, txIndex, output });
      expect(parseShortChannelId(formatShortChannelId(hex))).toBe(hex);
    }));
  });
});
