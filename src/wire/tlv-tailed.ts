// Codecs for sluice's own message families: fixed fields in a spelled-out order, then a TLV stream for
// fields added later (none known yet: unknown odd records are skipped, unknown even ones fail the message).
import { assertBytes, ByteWriter, type ByteReader } from '../crypto/bytes.js';
import { readFields, type MessageCodec } from './codec.js';
import { fail, type WireResult } from './result.js';
import { decodeTlvStream } from './tlv.js';

const NO_TLV_TYPES: ReadonlySet<bigint> = new Set();

/**
 * A message codec from its fixed fields: `write` appends them (the TLV stream, empty, adds nothing),
 * `read` reads them, and the rest of the payload must be a valid TLV stream.
 */
export function tlvTailedCodec<M extends { kind: string }>(spec: {
  type: number;
  kind: M['kind'];
  write(w: ByteWriter, msg: M): void;
  read(r: ByteReader): WireResult<M>;
}): MessageCodec<M> {
  return {
    type: spec.type,
    kind: spec.kind,
    encodePayload(msg) {
      const w = new ByteWriter();
      spec.write(w, msg);
      return w.finish();
    },
    decodePayload(payload) {
      return readFields(payload, spec.kind, (r) => {
        const msg = spec.read(r);
        if (!msg.ok) return fail(msg.error.kind, `${spec.kind}: ${msg.error.message}`);
        const tlvs = decodeTlvStream(r.rest(), { knownTypes: NO_TLV_TYPES });
        if (!tlvs.ok) return fail(tlvs.error.kind, `${spec.kind} tlvs: ${tlvs.error.message}`);
        return msg;
      });
    },
  };
}

/** A byte field of a fixed length, checked before it is written. */
export function fixed(value: Uint8Array, length: number, what: string): Uint8Array {
  assertBytes(value, what, length);
  return value;
}
