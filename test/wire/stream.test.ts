// Stream messages and the streamPay op: golden byte vectors written by hand, both directions;
// invalid, truncated and over-long frames; reasons (UTF-8, 500 bytes); malformed objects refused
// on encode.
import { describe, expect, it } from 'vitest';
import { fromHex, InputError, toHex } from '../../src/crypto/bytes.js';
import { CHANNEL_OP_SIZES, CHANNEL_OP_TAGS, decodeOps, encodeOps, type ChannelOp, type UpdateStateMessage } from '../../src/wire/channel.js';
import { decodeMessage, encodeMessage, MAX_MESSAGE_SIZE, messageType, type Message } from '../../src/wire/message.js';
import {
  MAX_STREAM_REASON_LENGTH,
  STREAM_ACTION_BYTES,
  STREAM_CODECS,
  STREAM_ID_LENGTH,
  STREAM_MODE_BYTES,
  type StreamControlMessage,
  type StreamOpenMessage,
  type StreamRejectMessage,
} from '../../src/wire/stream.js';

const h = (spaced: string): Uint8Array => fromHex(spaced.replace(/ /g, ''));
const rep = (byte: string, n: number): string => byte.repeat(n);

const CID = rep('11', 32);
const SID = rep('a1', 16);
const SIG = rep('5a', 64);
const PRE = rep('88', 32);

const open = (over: Partial<StreamOpenMessage> = {}): StreamOpenMessage => ({
  kind: 'streamOpen',
  channelId: h(CID),
  streamId: h(SID),
  mode: 'signed',
  rateAmount: 1000n,
  ratePerMs: 1000,
  tickMs: 1000,
  max: 0n,
  durationMs: 0n,
  hashchainLockId: 0,
  ...over,
});
const reject = (reason: string): StreamRejectMessage => ({ kind: 'streamReject', streamId: h(SID), reason });
const control = (action: StreamControlMessage['action'], reason: string): StreamControlMessage => ({ kind: 'streamControl', streamId: h(SID), action, reason });

