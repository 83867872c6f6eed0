// Golden byte vectors for the BOLT 1 messages, both directions, plus framing rules.
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { assertNever } from '../../src/wire/assert-never.js';
import { ALL_CHANNELS, describeErrorData } from '../../src/wire/error.js';
import { FeatureVector } from '../../src/wire/features.js';
import { combinedFeatures, type InitMessage } from '../../src/wire/init.js';
import {
  buildCodecTable,
  decodeMessage,
  encodeMessage,
  MAX_MESSAGE_SIZE,
  messageType,
  MESSAGE_CODECS,
  type DecodedMessage,
  type Message,
} from '../../src/wire/message.js';
import { makePing, pongFor } from '../../src/wire/ping.js';

const h = (spaced: string): Uint8Array => fromHex(spaced.replace(/ /g, ''));
const REGTEST = '06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f';

const init = (over: Partial<InitMessage> = {}): InitMessage => ({
  kind: 'init',
  globalFeatures: FeatureVector.EMPTY,
  features: FeatureVector.EMPTY,
  tlvs: {},
  unknownTlvs: [],
  ...over,
});

// [name, hex, message]: decode(hex) == message and encode(message) == hex
const GOLDEN: [string, string, Message][] = [
  ['init, no features (BOLT 1 Appendix C)', '0010 0000 0000', init()],
  [
    'init with two unknown odd TLVs (Appendix C)',
    '0010 0000 0000 c9012a cb0104',
    init({ unknownTlvs: [{ type: 0xc9n, value: h('2a') }, { type: 0xcbn, value: h('04') }] }),
  ],
  [
    'init with features, networks and remote_addr',
    `0010 0000 0002 a200 01 20 ${REGTEST} 03 07 01 7f000001 2607`,
    init({
      features: FeatureVector.fromBits([9, 13, 15]),
      tlvs: { networks: [fromHex(REGTEST)], remoteAddr: h('01 7f000001 2607') },
    }),
  ],
  [
    'init with global features, empty networks and a will_fund record passed through',
    '0010 0001 02 0001 01 01 00 05 02 beef',
    init({
      globalFeatures: FeatureVector.fromBits([1]),
      features: FeatureVector.fromBits([0]),
      tlvs: { networks: [] },
      unknownTlvs: [{ type: 5n, value: h('beef') }],
    }),
  ],
  [
    'error for all channels',
    `0011 ${'00'.repeat(32)} 0005 68656c6c6f`,
    { kind: 'error', channelId: new Uint8Array(32), data: h('68656c6c6f') },
  ],
  ['warning, empty data', `0001 ${'ab'.repeat(32)} 0000`, { kind: 'warning', channelId: h('ab'.repeat(32)), data: h('') }],
  ['ping asking for 4 bytes', '0012 0004 0000', { kind: 'ping', numPongBytes: 4, ignored: h('') }],
  ['ping with padding, no reply wanted', '0012 fff4 0003 000000', { kind: 'ping', numPongBytes: 0xfff4, ignored: h('000000') }],
  ['pong with 4 bytes', '0013 0004 00000000', { kind: 'pong', ignored: h('00000000') }],
  ['pong with non-zero padding', '0013 0002 abcd', { kind: 'pong', ignored: h('abcd') }],
];

const errorKind = (bytes: Uint8Array): string => {
  const r = decodeMessage(bytes);
  return r.ok ? `ok:${r.value.kind}` : r.error.kind;
};

describe('golden messages', () => {
  it.each(GOLDEN)('decodes %s', (_name, hex, msg) => {
    expect(decodeMessage(h(hex))).toEqual({ ok: true, value: msg });
  });

  it.each(GOLDEN)('encodes %s', (_name, hex, msg) => {
    expect(toHex(encodeMessage(msg))).toBe(toHex(h(hex)));
  });

  it('knows the BOLT 1 type numbers', () => {
    expect([messageType('warning'), messageType('init'), messageType('error'), messageType('ping'), messageType('pong')]).toEqual([
      1, 16, 17, 18, 19,
    ]);
  });
});

describe('invalid messages', () => {
  it.each([
    ['', 'truncated', 'no type'],
    ['00', 'truncated', 'half a type'],
    ['0010 0000 0000 01', 'truncated', 'init extension truncated (Appendix C)'],
    ['0010 0000 0000 ca012a', 'tlv_unknown_even', 'init extension with unknown even TLV (Appendix C)'],
    ['0010 0000 0000 c90101c90102', 'tlv_order', 'init extension with a duplicate TLV (Appendix C)'],
    ['0010 0000 0000 0121 ' + '00'.repeat(33), 'bad_field', 'init networks not a multiple of 32 bytes'],
    ['0010 0003 00', 'truncated', 'init globalfeatures short'],
    ['0010 0000', 'truncated', 'init without flen'],
    [`0011 ${'00'.repeat(31)}`, 'truncated', 'error with a short channel_id'],
    [`0001 ${'00'.repeat(32)} 0002 61`, 'truncated', 'warning data shorter than len'],
    ['0012 00', 'truncated', 'ping without num_pong_bytes'],
    ['0012 0004 0001', 'truncated', 'ping ignored shorter than byteslen'],
    ['0013 0005 0000', 'truncated', 'pong ignored shorter than byteslen'],
  ])('%s -> %s (%s)', (hex, kind) => {
    expect(errorKind(h(hex))).toBe(kind);
  });

  it('tags payload errors with the message type', () => {
    const r = decodeMessage(h('0012 00'));
    expect(r.ok ? undefined : r.error.messageType).toBe(18);
  });

  it('rejects a frame over 65535 bytes, even a well-formed ping', () => {
    const ping = new Uint8Array(MAX_MESSAGE_SIZE + 1);
    ping.set(h('0012 0000 fffb'));
    expect(errorKind(ping)).toBe('too_long');
    expect(errorKind(ping.subarray(0, MAX_MESSAGE_SIZE))).toBe('truncated'); // byteslen 65531 > 65529 left
  });
});

