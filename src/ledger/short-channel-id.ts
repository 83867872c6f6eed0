// BOLT 7 short channel ids from sluice's ledger: the funding open's block height (3 bytes), its index
// among the block's applied transactions (3 bytes) and an output index (2 bytes). An open locks one
// amount and has no outputs, so the output index is always 0. The id names the channel on the ledger the
// way a funding outpoint names it on Bitcoin, so gossip can say "this channel" in 8 bytes and anyone can
// look the record up (`getChannelByShortId`).
//
// Written as 16 lowercase hex characters (what src/routing's ChannelGraph keys channels by) and shown to
// people as BOLT 7's `HEIGHTxINDEXxOUTPUT`. Pure.
import { InputError } from '../crypto/bytes.js';

export const MAX_SCID_HEIGHT = 0xffffff;
export const MAX_SCID_TX_INDEX = 0xffffff;

export interface ShortChannelIdParts {
  height: number;
  txIndex: number;
  output: number;
}

const HEX16 = /^[0-9a-f]{16}$/;

/** The id of the open at (height, txIndex), or undefined when the position does not fit 3 + 3 bytes. */
export function shortChannelIdAt(height: number, txIndex: number): string | undefined {
  if (!Number.isInteger(height) || height < 0 || height > MAX_SCID_HEIGHT) return undefined;
  if (!Number.isInteger(txIndex) || txIndex < 0 || txIndex > MAX_SCID_TX_INDEX) return undefined;
  return encodeShortChannelId({ height, txIndex, output: 0 });
}

export function encodeShortChannelId(p: ShortChannelIdParts): string {
  if (!Number.isInteger(p.height) || p.height < 0 || p.height > MAX_SCID_HEIGHT) throw new InputError(`short channel id: height ${p.height} does not fit 3 bytes`);
  if (!Number.isInteger(p.txIndex) || p.txIndex < 0 || p.txIndex > MAX_SCID_TX_INDEX) throw new InputError(`short channel id: tx index ${p.txIndex} does not fit 3 bytes`);
  if (!Number.isInteger(p.output) || p.output < 0 || p.output > 0xffff) throw new InputError(`short channel id: output ${p.output} does not fit 2 bytes`);
  return p.height.toString(16).padStart(6, '0') + p.txIndex.toString(16).padStart(6, '0') + p.output.toString(16).padStart(4, '0');
}

export function isShortChannelId(v: unknown): v is string {
  return typeof v === 'string' && HEX16.test(v);
}

export function decodeShortChannelId(hex: string): ShortChannelIdParts {
  if (!isShortChannelId(hex)) throw new InputError('short channel id: expected 16 lowercase hex characters');
  return { height: parseInt(hex.slice(0, 6), 16), txIndex: parseInt(hex.slice(6, 12), 16), output: parseInt(hex.slice(12), 16) };
}

/** BOLT 7's human form, `539268x845x1`. */
export function formatShortChannelId(hex: string): string {
  const p = decodeShortChannelId(hex);
  return `${p.height}x${p.txIndex}x${p.output}`;
}

/** Accepts either form (16 hex characters or `HxIxO`); throws InputError naming what is wrong. */
export function parseShortChannelId(text: string): string {
  if (HEX16.test(text)) return text;
  const m = /^(\d{1,8})x(\d{1,8})x(\d{1,5})$/.exec(text);
  if (!m) throw new InputError(`short channel id: expected HEIGHTxINDEXxOUTPUT or 16 hex characters, got '${text.slice(0, 40)}'`);
  return encodeShortChannelId({ height: Number(m[1]), txIndex: Number(m[2]), output: Number(m[3]) });
}
