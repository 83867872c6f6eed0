// Post-handshake encryption, one cipher state per direction (BOLT 8 "Encrypting and Sending
// Messages" / "Receiving and Decrypting Messages"). Each message spends two nonces, one for the
// encrypted 2-byte length and one for the body; after 1000 nonces the direction's key is rotated
// through its own copy of the chaining key. Pure: the state lives in these objects, nothing else.
import { InputError } from '../crypto/bytes.js';
import type { FrameError, Result } from './errors.js';
import type { HandshakeResult } from './noise.js';
import {
  KEY_ROTATION_INTERVAL,
  LENGTH_HEADER_LENGTH,
  MAC_LENGTH,
  MAX_MESSAGE_LENGTH,
  decryptWithAd,
  encryptWithAd,
  hkdfSplit,
} from './primitives.js';

const EMPTY = new Uint8Array(0);

/** A key, its nonce counter and the chaining key used to rotate it. */
class RotatingKey {
  private nonce = 0;

  constructor(
    private key: Uint8Array,
    private chainingKey: Uint8Array,
  ) {}

  seal(plaintext: Uint8Array): Uint8Array {
    const ciphertext = encryptWithAd(this.key, this.nonce, EMPTY, plaintext);
    this.advance();
    return ciphertext;
  }

  /** null on a bad MAC; the nonce does not move, but the link is dead anyway. */
  open(ciphertext: Uint8Array): Uint8Array | null {
    const plaintext = decryptWithAd(this.key, this.nonce, EMPTY, ciphertext);
    if (plaintext !== null) this.advance();
    return plaintext;
  }

  private advance(): void {
    this.nonce += 1;
    if (this.nonce === KEY_ROTATION_INTERVAL) {
      [this.chainingKey, this.key] = hkdfSplit(this.chainingKey, this.key);
      this.nonce = 0;
    }
  }
}

export class MessageEncryptor {
  private readonly state: RotatingKey;

  constructor(sendKey: Uint8Array, chainingKey: Uint8Array) {
    this.state = new RotatingKey(sendKey, chainingKey);
  }

  /** Encrypted length header (2 + 16 bytes) followed by the encrypted body (length + 16 bytes). */
  encrypt(message: Uint8Array): Uint8Array {
    if (message.length > MAX_MESSAGE_LENGTH) {
      throw new InputError(`message: at most ${MAX_MESSAGE_LENGTH} bytes, got ${message.length}`);
    }
    const length = Uint8Array.of(message.length >>> 8, message.length & 0xff);
    const header = this.state.seal(length);
    const body = this.state.seal(message);
    const out = new Uint8Array(header.length + body.length);
    out.set(header, 0);
    out.set(body, header.length);
    return out;
  }
}

/**
 * Decrypts in the two steps the wire forces: the 18-byte header says how many more bytes to wait
 * for (body length + 16), then the body. Calls must alternate header, body, header, ...
 */
export class MessageDecryptor {
  private readonly state: RotatingKey;

  constructor(receiveKey: Uint8Array, chainingKey: Uint8Array) {
    this.state = new RotatingKey(receiveKey, chainingKey);
  }

  /** Returns the plaintext body length; the caller then reads length + 16 bytes. */
  decryptLength(header: Uint8Array): Result<{ length: number }, FrameError> {
    if (header.length !== LENGTH_HEADER_LENGTH) return { ok: false, error: { kind: 'bad-length-tag' } };
    const plain = this.state.open(header);
    if (plain === null) return { ok: false, error: { kind: 'bad-length-tag' } };
    return { ok: true, length: (plain[0]! << 8) | plain[1]! };
  }

  decryptBody(body: Uint8Array): Result<{ message: Uint8Array }, FrameError> {
    if (body.length < MAC_LENGTH) return { ok: false, error: { kind: 'bad-body-tag' } };
    const message = this.state.open(body);
    if (message === null) return { ok: false, error: { kind: 'bad-body-tag' } };
    return { ok: true, message };
  }
}

export function ciphersFor(result: HandshakeResult): { encryptor: MessageEncryptor; decryptor: MessageDecryptor } {
  return {
    encryptor: new MessageEncryptor(result.sendKey, result.chainingKey),
    decryptor: new MessageDecryptor(result.receiveKey, result.chainingKey),
  };
}
