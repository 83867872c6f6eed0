// Issue 7 item 1, the channel side, through whole nodes: a stranger with no funds floods a node with
// opens it never funds. The node holds only its bound of them, refuses the rest naming the limit,
// forgets them after the deadline, and keeps opening and paying real channels throughout.
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { createLogger } from '../../src/util/log.js';
import { openMessage } from '../helpers/channel-managers.js';
import { until } from '../helpers/cluster.js';
import { testNet, type TestNet } from '../helpers/network.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe('unfunded opens from a stranger (issue 7 item 1, channel side)', () => {
  it('300 opens never funded: 4 held, 296 refused naming the limit, all forgotten at the deadline; a real channel opens and pays', async () => {
    net = await testNet();
    const victim = await net.node('victim', undefined, { openLimits: { deadlineBlocks: 30 } });
    // the attacker's node records the errors it is sent
    const refusals: string[] = [];
    const log = createLogger({ level: 'warn', json: true, stream: { write: (line: string) => {
      const rec = JSON.parse(line) as { msg?: string; text?: string };
      if (rec.msg === 'error from peer' && rec.text) refusals.push(rec.text);
    } } });
    const attacker = await net.node('attacker', undefined, { log });
    await attacker.connectInMemory(victim.nodeId);
    for (let i = 0; i < 300; i++) attacker.peers.send(victim.nodeId, openMessage({ sk: attacker.identity.secretKey }));
    await until(async () => refusals.length === 296 && victim.channels.list().length === 4);
    expect(new Set(refusals)).toEqual(new Set([`channel refused: you have 4 unfunded channels with us (limit 4 per peer); fund or abandon one first`]));
    expect(victim.channels.unfunded.size).toBe(4);

    const friend = await net.node('friend');
    await friend.faucet(2_000_000_000n);
    await friend.connectInMemory(victim.nodeId);
    const ch = await friend.openChannel({ peerId: victim.nodeId, capacity: 1_000_000_000n, push: 0n });
    expect((await friend.pay({ peerId: victim.nodeId, amount: 3_000_000n })).seq).toBe(1n);

    // 30 blocks later the unfunded ones are gone; the real channel is not
    await until(async () => victim.channels.list().length === 1);
    expect(victim.channels.list().map((c) => toHex(c.channelId))).toEqual([ch.channelId]);
    expect(victim.channels.unfunded.size).toBe(0);
    await until(async () => (await victim.listChannels())[0]!.localBalance === 3_000_000n);
    expect((await friend.pay({ peerId: victim.nodeId, amount: 1_000_000n })).seq).toBe(2n);
  }, 60_000);
});
