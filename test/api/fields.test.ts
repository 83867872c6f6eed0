// Node id validation at the API edge, including the memo of ids already proven to be points.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/crypto/bytes.js';
import { parseNodeId } from '../../src/api/fields.js';
import { nodeId } from './fake-api.js';

describe('parseNodeId', () => {
  it('answers lowercase whatever the case given, the first time and after', () => {
    const id = nodeId();
    for (let i = 0; i < 3; i++) {
      expect(parseNodeId(id.toUpperCase())).toBe(id);
      expect(parseNodeId(id)).toBe(id);
    }
  });

  it('a string that is not a point is refused each time, however many good ids came before', () => {
    // 02 followed by x = 5 is not on the curve (5^3 + 7 = 132 is not a square mod p)
    const notAPoint = `02${'0'.repeat(63)}5`;
    for (let i = 0; i < 600; i++) parseNodeId(nodeId()); // fills the memo past its bound, more than once
    for (let i = 0; i < 3; i++) expect(() => parseNodeId(notAPoint, 'peerId')).toThrow(new InputError('peerId: not a valid secp256k1 point'));
    expect(() => parseNodeId('zz'.repeat(33))).toThrow(InputError);
    expect(() => parseNodeId(nodeId().slice(2))).toThrow(/expected 66 hex characters, got 64/);
  });
});
