// A payer that lies to its hub with a wrong preimage. docs/streams.md: "A tick reveals at most 10,000
// units, and a wrong one ends the relay, so a peer can make a hop hash at most that once per relay."
// The hop logged the wrong tick and claimed what it had, but kept the relay taking ticks: every later
// tick was hashed again (a wrong one 10,000 units ahead costs 10,000 hashes per message, at the peer's
// message rate, for as long as it likes). Shown by what the hub does after a wrong tick: it still takes,
// and forwards, the payer's next honest ticks.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { fromHex } from '../../src/crypto/bytes.js';
import { until } from '../helpers/until.js';
import { line, streamOf, type Line } from './hopchain-net.js';

let w: Line | undefined;
afterEach(async () => {
  await w?.net.stop();
  w = undefined;
});

describe('hash-chain across hops: a wrong preimage ends the relay at the hub', () => {
  it('after a wrong tick the hub takes no more ticks for that relay (so it never hashes for it again)', async () => {
    w = await line();
    const { a, b, c } = w;
    const s = await a.openStream({ peerId: c.nodeId, rate: '10sat/s', durationMs: 60_000, mode: 'hashchain' });
    await until(async () => ((await streamOf(c, s.streamId))?.ticks ?? 0) >= 2, 20_000, 'two ticks reach C');
    const relay = () => b.streams.chain!.list().find((r) => r.streamId === s.streamId)!;
    // A (lying) sends B a wrong preimage, 9 units past what B holds: 9 hashes, and a mismatch
    const at = relay().depth;
    a.peers.send(b.nodeId, { kind: 'streamTick', streamId: fromHex(s.streamId), depth: at + 9, preimage: randomBytes(32) });
    await until(async () => ((await streamOf(a, s.streamId))?.ticks ?? 0) >= at + 4, 20_000, 'A reveals on (honest ticks after the wrong one)');
    // the relay ended at the wrong tick: the honest ticks after it were neither hashed nor forwarded
    expect(relay()?.depth ?? at).toBeLessThanOrEqual(at + 1);
    expect((await streamOf(c, s.streamId))!.ticks).toBeLessThanOrEqual(at + 1);
  }, 60_000);
});
