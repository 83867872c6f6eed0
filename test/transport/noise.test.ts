import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf } from '../../src/crypto/keys.js';
import type { HandshakeError } from '../../src/transport/errors.js';
import {
  initiatorActOne,
  initiatorActThree,
  initiatorReadActTwo,
  responderActTwo,
  responderReadActOne,
  responderReadActThree,
  type InitiatorOptions,
  type ResponderOptions,
} from '../../src/transport/noise.js';
import {
  findCase,
  hex,
  hexList,
  last,
  loadVectors,
  parseError,
  single,
  valuesOf,
  type ExpectedError,
  type VectorCase,
} from './bolt08-vectors.js';

const cases = loadVectors();
const initiatorCases = cases.filter((c) => c.name.startsWith('transport-initiator'));
const responderCases = cases.filter((c) => c.name.startsWith('transport-responder'));

const h = (bytes: Uint8Array) => toHex(bytes);
const x = (value: string) => toHex(hex(value));

function initiatorOptions(c: VectorCase): InitiatorOptions {
  const options = {
    remoteStaticKey: hex(single(valuesOf(c, 'rs.pub', { comment: false }), 'rs.pub')),
    localSecretKey: hex(single(valuesOf(c, 'ls.priv', { comment: false }), 'ls.priv')),
    ephemeralSecretKey: hex(single(valuesOf(c, 'e.priv', { comment: false }), 'e.priv')),
  };
  // The file also gives the public halves; they must match the secrets it gives.
  expect(h(publicKeyOf(options.localSecretKey))).toBe(x(single(valuesOf(c, 'ls.pub', { comment: false }), 'ls.pub')));
  expect(h(publicKeyOf(options.ephemeralSecretKey))).toBe(x(single(valuesOf(c, 'e.pub', { comment: false }), 'e.pub')));
  return options;
}

function responderOptions(c: VectorCase): ResponderOptions {
  const options = {
    localSecretKey: hex(single(valuesOf(c, 'ls.priv', { comment: false }), 'ls.priv')),
    ephemeralSecretKey: hex(single(valuesOf(c, 'e.priv', { comment: false }), 'e.priv')),
  };
  expect(h(publicKeyOf(options.localSecretKey))).toBe(x(single(valuesOf(c, 'ls.pub', { comment: false }), 'ls.pub')));
  expect(h(publicKeyOf(options.ephemeralSecretKey))).toBe(x(single(valuesOf(c, 'e.pub', { comment: false }), 'e.pub')));
  return options;
}

/** The data line `key` in an act's section. */
const data = (c: VectorCase, section: string, key: 'input' | 'output') =>
  valuesOf(c, key, { section, comment: false });

/** The last `# h=` and the `# ck,temp_kN=` pair the spec prints for an act. */
function hashesAfter(c: VectorCase, section: string, tempKey: string) {
  const [ck, tempK] = hexList(single(valuesOf(c, `ck,${tempKey}`, { section, comment: true }), tempKey));
  return { h: x(last(valuesOf(c, 'h', { section, comment: true }), 'h')), ck: h(ck!), tempK: h(tempK!) };
}

function expectHandshakeError(actual: HandshakeError, expected: ExpectedError, input: Uint8Array): void {
  const kinds: Record<string, HandshakeError['kind']> = {
    READ_FAILED: 'act-length',
    BAD_VERSION: 'bad-version',
    BAD_PUBKEY: 'bad-pubkey',
    BAD_TAG: 'bad-tag',
    BAD_CIPHERTEXT: 'bad-ciphertext',
  };
  expect(kinds[expected.code], `known error code ${expected.code}`).toBeDefined();
  expect(actual).toMatchObject({ kind: kinds[expected.code], act: expected.act });
  if (actual.kind === 'bad-version') expect(actual.version).toBe(expected.detail ?? input[0]);
}

describe('BOLT 8 vectors file', () => {
  it('holds the cases this suite expects', () => {
    expect(initiatorCases.length).toBe(5);
    expect(responderCases.length).toBe(10);
    expect(findCase(cases, 'transport-message test')).toBeDefined();
  });
});

