// Custom records on a keysend (a stream batch's, for one): kept in the payment's stored record, so a retry
// after a restart carries them, and put in the final hop's payload only, where the payee reads them back.
import { describe, expect, it } from 'vitest';
import { decodeHopPayload } from '../../src/onion/payload.js';
import { createPayment } from '../../src/payments/lifecycle.js';
import { paymentFromJson, paymentToJson } from '../../src/payments/record.js';
import { onionHopsForRoute } from '../../src/routing/onion-route.js';
import type { Route } from '../../src/routing/pathfind.js';
import { encodeBatchRecord, STREAM_BATCH_TLV_TYPE } from '../../src/stream/batch.js';

const record = { type: STREAM_BATCH_TLV_TYPE, value: encodeBatchRecord({ streamId: '11'.repeat(16), from: 4, to: 9 }) };
const node = (b: string) => `02${b.repeat(32)}`;

describe('custom records on a keysend', () => {
  it('survive the payment record round trip (and are absent when there are none)', () => {
    const base = { paymentHash: new Uint8Array(32).fill(3), payee: node('aa'), amountMsat: 5000n, maxFeeMsat: 1000n, timeoutMs: 1000, finalCltvExpiryDelta: 15, keysendPreimage: new Uint8Array(32).fill(4) };
    const p = createPayment({ ...base, customRecords: [record] }, 1);
    expect(paymentFromJson(JSON.parse(JSON.stringify(paymentToJson(p)))).customRecords).toEqual([record]);
    const plain = createPayment(base, 1);
    expect(paymentToJson(plain)['customRecords']).toBeUndefined();
    expect(paymentFromJson(paymentToJson(plain)).customRecords).toBeUndefined();
  });

  it('go in the final hop payload only, where they decode as custom records', () => {
    const hop = (to: string, amount: bigint, expiry: number) => ({ shortChannelId: '00'.repeat(8), from: node('bb'), to, capacityMsat: 10n ** 9n, amountMsat: amount, cltvExpiry: expiry });
    const route = { hops: [hop(node('cc'), 6001n, 130), hop(node('dd'), 5000n, 118)], amountMsat: 6001n, feeMsat: 1001n, cltvExpiry: 130 } satisfies Route;
    const hops = onionHopsForRoute(route, { keysendPreimage: new Uint8Array(32).fill(4), customRecords: [record] });
    const mid = decodeHopPayload(hops[0]!.payload, false);
    const last = decodeHopPayload(hops[1]!.payload, true);
    expect(mid.ok && mid.value.customRecords).toEqual([]);
    expect(last.ok && last.value.customRecords).toEqual([record]);
  });
});
