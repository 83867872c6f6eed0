// A payer that names, in a streamChain under a new stream id, a lock that already backs something at
// the hub. The hub refused to extend it (one lock pays for one relay), and then gave the lock back, as
// it does with any lock it will not forward: but this lock was not one it was asked to forward, it was
// the one paying for a relay it runs (or for a direct stream it is paid by). The payer got its budget
// back while the hub still owed the payee downstream for the ticks it had relayed: the hub paid the
// payee out of its own pocket. (As a direct payee, the hub's meter counted ticks its released lock no
// longer paid.) A lock that backs something of ours is never given back on a refused request.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { fromHex } from '../../src/crypto/bytes.js';
import { until } from '../helpers/until.js';
import { balance, FEE, line, lockCount, RATE, streamOf, type Line } from './hopchain-net.js';

let w: Line | undefined;
afterEach(async () => {
  await w?.net.stop();
  w = undefined;
});

describe('hash-chain across hops: a refused streamChain never gives back a lock that backs something', () => {
  it('A names the lock of the relay it streams over under a new stream id: B keeps it, and is paid upstream for every tick it paid C', async () => {
    w = await line();
    const { a, b, c, ab, bc } = w;
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
    await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 3, 20_000, 'three ticks reach C');
    const lock = a.channels.channels.get(ab.channelId)!.signed.state.locks[0]!;
    a.peers.send(b.nodeId, { kind: 'streamChain', streamId: randomBytes(16), channelId: fromHex(ab.channelId), lockId: lock.id, hops: [{ nodeId: fromHex(c.nodeId), unit: RATE }] });
    await a.controlStream({ streamId: s.streamId, action: 'stop' });
    await until(async () => lockCount(c, bc.channelId) === 0, 20_000, 'C claims from B and gives its lock back');
    await until(async () => lockCount(b, ab.channelId) === 0, 20_000, "A's lock claimed and given back");
    const paidDown = await balance(c, bc.channelId);
    expect(paidDown).toBeGreaterThanOrEqual(3n * RATE);
    expect(await balance(b, ab.channelId)).toBe(paidDown + (paidDown / RATE) * FEE);
  }, 60_000);

  it('A names the lock of its direct hash-chain stream to B: B keeps it, and is paid every tick its meter counted', async () => {
    w = await line();
    const { a, b, ab } = w;
    const s = await a.openStream({ peerId: b.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
    await until(async () => ((await streamOf(b, s.streamId))?.ticks ?? 0) >= 3, 20_000, 'three ticks reach B');
    const lock = a.channels.channels.get(ab.channelId)!.signed.state.locks[0]!;
    a.peers.send(b.nodeId, { kind: 'streamChain', streamId: randomBytes(16), channelId: fromHex(ab.channelId), lockId: lock.id, hops: [{ nodeId: fromHex(w.c.nodeId), unit: RATE }] });
    await a.controlStream({ streamId: s.streamId, action: 'stop' });
    await until(async () => (await streamOf(b, s.streamId))?.status === 'stopped', 20_000, 'B sees the stop');
    await until(async () => lockCount(b, ab.channelId) === 0, 20_000, 'the lock claimed and given back');
    expect(await balance(b, ab.channelId)).toBe(BigInt((await streamOf(b, s.streamId))!.ticks) * RATE);
  }, 60_000);
});