describe('initiator handshake (BOLT 8 vectors)', () => {
  it('transport-initiator successful handshake: every intermediate value', () => {
    const c = findCase(cases, 'transport-initiator successful handshake');
    const one = initiatorActOne(initiatorOptions(c));
    expect(h(one.actOne)).toBe(x(single(data(c, 'Act One', 'output'), 'act one output')));
    const afterOne = hashesAfter(c, 'Act One', 'temp_k1');
    expect(h(one.state.h)).toBe(afterOne.h);
    expect(h(one.state.ck)).toBe(afterOne.ck);

    const two = initiatorReadActTwo(one.state, hex(single(data(c, 'Act Two', 'input'), 'act two input')));
    if (!two.ok) throw new Error(`act two failed: ${JSON.stringify(two.error)}`);
    const afterTwo = hashesAfter(c, 'Act Two', 'temp_k2');
    expect(h(two.state.remoteEphemeralKey)).toBe(x(single(valuesOf(c, 're', { section: 'Act Two' }), 're')));
    expect(h(two.state.h)).toBe(afterTwo.h);
    expect(h(two.state.ck)).toBe(afterTwo.ck);
    expect(h(two.state.tempK2)).toBe(afterTwo.tempK);

    const three = initiatorActThree(two.state);
    const outputs = data(c, 'Act Three', 'output');
    expect(outputs.length).toBe(2);
    expect(h(three.actThree)).toBe(x(outputs[0]!));
    const afterThree = hashesAfter(c, 'Act Three', 'temp_k3');
    expect(h(three.result.handshakeHash)).toBe(afterThree.h);
    expect(h(three.result.chainingKey)).toBe(afterThree.ck);
    const [sk, rk] = hexList(outputs[1]!.replace(/^sk,rk=/, ''));
    expect(h(three.result.sendKey)).toBe(h(sk!));
    expect(h(three.result.receiveKey)).toBe(h(rk!));
    expect(h(three.result.remoteStaticKey)).toBe(h(initiatorOptions(c).remoteStaticKey));
  });

  for (const c of initiatorCases.filter((v) => v.name !== 'transport-initiator successful handshake')) {
    it(c.name, () => {
      const one = initiatorActOne(initiatorOptions(c));
      expect(h(one.actOne)).toBe(x(single(data(c, '', 'output'), 'act one output')));
      const input = hex(single(data(c, 'Act Two', 'input'), 'act two input'));
      const expected = parseError(single(data(c, 'Act Two', 'output'), 'expected error'));
      expect(expected).not.toBeNull();
      const two = initiatorReadActTwo(one.state, input);
      if (two.ok) throw new Error('act two unexpectedly succeeded');
      expectHandshakeError(two.error, expected!, input);
    });
  }
});

describe('responder handshake (BOLT 8 vectors)', () => {
  it('transport-responder successful handshake: every intermediate value', () => {
    const c = findCase(cases, 'transport-responder successful handshake');
    const one = responderReadActOne(responderOptions(c), hex(single(data(c, 'Act One', 'input'), 'act one input')));
    if (!one.ok) throw new Error(`act one failed: ${JSON.stringify(one.error)}`);
    const afterOne = hashesAfter(c, 'Act One', 'temp_k1');
    expect(h(one.state.remoteEphemeralKey)).toBe(x(single(valuesOf(c, 're', { section: 'Act One' }), 're')));
    expect(h(one.state.h)).toBe(afterOne.h);
    expect(h(one.state.ck)).toBe(afterOne.ck);

    const two = responderActTwo(one.state);
    expect(h(two.actTwo)).toBe(x(single(data(c, 'Act Two', 'output'), 'act two output')));
    const afterTwo = hashesAfter(c, 'Act Two', 'temp_k2');
    expect(h(two.state.h)).toBe(afterTwo.h);
    expect(h(two.state.ck)).toBe(afterTwo.ck);
    expect(h(two.state.tempK2)).toBe(afterTwo.tempK);

    const three = responderReadActThree(two.state, hex(single(data(c, 'Act Three', 'input'), 'act three input')));
    if (!three.ok) throw new Error(`act three failed: ${JSON.stringify(three.error)}`);
    const afterThree = hashesAfter(c, 'Act Three', 'temp_k3');
    expect(h(three.result.remoteStaticKey)).toBe(x(single(valuesOf(c, 'rs', { section: 'Act Three' }), 'rs')));
    expect(h(three.result.handshakeHash)).toBe(afterThree.h);
    expect(h(three.result.chainingKey)).toBe(afterThree.ck);
    const [rk, sk] = hexList(single(data(c, 'Act Three', 'output'), 'keys').replace(/^rk,sk=/, ''));
    expect(h(three.result.receiveKey)).toBe(h(rk!));
    expect(h(three.result.sendKey)).toBe(h(sk!));
  });

  for (const c of responderCases.filter((v) => v.name !== 'transport-responder successful handshake')) {
    it(c.name, () => {
      const options = responderOptions(c);
      const actOne = hex(single(data(c, 'Act One', 'input'), 'act one input'));
      const actThreeInputs = data(c, 'Act Three', 'input');
      const one = responderReadActOne(options, actOne);
      if (actThreeInputs.length === 0) {
        const expected = parseError(single(data(c, 'Act One', 'output'), 'expected error'));
        expect(expected).not.toBeNull();
        if (one.ok) throw new Error('act one unexpectedly succeeded');
        expectHandshakeError(one.error, expected!, actOne);
        return;
      }
      if (!one.ok) throw new Error(`act one failed: ${JSON.stringify(one.error)}`);
      const two = responderActTwo(one.state);
      expect(h(two.actTwo)).toBe(x(single(data(c, 'Act Two', 'output'), 'act two output')));
      const actThree = hex(single(actThreeInputs, 'act three input'));
      const expected = parseError(single(data(c, 'Act Three', 'output'), 'expected error'));
      expect(expected).not.toBeNull();
      const three = responderReadActThree(two.state, actThree);
      if (three.ok) throw new Error('act three unexpectedly succeeded');
      expectHandshakeError(three.error, expected!, actThree);
    });
  }
});
