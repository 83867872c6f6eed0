// The graph store on real LevelDB: what a node learned by gossip is there after a restart, in its own
// sublevel of the node's database, and a damaged row is skipped rather than stopping the start.
import { afterEach, describe, expect, it } from 'vitest';
import { LevelNodeStore } from '../../src/node/store.js';
import { tempDir } from '../helpers/tmp.js';
import { GossipNet, POLICY } from '../helpers/gossip-net.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('LevelGraphStore', () => {
  it('a node restarted on its data dir loads the graph it learned; pruning deletes from disk', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    let db = new LevelNodeStore(dir);
    await db.open();
    const net = new GossipNet({ closedChecksPerTick: 10 });
    const c = await net.add('c', db.graphStore());
    const a = await net.add('a');
    const b = await net.add('b');
    net.connect(a, b);
    net.connect(b, c);
    const ab = net.ledger.open(a.pk, b.pk);
    const bc = net.ledger.open(b.pk, c.pk);
    for (const [x, rec] of [[a, ab], [b, ab], [b, bc], [c, bc]] as const) await x.gossip.announceChannel({ channelId: rec.channelId, policy: POLICY });
    await a.gossip.announceNode({ alias: 'a', addresses: [{ type: 'dns', host: 'a.example', port: 1 }] });
    await net.pump();
    const before = c.gossip.snapshot();
    expect(before.channels.length).toBe(2);
    expect(before.channels.every((ch) => ch.policy1 && ch.policy2)).toBe(true);
    await db.close();

    db = new LevelNodeStore(dir);
    await db.open();
    cleanups.push(() => db.close());
    expect(await db.loadChannels()).toEqual([]); // the node's own sublevels are untouched
    const restarted = await new GossipNet().add('c', db.graphStore(), c.sk);
    expect(restarted.gossip.snapshot()).toEqual(before);

    // the restarted node prunes a closed channel from disk too
    net.ledger.close(ab);
    const again = await (async () => {
      const n2 = new GossipNet({ closedChecksPerTick: 10 });
      for (const [k, v] of net.ledger.records) n2.ledger.records.set(k, v);
      return n2.add('c', db.graphStore(), c.sk);
    })();
    await again.gossip.tick();
    const stored = await db.graphStore().load();
    expect(stored.channels.map((s) => s.shortChannelId)).toEqual([bc.shortChannelId]);
    expect(stored.nodes.map((n) => n.nodeId)).not.toContain(a.id);
  });

  it('skips rows that do not parse', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const db = new LevelNodeStore(dir);
    await db.open();
    cleanups.push(() => db.close());
    const g = db.graphStore();
    await g.saveChannel('0000010000000000', Uint8Array.of(1, 0, 9), 5n); // a type 256 frame cut short
    await g.saveUpdate('0000010000000000', 0, Uint8Array.of(0xff));
    const net = new GossipNet();
    const n = await net.add('n', g);
    expect(n.gossip.graph.channelCount).toBe(0);
    expect((await g.load()).channels.length).toBe(1);
  });
});