// [name, hex, message]: decode(hex) == message and encode(message) == hex
const GOLDEN: [string, string, Message][] = [
  [
    'streamOpen, signed, 1000 msat per second, no max, no duration',
    `800c ${CID} ${SID} 01 00000000000003e8 000003e8 000003e8 0000000000000000 0000000000000000 00000000`,
    open(),
  ],
  [
    'streamOpen, hashchain, 10 msat per 100 ms for an hour, capped at 1,000,000',
    `800c ${CID} ${SID} 02 000000000000000a 00000064 00000064 00000000000f4240 000000000036ee80 00000007`,
    open({ mode: 'hashchain', rateAmount: 10n, ratePerMs: 100, tickMs: 100, max: 1_000_000n, durationMs: 3_600_000n, hashchainLockId: 7 }),
  ],
  [
    'streamOpen with every field at its largest (max and durationMs are plain u64s)',
    `800c ${rep('ff', 32)} ${rep('ff', 16)} 02 7fffffffffffffff ffffffff ffffffff ffffffffffffffff ffffffffffffffff ffffffff`,
    open({
      channelId: h(rep('ff', 32)),
      streamId: h(rep('ff', 16)),
      mode: 'hashchain',
      rateAmount: 2n ** 63n - 1n,
      ratePerMs: 0xffff_ffff,
      tickMs: 0xffff_ffff,
      max: 2n ** 64n - 1n,
      durationMs: 2n ** 64n - 1n,
      hashchainLockId: 0xffff_ffff,
    }),
  ],
  ['streamAccept', `800e ${SID}`, { kind: 'streamAccept', streamId: h(SID) }],
  ['streamReject, empty reason', `8010 ${SID} 0000`, reject('')],
  ['streamReject, "no funds"', `8010 ${SID} 0008 6e6f2066756e6473`, reject('no funds')],
  ['streamReject, multi-byte UTF-8 ("€5 ⚡")', `8010 ${SID} 0008 e282ac35 20 e29aa1`, reject('€5 ⚡')],
  ['streamReject, an astral code point (U+1F4B8)', `8010 ${SID} 0004 f09f92b8`, reject('\u{1f4b8}')],
  ['streamReject, a leading BOM is kept', `8010 ${SID} 0004 efbbbf61`, reject('\ufeffa')],
  ['streamReject, reason of exactly 500 bytes', `8010 ${SID} 01f4 ${rep('78', 500)}`, reject('x'.repeat(500))],
  ['streamReject, 250 two-byte characters (500 bytes)', `8010 ${SID} 01f4 ${rep('c3a9', 250)}`, reject('é'.repeat(250))],
  ['streamTick', `8012 ${SID} 0000012c ${PRE}`, { kind: 'streamTick', streamId: h(SID), depth: 300, preimage: h(PRE) }],
  ['streamTick, largest depth, zero preimage', `8012 ${SID} ffffffff ${rep('00', 32)}`, { kind: 'streamTick', streamId: h(SID), depth: 0xffff_ffff, preimage: new Uint8Array(32) }],
  ['streamControl pause', `8014 ${SID} 01 0000`, control('pause', '')],
  ['streamControl resume', `8014 ${SID} 02 0000`, control('resume', '')],
  ['streamControl stop, "done"', `8014 ${SID} 03 0004 646f6e65`, control('stop', 'done')],
  [
    'streamChain: lock 42 on this channel, one hop on (a node and its unit)',
    `8016 ${SID} ${CID} 0000002a 01 02${rep('11', 32)} 0000000000002710`,
    { kind: 'streamChain', streamId: h(SID), channelId: h(CID), lockId: 42, hops: [{ nodeId: h(`02${rep('11', 32)}`), unit: 10_000n }] },
  ],
  ['streamChain to the last hop: no hops on', `8016 ${SID} ${CID} 00000007 00`, { kind: 'streamChain', streamId: h(SID), channelId: h(CID), lockId: 7, hops: [] }],
];

const STREAM_PAY_HEX = `09 ${SID} 00000000000003e8 0000003c`;
const STREAM_PAY: ChannelOp = { op: 'streamPay', streamId: h(SID), amount: 1000n, ticks: 60 };

// [name, op hex (tag + fields), op]
const OP_GOLDEN: [string, string, ChannelOp][] = [
  ['streamPay 1000 msat for 60 ticks', STREAM_PAY_HEX, STREAM_PAY],
  ['streamPay 0 for 0 ticks (allowed on the wire)', `09 ${rep('00', 16)} 0000000000000000 00000000`, { op: 'streamPay', streamId: new Uint8Array(16), amount: 0n, ticks: 0 }],
  [
    'streamPay 2^63-1 for 2^32-1 ticks',
    `09 ${rep('ff', 16)} 7fffffffffffffff ffffffff`,
    { op: 'streamPay', streamId: h(rep('ff', 16)), amount: 2n ** 63n - 1n, ticks: 0xffff_ffff },
  ],
];

const update = (ops: ChannelOp[]): UpdateStateMessage => ({ kind: 'updateState', channelId: h(CID), seq: 3n, ops, sig: h(SIG) });

const errorKind = (bytes: Uint8Array): string => {
  const r = decodeMessage(bytes);
  return r.ok ? `ok:${r.value.kind}` : r.error.kind;
};

