// The switch and the ledger's preimage registry (multihop.md §7.0): a hop whose upstream will not take
// the fulfil registers the preimage before the incoming expiry; a next hop that registers instead of
// fulfilling is paid through by the hop all the same. And each bound on what peers can make the switch
// hold: HTLCs per channel, pending incoming HTLCs, the replay log.
import { afterEach, describe, expect, it } from 'vitest';
import { testNet, type TestNet } from '../../helpers/network.js';
import { until } from '../../helpers/until.js';
import { TestPayee, TestPayer, buildPayment, channelOf, height, openLine, settledBetween } from '../../helpers/htlc-net.js';
import { unwrapErrorPacket } from '../../../src/onion/failure.js';
import { TEMPORARY_CHANNEL_FAILURE, TEMPORARY_NODE_FAILURE } from '../../../src/onion/failure-codes.js';
import { DEFAULT_FORWARDING_POLICY, forwardingFee } from '../../../src/forward/policy.js';
import type { NodeOptions, SluiceNode } from '../../../src/node/node.js';
import type { HtlcLimits } from '../../../src/node/htlc-switch.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

async function setup(hLimits?: Partial<HtlcLimits>) {
  net = await testNet({ blockTimeMs: 100 });
  const extra: Record<string, Partial<NodeOptions>> = hLimits ? { h: { htlcLimits: hLimits } } : {};
  const line = await openLine(net, ['a', 'h', 'b'], 100_000_000n, 0n, extra);
  const [a, h, b] = line.nodes as [SluiceNode, SluiceNode, SluiceNode];
  const payee = new TestPayee();
  const payer = new TestPayer();
  b.htlcs.setReceiver(payee);
  a.htlcs.setLocalSink(payer);
  const s = { a, h, b, ah: line.channels[0]!, hb: line.channels[1]!, payee, payer };
  const send = async (id: string, amount: bigint, paymentHash: Uint8Array, finalBlocks = 40) => {
    const p = buildPayment([{ node: h, channelId: s.ah }, { node: b, channelId: s.hb }], amount, paymentHash, (await height(net!)) + finalBlocks);
    await a.htlcs.sendLocal({ paymentId: id, attemptId: id, channelId: s.ah, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    return p;
  };
  return { ...s, send };
}

describe('the preimage registry', () => {
  it('H registers the preimage when A will not take the fulfil, before A\'s HTLC expires; A, back, settles', async () => {
    const s = await setup();
    s.payee.mode = 'hang';
    const { preimage, paymentHash } = s.payee.issue();
    const p = await s.send('x', 5_000_000n, paymentHash);
    await until(() => s.payee.asked.length === 1);
    await s.a.stop(); // A goes away holding the HTLC it offered
    s.payee.releaseAll();
    await until(() => net!.ledger.chain.state.preimageHeight(paymentHash) !== undefined, 20_000, 'the preimage registered');
    expect(net!.ledger.chain.state.preimageHeight(paymentHash)!).toBeLessThan(p.expiryHeight);
    await until(() => settledBetween(s.h, s.b, s.hb));
    // A comes back: H's owed fulfil goes through and the A-H lock resolves to H
    const a2 = await net!.node('a');
    const payer2 = new TestPayer();
    a2.htlcs.setLocalSink(payer2);
    const out = await payer2.outcome('x');
    expect(out.kind === 'fulfilled' && Buffer.from(out.preimage).equals(preimage)).toBe(true);
    await until(() => settledBetween(a2, s.h, s.ah));
    const fee = forwardingFee(DEFAULT_FORWARDING_POLICY, 5_000_000n);
    expect(channelOf(s.h, s.ah).local).toBe(5_000_000n + fee);
    expect(channelOf(s.h, s.hb).local).toBe(100_000_000n - 5_000_000n);
  });

  it('A away past its HTLC\'s expiry: H registered in time, so A, back, reads the registration, takes H\'s late fulfil and keeps the channel', async () => {
    const s = await setup();
    s.payee.mode = 'hang';
    const { preimage, paymentHash } = s.payee.issue();
    const p = await s.send('x', 5_000_000n, paymentHash, 20);
    await until(() => s.payee.asked.length === 1);
    await s.a.stop();
    s.payee.releaseAll();
    await until(() => net!.ledger.chain.state.preimageHeight(paymentHash) !== undefined, 20_000, 'the preimage registered');
    await until(async () => (await height(net!)) > p.expiryHeight + 2, 20_000, 'past the expiry');
    const a2 = await net!.node('a');
    const payer2 = new TestPayer();
    a2.htlcs.setLocalSink(payer2);
    const out = await payer2.outcome('x');
    expect(out.kind === 'fulfilled' && Buffer.from(out.preimage).equals(preimage)).toBe(true);
    await until(() => settledBetween(a2, s.h, s.ah));
    expect(a2.channels.channels.get(s.ah)!.status).toBe('open');
    const fee = forwardingFee(DEFAULT_FORWARDING_POLICY, 5_000_000n);
    expect(channelOf(a2, s.ah).local).toBe(100_000_000n - 5_000_000n - fee);
  });

  it('B registers the preimage on the ledger instead of fulfilling: H reads it there and fulfils A', async () => {
    const s = await setup();
    s.payee.mode = 'hang';
    const { preimage, paymentHash } = s.payee.issue();
    await s.send('x', 5_000_000n, paymentHash);
    await until(() => s.payee.asked.length === 1);
    await s.b.faucet(10_000n); // B never opened a channel: its ledger account pays the fee
    await until(async () => (await s.b.wallet()).balance > 0n);
    await s.b.account.submit({ kind: 'preimage', preimage });
    const out = await s.payer.outcome('x');
    expect(out.kind).toBe('fulfilled');
    await until(() => settledBetween(s.a, s.h, s.ah));
    expect(channelOf(s.b, s.hb).locks).toBe(1); // B still holds its lock: the ledger pays it at settlement
    s.payee.releaseAll(); // and when B fulfils after all, the H-B lock goes the same way
    await until(() => settledBetween(s.h, s.b, s.hb));
    expect(channelOf(s.b, s.hb).local).toBe(5_000_000n);
  });
});

describe('a payee whose payer will not take the fulfil', () => {
  it('registers the preimage before the HTLC expires (the final hop, as a forwarder would)', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const line = await openLine(net, ['a', 'b']);
    const [a, b] = line.nodes as [SluiceNode, SluiceNode];
    const ab = line.channels[0]!;
    const payee = new TestPayee();
    payee.mode = 'hang';
    b.htlcs.setReceiver(payee);
    await b.faucet(10_000n); // the ledger fee of the preimage transaction
    const { paymentHash } = payee.issue();
    const p = buildPayment([{ node: b, channelId: ab }], 2_000_000n, paymentHash, (await height(net)) + 30);
    await a.htlcs.sendLocal({ paymentId: 'p', attemptId: 'x', channelId: ab, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    await until(() => payee.asked.length === 1);
    await a.stop();
    payee.releaseAll();
    await until(() => net!.ledger.chain.state.preimageHeight(paymentHash) !== undefined, 20_000, 'the preimage registered');
    expect(net!.ledger.chain.state.preimageHeight(paymentHash)!).toBeLessThan(p.expiryHeight);
  });
});

describe('an upstream that force-closes instead of taking the fulfil', () => {
  it('H registers the preimage during the dispute window, so the settlement pays H the HTLC', async () => {
    const s = await setup();
    s.payee.mode = 'hang';
    const { paymentHash } = s.payee.issue();
    const p = await s.send('x', 5_000_000n, paymentHash, 40); // an expiry well past the dispute window
    await until(() => s.payee.asked.length === 1);
    await s.a.disconnectPeer({ nodeId: s.h.nodeId });
    await until(() => !s.h.peers.isConnected(s.a.nodeId));
    s.payee.releaseAll();
    await until(() => settledBetween(s.h, s.b, s.hb)); // H paid B and holds the preimage
    await s.a.closeChannel({ channelId: s.ah, force: true }); // A closes on the ledger with the HTLC locked
    const idBytes = Buffer.from(s.ah, 'hex');
    await until(() => net!.ledger.chain.state.channel(idBytes)?.status === 'closed', 30_000, 'the A-H channel settled');
    const closed = net!.ledger.chain.state.channel(idBytes)!;
    const registered = net!.ledger.chain.state.preimageHeight(paymentHash);
    expect(registered).toBeDefined();
    expect(registered!).toBeLessThan(closed.closedHeight!);
    // the ledger settles no earlier than the HTLC's expiry (src/ledger/close-rules.ts settleDeadline)
    expect(closed.closedHeight!).toBeGreaterThanOrEqual(p.expiryHeight);
    const fee = forwardingFee(DEFAULT_FORWARDING_POLICY, 5_000_000n);
    expect(closed.payoutB).toBe(5_000_000n + fee); // H is side B of A-H: the lock paid it
  });
});

describe('bounds on what peers make the switch hold', () => {
  const failureCode = (out: Awaited<ReturnType<TestPayer['outcome']>>, secrets: Uint8Array[]) => {
    if (out.kind !== 'failed') return undefined;
    const r = unwrapErrorPacket({ sharedSecrets: secrets, packet: out.reason });
    return r.ok ? [r.hopIndex, r.failure.code] : undefined;
  };

  it('HTLCs offered on one channel (maxHtlcsPerChannel): the one past the bound is refused at H', async () => {
    const s = await setup({ maxHtlcsPerChannel: 2 });
    s.payee.mode = 'hang';
    const ps = [];
    for (const id of ['1', '2']) ps.push(await s.send(id, 1_000_000n, s.payee.issue().paymentHash, 25));
    await until(() => s.payee.asked.length === 2);
    const p3 = await s.send('3', 1_000_000n, s.payee.issue().paymentHash, 25);
    expect(failureCode(await s.payer.outcome('3'), p3.sharedSecrets)).toEqual([0, TEMPORARY_CHANNEL_FAILURE]);
    expect(s.payee.asked).toHaveLength(2);
    // the two held ones are failed back by B's switch at their deadline: nothing stays locked
    await until(() => settledBetween(s.a, s.h, s.ah) && settledBetween(s.h, s.b, s.hb), 20_000);
    expect(channelOf(s.a, s.ah).local).toBe(100_000_000n);
  });

  it('pending incoming HTLCs (maxPendingHtlcs): past the bound H answers temporary_node_failure', async () => {
    const s = await setup({ maxPendingHtlcs: 1 });
    s.payee.mode = 'hang';
    await s.send('1', 1_000_000n, s.payee.issue().paymentHash, 25);
    await until(() => s.payee.asked.length === 1);
    const p2 = await s.send('2', 1_000_000n, s.payee.issue().paymentHash, 25);
    expect(failureCode(await s.payer.outcome('2'), p2.sharedSecrets)).toEqual([0, TEMPORARY_NODE_FAILURE]);
    await until(() => settledBetween(s.a, s.h, s.ah) && settledBetween(s.h, s.b, s.hb), 20_000);
    expect(s.h.htlcs.sizes().incoming).toBe(0);
  });

  it('the replay log (replayLogEntries): full, H refuses new onions until expired entries are pruned', async () => {
    const s = await setup({ replayLogEntries: 1 });
    const first = await s.send('1', 1_000_000n, s.payee.issue().paymentHash, 20);
    expect((await s.payer.outcome('1')).kind).toBe('fulfilled');
    expect(s.h.htlcs.sizes().replay).toBe(1);
    const p2 = await s.send('2', 1_000_000n, s.payee.issue().paymentHash, 20);
    expect(failureCode(await s.payer.outcome('2'), p2.sharedSecrets)).toEqual([0, TEMPORARY_NODE_FAILURE]);
    // once the first HTLC's expiry has passed its entry goes (memory and disk), and onions are taken again
    await until(async () => (await height(net!)) > first.expiryHeight && s.h.htlcs.sizes().replay === 0, 20_000);
    expect((await s.h['store'].loadRecords('htlc')).filter((r) => r.key.startsWith('replay/'))).toHaveLength(0);
    await s.send('3', 1_000_000n, s.payee.issue().paymentHash, 20);
    expect((await s.payer.outcome('3')).kind).toBe('fulfilled');
  });
});
