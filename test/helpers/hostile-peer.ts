// A scriptable hostile peer for tests. It runs its own side of BOLT 8 (over a real WebSocket or the
// in-memory transport) with any key, and then sends whatever a test asks, in any order and at any
// rate: sluice and BOLT 1 messages, raw plaintext frames (any type, any bytes, encrypted), or raw
// carrier bytes that are not encrypted at all. It can stop reading, and it records everything that
// comes back: decoded messages, what did not decode, transport errors, and the disconnect.
//
//   const evil = await HostilePeer.connect({ ws: `ws://127.0.0.1:${port}`, remoteNodeId });
//   await evil.init();                                   // BOLT 1 init both ways
//   evil.stopReading();
//   await evil.flood(2000, () => makePing({ numPongBytes: 65531 }));
//   expect(await evil.disconnected).toMatch(/not reading/);
import { WebSocket, type RawData } from 'ws';
import { concatBytes, fromHex, toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { chainHash } from '../../src/channel/state.js';
import { NoiseLink } from '../../src/transport/link.js';
import type { MemoryNetwork } from '../../src/transport/memory.js';
import { describeTransportError } from '../../src/transport/errors.js';
import { FeatureVector } from '../../src/wire/features.js';
import { decodeMessage, encodeMessage, type DecodedMessage, type Message } from '../../src/wire/message.js';

/** The bytes under the hostile peer: a WebSocket or a raw in-memory end. */
interface Pipe {
  write(bytes: Uint8Array): void;
  close(): void;
  pause(): void;
  resume(): void;
  onData(listener: (bytes: Uint8Array) => void): void;
  onClose(listener: (reason: string) => void): void;
  /** Bytes we wrote that are still queued on our side (the node is slow to read). */
  readonly backlog: number;
}

export interface HostilePeerOptions {
  /** ws://host:port of the node's peer port… */
  readonly ws?: string;
  /** …or the in-process network the node joined. */
  readonly memory?: MemoryNetwork;
  /** The node's id (hex or bytes): BOLT 8 needs it to start. */
  readonly remoteNodeId: string | Uint8Array;
  /** Our key; a fresh random one by default ("a stranger"). */
  readonly secretKey?: Uint8Array;
  /** Resolve before the handshake completes (to stall or break it by hand with sendFrame). */
  readonly skipHandshake?: boolean;
}

export type Outgoing = Message | Uint8Array;

export class HostilePeer {
  /** Every message the node sent us that decoded, in order. */
  readonly received: DecodedMessage[] = [];
  /** Plaintext frames from the node that did not decode (should stay empty for an honest node). */
  readonly undecodable: { bytes: Uint8Array; error: string }[] = [];
  /** Transport failures on our side (a bad MAC from the node, a failed handshake). */
  readonly errors: string[] = [];
  /** Resolves with the reason once the connection is gone, whoever ended it. */
  readonly disconnected: Promise<string>;
  closeReason: string | undefined;
  readonly nodeId: string;
  private readonly waiters = new Set<() => void>();
  private established = false;
  private sentCount = 0;

  private constructor(
    readonly secretKey: Uint8Array,
    private readonly link: NoiseLink,
    private readonly pipe: Pipe,
  ) {
    this.nodeId = toHex(publicKeyOf(secretKey));
    this.disconnected = new Promise((resolve) =>
      pipe.onClose((reason) => {
        this.closeReason ??= reason;
        resolve(reason);
        this.wake();
      }),
    );
    pipe.onData((bytes) => this.onBytes(bytes));
  }

  static async connect(options: HostilePeerOptions): Promise<HostilePeer> {
    const secretKey = options.secretKey ?? randomSecretKey();
    const remote = typeof options.remoteNodeId === 'string' ? fromHex(options.remoteNodeId) : options.remoteNodeId;
    const { link, actOne } = NoiseLink.initiator({ localSecretKey: secretKey, remoteStaticKey: remote, ephemeralSecretKey: randomSecretKey() });
    let pipe: Pipe;
    if (options.ws !== undefined) pipe = await wsPipe(options.ws);
    else if (options.memory !== undefined) pipe = memoryPipeEnd(options.memory, remote);
    else throw new Error('HostilePeer.connect: give ws or memory');
    const peer = new HostilePeer(secretKey, link, pipe);
    if (options.skipHandshake) return peer;
    pipe.write(actOne);
    await peer.until(() => peer.established || peer.closed, 'the BOLT 8 handshake');
    if (!peer.established) throw new Error(`handshake failed: ${peer.errors.join('; ') || peer.closeReason}`);
    return peer;
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  /** How many messages (and frames) we have sent. */
  get sent(): number {
    return this.sentCount;
  }

  /** Bytes we sent that are still queued on our side. */
  get backlog(): number {
    return this.pipe.backlog;
  }

  /** A sluice or BOLT 1 message, or any plaintext frame (type + payload) as bytes; encrypted. */
  send(message: Outgoing): void {
    if (!this.established) throw new Error('send before the handshake completed; use sendFrame');
    const plain = message instanceof Uint8Array ? message : encodeMessage(message);
    this.pipe.write(this.link.encrypt(plain));
    this.sentCount++;
  }

  /** Bytes straight onto the carrier (one WebSocket frame), not encrypted: junk acts, broken MACs. */
  sendFrame(bytes: Uint8Array): void {
    this.pipe.write(bytes);
    this.sentCount++;
  }

  /** Send our init (on `chainId`'s chain by default 'sluice-test') and wait for the node's. */
  async init(opts: { chainId?: string; networks?: Uint8Array[] } = {}): Promise<void> {
    const networks = opts.networks ?? [chainHash(opts.chainId ?? 'sluice-test')];
    this.send({ kind: 'init', globalFeatures: FeatureVector.EMPTY, features: FeatureVector.EMPTY, tlvs: { networks }, unknownTlvs: [] });
    await this.waitFor('init');
  }

  /**
   * Send `count` messages made by `make(i)`, `perTurn` at a time, yielding to the event loop between
   * batches (so the node runs meanwhile). Stops early if the connection closes; resolves with how
   * many were sent.
   */
  async flood(count: number, make: (i: number) => Outgoing, opts: { perTurn?: number } = {}): Promise<number> {
    const perTurn = opts.perTurn ?? 50;
    let i = 0;
    while (i < count && !this.closed) {
      for (const end = Math.min(count, i + perTurn); i < end; i++) this.send(make(i));
      await new Promise((r) => setImmediate(r));
    }
    return i;
  }

  /** Stop reading: what the node sends piles up in its buffers (and ours in the kernel). */
  stopReading(): void {
    this.pipe.pause();
  }

  resumeReading(): void {
    this.pipe.resume();
  }

  /** The first received message of this kind (or matching this test), waiting for it if need be. */
  async waitFor(what: DecodedMessage['kind'] | ((m: DecodedMessage) => boolean), timeoutMs = 10_000): Promise<DecodedMessage> {
    const test = typeof what === 'string' ? (m: DecodedMessage) => m.kind === what : what;
    const found = () => this.received.find(test);
    await this.until(() => found() !== undefined || this.closed, `a ${typeof what === 'string' ? what : 'matching'} message`, timeoutMs);
    const m = found();
    if (!m) throw new Error(`connection closed (${this.closeReason}) before ${typeof what === 'string' ? what : 'a matching message'}`);
    return m;
  }

  /** Hang up (without a close handshake). */
  close(): void {
    this.pipe.close();
  }

  private onBytes(bytes: Uint8Array): void {
    const out = this.link.receive(bytes);
    if (!out.ok) {
      this.errors.push(describeTransportError(out.error));
      this.pipe.close();
      return;
    }
    for (const b of out.outbound) this.pipe.write(b);
    if (out.established) this.established = true;
    for (const plain of out.messages) {
      const d = decodeMessage(plain);
      if (d.ok) this.received.push(d.value);
      else this.undecodable.push({ bytes: plain, error: d.error.message });
    }
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`hostile peer: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return concatBytes(...data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

async function wsPipe(url: string): Promise<Pipe> {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 20 });
  const closeListeners: ((reason: string) => void)[] = [];
  let lastError = '';
  ws.on('error', (e) => (lastError = e.message));
  ws.on('close', (code, reason) => {
    const text = `websocket closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})${lastError ? `: ${lastError}` : ''}`;
    for (const l of closeListeners) l(text);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with HTTP ${res.statusCode}`)));
    ws.once('close', () => reject(new Error(`closed before open: ${lastError}`)));
  });
  return {
    write: (bytes) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(bytes, { binary: true });
    },
    close: () => ws.terminate(),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    onData: (l) => ws.on('message', (data) => l(toBytes(data))),
    onClose: (l) => closeListeners.push(l),
    get backlog() {
      return ws.bufferedAmount;
    },
  };
}

function memoryPipeEnd(network: MemoryNetwork, remoteNodeId: Uint8Array): Pipe {
  const raw = network.connectRaw({ remoteNodeId });
  return {
    write: (bytes) => raw.write(bytes),
    close: () => raw.close('hostile peer hung up'),
    pause: () => raw.pause(),
    resume: () => raw.resume(),
    onData: (l) => raw.onData(l),
    onClose: (l) => raw.onClose(l),
    backlog: 0,
  };
}