describe('stream message golden vectors', () => {
  it.each(GOLDEN)('decodes %s', (_name, hex, msg) => {
    expect(decodeMessage(h(hex))).toEqual({ ok: true, value: msg });
  });

  it.each(GOLDEN)('encodes %s', (_name, hex, msg) => {
    expect(toHex(encodeMessage(msg))).toBe(toHex(h(hex)));
  });

  it('covers every stream message kind, mode and action', () => {
    const kinds = new Set(GOLDEN.map(([, , m]) => m.kind));
    expect([...kinds].sort()).toEqual(STREAM_CODECS.map((c) => c.kind).sort());
    const modes = new Set(GOLDEN.flatMap(([, , m]) => (m.kind === 'streamOpen' ? [m.mode] : [])));
    expect([...modes].sort()).toEqual(Object.keys(STREAM_MODE_BYTES).sort());
    const actions = new Set(GOLDEN.flatMap(([, , m]) => (m.kind === 'streamControl' ? [m.action] : [])));
    expect([...actions].sort()).toEqual(Object.keys(STREAM_ACTION_BYTES).sort());
  });

  it('uses the experimental even types right after the channel family', () => {
    expect(STREAM_CODECS.map((c) => [c.kind, c.type])).toEqual([
      ['streamOpen', 32780],
      ['streamAccept', 32782],
      ['streamReject', 32784],
      ['streamTick', 32786],
      ['streamControl', 32788],
      ['streamChain', 32790],
    ]);
    expect(messageType('streamOpen')).toBe(32780);
    expect(messageType('streamControl')).toBe(32788);
    expect(STREAM_MODE_BYTES).toEqual({ signed: 1, hashchain: 2 });
    expect(STREAM_ACTION_BYTES).toEqual({ pause: 1, resume: 2, stop: 3 });
    expect(STREAM_ID_LENGTH).toBe(16);
    expect(MAX_STREAM_REASON_LENGTH).toBe(500);
  });
});

describe('the streamPay op', () => {
  it.each(OP_GOLDEN)('encodeOps/decodeOps: %s', (_name, opHex, op) => {
    expect(toHex(encodeOps([op]))).toBe(toHex(h(`0001 ${opHex}`)));
    expect(decodeOps(h(`0001 ${opHex}`))).toEqual({ ok: true, value: [op] });
  });

  it.each(OP_GOLDEN)('inside an updateState, both ways: %s', (_name, opHex, op) => {
    const hex = `8004 ${CID} 0000000000000003 0001 ${opHex} ${SIG}`;
    expect(decodeMessage(h(hex))).toEqual({ ok: true, value: update([op]) });
    expect(toHex(encodeMessage(update([op])))).toBe(toHex(h(hex)));
  });

  it('mixes with other ops', () => {
    const hex = `8004 ${CID} 0000000000000003 0003 01 00000000000003e8 ${STREAM_PAY_HEX} 08 ${SIG}`;
    const msg = update([{ op: 'pay', amount: 1000n }, STREAM_PAY, { op: 'close' }]);
    expect(decodeMessage(h(hex))).toEqual({ ok: true, value: msg });
    expect(toHex(encodeMessage(msg))).toBe(toHex(h(hex)));
  });

  it('is tag 9, 29 bytes, and leaves the update limits where they were', () => {
    expect(CHANNEL_OP_TAGS.streamPay).toBe(9);
    expect(CHANNEL_OP_SIZES.streamPay).toBe(1 + 16 + 8 + 4);
  });

  it.each([
    [`0001 09 ${SID} 8000000000000000 00000001`, 'bad_field', 'amount of 2^63'],
    [`0001 09 ${SID} ffffffffffffffff 00000001`, 'bad_field', 'amount of 2^64-1'],
    [`0001 09 ${rep('a1', 15)}`, 'truncated', 'a 15-byte streamId and nothing else'],
    [`0001 09 ${SID} 00000000000003e8 0000`, 'truncated', 'half a ticks'],
    [`0001 09 ${SID} 00000000000003e8 0000003c 00`, 'bad_field', 'a byte after the op'],
  ])('decodeOps %s -> %s (%s)', (hex, kind) => {
    const r = decodeOps(h(hex));
    expect(r.ok ? 'ok' : r.error.kind).toBe(kind);
  });

  it('every proper prefix of a streamPay update is truncated', () => {
    const bytes = encodeMessage(update([STREAM_PAY]));
    for (let len = 0; len < bytes.length; len++) expect(errorKind(bytes.subarray(0, len))).toBe('truncated');
  });

  it.each([
    ['a 15-byte streamId', { op: 'streamPay', streamId: new Uint8Array(15), amount: 1n, ticks: 1 }],
    ['a 17-byte streamId', { op: 'streamPay', streamId: new Uint8Array(17), amount: 1n, ticks: 1 }],
    ['no streamId', { op: 'streamPay', amount: 1n, ticks: 1 }],
    ['amount of 2^63', { op: 'streamPay', streamId: h(SID), amount: 2n ** 63n, ticks: 1 }],
    ['negative amount', { op: 'streamPay', streamId: h(SID), amount: -1n, ticks: 1 }],
    ['amount as a number', { op: 'streamPay', streamId: h(SID), amount: 1, ticks: 1 }],
    ['ticks past u32', { op: 'streamPay', streamId: h(SID), amount: 1n, ticks: 2 ** 32 }],
    ['negative ticks', { op: 'streamPay', streamId: h(SID), amount: 1n, ticks: -1 }],
    ['fractional ticks', { op: 'streamPay', streamId: h(SID), amount: 1n, ticks: 0.5 }],
  ])('refuses on encode: %s', (_name, op) => {
    expect(() => encodeOps([op as ChannelOp])).toThrow(InputError);
    expect(() => encodeMessage(update([op as ChannelOp]))).toThrow(InputError);
  });
});

