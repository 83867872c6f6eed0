// A payee that force-closes with an old state, with a chain from the payer. C claims what it metered
// from B (B's lock on B–C moves down its chain to the claimed preimage, and B claims as much on A's lock
// upstream), then closes B–C with the state from before its claim and, in the same block, reveals a
// chain deeper than went through B against that state's root (the payer handed it over). The ledger pays
// C that depth whichever state is adjudicated (the reveal is carried, against the moved root, by a
// dispute; undisputed, it pays under the old root). B watched the registry only under its own lock's
// current root, where neither shows: it never learned the depth, gave A's lock back, and paid C out of
// pocket. It must read what the ledger holds for the lock under adjudication: the channel's reveals,
// and the registry under that state's root and its anchors as well as its own.
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '../../src/crypto/bytes.js';
import { HashChainSecret } from '../../src/stream/hashchain.js';
import { until } from '../helpers/until.js';
import { balance, chan, FEE, line, lockCount, RATE, streamOf, type Line } from './hopchain-net.js';

let w: Line | undefined;
afterEach(async () => {
  await w?.net.stop();
  w = undefined;
});

describe('hash-chain across hops: a payee closing with an old state cannot show the hub a chain it never sees', () => {
  it('C claims, then closes with the state before its claim and reveals 20 ticks past B\'s against its root: B is paid upstream for all of it', async () => {
    w = await line();
    const { a, b, c, ab, bc } = w;
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
    await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 3, 20_000, 'three ticks reach C');
    await a.controlStream({ streamId: s.streamId, action: 'pause' });
    await until(async () => (await streamOf(c, s.streamId))?.status === 'paused' && (await streamOf(c, s.streamId))?.ticks === (await streamOf(a, s.streamId))?.ticks, 10_000, 'the last reveal relayed');
    const payer = a.streams.records.get(s.streamId)!.chain as { seed: string; units: number };
    const secret = HashChainSecret.create(fromHex(payer.seed), payer.units);
    const metered = (await streamOf(c, s.streamId))!.ticks;
    const old = c.channels.channels.get(bc.channelId)!.signed;
    const lock = old.state.locks[0]!;
    // C claims what it metered; B claims as much from A
    await c.channels.submitOps(bc.channelId, [{ op: 'claimHashchain', id: lock.id, depth: metered, preimage: secret.preimageAt(metered) }]).settled;
    await until(async () => b.streams.chain!.list()[0]?.claimedUp === metered, 20_000, 'B claims upstream');
    // C closes with the state before its claim and reveals against that state's root, 20 ticks deeper
    const deep = metered + 20;
    await c.account.channelTx('forceClose', fromHex(bc.channelId), { state: old });
    await c.account.reveal({ channelId: fromHex(bc.channelId), lockId: lock.id, preimage: secret.preimageAt(deep), depth: deep, shownDepth: 0 });
    await until(async () => (await chan(c, bc.channelId)).payout !== undefined, 30_000, 'B–C settled');
    const paidDown = (await chan(c, bc.channelId)).payout!.local;
    expect(paidDown).toBe(BigInt(deep) * RATE);
    await until(async () => lockCount(b, ab.channelId) === 0, 30_000, "A's lock claimed and given back");
    expect(await balance(b, ab.channelId)).toBeGreaterThanOrEqual(paidDown + BigInt(deep) * FEE);
  }, 90_000);
});
