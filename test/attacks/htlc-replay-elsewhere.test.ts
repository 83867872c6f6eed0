// Attack: replay an onion that already paid, as a node that saw it pass would: on another channel
// into the same hop, and again after the hop restarted. The hop's replay log is node-wide and stored
// with the state that took the HTLC, so both are refused and the payee is asked once. The log's
// per-channel shares (htlc-replay-flood) are read back after the restart too.
import { afterEach, describe, expect, it } from 'vitest';
import { unwrapErrorPacket } from '../../src/onion/failure.js';
import { TEMPORARY_CHANNEL_FAILURE } from '../../src/onion/failure-codes.js';
import type { SluiceNode } from '../../src/node/node.js';
import type { HtlcSwitch } from '../../src/node/htlc-switch.js';
import { TestPayee, TestPayer, buildPayment, height, openStar } from '../helpers/htlc-net.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe('attack: an onion replayed on another channel and after a restart', () => {
  it('is refused both times by the hop, and the payee is asked only once', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const { a, h, b, c, ah, hb, ch: chc } = await openStar(net);
    const payee = new TestPayee();
    b.htlcs.setReceiver(payee);
    const payerA = new TestPayer();
    const payerC = new TestPayer();
    a.htlcs.setLocalSink(payerA);
    c.htlcs.setLocalSink(payerC);

    const { paymentHash } = payee.issue();
    const p = buildPayment([{ node: h, channelId: ah }, { node: b, channelId: hb }], 2_000_000n, paymentHash, (await height(net)) + 60);
    const send = (from: SluiceNode, channelId: string, id: string) =>
      from.htlcs.sendLocal({ paymentId: id, attemptId: id, channelId, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    await send(a, ah, 'first');
    expect((await payerA.outcome('first')).kind).toBe('fulfilled');
    const refusedByH = async (payer: TestPayer, id: string) => {
      const out = await payer.outcome(id);
      if (out.kind !== 'failed') return out.kind;
      const r = unwrapErrorPacket({ sharedSecrets: p.sharedSecrets, packet: out.reason });
      return r.ok ? [r.hopIndex, r.failure.code] : r.message;
    };

    await send(c, chc, 'replay-other-channel');
    expect(await refusedByH(payerC, 'replay-other-channel')).toEqual([0, TEMPORARY_CHANNEL_FAILURE]);

    await h.stop();
    const h2 = await net.node('h');
    expect((h2.htlcs as HtlcSwitch).replayShares.of(ah)).toBe(1);
    for (const x of [a, b, c]) if (!x.peers.isConnected(h2.nodeId)) await x.connectInMemory(h2.nodeId).catch(() => undefined);
    await until(() => h2.channels.channels.get(chc)?.connected === true, 20_000, 'C and H reconnected');
    await send(c, chc, 'replay-after-restart');
    expect(await refusedByH(payerC, 'replay-after-restart')).toEqual([0, TEMPORARY_CHANNEL_FAILURE]);
    expect(payee.asked).toHaveLength(1);
  }, 60_000);
});
