// The queue the flood attacks lean on (src/node/gossip-queue.ts): the order it runs jobs in and whom
// it drops at the bound, without a ledger or signatures in the way.
import { describe, expect, it } from 'vitest';
import { GossipQueue } from '../../src/node/gossip-queue.js';

describe('GossipQueue', () => {
  it('runs our own work first, then the peers in turns, each peer in its order', async () => {
    const q = new GossipQueue(100);
    const ran: string[] = [];
    const job = (name: string) => async () => {
      ran.push(name);
      return name;
    };
    const all = [
      q.peer('eve', job('eve1'), 'dropped'), q.peer('eve', job('eve2'), 'dropped'), q.peer('eve', job('eve3'), 'dropped'),
      q.peer('bob', job('bob1'), 'dropped'), q.peer('bob', job('bob2'), 'dropped'),
      q.own(job('own')),
    ];
    await Promise.all(all);
    // eve1 had started before the rest were queued; then our own, then turns
    expect(ran).toEqual(['eve1', 'own', 'eve2', 'bob1', 'eve3', 'bob2']);
    expect(q.size).toBe(0);
  });

  it('at the bound the longest lane loses its newest; a sender as long as any is refused', async () => {
    const q = new GossipQueue(4);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const blocked = q.peer('eve', () => gate.then(() => 'ran'), 'dropped');
    const eve = [1, 2, 3].map((i) => q.peer('eve', async () => `eve${i}`, 'dropped'));
    expect(q.size).toBe(4);
    const own = q.peer('eve', async () => 'eve4', 'dropped'); // eve is the longest: the newcomer goes
    const bob = q.peer('bob', async () => 'bob1', 'dropped'); // eve's newest waiting goes for bob's
    release();
    expect(await Promise.all([blocked, ...eve, own, bob])).toEqual(['ran', 'eve1', 'eve2', 'dropped', 'dropped', 'bob1']);
  });

  it('a failing job is contained: our own failure reaches its caller, a peer\'s reads as dropped, and the next runs', async () => {
    const q = new GossipQueue(10);
    await expect(q.own(async () => { throw new Error('ours'); })).rejects.toThrow('ours');
    expect(await q.peer('eve', async () => { throw new Error('x'); }, 'dropped')).toBe('dropped');
    expect(await q.peer('eve', async () => 'next', 'dropped')).toBe('next');
  });
});
