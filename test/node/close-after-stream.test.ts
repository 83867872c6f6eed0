// A cooperative close asked for the moment a hash-chain stream ends, while the payee's final claim and
// release of the stream's lock are still in flight: found by trying the SDK as a new user would (the
// close was dropped by the state machine and the caller waited 60 s for nothing).
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { testNet, type TestNet } from '../helpers/network.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe('closing right after a hash-chain stream ends', () => {
  it('waits for the lock to be claimed and released, then closes with the ticks paid', async () => {
    net = await testNet({ disputeBlocks: 40 });
    const alice = await net.node('alice');
    const bob = await net.node('bob');
    await alice.faucet(2_000_000_000n);
    await alice.connectInMemory(bob.nodeId);
    const ch = await alice.openChannel({ peerId: bob.nodeId, capacity: 1_000_000_000n, push: 0n });
    await until(async () => (await bob.listChannels())[0]?.status === 'open', 15_000, 'bob sees the channel open');
    const s = await alice.openStream({ peerId: bob.nodeId, rate: '1000msat/100ms', durationMs: 1000, mode: 'hashchain' });
    // the first moment alice's stream has ended: the lock is still in the channel
    for (;;) {
      const v = (await alice.listStreams()).find((x) => x.streamId === s.streamId);
      if (v && (v.status === 'finished' || v.status === 'stopped')) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const closed = await alice.closeChannel({ channelId: ch.channelId, force: false });
    expect(closed.status).toBe('closed');
    const paid = (await bob.listStreams()).find((x) => x.streamId === s.streamId)!.paid;
    expect(paid).toBeGreaterThan(0n);
    expect(closed.remoteBalance).toBe(paid);
    expect(closed.localBalance + closed.remoteBalance).toBe(1_000_000_000n);
  }, 40_000);
});
