// Test helpers for the WebSocket carrier: a hand-driven BOLT 8 client over a raw `ws` socket, so
// tests can misbehave after (or during) a real handshake in ways connectPeer never would.
import { WebSocket, type RawData } from 'ws';
import { concatBytes } from '../../src/crypto/bytes.js';
import { randomSecretKey } from '../../src/crypto/keys.js';
import { NoiseLink } from '../../src/transport/link.js';
import type { PeerSession, SessionClose } from '../../src/transport/session.js';

export function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return concatBytes(...data);
  return new Uint8Array(data instanceof ArrayBuffer ? data : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

export function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

export function closedWith(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    ws.on('error', () => {});
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

/** Run the initiator side of the handshake by hand over a raw socket. */
export async function rawHandshake(options: {
  url: string;
  localSecretKey: Uint8Array;
  remoteNodeId: Uint8Array;
}): Promise<{ ws: WebSocket; link: NoiseLink; messages: Uint8Array[] }> {
  const ws = new WebSocket(options.url, { perMessageDeflate: false });
  const { link, actOne } = NoiseLink.initiator({
    localSecretKey: options.localSecretKey,
    remoteStaticKey: options.remoteNodeId,
    ephemeralSecretKey: randomSecretKey(),
  });
  const messages: Uint8Array[] = [];
  const established = new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const out = link.receive(toBytes(data));
      if (!out.ok) return reject(new Error(out.error.kind));
      for (const bytes of out.outbound) ws.send(bytes);
      messages.push(...out.messages);
      if (out.established) resolve();
    });
    ws.once('close', () => reject(new Error('closed during handshake')));
  });
  await opened(ws);
  ws.send(actOne);
  await established;
  return { ws, link, messages };
}

/** Collects a session's messages and its close, with promises to wait on either. */
export function record(session: PeerSession) {
  const messages: Uint8Array[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  session.onMessage((m) => {
    messages.push(m);
    for (const w of waiters.filter((w) => messages.length >= w.count)) w.resolve();
  });
  const closed = new Promise<SessionClose>((resolve) => session.onClose(resolve));
  return {
    messages,
    closed,
    received(count: number): Promise<void> {
      if (messages.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

/** A session delivered to onSession, as a promise. */
export function nextSession(): { onSession: (s: PeerSession) => void; session: Promise<PeerSession> } {
  let resolve!: (s: PeerSession) => void;
  const session = new Promise<PeerSession>((r) => (resolve = r));
  return { onSession: (s) => resolve(s), session };
}

export const msg = (type: number, ...payload: number[]) => Uint8Array.of(type >> 8, type & 0xff, ...payload);
