// A payer that lies to its hub about the expiry. checkExtend (src/stream/hop-chain.ts) bounded a lock's
// expiry from below (144 blocks past the hop's delta) but not from above. The ledger settles a channel
// holding a hash-chain lock with an expiry no earlier than that expiry unless the lock's receiver
// settles, and the hub holds its own settle of the upstream channel until the lock's expiry
// (holdSettle): so a payer whose lock expires in ten million blocks, once it (or its payee, on the hub's
// downstream channel) force-closes, freezes the hub's whole balance in that channel for ten million
// blocks, at the cost of one tick. An honest payer's lock expires STREAM_LOCK_EXPIRY_BLOCKS (86,400)
// after it is proposed, as the HTLC path bounds an HTLC's expiry by max_htlc_cltv. Shown by the hub
// refusing such a lock: it proposes nothing downstream and gives the lock back.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { fromHex } from '../../src/crypto/bytes.js';
import { hashChain } from '../../src/crypto/hash.js';
import { freeLockId } from '../../src/node/streams-payer.js';
import type { ChannelOp } from '../../src/wire/channel-ops.js';
import { until } from '../helpers/until.js';
import { FEE, line, lockCount, RATE, type Line } from './hopchain-net.js';

let w: Line | undefined;
afterEach(async () => {
  await w?.net.stop();
  w = undefined;
});

describe('hash-chain across hops: the hub bounds the expiry of a lock it extends', () => {
  it('refuses a lock that expires ten million blocks out (it would freeze the hub\'s channels that long), and gives it back', async () => {
    w = await line();
    const { a, b, c, ab, bc } = w;
    const proposedDown: ChannelOp[] = [];
    const submit = b.channels.submitOps.bind(b.channels);
    b.channels.submitOps = ((id: string, ops: ChannelOp[], ...rest: unknown[]) => {
      if (id === bc.channelId) proposedDown.push(...ops.filter((op) => op.op === 'addHashchain'));
      return (submit as (...x: unknown[]) => ReturnType<typeof submit>)(id, ops, ...rest);
    }) as typeof b.channels.submitOps;
    const units = 5;
    const root = hashChain(randomBytes(32), units);
    const lockId = freeLockId(a.channels.channels.get(ab.channelId)!);
    const height = (await a.ledger.info()).height;
    a.peers.send(b.nodeId, { kind: 'streamChain', streamId: randomBytes(16), channelId: fromHex(ab.channelId), lockId, hops: [{ nodeId: fromHex(c.nodeId), unit: RATE }] });
    await a.channels.submitOps(ab.channelId, [{ op: 'addHashchain', id: lockId, root, unit: RATE + FEE, maxUnits: units, expiryHeight: height + 10_000_000 }]).settled;
    await until(async () => lockCount(a, ab.channelId) === 0, 20_000, 'the lock given back');
    expect(proposedDown).toEqual([]);
    expect(b.streams.chain!.list()).toEqual([]);
  }, 60_000);
});
