// A payer and payee that work together against the hub, on its downstream channel. When B–C closes on
// the ledger the hub reads the chain registry under its lock's root, to learn a depth the payee shows
// there that never went through the hub (the payer made the chain: it can hand the payee every
// preimage). It read once a second at most 600 times (ten minutes), then claimed what it had upstream
// and gave the rest of the payer's lock back. But the downstream lock is paid whatever is registered
// for its root below its expiry (a day out) whenever its channel settles, and only the payee (its
// receiver) may settle before that expiry. So the payee closes B–C, waits out the ten minutes without
// settling, registers the whole chain, and settles: B pays downstream units that its upstream lock,
// already given back, can no longer pay it for. (B's sleeps are shortened so ten minutes of reads take
// a moment; C, colluding, holds its settle as long as it likes.)
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '../../src/crypto/bytes.js';
import { systemClock, type Clock } from '../../src/node/clock.js';
import { HashChainSecret } from '../../src/stream/hashchain.js';
import { until } from '../helpers/until.js';
import { balance, chan, FEE, line, lockCount, RATE, streamOf, type Line } from './hopchain-net.js';

let w: Line | undefined;
afterEach(async () => {
  await w?.net.stop();
  w = undefined;
});

/** The system clock, with every sleep of a second or more over at once (and counted): time for B's polling loops only. */
let seconds = 0;
const fastSleeps: Clock = {
  now: () => systemClock.now(),
  every: (ms, fn) => systemClock.every(ms, fn),
  sleep: (ms) => (ms >= 1000 ? (seconds += ms / 1000, systemClock.sleep(2)) : systemClock.sleep(ms)),
};

describe('hash-chain across hops: the hub watches its closing downstream channel until it cannot be paid more', () => {
  it('the payee closes B–C, waits past the hub\'s reads, registers a deeper chain from the payer and settles: the hub is still paid upstream for it', async () => {
    w = await line({ bExtra: { clock: fastSleeps } });
    const { a, b, c, ab, bc } = w;
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
    await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 3, 20_000, 'three ticks reach C');
    const payer = a.streams.records.get(s.streamId)!.chain as { seed: string; units: number };
    const secret = HashChainSecret.create(fromHex(payer.seed), payer.units);
    // C holds its own settle (the ledger lets the lock's receiver settle whenever it likes past the window)
    const hold = c.streams.chain!.holdSettle.bind(c.streams.chain!);
    c.streams.chain!.holdSettle = () => Number.MAX_SAFE_INTEGER;
    await c.closeChannel({ channelId: bc.channelId, force: true });
    seconds = 0;
    await until(async () => (await streamOf(a, s.streamId))?.status === 'stopped', 20_000, 'A hears the stop');
    // ten minutes of B's sleeps (it read the registry at most 600 times): B gave up (A's lock given back), or watches on
    await until(async () => seconds >= 700 || (seconds >= 600 && lockCount(b, ab.channelId) === 0), 60_000, 'ten minutes of B\'s watching');
    // the payer hands the payee 20 units that never went through B; C registers them under B–C's lock
    const metered = (await streamOf(c, s.streamId))!.ticks;
    const deep = metered + 20;
    const root = c.channels.channels.get(bc.channelId)!.signed.state.locks[0]!;
    if (root.kind !== 'hashchain') throw new Error('a hash-chain lock expected');
    const shown = (await c.ledger.chain(root.root).catch(() => undefined))?.depth ?? 0;
    await c.account.registerChain({ root: root.root, preimage: secret.preimageAt(deep), depth: deep, registeredDepth: shown });
    await until(async () => ((await c.ledger.chain(root.root).catch(() => undefined))?.depth ?? 0) === deep, 20_000, 'the registration mined');
    c.streams.chain!.holdSettle = hold;
    await until(async () => (await chan(c, bc.channelId)).payout !== undefined, 30_000, 'B–C settled');
    const paidDown = (await chan(c, bc.channelId)).payout!.local;
    expect(paidDown).toBe(BigInt(deep) * RATE);
    await until(async () => lockCount(b, ab.channelId) === 0, 30_000, "A's lock claimed and given back");
    const up = await balance(b, ab.channelId);
    expect(up).toBeGreaterThanOrEqual(paidDown + BigInt(deep) * FEE); // never out of pocket beyond its fee
  }, 120_000);
});
