// Channel messages: golden byte vectors both ways (every message, every op tag), invalid and
// truncated/over-long frames, the op-count limit, and malformed objects refused on encode.
import { describe, expect, it } from 'vitest';
import { fromHex, InputError, toHex } from '../../src/crypto/bytes.js';
import {
  CHANNEL_CODECS,
  CHANNEL_OP_SIZES,
  CHANNEL_OP_TAGS,
  decodeOps,
  encodeOps,
  MAX_OP_SIZE,
  MAX_OPS_PER_UPDATE,
  encodedOpSize,
  measureOps,
  opsFitUpdate,
  UPDATE_OPS_BYTE_BUDGET,
  type ChannelOp,
  type UpdateStateMessage,
} from '../../src/wire/channel.js';
import { decodeMessage, encodeMessage, MAX_MESSAGE_SIZE, messageType, type Message } from '../../src/wire/message.js';
import { ADD_HASHCHAIN_EXPIRING_TAG } from '../../src/wire/channel-ops.js';

const h = (spaced: string): Uint8Array => fromHex(spaced.replace(/ /g, ''));
const rep = (byte: string, n: number): string => byte.repeat(n);

const CID = rep('11', 32);
const REGTEST = '06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f';
const SIG = rep('5a', 64);
const MAX_MSAT_HEX = '7fffffffffffffff';
const ONION = rep('0e', 1366);
const REASON = rep('4f', 36); // the shortest reason the wire takes

const update = (seq: bigint, ops: ChannelOp[]): UpdateStateMessage => ({ kind: 'updateState', channelId: h(CID), seq, ops, sig: h(SIG) });

// [name, op hex (tag + fields), op]: each is checked alone (encodeOps) and inside an updateState.
const OP_GOLDEN: [string, string, ChannelOp][] = [
  ['pay 1000 msat', '01 00000000000003e8', { op: 'pay', amount: 1000n }],
  ['pay 0 (allowed on the wire)', '01 0000000000000000', { op: 'pay', amount: 0n }],
  ['pay 2^63-1', `01 ${MAX_MSAT_HEX}`, { op: 'pay', amount: (1n << 63n) - 1n }],
  [
    'addHtlc',
    `02 00000005 0000000000989680 ${rep('cd', 32)} 000186a0 ${ONION}`,
    { op: 'addHtlc', id: 5, amount: 10_000_000n, paymentHash: h(rep('cd', 32)), expiryHeight: 100_000, onion: h(ONION) },
  ],
  ['fulfillHtlc', `03 00000005 ${rep('ef', 32)}`, { op: 'fulfillHtlc', id: 5, preimage: h(rep('ef', 32)) }],
  ['failHtlc, largest id, shortest reason', `04 ffffffff 0024 ${REASON}`, { op: 'failHtlc', id: 0xffff_ffff, reason: h(REASON) }],
  ['failHtlc, longest reason', `04 00000003 0524 ${rep('99', 1316)}`, { op: 'failHtlc', id: 3, reason: h(rep('99', 1316)) }],
  [
    'failMalformedHtlc',
    `0a 00000004 ${rep('ab', 32)} c005`,
    { op: 'failMalformedHtlc', id: 4, sha256OfOnion: h(rep('ab', 32)), failureCode: 0xc005 },
  ],
  [
    'addHashchain',
    `05 00000009 ${rep('77', 32)} 00000000000003e8 00000e10`,
    { op: 'addHashchain', id: 9, root: h(rep('77', 32)), unit: 1000n, maxUnits: 3600 },
  ],
  [
    'addHashchain with an expiry (tag 11)',
    `0b 00000009 ${rep('77', 32)} 00000000000003e8 00000e10 000004d2`,
    { op: 'addHashchain', id: 9, root: h(rep('77', 32)), unit: 1000n, maxUnits: 3600, expiryHeight: 1234 },
  ],
  ['claimHashchain', `06 00000009 0000012c ${rep('88', 32)}`, { op: 'claimHashchain', id: 9, depth: 300, preimage: h(rep('88', 32)) }],
  ['releaseHashchain', '07 00000009', { op: 'releaseHashchain', id: 9 }],
  ['close', '08', { op: 'close' }],
  [
    'streamPay',
    `09 ${rep('a1', 16)} 00000000000003e8 0000003c`,
    { op: 'streamPay', streamId: h(rep('a1', 16)), amount: 1000n, ticks: 60 },
  ],
];

