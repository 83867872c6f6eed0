// Attack: the upstream and the downstream of a hop collude. A offers H an HTLC that H forwards to B;
// A then force-closes A-H at once, and B holds the fulfil until the ledger has settled A-H (the end
// of its dispute window, long before the HTLC's expiry) and only then fulfils H-B. Unless the ledger
// still pays A-H's lock to whoever shows the preimage before its expiry, H pays B and gets nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '../../src/crypto/bytes.js';
import { DEFAULT_FORWARDING_POLICY, forwardingFee } from '../../src/forward/policy.js';
import type { SluiceNode } from '../../src/node/node.js';
import { TestPayee, TestPayer, buildPayment, channelOf, height, openLine, settledBetween } from '../helpers/htlc-net.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe('attack: upstream force-close, downstream fulfils after the upstream settled', () => {
  it('H is still paid the upstream lock: the ledger pays it by the preimage registered before its expiry', async () => {
    net = await testNet({ blockTimeMs: 100, disputeBlocks: 4 });
    const line = await openLine(net, ['a', 'h', 'b']);
    const [a, h, b] = line.nodes as [SluiceNode, SluiceNode, SluiceNode];
    const [ah, hb] = line.channels as [string, string];
    const payee = new TestPayee();
    payee.mode = 'hang'; // B, the accomplice, sits on the preimage
    b.htlcs.setReceiver(payee);
    a.htlcs.setLocalSink(new TestPayer());
    await h.faucet(100_000n); // H's ledger fees (a dispute, a preimage registration)
    const { paymentHash } = payee.issue();
    const amount = 5_000_000n;
    const p = buildPayment([{ node: h, channelId: ah }, { node: b, channelId: hb }], amount, paymentHash, (await height(net)) + 40);
    await a.htlcs.sendLocal({ paymentId: 'x', attemptId: 'x', channelId: ah, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    await until(() => payee.asked.length === 1, 20_000, 'the HTLC reached B');

    await a.closeChannel({ channelId: ah, force: true });
    const ledgerAh = () => net!.ledger.chain.state.channel(fromHex(ah, 'channel id', 32));
    await until(() => ledgerAh()?.status === 'closing', 20_000, 'A-H closing on the ledger');
    const closedAt = await height(net);
    // B waits out the dispute window (and, were it allowed, the settle that follows it)
    await until(async () => ledgerAh()?.status === 'closed' || (await height(net!)) >= closedAt + 4 + 3, 20_000, 'past the window');
    expect(await height(net)).toBeLessThan(p.expiryHeight - 12); // well before H-B's expiry

    payee.releaseAll(); // now B fulfils H-B: H pays B
    await until(() => settledBetween(h, b, hb), 20_000, 'H-B settled');
    expect(channelOf(h, hb).local).toBe(100_000_000n - amount);

    // H must get the incoming lock (amount + fee) from A-H.
    const fee = forwardingFee(DEFAULT_FORWARDING_POLICY, amount);
    const paidToH = async () => {
      const lc = net!.ledger.chain.state.channel(fromHex(ah, 'channel id', 32))!;
      return lc.payoutB;
    };
    await until(async () => (await paidToH()) === amount + fee || (await height(net!)) > p.expiryHeight + 2, 60_000, 'H paid, or past the expiry');
    expect(await paidToH()).toBe(amount + fee);
  }, 120_000);
});
