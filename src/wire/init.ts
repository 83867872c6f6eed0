// `init` (type 16, BOLT 1): the first message each side sends on a connection, saying which
// features it supports or requires.
//
//   u16 gflen, gflen bytes globalfeatures   (legacy field; receivers OR it into `features`)
//   u16 flen,  flen bytes  features
//   init_tlvs (TLV stream, the rest of the message):
//     1 networks     chain_hash* (32 bytes each): the chains the node cares about
//     3 remote_addr  the peer's address as we see it (a BOLT 7 address descriptor), kept raw
// Unknown odd TLV records (e.g. 5 option_will_fund) are kept in `unknownTlvs`, unknown even ones
// fail the message.

import { assertBytes, ByteWriter, concatBytes } from '../crypto/bytes.js';
import { readFields, type MessageCodec } from './codec.js';
import { FeatureVector } from './features.js';
import { fail, ok, type WireResult } from './result.js';
import { decodeTlvFields, encodeTlvFields, type TlvField, type TlvRecord, type TlvSchema } from './tlv.js';

export const INIT_TYPE = 16;
export const CHAIN_HASH_LENGTH = 32;

export interface InitTlvs {
  readonly networks?: readonly Uint8Array[];
  readonly remoteAddr?: Uint8Array;
}

export interface InitMessage {
  readonly kind: 'init';
  readonly globalFeatures: FeatureVector;
  readonly features: FeatureVector;
  readonly tlvs: InitTlvs;
  /** unknown odd init_tlvs records, passed through untouched */
  readonly unknownTlvs: readonly TlvRecord[];
}

const networksField: TlvField<readonly Uint8Array[]> = {
  type: 1n,
  encode(chains) {
    chains.forEach((chain, i) => assertBytes(chain, `init networks[${i}]`, CHAIN_HASH_LENGTH));
    return concatBytes(...chains);
  },
  decode(value): WireResult<readonly Uint8Array[]> {
    if (value.length % CHAIN_HASH_LENGTH !== 0) {
      return fail('bad_field', `networks: ${value.length} bytes is not a whole number of chain hashes`);
    }
    const chains: Uint8Array[] = [];
    for (let i = 0; i < value.length; i += CHAIN_HASH_LENGTH) chains.push(value.slice(i, i + CHAIN_HASH_LENGTH));
    return ok(chains);
  },
};

const remoteAddrField: TlvField<Uint8Array> = {
  type: 3n,
  encode: (addr) => addr,
  decode: (value) => ok(value),
};

const INIT_TLVS: TlvSchema<InitTlvs> = { networks: networksField, remoteAddr: remoteAddrField };

/** The feature map a receiver acts on: BOLT 1 says to OR the two bitmaps. */
export function combinedFeatures(init: InitMessage): FeatureVector {
  return init.globalFeatures.or(init.features);
}

export const initCodec: MessageCodec<InitMessage> = {
  type: INIT_TYPE,
  kind: 'init',
  encodePayload(msg) {
    return new ByteWriter()
      .varBytes(msg.globalFeatures.toBytes())
      .varBytes(msg.features.toBytes())
      .bytes(encodeTlvFields(INIT_TLVS, msg.tlvs, msg.unknownTlvs))
      .finish();
  },
  decodePayload(payload) {
    return readFields(payload, 'init', (r) => {
      const globalFeatures = FeatureVector.fromBytes(r.varBytes('init globalfeatures'));
      const features = FeatureVector.fromBytes(r.varBytes('init features'));
      const tlvs = decodeTlvFields(INIT_TLVS, r.rest());
      if (!tlvs.ok) return fail(tlvs.error.kind, `init_tlvs: ${tlvs.error.message}`);
      return ok<InitMessage>({
        kind: 'init',
        globalFeatures,
        features,
        tlvs: tlvs.value.fields,
        unknownTlvs: tlvs.value.unknown,
      });
    });
  },
};

export const INIT_CODECS = [initCodec] as const;