describe('extension rule and unknown types', () => {
  it('ignores bytes after the fields of messages without a TLV extension', () => {
    expect(decodeMessage(h('0012 0004 0000 ca012a'))).toEqual({ ok: true, value: { kind: 'ping', numPongBytes: 4, ignored: h('') } });
    expect(decodeMessage(h(`0011 ${'00'.repeat(32)} 0000 ffff`))).toEqual({
      ok: true,
      value: { kind: 'error', channelId: ALL_CHANNELS, data: h('') },
    });
  });

  it.each([
    ['8001 00', 0x8001, true],
    ['fffe', 0xfffe, false],
    ['0020 0102', 32, false], // open_channel: a channel message sluice does not speak
    ['ffff', 0xffff, true],
  ])('%s is unknown (odd: %s)', (hex, type, odd) => {
    expect(decodeMessage(h(hex))).toEqual({ ok: true, value: { kind: 'unknown', type, odd, payload: h(hex).subarray(2) } });
  });
});

describe('size limits', () => {
  it('encodes up to exactly 65535 bytes and refuses one more', () => {
    expect(encodeMessage(makePing({ numPongBytes: 0, padding: 65529 })).length).toBe(MAX_MESSAGE_SIZE);
    expect(() => encodeMessage(makePing({ numPongBytes: 0, padding: 65530 }))).toThrow(/65535-byte/);
    expect(encodeMessage({ kind: 'pong', ignored: new Uint8Array(65531) }).length).toBe(MAX_MESSAGE_SIZE);
  });

  it('refuses malformed message objects', () => {
    expect(() => encodeMessage({ kind: 'error', channelId: new Uint8Array(31), data: new Uint8Array(0) })).toThrow(/channel_id/);
    expect(() => encodeMessage(init({ tlvs: { networks: [new Uint8Array(31)] } }))).toThrow(/networks/);
    expect(() => encodeMessage(makePing({ numPongBytes: 65536 }))).toThrow(/u16/);
  });
});

describe('pongFor', () => {
  it.each([
    [0, 0],
    [4, 4],
    [65531, 65531],
  ])('answers num_pong_bytes %i with %i zero bytes', (n, len) => {
    const pong = pongFor(makePing({ numPongBytes: n }));
    expect(pong).toEqual({ kind: 'pong', ignored: new Uint8Array(len) });
    expect(encodeMessage(pong!).length).toBeLessThanOrEqual(MAX_MESSAGE_SIZE);
  });

  it.each([65532, 65535])('does not answer num_pong_bytes %i', (n) => {
    expect(pongFor(makePing({ numPongBytes: n }))).toBeUndefined();
  });
});

describe('helpers', () => {
  it('combines the two init feature maps', () => {
    const m = init({ globalFeatures: FeatureVector.fromBits([1, 5]), features: FeatureVector.fromBits([5, 9]) });
    expect(combinedFeatures(m).bits()).toEqual([1, 5, 9]);
  });

  it('prints error data only when it is printable ASCII', () => {
    expect(describeErrorData(h('68656c6c6f'))).toBe('hello');
    expect(describeErrorData(h('1b5b324a'))).toBe('0x1b5b324a');
  });

  it('the codec table refuses clashing registrations', () => {
    const [initCodec, errorCodec] = MESSAGE_CODECS;
    expect(() => buildCodecTable([initCodec, { ...errorCodec, type: 16 }])).toThrow(/type 16/);
    expect(() => buildCodecTable([initCodec, { ...errorCodec, kind: 'init' }])).toThrow(/'init'/);
    expect(() => buildCodecTable([{ ...initCodec, kind: 'unknown' }])).toThrow(/reserved/);
    expect(() => buildCodecTable([{ ...initCodec, type: 65536 }])).toThrow(/u16/);
  });

  it('a switch over decoded kinds is exhaustive', () => {
    // If a message family is added to MESSAGE_CODECS, this stops compiling until it is handled.
    const action = (m: DecodedMessage): string => {
      switch (m.kind) {
        case 'init':
          return 'negotiate';
        case 'error':
          return 'fail channel';
        case 'warning':
          return 'log';
        case 'ping':
          return 'pong';
        case 'pong':
          return 'alive';
        case 'openChannel': case 'acceptChannel': case 'updateState': case 'ackState': case 'reestablish': case 'commitState': return 'channel';
        case 'streamOpen': case 'streamAccept': case 'streamReject': case 'streamTick': case 'streamControl': case 'streamChain': return 'stream';
        case 'channelAnnouncement': case 'nodeAnnouncement': case 'channelUpdate': case 'announcementSignatures': return 'gossip';
        case 'unknown':
          return m.odd ? 'ignore' : 'disconnect';
        default:
          return assertNever(m, 'message');
      }
    };
    expect(GOLDEN.map(([, hex]) => {
      const r = decodeMessage(h(hex));
      return r.ok ? action(r.value) : 'bad';
    })).toContain('pong');
    expect(() => assertNever({ kind: 'bogus' } as never)).toThrow(/bogus/);
  });
});
