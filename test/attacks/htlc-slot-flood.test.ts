// Attack: fill one channel's HTLC slots with HTLCs the hop holds (a payee that never answers keeps
// them until their deadline), and see whether honest traffic on the hop's other channels still passes.
// The channel's lock limit bounds what one peer holds (far under the switch's node-wide bound), and a
// full channel refuses only its own next HTLC.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/hash.js';
import { TestPayee, TestPayer, buildPayment, channelOf, height, openStar } from '../helpers/htlc-net.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe('attack: one peer fills its channel\'s HTLC slots at the hop', () => {
  it('the flooded channel is full, and a payment from another channel through the hop still settles', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const { a, h, b, c, ah, hb, ch: chc } = await openStar(net);
    const sink = new TestPayee();
    sink.mode = 'hang'; // H, as the payee of the flood, holds every HTLC until its deadline
    h.htlcs.setReceiver(sink);
    const payee = new TestPayee();
    b.htlcs.setReceiver(payee);
    a.htlcs.setLocalSink(new TestPayer());
    const payerC = new TestPayer();
    c.htlcs.setLocalSink(payerC);

    const slots = a.channels.channels.get(ah)!.limits.maxLocks;
    const expiry = (await height(net)) + 200;
    for (let i = 0; i < slots; i++) {
      const hash = sha256(randomBytes(32));
      const p = buildPayment([{ node: h, channelId: ah }], 1_000n, hash, expiry);
      await a.htlcs.sendLocal({ paymentId: `f${i}`, attemptId: `f${i}`, channelId: ah, amountMsat: p.amountMsat, paymentHash: hash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    }
    await until(() => sink.asked.length === slots, 20_000, 'the flood held at H');
    expect(channelOf(h, ah).locks).toBe(slots);
    // one more on the full channel is refused before anything is stored
    const extra = buildPayment([{ node: h, channelId: ah }], 1_000n, sha256(randomBytes(32)), expiry);
    await expect(a.htlcs.sendLocal({ paymentId: 'x', attemptId: 'x', channelId: ah, amountMsat: extra.amountMsat, paymentHash: sha256(randomBytes(32)), expiryHeight: extra.expiryHeight, onion: extra.onion, attached: [] })).rejects.toThrow();

    const { preimage, paymentHash } = payee.issue();
    const p = buildPayment([{ node: h, channelId: chc }, { node: b, channelId: hb }], 50_000n, paymentHash, (await height(net)) + 40);
    await c.htlcs.sendLocal({ paymentId: 'honest', attemptId: 'honest', channelId: chc, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    const out = await payerC.outcome('honest');
    expect(out.kind === 'fulfilled' && Buffer.from(out.preimage).equals(preimage)).toBe(true);
  }, 60_000);
});