// [name, hex, message]: decode(hex) == message and encode(message) == hex
const GOLDEN: [string, string, Message][] = [
  [
    'openChannel',
    `8000 ${CID} ${REGTEST} 00000000000f4240 0000000000002710 00000000000003e8 ${SIG}`,
    { kind: 'openChannel', channelId: h(CID), chainHash: h(REGTEST), capacity: 1_000_000n, push: 10_000n, reserve: 1000n, sigA: h(SIG) },
  ],
  [
    'openChannel with every amount at 2^63-1',
    `8000 ${CID} ${REGTEST} ${MAX_MSAT_HEX} ${MAX_MSAT_HEX} ${MAX_MSAT_HEX} ${SIG}`,
    { kind: 'openChannel', channelId: h(CID), chainHash: h(REGTEST), capacity: 2n ** 63n - 1n, push: 2n ** 63n - 1n, reserve: 2n ** 63n - 1n, sigA: h(SIG) },
  ],
  ['acceptChannel', `8002 ${CID} ${SIG}`, { kind: 'acceptChannel', channelId: h(CID), sigB: h(SIG) }],
  ['updateState with no ops', `8004 ${CID} 0000000000000001 0000 ${SIG}`, update(1n, [])],
  [
    'updateState with three ops',
    `8004 ${CID} 000000000000002a 0003 01 00000000000003e8 04 00000007 0024 ${REASON} 08 ${SIG}`,
    update(42n, [{ op: 'pay', amount: 1000n }, { op: 'failHtlc', id: 7, reason: h(REASON) }, { op: 'close' }]),
  ],
  ['ackState', `8006 ${CID} 0000000000000007 ${SIG}`, { kind: 'ackState', channelId: h(CID), seq: 7n, sig: h(SIG) }],
  ['reestablish, largest seq (a seq is not an amount)', `8008 ${CID} ffffffffffffffff`, { kind: 'reestablish', channelId: h(CID), signedSeq: 2n ** 64n - 1n }],
  ['reestablish, nothing signed yet', `8008 ${rep('00', 32)} 0000000000000000`, { kind: 'reestablish', channelId: new Uint8Array(32), signedSeq: 0n }],
  // one updateState per op tag
  ...OP_GOLDEN.map(([name, opHex, op]): [string, string, Message] => [`updateState: ${name}`, `8004 ${CID} 0000000000000003 0001 ${opHex} ${SIG}`, update(3n, [op])]),
];

const errorKind = (bytes: Uint8Array): string => {
  const r = decodeMessage(bytes);
  return r.ok ? `ok:${r.value.kind}` : r.error.kind;
};

