// Issue 7 item 1, the channel side, against a real node process over real WebSockets and LevelDB:
// strangers with no funds send opens they never fund, from one key and from many. The node stays up,
// holds only its bounds (4 per peer, 64 in all), refuses the rest naming the limit, keeps the count
// across a restart, and opens and pays a real channel all along.
import { afterAll, describe, expect, it } from 'vitest';
import { randomSecretKey } from '../../src/crypto/keys.js';
import { DEFAULT_CHAIN_ID } from '../../src/ledger/service.js';
import { openMessage } from '../helpers/channel-managers.js';
import { cluster, until, type Cluster } from '../helpers/cluster.js';
import { HostilePeer } from '../helpers/hostile-peer.js';

let c: Cluster | undefined;
afterAll(async () => {
  await c?.shutdown();
});

type ChannelJson = { channelId: string; status: string; peerId: string; localBalance: string };

const errorText = (m: { kind: string; data?: Uint8Array }): string => (m.kind === 'error' && m.data ? Buffer.from(m.data).toString('utf8') : '');

describe('unfunded opens against a node process (issue 7 item 1, channel side)', () => {
  it('300 from one stranger and 70 from 70 more: 64 held in all, the rest refused naming the limit; restart keeps the count; a real channel pays', async () => {
    c = await cluster();
    const bob = await c.node('bob');
    const sk = randomSecretKey();
    const one = await HostilePeer.connect({ ws: `ws://127.0.0.1:${bob.port}`, remoteNodeId: bob.id, secretKey: sk });
    await one.init({ chainId: DEFAULT_CHAIN_ID });
    await one.flood(300, () => openMessage({ sk, chainId: DEFAULT_CHAIN_ID }));
    const answered = () => one.received.filter((m) => m.kind === 'acceptChannel' || m.kind === 'error').length;
    await until(async () => answered() === 300, 30_000, 'an answer to each open');
    expect(one.received.filter((m) => m.kind === 'acceptChannel')).toHaveLength(4);
    const refusals = one.received.map(errorText).filter(Boolean);
    expect(refusals).toHaveLength(296);
    expect(new Set(refusals)).toEqual(new Set(['channel refused: you have 4 unfunded channels with us (limit 4 per peer); fund or abandon one first']));
    one.close();

    // more strangers, one open each: 60 more fit under the total, then the total refuses
    const texts: string[] = [];
    for (let i = 0; i < 70; i++) {
      const k = randomSecretKey();
      const p = await HostilePeer.connect({ ws: `ws://127.0.0.1:${bob.port}`, remoteNodeId: bob.id, secretKey: k });
      await p.init({ chainId: DEFAULT_CHAIN_ID });
      p.send(openMessage({ sk: k, chainId: DEFAULT_CHAIN_ID }));
      const m = await p.waitFor((x) => x.kind === 'acceptChannel' || x.kind === 'error');
      texts.push(m.kind === 'acceptChannel' ? 'accepted' : errorText(m));
      p.close();
    }
    expect(texts.filter((t) => t === 'accepted')).toHaveLength(60);
    expect(texts.slice(60)).toEqual(Array(10).fill('channel refused: this node has 64 unfunded channels (limit 64 in all); try again later'));
    expect((await bob.cliJson<ChannelJson[]>(['channel', 'list'])).filter((x) => x.status === 'opening')).toHaveLength(64);

    // the node restarts and still counts them (they are in its store)
    await c.stop(bob);
    await c.start(bob);
    const again = await HostilePeer.connect({ ws: `ws://127.0.0.1:${bob.port}`, remoteNodeId: bob.id, secretKey: sk });
    await again.init({ chainId: DEFAULT_CHAIN_ID });
    again.send(openMessage({ sk, chainId: DEFAULT_CHAIN_ID }));
    expect(errorText(await again.waitFor('error'))).toMatch(/limit 4 per peer/);
    again.close();

    // a real channel, opened by bob to alice (bob's own opens are not bounded), works
    const alice = await c.node('alice');
    expect((await bob.cli(['wallet', 'faucet', '2000000sat'])).code).toBe(0);
    expect((await bob.cli(['peer', 'connect', alice.target])).code).toBe(0);
    const ch = await bob.cliJson<ChannelJson>(['channel', 'open', alice.id, '1000000sat']);
    expect(ch.status).toBe('open');
    expect((await bob.cli(['pay', alice.id, '1000sat'])).code).toBe(0);
  }, 120_000);
});
