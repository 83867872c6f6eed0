// Several whole nodes in one process over the in-memory transport, with a real ledger and LevelDB.
import { afterEach, describe, expect, it } from 'vitest';
import { FEE, testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe('two nodes in one process', () => {
  it('open, pay both ways, close cooperatively: ledger balances exactly as expected', async () => {
    net = await testNet();
    const alice = await net.node('alice');
    const bob = await net.node('bob');
    await alice.faucet(2_000_000_000n);
    await alice.connectInMemory(bob.nodeId);
    const ch = await alice.openChannel({ peerId: bob.nodeId, capacity: 1_000_000_000n, push: 0n });
    expect(ch.status).toBe('open');
    await until(async () => (await bob.listChannels())[0]?.status === 'open');

    const payments = [];
    for (let i = 0; i < 100; i++) payments.push(alice.pay({ peerId: bob.nodeId, amount: 1_000_000n }));
    await Promise.all(payments);
    // a follower's payment is final for the payer once the leader acked; the leader holds the full
    // state a moment later, when the follower's commit arrives
    await until(async () => (await bob.listChannels())[0]!.localBalance === 100_000_000n);
    const back = [];
    for (let i = 0; i < 40; i++) back.push(bob.pay({ peerId: alice.nodeId, amount: 500_000n }));
    await Promise.all(back);
    await until(async () => (await alice.listChannels())[0]!.localBalance === 920_000_000n && (await bob.listChannels())[0]!.seq === (await alice.listChannels())[0]!.seq);

    const [a] = await alice.listChannels();
    const [b] = await bob.listChannels();
    expect(a!.localBalance).toBe(1_000_000_000n - 100_000_000n + 20_000_000n);
    expect(b!.localBalance).toBe(80_000_000n);
    expect(a!.seq).toBe(b!.seq);
    // batching: 140 payments took far fewer than 140 updates
    expect(a!.seq).toBeLessThan(60n);

    await alice.closeChannel({ channelId: a!.channelId, force: false });
    await until(async () => (await bob.listChannels())[0]?.status === 'closed');
    const aw = await alice.wallet();
    const bw = await bob.wallet();
    // alice: funded 2e9, paid open fee + capacity, got back her channel balance less the close fee
    expect(aw.balance).toBe(2_000_000_000n - 1_000_000_000n - FEE + (920_000_000n - FEE));
    expect(bw.balance).toBe(80_000_000n);
    expect((await net.ledger.chain.audit()).ok).toBe(true);
  });

  it('refuses to pay more than the channel can carry and keeps going', async () => {
    net = await testNet();
    const alice = await net.node('alice');
    const bob = await net.node('bob');
    await alice.faucet(2_000_000_000n);
    await alice.connectInMemory(bob.nodeId);
    await alice.openChannel({ peerId: bob.nodeId, capacity: 100_000_000n, push: 0n });
    await expect(alice.pay({ peerId: bob.nodeId, amount: 100_000_000n })).rejects.toThrow(/no open channel/);
    await expect(bob.pay({ peerId: alice.nodeId, amount: 1n })).rejects.toThrow(/no open channel/);
    const ok = await alice.pay({ peerId: bob.nodeId, amount: 5_000n });
    expect(ok.seq).toBe(1n);
  });
});

describe('opening refused', () => {
  it('ends the proposal with the peer’s reason instead of waiting', async () => {
    net = await testNet();
    const alice = await net.node('alice');
    const bob = await net.node('bob');
    await alice.faucet(2_000_000_000n);
    await alice.connectInMemory(bob.nodeId);
    // under bob's minimum capacity
    await expect(alice.openChannel({ peerId: bob.nodeId, capacity: 1_000n, push: 0n })).rejects.toThrow(/refused.*minimum/);
    // a refused open is 'failed' (nothing was ever locked), not 'closed', and says why
    expect((await alice.listChannels())[0]).toMatchObject({ status: 'failed', failure: expect.stringMatching(/refused.*minimum/) });
    expect(await bob.listChannels()).toEqual([]);
  });
});

describe('funding checks', () => {
  it('does not count a channel as open when the ledger channel under its id belongs to others', async () => {
    const { eventsFromLedgerRecord } = await import('../../src/node/watcher.js');
    net = await testNet();
    const alice = await net.node('alice');
    const bob = await net.node('bob');
    await alice.faucet(2_000_000_000n);
    await alice.connectInMemory(bob.nodeId);
    await alice.openChannel({ peerId: bob.nodeId, capacity: 100_000_000n, push: 0n });
    const ch = bob.channels.list()[0]!;
    const lc = (await bob.ledger.channel(ch.channelId))!;
    // the real record matches; the same record with other parties or another capacity does not
    expect(eventsFromLedgerRecord({ ...ch, status: 'opening' }, lc)).toEqual([{ type: 'ledgerOpened', state0: ch.signed.state }]);
    expect(eventsFromLedgerRecord({ ...ch, status: 'opening' }, { ...lc, capacity: 10n })[0]).toMatchObject({ type: 'openFailed' });
    expect(eventsFromLedgerRecord({ ...ch, status: 'opening' }, { ...lc, a: lc.b, b: lc.a })[0]).toMatchObject({ type: 'openFailed' });
    expect(eventsFromLedgerRecord({ ...ch, status: 'open' }, { ...lc, capacity: 10n, status: 'closing' })).toEqual([]);
  });
});