describe('channel message golden vectors', () => {
  it.each(GOLDEN)('decodes %s', (_name, hex, msg) => {
    expect(decodeMessage(h(hex))).toEqual({ ok: true, value: msg });
  });

  it.each(GOLDEN)('encodes %s', (_name, hex, msg) => {
    expect(toHex(encodeMessage(msg))).toBe(toHex(h(hex)));
  });

  it.each(OP_GOLDEN)('encodeOps/decodeOps: %s', (_name, opHex, op) => {
    expect(toHex(encodeOps([op]))).toBe(toHex(h(`0001 ${opHex}`)));
    expect(decodeOps(h(`0001 ${opHex}`))).toEqual({ ok: true, value: [op] });
  });

  it('covers every op tag', () => {
    const tags = new Set(OP_GOLDEN.map(([, opHex]) => h(opHex)[0]));
    expect([...tags].sort()).toEqual([...Object.values(CHANNEL_OP_TAGS), ADD_HASHCHAIN_EXPIRING_TAG].sort());
    expect(Object.values(CHANNEL_OP_TAGS).sort()).toEqual([1, 10, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ADD_HASHCHAIN_EXPIRING_TAG).toBe(11);
  });

  it('uses the experimental (even) types', () => {
    expect(CHANNEL_CODECS.map((c) => [c.kind, c.type])).toEqual([
      ['openChannel', 32768],
      ['acceptChannel', 32770],
      ['updateState', 32772],
      ['ackState', 32774],
      ['reestablish', 32776],
      ['commitState', 32778],
    ]);
    expect(messageType('updateState')).toBe(32772);
  });

  it('encodes an empty ops section as a zero count', () => {
    expect(toHex(encodeOps([]))).toBe('0000');
    expect(decodeOps(h('0000'))).toEqual({ ok: true, value: [] });
  });
});

describe('the TLV stream that ends every channel message', () => {
  it.each([
    ['one odd record', '01 02 beef'],
    ['two odd records', '01 00 fd0101 01 ff'],
    ['an empty stream', ''],
  ])('accepts and drops %s', (_name, tail) => {
    for (const [, hex, msg] of GOLDEN) {
      expect(decodeMessage(h(`${hex} ${tail}`))).toEqual({ ok: true, value: msg });
    }
  });

  it.each([
    ['02 00', 'tlv_unknown_even', 'an unknown even record'],
    ['00', 'truncated', 'a type with no length'],
    ['01 05 aabb', 'truncated', 'a length past the end'],
    ['03 00 01 00', 'tlv_order', 'types out of order'],
    ['01 00 01 00', 'tlv_order', 'a duplicated type'],
    ['fd0001 00', 'non_minimal', 'a non-minimal type'],
  ])('%s -> %s (%s)', (tail, kind) => {
    for (const [, hex] of GOLDEN) expect(errorKind(h(`${hex} ${tail}`))).toBe(kind);
  });
});

describe('invalid channel messages', () => {
  const updateWith = (opsHex: string): string => `8004 ${CID} 0000000000000001 ${opsHex} ${SIG}`;

  it.each([
    [updateWith('0001 00'), 'bad_field', 'op tag 0'],
    [updateWith('0001 0c'), 'bad_field', 'op tag 12'],
    [updateWith('0001 ff'), 'bad_field', 'op tag 255'],
    [updateWith('0002 08 0c'), 'bad_field', 'a bad tag after a good op'],
    [updateWith('0001 01 8000000000000000'), 'bad_field', 'pay of 2^63'],
    [updateWith('0001 01 ffffffffffffffff'), 'bad_field', 'pay of 2^64-1'],
    [updateWith(`0001 02 00000001 8000000000000000 ${rep('00', 32)} 00000001 ${ONION}`), 'bad_field', 'addHtlc amount of 2^63'],
    [updateWith(`0001 04 00000001 0023 ${rep('4f', 35)}`), 'bad_field', 'failHtlc reason of 35 bytes'],
    [updateWith(`0001 04 00000001 0000`), 'bad_field', 'failHtlc with an empty reason'],
    [updateWith(`0001 04 00000001 0525 ${rep('4f', 1317)}`), 'bad_field', 'failHtlc reason of 1317 bytes'],
    [updateWith(`0001 05 00000001 ${rep('00', 32)} 8000000000000000 00000001`), 'bad_field', 'addHashchain unit of 2^63'],
    [updateWith(`0539 ${rep('08', 1337)}`), 'bad_field', 'op count 1337, even of 1-byte ops that would fit'],
    [updateWith('ffff'), 'bad_field', 'op count 65535'],
    [`8000 ${CID} ${REGTEST} 8000000000000000 0000000000000000 0000000000000000 ${SIG}`, 'bad_field', 'capacity of 2^63'],
    [`8000 ${CID} ${REGTEST} 0000000000000000 8000000000000000 0000000000000000 ${SIG}`, 'bad_field', 'push of 2^63'],
    [`8000 ${CID} ${REGTEST} 0000000000000000 0000000000000000 ffffffffffffffff ${SIG}`, 'bad_field', 'reserve of 2^64-1'],
    [`8004 ${CID} 0000000000000001 0002 01 00000000000003e8`, 'truncated', 'count says 2 ops, 1 present, no sig'],
    [`8004 ${CID} 0000000000000001 0001 01 000003e8`, 'truncated', 'a pay with half an amount'],
    [`8004 ${CID} 0000000000000001 0001 02 00000001 0000000000000001 ${rep('cd', 31)}`, 'truncated', 'a 31-byte payment hash'],
    [`8004 ${CID} 0000000000000001 0001 02 00000001 0000000000000001 ${rep('cd', 32)} 00000001 ${rep('0e', 1365)}`, 'truncated', 'a 1365-byte onion'],
    [`8004 ${CID} 0000000000000001 0001 04 00000001 0030 ${rep('4f', 47)}`, 'truncated', 'a reason shorter than its length'],
    [`8004 ${CID} 0000000000000001 0001 0a 00000001 ${rep('ab', 32)} c0`, 'truncated', 'a failMalformedHtlc with half a code'],
    [`8004 ${CID} 0000000000000001 0000 ${rep('5a', 63)}`, 'truncated', 'a 63-byte sig'],
    [`8002 ${CID}`, 'truncated', 'acceptChannel without sigB'],
    [`8008 ${rep('11', 31)}`, 'truncated', 'a 31-byte channelId'],
    ['8006', 'truncated', 'ackState with an empty payload'],
  ])('%# -> %s (%s)', (hex, kind) => {
    expect(errorKind(h(hex))).toBe(kind);
  });

  it('tags the error with the message type and names the field', () => {
    const r = decodeMessage(h(updateWith('0001 0c')));
    expect(r.ok ? undefined : r.error).toMatchObject({ kind: 'bad_field', messageType: 32772, message: expect.stringMatching(/ops\[0\].*tag 12/) });
  });

  it.each(GOLDEN)('every proper prefix of %s is truncated', (_name, hex) => {
    const bytes = h(hex);
    for (let len = 0; len < bytes.length; len++) expect(errorKind(bytes.subarray(0, len))).toBe('truncated');
  });

  it('refuses a frame over 65535 bytes, whatever it starts with', () => {
    for (const codec of CHANNEL_CODECS) {
      const frame = new Uint8Array(MAX_MESSAGE_SIZE + 1);
      frame[0] = codec.type >> 8;
      frame[1] = codec.type & 0xff;
      expect(errorKind(frame)).toBe('too_long');
    }
  });

  it('decodeOps refuses trailing bytes, a short section and a bad count', () => {
    const tail = decodeOps(h('0001 08 08'));
    expect(tail.ok ? 'ok' : tail.error.kind).toBe('bad_field');
    for (const hex of ['', '00', '0001', '0002 08']) {
      const r = decodeOps(h(hex));
      expect(r.ok ? 'ok' : r.error.kind).toBe('truncated');
    }
    const many = decodeOps(h(`0538 ${rep('08', 1336)}`));
    expect(many.ok ? 'ok' : many.error.kind).toBe('bad_field');
  });
});

describe('how many ops fit one update', () => {
  // By hand: addHashchain with its expiry (tag 11) is 1 + 4 + 32 + 8 + 4 + 4 = 53 bytes, the largest op with
  // no onion or reason (without one, tag 5, 49);
  // addHtlc is 49 + 1366 (onion) = 1415; failHtlc is 1 + 4 + 2 + at most 1316 = 1323. An update frame is
  // 2 (type) + 32 (channelId) + 8 (seq) + 2 (count) + 64 (sig) = 108 bytes besides its ops, so the ops get
  // 65535 - 108 = 65427 bytes: 1234 addHashchains (65402), 46 addHtlcs (65090), 49 longest failHtlcs (64827).
  it('sizes every op and the limits as computed by hand', () => {
    expect(CHANNEL_OP_SIZES).toEqual({
      pay: 9,
      addHtlc: 1415,
      fulfillHtlc: 37,
      failHtlc: 1323,
      addHashchain: 53,
      claimHashchain: 41,
      releaseHashchain: 5,
      close: 1,
      streamPay: 29,
      failMalformedHtlc: 39,
    });
    expect(MAX_OP_SIZE).toBe(1415);
    expect(MAX_OPS_PER_UPDATE).toBe(1234);
    expect(UPDATE_OPS_BYTE_BUDGET).toBe(65427);
    expect(encodedOpSize(addHtlc)).toBe(1415);
    expect(encodedOpSize({ op: 'failHtlc', id: 1, reason: new Uint8Array(292) })).toBe(1 + 4 + 2 + 292);
  });

  const addHtlc: ChannelOp = { op: 'addHtlc', id: 0xffff_ffff, amount: 2n ** 63n - 1n, paymentHash: h(rep('ff', 32)), expiryHeight: 0xffff_ffff, onion: h(rep('ff', 1366)) };
  const longestFail: ChannelOp = { op: 'failHtlc', id: 0xffff_ffff, reason: new Uint8Array(1316).fill(0xff) };
  const addHashchain: ChannelOp = { op: 'addHashchain', id: 0xffff_ffff, root: h(rep('ff', 32)), unit: 2n ** 63n - 1n, maxUnits: 0xffff_ffff, expiryHeight: 0xffff_ffff };

  // [op, how many fit one update]: that many encode, decode and fit the frame; one more does not.
  it.each([
    ['addHashchain with its expiry (count limit)', addHashchain, 1234],
    ['addHtlc with its onion (byte limit)', addHtlc, 46],
    ['failHtlc with the longest reason (byte limit)', longestFail, 49],
  ] as const)('%s: %i fit, one more does not', (_name, op, n) => {
    const full = update(2n ** 64n - 1n, Array.from({ length: n }, () => op));
    const bytes = encodeMessage(full);
    expect(bytes.length).toBe(108 + n * encodedOpSize(op));
    expect(bytes.length).toBeLessThanOrEqual(MAX_MESSAGE_SIZE);
    expect(bytes.length + encodedOpSize(op)).toBeGreaterThan(MAX_MESSAGE_SIZE); // the bound is tight
    expect(decodeMessage(bytes)).toEqual({ ok: true, value: full });
    expect(opsFitUpdate({ count: n, bytes: n * encodedOpSize(op) })).toBeNull();

    const over = update(1n, Array.from({ length: n + 1 }, () => op));
    expect(opsFitUpdate({ count: n + 1, bytes: (n + 1) * encodedOpSize(op) })).toMatch(/more than/);
    expect(() => encodeMessage(over)).toThrow(InputError);
    expect(() => encodeOps(over.ops)).toThrow(InputError);
  });

  it('mixed ops: 45 addHtlcs leave room for exactly 33 of the largest hash-chain ops', () => {
    const room = 65427 - 45 * 1415; // 1752 bytes
    expect(Math.floor(room / 53)).toBe(33);
    const fits = measureOps([...Array.from({ length: 45 }, () => addHtlc), ...Array.from({ length: Math.floor(room / 53) }, () => addHashchain)]);
    expect(fits.ok && opsFitUpdate(fits.size)).toBeNull();
    const over = measureOps([...Array.from({ length: 45 }, () => addHtlc), ...Array.from({ length: Math.floor(room / 53) + 1 }, () => addHashchain)]);
    expect(over.ok && opsFitUpdate(over.size)).toMatch(/bytes of operations/);
  });

  it('measureOps reports a malformed op instead of throwing', () => {
    const r = measureOps([{ op: 'pay', amount: 1n }, { op: 'addHtlc', id: 1, amount: 1n, paymentHash: new Uint8Array(32), expiryHeight: 1, onion: new Uint8Array(1365) }]);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/operation 1: .*onion/) });
  });

  it('the limit is a count: one more of even the smallest op is refused both ways', () => {
    const closes = (n: number): ChannelOp[] => Array.from({ length: n }, () => ({ op: 'close' }));
    expect(decodeMessage(encodeMessage(update(1n, closes(MAX_OPS_PER_UPDATE))))).toMatchObject({ ok: true });
    expect(() => encodeMessage(update(1n, closes(MAX_OPS_PER_UPDATE + 1)))).toThrow(InputError);
    const frame = h(`8004 ${CID} 0000000000000001 ${(MAX_OPS_PER_UPDATE + 1).toString(16).padStart(4, '0')} ${rep('08', MAX_OPS_PER_UPDATE + 1)} ${SIG}`);
    expect(errorKind(frame)).toBe('bad_field');
  });
});

