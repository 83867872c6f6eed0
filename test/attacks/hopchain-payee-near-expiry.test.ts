// A hub that lies to the payee: its lock on B–C carries the payee's unit and enough units, but expires
// in two blocks. The payee took any such lock for its stream (bindPayee checked the side, the unit and
// the units, not the expiry) and metered every tick on it. But the ledger refuses a reveal on a lock from
// one dispute window past its expiry, so once the hub stops signing the payee's claims, the payee's only
// way to be paid (close and reveal) is gone: its meter counts ticks it can never be paid. A payee takes
// no lock for a stream across hops that expires sooner than a hop would accept one (144 blocks).
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelOp } from '../../src/wire/channel-ops.js';
import { until } from '../helpers/until.js';
import { chan, line, RATE, streamOf, type Line } from './hopchain-net.js';

let w: Line | undefined;
afterEach(async () => {
  await w?.net.stop();
  w = undefined;
});

describe('hash-chain across hops: the payee meters only on a lock it can still be paid by on the ledger', () => {
  it('B\'s lock to C expires in two blocks: C never meters on it more than a close pays it', async () => {
    w = await line();
    const { a, b, c, bc } = w;
    const submit = b.channels.submitOps.bind(b.channels);
    b.channels.submitOps = ((id: string, ops: ChannelOp[], ...rest: unknown[]) => {
      const near = ops.map((op) => (id === bc.channelId && op.op === 'addHashchain' ? { ...op, expiryHeight: lastHeight + 2 } : op));
      return (submit as (...x: unknown[]) => ReturnType<typeof submit>)(id, near, ...rest);
    }) as typeof b.channels.submitOps;
    let lastHeight = (await b.ledger.info()).height;
    const heights = setInterval(() => void b.ledger.info().then((i) => { lastHeight = i.height; }, () => undefined), 200);
    try {
      const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
      await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 3 || (await streamOf(a, s.streamId))?.status === 'stopped', 20_000, 'three ticks reach C, or the stream ends');
      // B stops signing C's claims: C's way to be paid is to close and reveal
      const metered = BigInt((await streamOf(c, s.streamId))!.ticks);
      await c.closeChannel({ channelId: bc.channelId, force: true });
      await until(async () => (await chan(c, bc.channelId)).payout !== undefined, 30_000, 'B–C settled');
      expect((await chan(c, bc.channelId)).payout!.local).toBeGreaterThanOrEqual(metered * RATE);
    } finally {
      clearInterval(heights);
    }
  }, 60_000);
});
