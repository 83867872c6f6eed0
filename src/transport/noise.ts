// BOLT 8 handshake, Noise_XK_secp256k1_ChaChaPoly_SHA256, as pure functions over explicit states.
//
// The initiator knows the responder's static key (XK); the responder learns the initiator's in
// Act Three. Ephemeral keys are injected so the spec's test vectors can drive every step, and so
// nothing here touches randomness, sockets or the clock. Each function takes exactly one act's
// bytes; buffering a byte stream into acts is link.ts's job.
import { InputError, utf8 } from '../crypto/bytes.js';
import { ecdh, isValidPublicKey, publicKeyOf } from '../crypto/keys.js';
import type { HandshakeAct, HandshakeError, Result } from './errors.js';
import {
  HANDSHAKE_VERSION,
  MAC_LENGTH,
  PROLOGUE,
  PROTOCOL_NAME,
  decryptWithAd,
  encryptWithAd,
  hash,
  hkdfSplit,
} from './primitives.js';

export const ACT_ONE_LENGTH = 50;
export const ACT_TWO_LENGTH = 50;
export const ACT_THREE_LENGTH = 66;

const EMPTY = new Uint8Array(0);

/** The running Noise hashes, exposed so tests can check them against the spec's intermediate values. */
export interface HandshakeHashes {
  /** handshake hash h */
  readonly h: Uint8Array;
  /** chaining key ck */
  readonly ck: Uint8Array;
}

/** What a completed handshake hands to the cipher states. */
export interface HandshakeResult {
  readonly remoteStaticKey: Uint8Array;
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
  /** Final chaining key; each direction starts its key rotation from it. */
  readonly chainingKey: Uint8Array;
  readonly handshakeHash: Uint8Array;
}

export interface InitiatorOptions {
  readonly localSecretKey: Uint8Array;
  /** The responder's node id (33-byte compressed key), known in advance: the K in XK. */
  readonly remoteStaticKey: Uint8Array;
  readonly ephemeralSecretKey: Uint8Array;
}

export interface ResponderOptions {
  readonly localSecretKey: Uint8Array;
  readonly ephemeralSecretKey: Uint8Array;
}

export interface InitiatorAwaitingActTwo extends HandshakeHashes {
  readonly stage: 'initiator-awaiting-act-two';
  readonly options: InitiatorOptions;
}

export interface InitiatorReadyForActThree extends HandshakeHashes {
  readonly stage: 'initiator-ready-for-act-three';
  readonly options: InitiatorOptions;
  readonly remoteEphemeralKey: Uint8Array;
  readonly tempK2: Uint8Array;
}

export interface ResponderReadyForActTwo extends HandshakeHashes {
  readonly stage: 'responder-ready-for-act-two';
  readonly options: ResponderOptions;
  readonly remoteEphemeralKey: Uint8Array;
}

export interface ResponderAwaitingActThree extends HandshakeHashes {
  readonly stage: 'responder-awaiting-act-three';
  readonly options: ResponderOptions;
  readonly remoteEphemeralKey: Uint8Array;
  readonly tempK2: Uint8Array;
}

/** Both sides start from the same h and ck, mixing in the responder's static key (known to both). */
function initialHashes(responderStaticKey: Uint8Array): HandshakeHashes {
  const protocolHash = hash(utf8(PROTOCOL_NAME));
  const h = hash(hash(protocolHash, utf8(PROLOGUE)), responderStaticKey);
  return { h, ck: protocolHash };
}

/** Acts One and Two share a layout: version, ephemeral key, MAC over the empty payload. */
function writeEphemeralAct(
  hashes: HandshakeHashes,
  ephemeralSecretKey: Uint8Array,
  remoteKey: Uint8Array,
): { hashes: HandshakeHashes; act: Uint8Array; tempK: Uint8Array } {
  const ephemeralPublicKey = publicKeyOf(ephemeralSecretKey);
  const h1 = hash(hashes.h, ephemeralPublicKey);
  const [ck, tempK] = hkdfSplit(hashes.ck, ecdh(ephemeralSecretKey, remoteKey));
  const c = encryptWithAd(tempK, 0, h1, EMPTY);
  const act = new Uint8Array(1 + 33 + MAC_LENGTH);
  act[0] = HANDSHAKE_VERSION;
  act.set(ephemeralPublicKey, 1);
  act.set(c, 34);
  return { hashes: { h: hash(h1, c), ck }, act, tempK };
}

function readEphemeralAct(
  act: HandshakeAct,
  hashes: HandshakeHashes,
  bytes: Uint8Array,
  localSecretKey: Uint8Array,
): Result<{ hashes: HandshakeHashes; remoteEphemeralKey: Uint8Array; tempK: Uint8Array }, HandshakeError> {
  const expected = 1 + 33 + MAC_LENGTH;
  if (bytes.length !== expected) return fail({ kind: 'act-length', act, expected, actual: bytes.length });
  const version = bytes[0]!;
  if (version !== HANDSHAKE_VERSION) return fail({ kind: 'bad-version', act, version });
  const remoteEphemeralKey = bytes.slice(1, 34);
  if (!isValidPublicKey(remoteEphemeralKey)) return fail({ kind: 'bad-pubkey', act });
  const c = bytes.slice(34);
  const h1 = hash(hashes.h, remoteEphemeralKey);
  const [ck, tempK] = hkdfSplit(hashes.ck, ecdh(localSecretKey, remoteEphemeralKey));
  if (decryptWithAd(tempK, 0, h1, c) === null) return fail({ kind: 'bad-tag', act });
  return { ok: true, hashes: { h: hash(h1, c), ck }, remoteEphemeralKey, tempK };
}

