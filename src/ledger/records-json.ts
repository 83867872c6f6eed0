// JSON forms of ledger records, for the store and the API. Amounts are decimal msat strings.
import { InputError, toHex } from '../crypto/bytes.js';
import { signedStateFromJson, signedStateToJson, stateFromJson, stateToJson } from '../channel/state-json.js';
import { asObject, hexField, msatField, pubkeyField, str, uintField, type JsonObject } from '../util/json-fields.js';
import { isShortChannelId } from './short-channel-id.js';
import type { Account, Block, ChainAnchor, ChainEntry, LedgerChannel, LedgerEvent, Reveal, Supply } from './types.js';
import type { Write } from './view.js';

export function accountToJson(a: Account): JsonObject {
  return { balance: a.balance.toString(), nonce: a.nonce };
}

export function accountFromJson(v: unknown): Account {
  const o = asObject(v, 'account');
  return { balance: msatField(o, 'balance'), nonce: uintField(o, 'nonce') };
}

export function supplyToJson(s: Supply): JsonObject {
  return { minted: s.minted.toString(), fees: s.fees.toString() };
}

export function supplyFromJson(v: unknown): Supply {
  const o = asObject(v, 'supply');
  return { minted: msatField(o, 'minted'), fees: msatField(o, 'fees') };
}

export function channelToJson(c: LedgerChannel): JsonObject {
  const out: JsonObject = {
    channelId: toHex(c.channelId),
    a: toHex(c.a),
    b: toHex(c.b),
    capacity: c.capacity.toString(),
    locked: c.locked.toString(),
    status: c.status,
    openedHeight: c.openedHeight,
    reveals: Object.fromEntries(Object.entries(c.reveals).map(([k, v]) => [k, { depth: v.depth, preimage: toHex(v.preimage) }])),
  };
  if (c.shortChannelId !== undefined) out['shortChannelId'] = c.shortChannelId;
  if (c.anchors && Object.keys(c.anchors).length > 0) {
    out['anchors'] = Object.fromEntries(Object.entries(c.anchors).map(([k, v]) => [k, v.map((a) => ({ root: toHex(a.root), offset: a.offset }))]));
  }
  if (c.openState) out['openState'] = stateToJson(c.openState);
  if (c.latest) out['latest'] = signedStateToJson(c.latest);
  if (c.submittedBy) out['submittedBy'] = c.submittedBy;
  if (c.penalized) out['penalized'] = c.penalized;
  if (c.closedSeq !== undefined) out['closedSeq'] = c.closedSeq.toString();
  if (c.deadlineHeight !== undefined) out['deadlineHeight'] = c.deadlineHeight;
  if (c.closedHeight !== undefined) out['closedHeight'] = c.closedHeight;
  if (c.payoutA !== undefined) out['payoutA'] = c.payoutA.toString();
  if (c.payoutB !== undefined) out['payoutB'] = c.payoutB.toString();
  return out;
}

const side = (v: unknown) => (v === 'A' || v === 'B' ? v : undefined);

export function channelFromJson(v: unknown): LedgerChannel {
  const o = asObject(v, 'channel');
  const status = str(o, 'status');
  if (status !== 'open' && status !== 'closing' && status !== 'closed') throw new InputError(`status: bad channel status ${status}`);
  const reveals: Record<number, Reveal> = {};
  for (const [k, v] of Object.entries(asObject(o['reveals'] ?? {}, 'reveals'))) {
    const r = asObject(v, `reveals.${k}`);
    reveals[Number(k)] = { depth: uintField(r, 'depth'), preimage: hexField(r, 'preimage') };
  }
  const c: LedgerChannel = {
    channelId: hexField(o, 'channelId', 32),
    a: pubkeyField(o, 'a'),
    b: pubkeyField(o, 'b'),
    capacity: msatField(o, 'capacity'),
    locked: msatField(o, 'locked'),
    status,
    openedHeight: uintField(o, 'openedHeight'),
    reveals,
  };
  // Absent on records stored before short channel ids existed: they still load.
  if (o['shortChannelId'] !== undefined) {
    if (!isShortChannelId(o['shortChannelId'])) throw new InputError('shortChannelId: expected 16 lowercase hex characters');
    c.shortChannelId = o['shortChannelId'];
  }
  // absent on records written before the chain registry
  if (o['anchors'] !== undefined) {
    const anchors: Record<number, ChainAnchor[]> = {};
    for (const [k, v] of Object.entries(asObject(o['anchors'], 'anchors'))) {
      if (!Array.isArray(v)) throw new InputError(`anchors.${k}: expected an array`);
      anchors[Number(k)] = v.map((a, i) => {
        const r = asObject(a, `anchors.${k}[${i}]`);
        return { root: hexField(r, 'root', 32), offset: uintField(r, 'offset') };
      });
    }
    c.anchors = anchors;
  }
  if (o['openState'] !== undefined) c.openState = stateFromJson(o['openState'], 'openState');
  if (o['latest'] !== undefined) c.latest = signedStateFromJson(o['latest'], 'latest');
  const sb = side(o['submittedBy']);
  if (sb) c.submittedBy = sb;
  const pen = side(o['penalized']);
  if (pen) c.penalized = pen;
  if (o['deadlineHeight'] !== undefined) c.deadlineHeight = uintField(o, 'deadlineHeight');
  if (typeof o['closedSeq'] === 'string' && /^\d{1,20}$/.test(o['closedSeq'])) c.closedSeq = BigInt(o['closedSeq']);
  if (o['closedHeight'] !== undefined) c.closedHeight = uintField(o, 'closedHeight');
  if (o['payoutA'] !== undefined) c.payoutA = msatField(o, 'payoutA');
  if (o['payoutB'] !== undefined) c.payoutB = msatField(o, 'payoutB');
  return c;
}

