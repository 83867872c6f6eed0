// Typed transport failures. Every one of them means the same thing to the caller: the peer (or
// the bytes in flight) broke BOLT 8, so the connection is dropped. They are values, not
// exceptions, so a hostile byte stream can never throw out of the decoder.
import { assertNever } from '../wire/assert-never.js';

export type HandshakeAct = 1 | 2 | 3;

export type HandshakeError =
  /** The act did not have its exact size (50, 50 or 66 bytes). */
  | { readonly kind: 'act-length'; readonly act: HandshakeAct; readonly expected: number; readonly actual: number }
  /** The leading version byte was not 0. */
  | { readonly kind: 'bad-version'; readonly act: HandshakeAct; readonly version: number }
  /** The public key carried by the act is not a point on secp256k1. */
  | { readonly kind: 'bad-pubkey'; readonly act: HandshakeAct }
  /** Act Three's encrypted static key did not decrypt. */
  | { readonly kind: 'bad-ciphertext'; readonly act: 3 }
  /** The act's final MAC did not verify (for Acts One and Two: the wrong responder key, or tampering). */
  | { readonly kind: 'bad-tag'; readonly act: HandshakeAct };

export type FrameError =
  /** The 18-byte encrypted length header did not decrypt. */
  | { readonly kind: 'bad-length-tag' }
  /** The message body did not decrypt. */
  | { readonly kind: 'bad-body-tag' };

export type TransportError = HandshakeError | FrameError;

export type { Result } from '../util/result.js';

export function describeTransportError(error: TransportError): string {
  switch (error.kind) {
    case 'act-length':
      return `act ${error.act}: expected ${error.expected} bytes, got ${error.actual}`;
    case 'bad-version':
      return `act ${error.act}: unknown handshake version ${error.version}`;
    case 'bad-pubkey':
      return `act ${error.act}: invalid public key`;
    case 'bad-ciphertext':
      return `act ${error.act}: static key ciphertext did not decrypt`;
    case 'bad-tag':
      return `act ${error.act}: bad MAC`;
    case 'bad-length-tag':
      return 'bad MAC on message length';
    case 'bad-body-tag':
      return 'bad MAC on message body';
    default:
      return assertNever(error, 'transport error');
  }
}

