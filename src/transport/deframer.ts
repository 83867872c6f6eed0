// Turns the decrypted-on-the-fly byte stream back into messages. The carrier may split one
// encrypted message across many chunks or pack several into one; the deframer does not care.
// Once a MAC fails the stream is unrecoverable (nonces are out of step), so it stays failed.
import { ByteQueue } from './byte-queue.js';
import type { MessageDecryptor } from './cipher.js';
import type { FrameError, Result } from './errors.js';
import { LENGTH_HEADER_LENGTH, MAC_LENGTH } from './primitives.js';

export class Deframer {
  private readonly queue = new ByteQueue();
  /** Set between decrypting a length header and receiving the whole body it announced. */
  private bodyLength: number | null = null;
  private failure: FrameError | null = null;

  constructor(private readonly decryptor: MessageDecryptor) {}

  /** Bytes held waiting for the rest of a message (bounded by one message plus one chunk). */
  get buffered(): number {
    return this.queue.length;
  }

  /**
   * Feed received bytes; returns every message they complete, in order. The deframer keeps a
   * reference to `bytes`, so the caller must not modify them afterwards.
   */
  push(bytes: Uint8Array): Result<{ messages: Uint8Array[] }, FrameError> {
    if (this.failure !== null) return { ok: false, error: this.failure };
    this.queue.push(bytes);
    const messages: Uint8Array[] = [];
    for (;;) {
      if (this.bodyLength === null) {
        if (this.queue.length < LENGTH_HEADER_LENGTH) break;
        const header = this.decryptor.decryptLength(this.queue.take(LENGTH_HEADER_LENGTH));
        if (!header.ok) return this.fail(header.error);
        this.bodyLength = header.length;
      }
      const bodyBytes = this.bodyLength + MAC_LENGTH;
      if (this.queue.length < bodyBytes) break;
      const body = this.decryptor.decryptBody(this.queue.take(bodyBytes));
      if (!body.ok) return this.fail(body.error);
      this.bodyLength = null;
      messages.push(body.message);
    }
    return { ok: true, messages };
  }

  private fail(error: FrameError): { ok: false; error: FrameError } {
    this.failure = error;
    return { ok: false, error };
  }
}
