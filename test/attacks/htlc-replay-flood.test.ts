// Attack: fill the hop's replay log from one channel. Every onion a hop peels is remembered until its
// HTLC's expiry, and the log is bounded node-wide; a peer that cycles cheap HTLCs (each failed back,
// so it costs nothing) would fill it, and then the hop refuses every onion on every channel. And a
// peer that names an absurd expiry would make its entry last forever. So one channel's entries are
// bounded (past that, only that channel's HTLCs are refused) and no entry outlives max_htlc_cltv.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/hash.js';
import { MAX_HTLC_CLTV_BLOCKS } from '../../src/forward/policy.js';
import { unwrapErrorPacket } from '../../src/onion/failure.js';
import { EXPIRY_TOO_FAR, TEMPORARY_CHANNEL_FAILURE } from '../../src/onion/failure-codes.js';
import { TestPayee, TestPayer, buildPayment, height, openStar } from '../helpers/htlc-net.js';
import { testNet, type TestNet } from '../helpers/network.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

async function star(limits: Record<string, number>) {
  net = await testNet({ blockTimeMs: 100 });
  const { a, h, b, c, ah, hb, ch } = await openStar(net, { h: { htlcLimits: limits } });
  const payee = new TestPayee();
  b.htlcs.setReceiver(payee);
  const payerA = new TestPayer();
  const payerC = new TestPayer();
  a.htlcs.setLocalSink(payerA);
  c.htlcs.setLocalSink(payerC);
  return { a, h, b, c, ah, hb, ch, payee, payerA, payerC };
}

describe('attack: a replay-log flood from one channel', () => {
  it('one channel that fills its share is refused alone; another channel\'s payment still goes through', async () => {
    const s = await star({ replayLogEntries: 6, replayEntriesPerChannel: 3 });
    const failures: number[] = [];
    for (let i = 0; i < 5; i++) {
      // unknown hashes: B fails each, so the attacker gets its money back every time
      const hash = sha256(randomBytes(32));
      const p = buildPayment([{ node: s.h, channelId: s.ah }, { node: s.b, channelId: s.hb }], 10_000n, hash, (await height(net!)) + 40);
      await s.a.htlcs.sendLocal({ paymentId: `j${i}`, attemptId: `j${i}`, channelId: s.ah, amountMsat: p.amountMsat, paymentHash: hash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
      const out = await s.payerA.outcome(`j${i}`);
      if (out.kind !== 'failed') throw new Error(`attempt ${i}: ${out.kind}`);
      const r = unwrapErrorPacket({ sharedSecrets: p.sharedSecrets, packet: out.reason });
      if (!r.ok) throw new Error(r.message);
      failures.push(r.hopIndex === 0 ? r.failure.code : -1); // -1: B's refusal (H forwarded it)
    }
    expect(failures.slice(0, 3)).toEqual([-1, -1, -1]);
    expect(failures.slice(3)).toEqual([TEMPORARY_CHANNEL_FAILURE, TEMPORARY_CHANNEL_FAILURE]);
    expect(s.h.htlcs.sizes().replay).toBe(3);

    const { preimage, paymentHash } = s.payee.issue();
    const p = buildPayment([{ node: s.h, channelId: s.ch }, { node: s.b, channelId: s.hb }], 10_000n, paymentHash, (await height(net!)) + 40);
    await s.c.htlcs.sendLocal({ paymentId: 'honest', attemptId: 'honest', channelId: s.ch, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    const out = await s.payerC.outcome('honest');
    expect(out.kind === 'fulfilled' && Buffer.from(out.preimage).equals(preimage)).toBe(true);
  }, 60_000);

  it('an HTLC with an absurd expiry is refused (expiry_too_far) and its onion is not remembered past max_htlc_cltv', async () => {
    const s = await star({});
    const hash = sha256(randomBytes(32));
    const p = buildPayment([{ node: s.h, channelId: s.ah }, { node: s.b, channelId: s.hb }], 10_000n, hash, 0xffffffff - 100);
    await s.a.htlcs.sendLocal({ paymentId: 'far', attemptId: 'far', channelId: s.ah, amountMsat: p.amountMsat, paymentHash: hash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    const out = await s.payerA.outcome('far');
    if (out.kind !== 'failed') throw new Error(out.kind);
    const r = unwrapErrorPacket({ sharedSecrets: p.sharedSecrets, packet: out.reason });
    expect(r.ok && r.hopIndex === 0 && r.failure.code).toBe(EXPIRY_TOO_FAR);
    const entries = s.h.htlcs.replay.entries();
    expect(entries).toHaveLength(1);
    expect(entries[0]!.expiryHeight).toBeLessThanOrEqual((await height(net!)) + MAX_HTLC_CLTV_BLOCKS);
    // and so it is stored: a restart of H keeps the bound
    const stored = (await s.h['store'].loadRecords('htlc')).filter((x) => x.key.startsWith('replay/'));
    expect(Number(stored[0]!.value['expiryHeight'])).toBe(entries[0]!.expiryHeight);
  }, 60_000);
});
