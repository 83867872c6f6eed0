// Attack: the next hop never fulfils, and registers the preimage on the ledger at the last block
// before its HTLC's expiry (or one block late), racing the hop's decision to fail back upstream. Then
// the hop closes the channel and the ledger settles it. Whichever side of the expiry the registration
// lands on, the hop's books must balance: registered below the expiry, the hop pays the lock and was
// paid upstream; at or after it, the hop is refunded and failed upstream. It never pays without being paid.
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '../../src/crypto/bytes.js';
import { DEFAULT_FORWARDING_POLICY, forwardingFee } from '../../src/forward/policy.js';
import type { HtlcSwitch } from '../../src/node/htlc-switch.js';
import type { SluiceNode } from '../../src/node/node.js';
import { TestPayee, TestPayer, buildPayment, channelOf, height, openLine, settledBetween } from '../helpers/htlc-net.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe('attack: the next hop registers the preimage at the last block', () => {
  it('the hop is paid upstream exactly when the ledger pays the lock downstream', async () => {
    net = await testNet({ blockTimeMs: 150, disputeBlocks: 3 });
    const line = await openLine(net, ['a', 'h', 'b']);
    const [a, h, b] = line.nodes as [SluiceNode, SluiceNode, SluiceNode];
    const [ah, hb] = line.channels as [string, string];
    const payee = new TestPayee();
    payee.mode = 'hang';
    b.htlcs.setReceiver(payee);
    (b.htlcs as HtlcSwitch).failBack = () => Promise.resolve(); // B holds the lock to the end
    const payer = new TestPayer();
    a.htlcs.setLocalSink(payer);
    await b.faucet(100_000n);
    await h.faucet(100_000n);
    const { preimage, paymentHash } = payee.issue();
    const amount = 5_000_000n;
    const p = buildPayment([{ node: h, channelId: ah }, { node: b, channelId: hb }], amount, paymentHash, (await height(net)) + 16);
    const outExpiry = p.expiryHeight - DEFAULT_FORWARDING_POLICY.cltvExpiryDelta;
    await a.htlcs.sendLocal({ paymentId: 'x', attemptId: 'x', channelId: ah, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    await until(() => payee.asked.length === 1);

    await until(async () => (await height(net!)) >= outExpiry - 2, 20_000, 'two blocks before the H-B expiry');
    await b.account.submit({ kind: 'preimage', preimage }).catch(() => undefined);
    const out = await payer.outcome('x', 20_000);
    await until(() => settledBetween(a, h, ah), 20_000, 'A-H resolved');

    await h.closeChannel({ channelId: hb, force: true });
    const ledgerHb = () => net!.ledger.chain.state.channel(fromHex(hb, 'channel id', 32));
    await until(() => ledgerHb()?.status === 'closed', 30_000, 'H-B settled');
    const registered = net.ledger.chain.state.preimageHeight(paymentHash);
    const inTime = registered !== undefined && registered < outExpiry;
    const fee = forwardingFee(DEFAULT_FORWARDING_POLICY, amount);
    // H opened H-B with 100,000,000 msat and holds nothing on A-H but what A paid it
    expect(out.kind).toBe(inTime ? 'fulfilled' : 'failed');
    expect(channelOf(h, ah).local).toBe(inTime ? amount + fee : 0n);
    expect(ledgerHb()!.payoutA).toBe(inTime ? 100_000_000n - amount : 100_000_000n);
  }, 90_000);
});