export function initiatorActOne(options: InitiatorOptions): { state: InitiatorAwaitingActTwo; actOne: Uint8Array } {
  // Our own inputs, not peer bytes: a bad one is a caller bug, so it throws.
  if (!isValidPublicKey(options.remoteStaticKey)) {
    throw new InputError('remoteStaticKey: expected a 33-byte compressed secp256k1 public key');
  }
  const start = initialHashes(options.remoteStaticKey);
  const { hashes, act } = writeEphemeralAct(start, options.ephemeralSecretKey, options.remoteStaticKey);
  return { state: { stage: 'initiator-awaiting-act-two', ...hashes, options }, actOne: act };
}

export function initiatorReadActTwo(
  state: InitiatorAwaitingActTwo,
  actTwo: Uint8Array,
): Result<{ state: InitiatorReadyForActThree }, HandshakeError> {
  const read = readEphemeralAct(2, state, actTwo, state.options.ephemeralSecretKey);
  if (!read.ok) return read;
  return {
    ok: true,
    state: {
      stage: 'initiator-ready-for-act-three',
      ...read.hashes,
      options: state.options,
      remoteEphemeralKey: read.remoteEphemeralKey,
      tempK2: read.tempK,
    },
  };
}

/** Act Three reveals our static key, encrypted, and proves we hold its secret (the se ECDH). */
export function initiatorActThree(state: InitiatorReadyForActThree): { actThree: Uint8Array; result: HandshakeResult } {
  const { localSecretKey, remoteStaticKey } = state.options;
  const c = encryptWithAd(state.tempK2, 1, state.h, publicKeyOf(localSecretKey));
  const h = hash(state.h, c);
  const [ck, tempK3] = hkdfSplit(state.ck, ecdh(localSecretKey, state.remoteEphemeralKey));
  const t = encryptWithAd(tempK3, 0, h, EMPTY);
  // BOLT 8's "zero" here is a zero-length input, not 32 zero bytes.
  const [sendKey, receiveKey] = hkdfSplit(ck, EMPTY);
  const actThree = new Uint8Array(ACT_THREE_LENGTH);
  actThree[0] = HANDSHAKE_VERSION;
  actThree.set(c, 1);
  actThree.set(t, 1 + c.length);
  return {
    actThree,
    result: { remoteStaticKey, sendKey, receiveKey, chainingKey: ck, handshakeHash: h },
  };
}

export function responderReadActOne(
  options: ResponderOptions,
  actOne: Uint8Array,
): Result<{ state: ResponderReadyForActTwo }, HandshakeError> {
  const start = initialHashes(publicKeyOf(options.localSecretKey));
  const read = readEphemeralAct(1, start, actOne, options.localSecretKey);
  if (!read.ok) return read;
  return {
    ok: true,
    state: { stage: 'responder-ready-for-act-two', ...read.hashes, options, remoteEphemeralKey: read.remoteEphemeralKey },
  };
}

export function responderActTwo(state: ResponderReadyForActTwo): { state: ResponderAwaitingActThree; actTwo: Uint8Array } {
  const { hashes, act, tempK } = writeEphemeralAct(state, state.options.ephemeralSecretKey, state.remoteEphemeralKey);
  return {
    state: {
      stage: 'responder-awaiting-act-three',
      ...hashes,
      options: state.options,
      remoteEphemeralKey: state.remoteEphemeralKey,
      tempK2: tempK,
    },
    actTwo: act,
  };
}

export function responderReadActThree(
  state: ResponderAwaitingActThree,
  actThree: Uint8Array,
): Result<{ result: HandshakeResult }, HandshakeError> {
  if (actThree.length !== ACT_THREE_LENGTH) {
    return fail({ kind: 'act-length', act: 3, expected: ACT_THREE_LENGTH, actual: actThree.length });
  }
  const version = actThree[0]!;
  if (version !== HANDSHAKE_VERSION) return fail({ kind: 'bad-version', act: 3, version });
  const c = actThree.slice(1, 1 + 33 + MAC_LENGTH);
  const t = actThree.slice(1 + 33 + MAC_LENGTH);
  const remoteStaticKey = decryptWithAd(state.tempK2, 1, state.h, c);
  if (remoteStaticKey === null) return fail({ kind: 'bad-ciphertext', act: 3 });
  if (!isValidPublicKey(remoteStaticKey)) return fail({ kind: 'bad-pubkey', act: 3 });
  const h = hash(state.h, c);
  const [ck, tempK3] = hkdfSplit(state.ck, ecdh(state.options.ephemeralSecretKey, remoteStaticKey));
  if (decryptWithAd(tempK3, 0, h, t) === null) return fail({ kind: 'bad-tag', act: 3 });
  // The initiator's sending key is our receiving key: HKDF's first output is its sk.
  const [receiveKey, sendKey] = hkdfSplit(ck, EMPTY);
  return {
    ok: true,
    result: { remoteStaticKey, sendKey, receiveKey, chainingKey: ck, handshakeHash: h },
  };
}

function fail(error: HandshakeError): { ok: false; error: HandshakeError } {
  return { ok: false, error };
}
