// From a route to the onion's hop payloads (BOLT 4 "Payload for the Last Node" and forwarding): the
// node at the end of hop i is told what to send over hop i+1 (amount, expiry, channel), and the
// payee what it must receive, with the invoice's payment secret so that no hop on the way can probe.

import { fromHex } from '../crypto/bytes.js';
import { encodeHopPayload } from '../onion/payload.js';
import type { TlvRecord } from '../wire/tlv.js';
import type { OnionHop } from '../onion/sphinx.js';
import type { Route } from './pathfind.js';

export interface FinalHopData {
  readonly paymentSecret?: Uint8Array;
  /** the whole payment, equal to the final amount without multi-part payments */
  readonly totalMsat?: bigint;
  readonly keysendPreimage?: Uint8Array;
  /** odd custom records for the payee (types >= 65536, increasing): a stream batch's, for one */
  readonly customRecords?: readonly TlvRecord[];
}

/** Hop payloads for buildOnion. Short channel ids are 16 hex characters (8 bytes). */
export function onionHopsForRoute(route: Route, final: FinalHopData): OnionHop[] {
  return route.hops.map((hop, i) => {
    const next = route.hops[i + 1];
    const publicKey = fromHex(hop.to, 'node id', 33);
    if (next) {
      return {
        publicKey,
        payload: encodeHopPayload({
          amountToForwardMsat: next.amountMsat,
          outgoingCltvValue: BigInt(next.cltvExpiry),
          shortChannelId: fromHex(next.shortChannelId, 'short channel id', 8),
        }),
      };
    }
    return {
      publicKey,
      payload: encodeHopPayload({
        amountToForwardMsat: hop.amountMsat,
        outgoingCltvValue: BigInt(hop.cltvExpiry),
        ...(final.paymentSecret ? { paymentData: { paymentSecret: final.paymentSecret, totalMsat: final.totalMsat ?? hop.amountMsat } } : {}),
        ...(final.keysendPreimage ? { keysendPreimage: final.keysendPreimage } : {}),
        ...(final.customRecords?.length ? { customRecords: final.customRecords } : {}),
      }),
    };
  });
}