/** A chain-registry mark as the store keeps it: key `root:height`, value `{ depth, preimage }`. */
export function chainMarkFromJson(key: string, v: unknown): Write {
  const [root, height] = key.split(':');
  const o = asObject(v, 'chainMark');
  return {
    kind: 'chainMark',
    root: hexField({ root }, 'root', 32),
    height: uintField({ height: Number(height) }, 'height'),
    depth: uintField(o, 'depth'),
    preimage: hexField(o, 'preimage', 32),
  };
}

/** The registry's record for one root, for the API (`getChain`). */
export function chainEntryToJson(root: Uint8Array, e: ChainEntry): JsonObject {
  return { root: toHex(root), depth: e.depth, preimage: toHex(e.preimage), marks: e.marks.map((m) => ({ height: m.height, depth: m.depth })) };
}

export function chainEntryFromJson(v: unknown): ChainEntry {
  const o = asObject(v, 'chain');
  const marks = o['marks'];
  if (!Array.isArray(marks)) throw new InputError('chain.marks: expected an array');
  return {
    depth: uintField(o, 'depth'),
    preimage: hexField(o, 'preimage', 32),
    marks: marks.map((m, i) => {
      const r = asObject(m, `chain.marks[${i}]`);
      return { height: uintField(r, 'height'), depth: uintField(r, 'depth') };
    }),
  };
}

export function blockToJson(b: Block): JsonObject {
  const h = b.header;
  return {
    height: h.height,
    hash: toHex(h.hash),
    prevHash: toHex(h.prevHash),
    time: h.time,
    txRoot: toHex(h.txRoot),
    txids: b.txids.map(toHex),
  };
}

export function blockFromJson(v: unknown): Block {
  const o = asObject(v, 'block');
  const txids = o['txids'];
  if (!Array.isArray(txids)) throw new InputError('block.txids: expected an array');
  return {
    header: {
      height: uintField(o, 'height'),
      hash: hexField(o, 'hash', 32),
      prevHash: hexField(o, 'prevHash', 32),
      time: uintField(o, 'time'),
      txRoot: hexField(o, 'txRoot', 32),
    },
    txids: txids.map((t, i) => hexField({ t }, 't', 32, `txids[${i}]`)),
  };
}

export function eventToJson(e: LedgerEvent): JsonObject {
  switch (e.kind) {
    case 'channelOpened':
      return { kind: e.kind, channelId: toHex(e.channelId), capacity: e.capacity.toString() };
    case 'channelClosing':
      return { kind: e.kind, channelId: toHex(e.channelId), seq: e.seq.toString(), by: e.by, deadlineHeight: e.deadlineHeight };
    case 'channelDisputed':
      return e.penalized
        ? { kind: e.kind, channelId: toHex(e.channelId), seq: e.seq.toString(), penalized: e.penalized }
        : { kind: e.kind, channelId: toHex(e.channelId), seq: e.seq.toString() };
    case 'chainRevealed':
      return { kind: e.kind, channelId: toHex(e.channelId), lockId: e.lockId, depth: e.depth };
    case 'channelClosed':
      return { kind: e.kind, channelId: toHex(e.channelId), payoutA: e.payoutA.toString(), payoutB: e.payoutB.toString(), cooperative: e.cooperative };
  }
}

export function eventFromJson(v: unknown): LedgerEvent {
  const o = asObject(v, 'event');
  const kind = str(o, 'kind');
  const channelId = hexField(o, 'channelId', 32);
  const seq = () => {
    const text = str(o, 'seq');
    if (!/^\d{1,20}$/.test(text) || BigInt(text) > 0xffffffffffffffffn) throw new InputError('event.seq: expected a u64 decimal string');
    return BigInt(text);
  };
  const sideOf = (k: string) => {
    const s = side(o[k]);
    if (!s) throw new InputError(`event.${k}: expected A or B`);
    return s;
  };
  switch (kind) {
    case 'channelOpened': return { kind, channelId, capacity: msatField(o, 'capacity') };
    case 'channelClosing': return { kind, channelId, seq: seq(), by: sideOf('by'), deadlineHeight: uintField(o, 'deadlineHeight') };
    case 'channelDisputed': {
      const pen = side(o['penalized']);
      return pen ? { kind, channelId, seq: seq(), penalized: pen } : { kind, channelId, seq: seq() };
    }
    case 'chainRevealed': return { kind, channelId, lockId: uintField(o, 'lockId'), depth: uintField(o, 'depth') };
    case 'channelClosed': return { kind, channelId, payoutA: msatField(o, 'payoutA'), payoutB: msatField(o, 'payoutB'), cooperative: o['cooperative'] === true };
    default: throw new InputError(`event.kind: unknown ledger event kind ${kind}`);
  }
}
