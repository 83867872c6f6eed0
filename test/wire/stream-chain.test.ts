// The wire of hash-chain streams across hops: streamChain (32790) and streamOpen's chain-root TLV.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import { MAX_STREAM_CHAIN_HOPS, STREAM_CHAIN_TYPE, type StreamChainMessage, type StreamOpenMessage } from '../../src/wire/stream.js';

const chainMsg: StreamChainMessage = {
  kind: 'streamChain', streamId: new Uint8Array(16).fill(1), channelId: new Uint8Array(32).fill(2), lockId: 0xdeadbeef,
  hops: [{ nodeId: new Uint8Array(33).fill(3), unit: 10_000n }, { nodeId: new Uint8Array(33).fill(4), unit: 9_000n }],
};

describe('streamChain', () => {
  it('round-trips, with its type and field layout', () => {
    const bytes = encodeMessage(chainMsg);
    expect((bytes[0]! << 8) | bytes[1]!).toBe(STREAM_CHAIN_TYPE);
    expect(bytes.length).toBe(2 + 16 + 32 + 4 + 1 + 2 * (33 + 8));
    expect(decodeMessage(bytes)).toEqual({ ok: true, value: chainMsg });
    expect(decodeMessage(encodeMessage({ ...chainMsg, hops: [] }))).toEqual({ ok: true, value: { ...chainMsg, hops: [] } });
  });

  it('refuses more hops than the bound, both ways, and a short message', () => {
    const many = Array.from({ length: MAX_STREAM_CHAIN_HOPS + 1 }, () => chainMsg.hops[0]!);
    expect(() => encodeMessage({ ...chainMsg, hops: many })).toThrow(/at most/);
    const bytes = encodeMessage({ ...chainMsg, hops: [] });
    bytes[2 + 16 + 32 + 4] = MAX_STREAM_CHAIN_HOPS + 1; // the count byte
    expect(decodeMessage(bytes)).toMatchObject({ ok: false });
    expect(decodeMessage(encodeMessage(chainMsg).slice(0, 60))).toMatchObject({ ok: false });
  });
});

describe("streamOpen's chain root", () => {
  const open: StreamOpenMessage = {
    kind: 'streamOpen', channelId: new Uint8Array(32), streamId: new Uint8Array(16).fill(9), mode: 'hashchain', rateAmount: 10_000n,
    ratePerMs: 1000, tickMs: 1000, max: 0n, durationMs: 30_000n, hashchainLockId: 0,
  };
  it('golden bytes: the record 0x534C5545 (a 4-byte bigsize type), length 32, the root', () => {
    const root = new Uint8Array(32).fill(0x55);
    const hex = '800c' + '00'.repeat(32) + '09'.repeat(16) + '02' + '0000000000002710' + '000003e8' + '000003e8' + '0000000000000000' + '0000000000007530' + '00000000'
      + 'fe534c5545' + '20' + '55'.repeat(32);
    expect(Buffer.from(encodeMessage({ ...open, chainRoot: root })).toString('hex')).toBe(hex);
  });

  it('is carried as its TLV record and read back; a wrong length is refused', () => {
    const root = new Uint8Array(32).fill(5);
    expect(decodeMessage(encodeMessage({ ...open, chainRoot: root }))).toEqual({ ok: true, value: { ...open, chainRoot: root } });
    expect(decodeMessage(encodeMessage(open))).toEqual({ ok: true, value: open });
    const bytes = encodeMessage({ ...open, chainRoot: root });
    const bad = new Uint8Array([...bytes.slice(0, bytes.length - 33), 31, ...root.slice(0, 31)]); // length 31
    expect(decodeMessage(bad)).toMatchObject({ ok: false });
  });
});
