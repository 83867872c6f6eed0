// Issue 7 item 7 through the node: a payment whose update cannot be stored fails at once with a clear
// error (not a 60 s wait and "may still complete"), and the node's next payment is paid.
import { afterEach, describe, expect, it } from 'vitest';
import { NodeError } from '../../src/node/errors.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { FaultyStore, proposalWrite } from '../helpers/store-doubles.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

/** Alice (on a store that can fail a chosen write, funded) connected to Bob. */
async function twoNodes() {
  net = await testNet();
  const store = new FaultyStore();
  const alice = await net.node('alice', undefined, { store });
  const bob = await net.node('bob');
  await alice.faucet(2_000_000_000n);
  await alice.connectInMemory(bob.nodeId);
  return { store, alice, bob };
}

describe('a failed persist hangs the caller (issue 7 item 7), through node pay', () => {
  it('refuses the payment at once with STORE_FAILED, keeps the channel as stored, and pays the next one', async () => {
    const { store, alice, bob } = await twoNodes();
    const ch = await alice.openChannel({ peerId: bob.nodeId, capacity: 1_000_000_000n, push: 0n });
    store.fail(proposalWrite(1n));
    const err = await alice.pay({ peerId: bob.nodeId, amount: 1_000_000n }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect(err).toMatchObject({ kind: 'unavailable', code: 'STORE_FAILED' });
    expect((err as NodeError).message).toMatch(/^the payment was not made: could not store channel .* ENOSPC/);
    expect((await alice.listChannels())[0]).toMatchObject({ channelId: ch.channelId, seq: 0n, localBalance: 1_000_000_000n, pendingUpdates: 0 });
    const ok = await alice.pay({ peerId: bob.nodeId, amount: 2_000_000n });
    expect(ok.seq).toBe(1n);
    expect((await alice.listChannels())[0]!.localBalance).toBe(998_000_000n);
  });

  it('an open or a force close whose write fails answers STORE_FAILED at once and changes nothing', async () => {
    const { store, alice, bob } = await twoNodes();
    store.fail((w) => w.method === 'saveChannel');
    await expect(alice.openChannel({ peerId: bob.nodeId, capacity: 1_000_000_000n, push: 0n })).rejects.toMatchObject({ code: 'STORE_FAILED' });
    expect(await alice.listChannels()).toEqual([]);
    const ch = await alice.openChannel({ peerId: bob.nodeId, capacity: 1_000_000_000n, push: 0n });
    store.fail((w) => w.channel?.status === 'forceClosing');
    await expect(alice.closeChannel({ channelId: ch.channelId, force: true })).rejects.toMatchObject({ code: 'STORE_FAILED' });
    expect((await alice.listChannels())[0]!.status).toBe('open');
    expect((await alice.closeChannel({ channelId: ch.channelId, force: true })).status).toBe('closing');
  });
});
