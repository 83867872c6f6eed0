// `ping` (type 18) and `pong` (type 19), BOLT 1: keep-alive and traffic padding.
//
//   ping: u16 num_pong_bytes, u16 byteslen, byteslen bytes ignored
//   pong: u16 byteslen, byteslen bytes ignored
//
// The `ignored` padding is kept as received (it is meant to be zeros, but a peer's bytes are
// its own business); we send zeros.

import { assertBytes, ByteWriter } from '../crypto/bytes.js';
import { readFields, type MessageCodec } from './codec.js';
import { ok } from './result.js';

export const PING_TYPE = 18;
export const PONG_TYPE = 19;

/**
 * A ping asking for this many pong bytes or more gets no reply: the largest pong that fits a
 * message is 65535 - 2 (type) - 2 (byteslen) = 65531 bytes of padding, so 65532.. is the
 * spec's way of saying "don't answer" (useful for padding traffic one way).
 */
export const NO_PONG_THRESHOLD = 65532;

export interface PingMessage {
  readonly kind: 'ping';
  readonly numPongBytes: number;
  readonly ignored: Uint8Array;
}

export interface PongMessage {
  readonly kind: 'pong';
  readonly ignored: Uint8Array;
}

export const pingCodec: MessageCodec<PingMessage> = {
  type: PING_TYPE,
  kind: 'ping',
  encodePayload(msg) {
    assertBytes(msg.ignored, 'ping ignored');
    return new ByteWriter().u16(msg.numPongBytes).varBytes(msg.ignored).finish();
  },
  decodePayload: (payload) =>
    readFields(payload, 'ping', (r) =>
      ok<PingMessage>({ kind: 'ping', numPongBytes: r.u16('num_pong_bytes'), ignored: r.varBytes('ignored') }),
    ),
};

export const pongCodec: MessageCodec<PongMessage> = {
  type: PONG_TYPE,
  kind: 'pong',
  encodePayload(msg) {
    assertBytes(msg.ignored, 'pong ignored');
    return new ByteWriter().varBytes(msg.ignored).finish();
  },
  decodePayload: (payload) => readFields(payload, 'pong', (r) => ok<PongMessage>({ kind: 'pong', ignored: r.varBytes('ignored') })),
};

/** A zero-filled ping; `padding` is how many ignored bytes to send along. */
export function makePing(opts: { numPongBytes: number; padding?: number }): PingMessage {
  return { kind: 'ping', numPongBytes: opts.numPongBytes, ignored: new Uint8Array(opts.padding ?? 0) };
}

/** The pong to send for `ping`, or undefined when the spec says to ignore it. */
export function pongFor(ping: PingMessage): PongMessage | undefined {
  if (ping.numPongBytes >= NO_PONG_THRESHOLD) return undefined;
  return { kind: 'pong', ignored: new Uint8Array(ping.numPongBytes) };
}

export const PING_CODECS = [pingCodec, pongCodec] as const;
