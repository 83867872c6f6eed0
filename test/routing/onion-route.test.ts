import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { publicKeyOf } from '../../src/crypto/keys.js';
import { decodeHopPayload } from '../../src/onion/payload.js';
import { buildOnion, peelOnion } from '../../src/onion/sphinx.js';
import { ChannelGraph } from '../../src/routing/graph.js';
import { onionHopsForRoute } from '../../src/routing/onion-route.js';
import { findRoute } from '../../src/routing/pathfind.js';

const secrets = [1, 2, 3, 4].map((i) => new Uint8Array(32).fill(i));
const ids = secrets.map((s) => toHex(publicKeyOf(s)));

describe('a found route, as an onion', () => {
  it('tells every hop exactly what the route says it forwards, and the payee what it receives', () => {
    const g = new ChannelGraph();
    for (let i = 0; i < 3; i++) {
      const scid = `00000100000${i}0000`;
      g.addChannel({ shortChannelId: scid, node1: ids[i]!, node2: ids[i + 1]!, capacityMsat: 10n ** 9n });
      g.setPolicy(scid, ids[i]!, { feeBaseMsat: 1000n, feePpm: 250n, cltvExpiryDelta: 12, htlcMinimumMsat: 1n, htlcMaximumMsat: 10n ** 9n });
    }
    const r = findRoute({ graph: g, source: ids[0]!, target: ids[3]!, amountMsat: 5_000_000n, finalCltvExpiry: 130, currentHeight: 100, nowMs: 0 });
    if (!r.ok) throw new Error(r.error.message);
    const paymentSecret = new Uint8Array(32).fill(0x77);
    const paymentHash = sha256(Uint8Array.of(1));
    const { packet } = buildOnion({ hops: onionHopsForRoute(r.route, { paymentSecret }), sessionKey: new Uint8Array(32).fill(9), associatedData: paymentHash });

    let onion: Uint8Array | 'final' = packet;
    for (const [i, hop] of r.route.hops.entries()) {
      const peeled = peelOnion({ packet: onion as Uint8Array, nodeSecretKey: secrets[i + 1]!, associatedData: paymentHash });
      if (!peeled.ok) throw new Error(peeled.error.message);
      const isFinal = peeled.value.next === 'final';
      expect(isFinal).toBe(i === r.route.hops.length - 1);
      const payload = decodeHopPayload(peeled.value.payload, isFinal);
      if (!payload.ok) throw new Error(payload.error.message);
      const out = r.route.hops[i + 1] ?? hop;
      expect(payload.value.amountToForwardMsat).toBe(out.amountMsat);
      expect(Number(payload.value.outgoingCltvValue)).toBe(out.cltvExpiry);
      if (isFinal) {
        expect(toHex(payload.value.paymentData!.paymentSecret)).toBe(toHex(paymentSecret));
        expect(payload.value.paymentData!.totalMsat).toBe(5_000_000n);
      } else {
        expect(toHex(payload.value.shortChannelId!)).toBe(out.shortChannelId);
        // the hop keeps its fee: what it received minus what it forwards, by its policy
        expect(hop.amountMsat - out.amountMsat).toBe(1000n + (out.amountMsat * 250n) / 1_000_000n);
      }
      onion = peeled.value.next;
    }
  });
});