describe('malformed message objects are refused on encode', () => {
  const base = update(1n, []);
  const bad: [string, unknown][] = [
    ['31-byte channelId', { ...base, channelId: new Uint8Array(31) }],
    ['63-byte sig', { ...base, sig: new Uint8Array(63) }],
    ['negative seq', { ...base, seq: -1n }],
    ['seq past u64', { ...base, seq: 2n ** 64n }],
    ['ops not an array', { ...base, ops: 'pay' }],
    ['pay of 2^63', update(1n, [{ op: 'pay', amount: 2n ** 63n }])],
    ['negative pay', update(1n, [{ op: 'pay', amount: -1n }])],
    ['pay as a number', update(1n, [{ op: 'pay', amount: 5 as unknown as bigint }])],
    ['addHtlc with a 31-byte hash', update(1n, [{ op: 'addHtlc', id: 1, amount: 1n, paymentHash: new Uint8Array(31), expiryHeight: 1, onion: new Uint8Array(1366) }])],
    ['addHtlc amount of 2^63', update(1n, [{ op: 'addHtlc', id: 1, amount: 2n ** 63n, paymentHash: new Uint8Array(32), expiryHeight: 1, onion: new Uint8Array(1366) }])],
    ['addHtlc with a 1367-byte onion', update(1n, [{ op: 'addHtlc', id: 1, amount: 1n, paymentHash: new Uint8Array(32), expiryHeight: 1, onion: new Uint8Array(1367) }])],
    ['addHtlc without an onion', update(1n, [{ op: 'addHtlc', id: 1, amount: 1n, paymentHash: new Uint8Array(32), expiryHeight: 1 } as unknown as ChannelOp])],
    ['failHtlc with an empty reason', update(1n, [{ op: 'failHtlc', id: 1, reason: new Uint8Array(0) }])],
    ['failHtlc with a 1317-byte reason', update(1n, [{ op: 'failHtlc', id: 1, reason: new Uint8Array(1317) }])],
    ['failMalformedHtlc code past u16', update(1n, [{ op: 'failMalformedHtlc', id: 1, sha256OfOnion: new Uint8Array(32), failureCode: 0x1_0000 }])],
    ['failMalformedHtlc with a 31-byte hash', update(1n, [{ op: 'failMalformedHtlc', id: 1, sha256OfOnion: new Uint8Array(31), failureCode: 0xc005 }])],
    ['addHashchain unit of 2^63', update(1n, [{ op: 'addHashchain', id: 1, root: new Uint8Array(32), unit: 2n ** 63n, maxUnits: 1 }])],
    ['fulfillHtlc with a 33-byte preimage', update(1n, [{ op: 'fulfillHtlc', id: 1, preimage: new Uint8Array(33) }])],
    ['claimHashchain with a fractional depth', update(1n, [{ op: 'claimHashchain', id: 1, depth: 1.5, preimage: new Uint8Array(32) }])],
    ['id past u32', update(1n, [{ op: 'failHtlc', id: 2 ** 32, reason: new Uint8Array(36) }])],
    ['negative id', update(1n, [{ op: 'releaseHashchain', id: -1 }])],
    ['an unknown op', update(1n, [{ op: 'refund' } as unknown as ChannelOp])],
    ['openChannel 33-byte chainHash', { kind: 'openChannel', channelId: h(CID), chainHash: new Uint8Array(33), capacity: 1n, push: 0n, reserve: 0n, sigA: h(SIG) }],
    ['openChannel capacity of 2^63', { kind: 'openChannel', channelId: h(CID), chainHash: h(REGTEST), capacity: 2n ** 63n, push: 0n, reserve: 0n, sigA: h(SIG) }],
    ['openChannel negative push', { kind: 'openChannel', channelId: h(CID), chainHash: h(REGTEST), capacity: 1n, push: -1n, reserve: 0n, sigA: h(SIG) }],
    ['acceptChannel without sigB', { kind: 'acceptChannel', channelId: h(CID) }],
    ['ackState 65-byte sig', { kind: 'ackState', channelId: h(CID), seq: 1n, sig: new Uint8Array(65) }],
    ['reestablish signedSeq as a number', { kind: 'reestablish', channelId: h(CID), signedSeq: 1 }],
  ];

  it.each(bad)('%s', (_name, msg) => {
    expect(() => encodeMessage(msg as Message)).toThrow(InputError);
  });
});
