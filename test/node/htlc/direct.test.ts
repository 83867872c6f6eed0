// The switch over one direct channel, two whole nodes in one process (real LevelDB): a payment attempt
// offered with sendLocal, settled or failed by the payee's receiver, and the outcome told to the payer.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { testNet, type TestNet } from '../../helpers/network.js';
import { until } from '../../helpers/until.js';
import { TestPayee, TestPayer, buildPayment, channelOf, height, openLine, settledBetween } from '../../helpers/htlc-net.js';
import { unwrapErrorPacket } from '../../../src/onion/failure.js';
import { INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS } from '../../../src/onion/failure-codes.js';
import { join } from 'node:path';
import { LevelNodeStore } from '../../../src/node/store.js';
import { putOutgoing } from '../../../src/node/htlc-records.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe('the HTLC switch over one channel', () => {
  it('settles a payment the payee knows, tells the payer once it is durable, and moves exactly the amount', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const { nodes: [a, b], channels: [ab] } = await openLine(net, ['a', 'b']);
    const payee = new TestPayee();
    const payer = new TestPayer();
    b!.htlcs.setReceiver(payee);
    a!.htlcs.setLocalSink(payer);
    const { preimage, paymentHash } = payee.issue();
    const p = buildPayment([{ node: b!, channelId: ab! }], 5_000_000n, paymentHash, (await height(net)) + 60);
    const before = channelOf(a!, ab!);
    const { htlcId } = await a!.htlcs.sendLocal({
      paymentId: 'p1', attemptId: 'a1', channelId: ab!, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion,
      attached: [{ kind: 'payment', key: 'attempt/a1', value: { status: 'inflight' } }],
    });
    expect(htlcId % 2).toBe(0); // a opened the channel: side A's even lock ids
    const outcome = await payer.outcome('a1');
    expect(outcome.kind).toBe('fulfilled');
    expect(outcome.kind === 'fulfilled' && Buffer.from(outcome.preimage).equals(Buffer.from(preimage))).toBe(true);
    await until(() => settledBetween(a!, b!, ab!));
    expect(channelOf(a!, ab!).local).toBe(before.local - 5_000_000n);
    expect(channelOf(b!, ab!).local).toBe(before.remote + 5_000_000n);
    // the attempt record went into the batch that offered the HTLC; the switch's records are gone
    await until(() => a!.htlcs.sizes().outgoing === 0 && b!.htlcs.sizes().incoming === 0);
    expect(payee.asked).toHaveLength(1);
    const stored = await a!['store'].loadRecords('payment');
    expect(stored.map((r) => r.key)).toEqual(['attempt/a1']);
  });

  it('a block while the payee\'s answer is being stored does not ask the payee again', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const { nodes: [a, b], channels: [ab] } = await openLine(net, ['a', 'b']);
    const payee = new TestPayee();
    const payer = new TestPayer();
    b!.htlcs.setReceiver(payee);
    a!.htlcs.setLocalSink(payer);
    // the owed fulfil's write is held until several block sweeps have run at b
    const store = b!.htlcs.o.store;
    const write = store.writeRecords.bind(store);
    let held = 0;
    store.writeRecords = async (records) => {
      if (held === 0 && JSON.stringify(records, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).includes('"fulfil"')) {
        held++;
        for (let i = 0; i < 5; i++) {
          await b!.htlcs.onBlock(await height(net!));
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      return write(records);
    };
    const { paymentHash } = payee.issue();
    const p = buildPayment([{ node: b!, channelId: ab! }], 1_000_000n, paymentHash, (await height(net)) + 60);
    await a!.htlcs.sendLocal({ paymentId: 'p1', attemptId: 'a1', channelId: ab!, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    expect((await payer.outcome('a1')).kind).toBe('fulfilled');
    expect(held).toBe(1);
    expect(payee.asked).toHaveLength(1);
  });

  it('a payee that refuses: the payer reads the payee\'s own error, and nothing moves', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const { nodes: [a, b], channels: [ab] } = await openLine(net, ['a', 'b']);
    const payee = new TestPayee();
    const payer = new TestPayer();
    b!.htlcs.setReceiver(payee);
    a!.htlcs.setLocalSink(payer);
    const paymentHash = randomBytes(32); // a hash the payee never issued
    const p = buildPayment([{ node: b!, channelId: ab! }], 1_000_000n, paymentHash, (await height(net)) + 60);
    const before = channelOf(a!, ab!);
    await a!.htlcs.sendLocal({ paymentId: 'p1', attemptId: 'a1', channelId: ab!, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    const outcome = await payer.outcome('a1');
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    const read = unwrapErrorPacket({ sharedSecrets: p.sharedSecrets, packet: outcome.reason });
    expect(read.ok && read.hopIndex).toBe(0);
    expect(read.ok && read.failure.code).toBe(INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS);
    await until(() => settledBetween(a!, b!, ab!));
    expect(channelOf(a!, ab!).local).toBe(before.local);
  });

  it('refuses at once an attempt the channel cannot carry, and the payer is not told twice', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const { nodes: [a, b], channels: [ab] } = await openLine(net, ['a', 'b'], 10_000_000n);
    const payer = new TestPayer();
    a!.htlcs.setLocalSink(payer);
    const paymentHash = randomBytes(32);
    const p = buildPayment([{ node: b!, channelId: ab! }], 20_000_000n, paymentHash, (await height(net)) + 60);
    await expect(a!.htlcs.sendLocal({ paymentId: 'p1', attemptId: 'a1', channelId: ab!, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] }))
      .rejects.toThrow(/insufficient balance/);
    expect(payer.told).toBe(0);
    expect(a!.htlcs.sizes().outgoing).toBe(0);
  });

  it('after a restart, an attempt stored as offered that no stored state holds was never offered: the payer hears refused', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const { nodes: [a], channels: [ab] } = await openLine(net, ['a', 'b']);
    await a!.stop();
    // what a follower's proposal that lost a race and then a crash leave: the record, and no lock
    const store = new LevelNodeStore(join(net.dir, 'a', 'db'));
    await store.open();
    await store.writeRecords([putOutgoing({
      channelId: ab!, htlcId: 4, amountMsat: 1_000n, paymentHash: randomBytes(32), expiryHeight: (await height(net)) + 100,
      origin: { kind: 'local', paymentId: 'p', attemptId: 'lost' }, offeredHeight: 1,
    })]);
    await store.close();
    const a2 = await net.node('a');
    const payer = new TestPayer();
    a2.htlcs.setLocalSink(payer);
    const out = await payer.outcome('lost');
    expect(out.kind).toBe('refused');
    await until(() => a2.htlcs.sizes().outgoing === 0);
    expect((await a2['store'].loadRecords('htlc')).filter((r) => r.key.startsWith('out/'))).toHaveLength(0);
  });

  it('an attempt queued for a peer that is away is withdrawn before its expiry, and never offered after', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const { nodes: [a, b], channels: [ab] } = await openLine(net, ['a', 'b']);
    const payee = new TestPayee();
    await b!.stop();
    await until(() => !a!.channels.channels.get(ab!)!.connected);
    const { paymentHash } = payee.issue();
    const expiry = (await height(net)) + 10;
    const p = buildPayment([{ node: b!, channelId: ab! }], 1_000_000n, paymentHash, expiry);
    await expect(a!.htlcs.sendLocal({ paymentId: 'p', attemptId: 'w', channelId: ab!, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] }))
      .rejects.toThrow(/withdrawn/);
    expect(await height(net)).toBeLessThan(expiry);
    const b2 = await net.node('b');
    b2.htlcs.setReceiver(payee);
    await until(() => a!.channels.channels.get(ab!)!.connected && b2.channels.channels.get(ab!)!.connected);
    await until(() => settledBetween(a!, b2, ab!));
    expect(channelOf(a!, ab!).seq).toBe(channelOf(b2, ab!).seq);
    expect(payee.asked).toHaveLength(0);
    expect(a!.channels.channels.get(ab!)!.queue).toHaveLength(0);
  });
});
