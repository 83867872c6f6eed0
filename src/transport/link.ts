// One BOLT 8 connection as a pure byte-stream machine: bytes in, bytes to send and plaintext
// messages out. It cuts the incoming stream into acts (which may arrive split or merged with the
// first encrypted messages), runs the handshake, then hands the rest to the deframer. Carriers
// (ws.ts, memory.ts) only move bytes and run timers; they share this logic, so the in-memory
// network exercises exactly the code real sockets do.
import { InputError } from '../crypto/bytes.js';
import { ByteQueue } from './byte-queue.js';
import { ciphersFor, type MessageEncryptor } from './cipher.js';
import { Deframer } from './deframer.js';
import type { Result, TransportError } from './errors.js';
import { assertNever } from '../wire/assert-never.js';
import {
  ACT_ONE_LENGTH,
  ACT_THREE_LENGTH,
  ACT_TWO_LENGTH,
  initiatorActOne,
  initiatorActThree,
  initiatorReadActTwo,
  responderActTwo,
  responderReadActOne,
  responderReadActThree,
  type HandshakeResult,
  type InitiatorAwaitingActTwo,
  type InitiatorOptions,
  type ResponderAwaitingActThree,
  type ResponderOptions,
} from './noise.js';

export interface LinkOutput {
  /** Bytes to write to the carrier, in order (handshake acts). */
  readonly outbound: Uint8Array[];
  /** True on the call that completed the handshake. */
  readonly established: boolean;
  /** Plaintext messages completed by these bytes, in order. */
  readonly messages: Uint8Array[];
}

type Phase =
  | { readonly stage: 'responder-awaiting-act-one'; readonly options: ResponderOptions }
  | { readonly stage: 'initiator-awaiting-act-two'; readonly state: InitiatorAwaitingActTwo }
  | { readonly stage: 'responder-awaiting-act-three'; readonly state: ResponderAwaitingActThree }
  | {
      readonly stage: 'open';
      readonly remoteNodeId: Uint8Array;
      readonly encryptor: MessageEncryptor;
      readonly deframer: Deframer;
    }
  | { readonly stage: 'failed'; readonly error: TransportError };

export class NoiseLink {
  private readonly handshakeBytes = new ByteQueue();

  private constructor(private phase: Phase) {}

  /** Start as initiator; send `actOne` first. */
  static initiator(options: InitiatorOptions): { link: NoiseLink; actOne: Uint8Array } {
    const { state, actOne } = initiatorActOne(options);
    return { link: new NoiseLink({ stage: 'initiator-awaiting-act-two', state }), actOne };
  }

  /** Start as responder; it speaks only after Act One arrives. */
  static responder(options: ResponderOptions): NoiseLink {
    return new NoiseLink({ stage: 'responder-awaiting-act-one', options });
  }

  get established(): boolean {
    return this.phase.stage === 'open';
  }

  /** The peer's node id, known once the handshake has completed. */
  get remoteNodeId(): Uint8Array | undefined {
    return this.phase.stage === 'open' ? this.phase.remoteNodeId : undefined;
  }

  /** Feed received bytes. After the first error the link stays failed and returns that error. */
  receive(bytes: Uint8Array): Result<LinkOutput, TransportError> {
    if (this.phase.stage === 'failed') return { ok: false, error: this.phase.error };
    if (this.phase.stage === 'open') return this.deliver(this.phase.deframer, bytes, [], false);

    this.handshakeBytes.push(bytes);
    const outbound: Uint8Array[] = [];
    for (;;) {
      const step = this.handshakeStep();
      if (step === 'need-more') return { ok: true, outbound, established: false, messages: [] };
      if (!step.ok) return this.fail(step.error);
      if (step.send) outbound.push(step.send);
      // Whatever followed the last act is already encrypted traffic.
      if (step.opened) return this.deliver(step.opened, this.handshakeBytes.takeAll(), outbound, true);
    }
  }

  /** Encrypt one plaintext message for the carrier. Calling this before the handshake is a bug. */
  encrypt(message: Uint8Array): Uint8Array {
    if (this.phase.stage !== 'open') throw new InputError(`cannot send in link stage ${this.phase.stage}`);
    return this.phase.encryptor.encrypt(message);
  }

  /** Consume one whole act if enough bytes are queued. */
  private handshakeStep(): 'need-more' | Result<{ send?: Uint8Array; opened?: Deframer }, TransportError> {
    const phase = this.phase;
    switch (phase.stage) {
      case 'responder-awaiting-act-one': {
        if (this.handshakeBytes.length < ACT_ONE_LENGTH) return 'need-more';
        const read = responderReadActOne(phase.options, this.handshakeBytes.take(ACT_ONE_LENGTH));
        if (!read.ok) return read;
        const { state, actTwo } = responderActTwo(read.state);
        this.phase = { stage: 'responder-awaiting-act-three', state };
        return { ok: true, send: actTwo };
      }
      case 'initiator-awaiting-act-two': {
        if (this.handshakeBytes.length < ACT_TWO_LENGTH) return 'need-more';
        const read = initiatorReadActTwo(phase.state, this.handshakeBytes.take(ACT_TWO_LENGTH));
        if (!read.ok) return read;
        const { actThree, result } = initiatorActThree(read.state);
        return { ok: true, send: actThree, opened: this.open(result) };
      }
      case 'responder-awaiting-act-three': {
        if (this.handshakeBytes.length < ACT_THREE_LENGTH) return 'need-more';
        const read = responderReadActThree(phase.state, this.handshakeBytes.take(ACT_THREE_LENGTH));
        if (!read.ok) return read;
        return { ok: true, opened: this.open(read.result) };
      }
      case 'open':
      case 'failed':
        throw new Error(`handshakeStep in stage ${phase.stage}`);
      default:
        return assertNever(phase, 'link phase');
    }
  }

  private open(result: HandshakeResult): Deframer {
    const { encryptor, decryptor } = ciphersFor(result);
    const deframer = new Deframer(decryptor);
    this.phase = { stage: 'open', remoteNodeId: result.remoteStaticKey, encryptor, deframer };
    return deframer;
  }

  private deliver(
    deframer: Deframer,
    bytes: Uint8Array,
    outbound: Uint8Array[],
    established: boolean,
  ): Result<LinkOutput, TransportError> {
    const framed = deframer.push(bytes);
    if (!framed.ok) return this.fail(framed.error);
    return { ok: true, outbound, established, messages: framed.messages };
  }

  private fail(error: TransportError): { ok: false; error: TransportError } {
    this.phase = { stage: 'failed', error };
    return { ok: false, error };
  }
}