describe('the TLV stream that ends every stream message', () => {
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

describe('invalid stream messages', () => {
  const openWith = (mode: string, rate = '00000000000003e8'): string =>
    `800c ${CID} ${SID} ${mode} ${rate} 000003e8 000003e8 0000000000000000 0000000000000000 00000000`;

  it.each([
    [openWith('00'), 'bad_field', 'mode 0'],
    [openWith('03'), 'bad_field', 'mode 3'],
    [openWith('ff'), 'bad_field', 'mode 255'],
    [openWith('01', '8000000000000000'), 'bad_field', 'rateAmount of 2^63'],
    [openWith('02', 'ffffffffffffffff'), 'bad_field', 'rateAmount of 2^64-1'],
    [`8014 ${SID} 00 0000`, 'bad_field', 'action 0'],
    [`8014 ${SID} 04 0000`, 'bad_field', 'action 4'],
    [`8014 ${SID} ff 0000`, 'bad_field', 'action 255'],
    [`8010 ${SID} 01f5 ${rep('78', 501)}`, 'bad_field', 'a 501-byte reason'],
    [`8014 ${SID} 03 ffff ${rep('78', 100)}`, 'bad_field', 'a reason length of 65535, bytes absent'],
    [`8010 ${SID} 0001 ff`, 'bad_field', 'reason byte 0xff'],
    [`8010 ${SID} 0001 80`, 'bad_field', 'a lone continuation byte'],
    [`8010 ${SID} 0001 c3`, 'bad_field', 'a two-byte sequence cut short'],
    [`8010 ${SID} 0002 c0af`, 'bad_field', 'an overlong encoding of "/"'],
    [`8010 ${SID} 0003 eda080`, 'bad_field', 'an encoded surrogate (U+D800)'],
    [`8010 ${SID} 0004 f4908080`, 'bad_field', 'a code point past U+10FFFF'],
    [`8014 ${SID} 01 0003 61 e282`, 'bad_field', 'streamControl reason ending mid-character'],
    [`8010 ${SID} 0005 6869`, 'truncated', 'reason shorter than its length'],
    [`8010 ${SID} 00`, 'truncated', 'half a reason length'],
    [`800e ${rep('a1', 15)}`, 'truncated', 'a 15-byte streamId'],
    [`8012 ${SID} 0000012c ${rep('88', 31)}`, 'truncated', 'a 31-byte preimage'],
    [`800c ${CID} ${SID}`, 'truncated', 'streamOpen without mode'],
    ['8014', 'truncated', 'streamControl with an empty payload'],
  ])('%# -> %s (%s)', (hex, kind) => {
    expect(errorKind(h(hex))).toBe(kind);
  });

  it('tags the error with the message type and names the field', () => {
    const mode = decodeMessage(h(openWith('03')));
    expect(mode.ok ? undefined : mode.error).toMatchObject({ kind: 'bad_field', messageType: 32780, message: expect.stringMatching(/streamOpen.*mode 3/) });
    const utf8 = decodeMessage(h(`8014 ${SID} 01 0001 ff`));
    expect(utf8.ok ? undefined : utf8.error).toMatchObject({ kind: 'bad_field', messageType: 32788, message: expect.stringMatching(/streamControl.*reason.*UTF-8/) });
  });

  it.each(GOLDEN)('every proper prefix of %s is truncated', (_name, hex) => {
    const bytes = h(hex);
    for (let len = 0; len < bytes.length; len++) expect(errorKind(bytes.subarray(0, len))).toBe('truncated');
  });

  it('refuses a frame over 65535 bytes, whatever it starts with', () => {
    for (const codec of STREAM_CODECS) {
      const frame = new Uint8Array(MAX_MESSAGE_SIZE + 1);
      frame[0] = codec.type >> 8;
      frame[1] = codec.type & 0xff;
      expect(errorKind(frame)).toBe('too_long');
    }
  });
});

describe('malformed stream message objects are refused on encode', () => {
  const bad: [string, unknown][] = [
    ['a 501-byte ASCII reject reason', reject('x'.repeat(501))],
    ['a 501-byte reject reason of 2-byte characters', reject(`${'é'.repeat(250)}a`)],
    ['a 501-byte control reason of 3-byte characters', control('stop', '€'.repeat(167))],
    ['a 65536-byte reason', control('pause', 'x'.repeat(65536))],
    ['a lone surrogate in a reason', reject('\ud800')],
    ['a lone low surrogate after a pair', control('stop', '\u{1f4b8}\udc00')],
    ['a reason that is not a string', reject(h('6869') as unknown as string)],
    ['a missing reason', { kind: 'streamControl', streamId: h(SID), action: 'stop' }],
    ['an unknown action', control('kill' as StreamControlMessage['action'], '')],
    ['an action named after an Object method', control('toString' as StreamControlMessage['action'], '')],
    ['an unknown mode', open({ mode: 'payword' as StreamOpenMessage['mode'] })],
    ['a 31-byte channelId', open({ channelId: new Uint8Array(31) })],
    ['a 15-byte streamOpen streamId', open({ streamId: new Uint8Array(15) })],
    ['a 32-byte streamAccept streamId', { kind: 'streamAccept', streamId: new Uint8Array(32) }],
    ['rateAmount of 2^63', open({ rateAmount: 2n ** 63n })],
    ['negative rateAmount', open({ rateAmount: -1n })],
    ['rateAmount as a number', open({ rateAmount: 1 as unknown as bigint })],
    ['max past u64', open({ max: 2n ** 64n })],
    ['negative durationMs', open({ durationMs: -1n })],
    ['ratePerMs past u32', open({ ratePerMs: 2 ** 32 })],
    ['fractional tickMs', open({ tickMs: 0.5 })],
    ['negative hashchainLockId', open({ hashchainLockId: -1 })],
    ['a 31-byte tick preimage', { kind: 'streamTick', streamId: h(SID), depth: 1, preimage: new Uint8Array(31) }],
    ['a tick depth past u32', { kind: 'streamTick', streamId: h(SID), depth: 2 ** 32, preimage: h(PRE) }],
  ];

  it.each(bad)('%s', (_name, msg) => {
    expect(() => encodeMessage(msg as Message)).toThrow(InputError);
  });

  it('names the over-long reason in the error', () => {
    expect(() => encodeMessage(reject('x'.repeat(501)))).toThrow(/streamReject reason: 501 bytes is over the 500-byte limit/);
  });
});
