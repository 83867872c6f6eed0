// Attack: the next hop registers the preimage on the ledger instead of fulfilling (the hop reads it
// there and fulfils upstream), waits for the hop to restart and past the HTLC's expiry, then fulfils
// off-chain after all. The ledger pays that lock to the next hop whatever the hop does, so the late
// fulfil must be taken (the channel spared), not answered by failing the channel: the hop must still
// know, after its restart, that the preimage was registered in time.
import { afterEach, describe, expect, it } from 'vitest';
import type { SluiceNode } from '../../src/node/node.js';
import type { HtlcSwitch } from '../../src/node/htlc-switch.js';
import { TestPayee, TestPayer, buildPayment, channelOf, height, openLine, settledBetween } from '../helpers/htlc-net.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe('attack: register instead of fulfilling, then fulfil late after the hop restarted', () => {
  it('the hop takes the late fulfil and keeps the channel open', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const line = await openLine(net, ['a', 'h', 'b']);
    const [a, h, b] = line.nodes as [SluiceNode, SluiceNode, SluiceNode];
    const [ah, hb] = line.channels as [string, string];
    const payee = new TestPayee();
    payee.mode = 'hang';
    b.htlcs.setReceiver(payee);
    // B is the attacker: its node never fails the HTLC back at its deadline, as an honest one would
    (b.htlcs as HtlcSwitch).failBack = () => Promise.resolve();
    const payer = new TestPayer();
    a.htlcs.setLocalSink(payer);
    const { preimage, paymentHash } = payee.issue();
    const p = buildPayment([{ node: h, channelId: ah }, { node: b, channelId: hb }], 5_000_000n, paymentHash, (await height(net)) + 20);
    await a.htlcs.sendLocal({ paymentId: 'x', attemptId: 'x', channelId: ah, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    await until(() => payee.asked.length === 1);
    await b.faucet(10_000n);
    await until(async () => (await b.wallet()).balance > 0n);
    await b.account.submit({ kind: 'preimage', preimage });
    expect((await payer.outcome('x')).kind).toBe('fulfilled');
    await until(() => settledBetween(a, h, ah));

    await h.stop();
    const outExpiry = p.expiryHeight - 12;
    await until(async () => (await height(net!)) > outExpiry + 1, 20_000, 'past the H-B expiry');
    const h2 = await net.node('h');
    await until(() => h2.channels.channels.get(hb)?.connected === true, 20_000, 'B and H reconnected');
    payee.releaseAll(); // B now fulfils off-chain, past the expiry
    await until(() => settledBetween(h2, b, hb) || h2.channels.channels.get(hb)!.status !== 'open', 20_000, 'the late fulfil answered');
    expect(h2.channels.channels.get(hb)!.status).toBe('open');
    expect(channelOf(h2, hb).local).toBe(100_000_000n - 5_000_000n);
  }, 60_000);
});
