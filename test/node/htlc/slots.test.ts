// Our own HTLCs on a full channel (src/node/htlc-slots.ts): two whole nodes in one process (real
// LevelDB). The payee holds every HTLC, so the channel's 30 slots a side fill; the next sends wait in
// line instead of being refused, are offered in order as the held ones settle, and every one arrives.
// One that waits past its deadline is refused, and the channel's slots are never overrun. Only a send
// that asks to wait does (the payer's payments ask); any other is refused at once, as before.
import { afterEach, describe, expect, it } from 'vitest';
import { testNet, type TestNet } from '../../helpers/network.js';
import { until } from '../../helpers/until.js';
import { TestPayee, TestPayer, buildPayment, channelOf, height, openLine, settledBetween } from '../../helpers/htlc-net.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

const AMOUNT = 1_000_000n;

describe('local sends on a channel with no free HTLC slot', () => {
  it('wait in line and are offered as slots come free; all settle, none is refused', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const { nodes: [a, b], channels: [ab] } = await openLine(net, ['a', 'b']);
    const payee = new TestPayee();
    const payer = new TestPayer();
    b!.htlcs.setReceiver(payee);
    a!.htlcs.setLocalSink(payer);
    payee.mode = 'hang';
    const maxLocks = a!['channels'].channels.get(ab!)!.limits.maxLocks;
    const expiry = (await height(net)) + 600;
    const count = maxLocks + 5;
    const sends = Array.from({ length: count }, (_, i) => {
      const { paymentHash } = payee.issue();
      const p = buildPayment([{ node: b!, channelId: ab! }], AMOUNT, paymentHash, expiry);
      return a!.htlcs.sendLocal({ paymentId: `p${i}`, attemptId: `a${i}`, channelId: ab!, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [], waitForSlot: true });
    });
    // the channel fills to its limit and no further: the rest wait
    await until(() => payee.asked.length === maxLocks);
    expect(a!.htlcs.slots.size).toBe(5);
    const locks = () => a!['channels'].channels.get(ab!)!.signed.state.locks.length;
    expect(locks()).toBe(maxLocks);
    payee.releaseAll();
    const offered = await Promise.all(sends);
    expect(new Set(offered.map((o) => o.htlcId)).size).toBe(count);
    await until(() => payer.outcomes.size === count);
    expect([...payer.outcomes.values()].every((o) => o.kind === 'fulfilled')).toBe(true);
    expect(a!.htlcs.slots.size).toBe(0);
    await until(() => settledBetween(a!, b!, ab!));
    expect(channelOf(b!, ab!).local).toBe(AMOUNT * BigInt(count));
  });

  it('one that waits past its deadline is refused, nothing offered; one that does not ask to wait is refused at once', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const { nodes: [a, b], channels: [ab] } = await openLine(net, ['a', 'b']);
    const payee = new TestPayee();
    const payer = new TestPayer();
    b!.htlcs.setReceiver(payee);
    a!.htlcs.setLocalSink(payer);
    payee.mode = 'hang';
    const maxLocks = a!['channels'].channels.get(ab!)!.limits.maxLocks;
    const h = await height(net);
    const send = (i: number, expiryHeight: number) => {
      const { paymentHash } = payee.issue();
      const p = buildPayment([{ node: b!, channelId: ab! }], AMOUNT, paymentHash, expiryHeight);
      return a!.htlcs.sendLocal({ paymentId: `p${i}`, attemptId: `a${i}`, channelId: ab!, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [], waitForSlot: true });
    };
    const held = Array.from({ length: maxLocks }, (_, i) => send(i, h + 600));
    await until(() => payee.asked.length === maxLocks);
    // its deadline (expiry less the next hop's margin) a few blocks out: refused there, the full channel never freed a slot
    // a send that does not ask to wait is refused at once, as before
    const { paymentHash } = payee.issue();
    const now = buildPayment([{ node: b!, channelId: ab! }], AMOUNT, paymentHash, h + 600);
    await expect(a!.htlcs.sendLocal({ paymentId: 'n', attemptId: 'n', channelId: ab!, amountMsat: now.amountMsat, paymentHash, expiryHeight: now.expiryHeight, onion: now.onion, attached: [] })).rejects.toThrow(`more than ${maxLocks} locks`);
    expect(a!.htlcs.slots.size).toBe(0);
    const late = send(maxLocks, h + 20);
    await until(() => a!.htlcs.slots.size === 1);
    await expect(late).rejects.toThrow(/no HTLC slot came free/);
    expect(a!.htlcs.slots.size).toBe(0);
    expect(payee.asked.length).toBe(maxLocks);
    expect(payer.outcomes.has(`a${maxLocks}`)).toBe(false);
    payee.releaseAll();
    await Promise.all(held);
  });
});
