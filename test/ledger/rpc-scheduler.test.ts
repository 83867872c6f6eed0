// The ledger's fair request turns, without sockets: work is counted, not timed.
import { describe, expect, it } from 'vitest';
import { ANONYMOUS_PER_TURN, FairScheduler } from '../../src/ledger/rpc-scheduler.js';

interface Conn { name: string }

function harness(maxPending = 8, maxQueuedBytes = 1 << 20, favoured?: (c: Conn) => boolean) {
  const log: string[] = [];
  const events: string[] = [];
  let work = 0;
  const workAt = new Map<string, number>();
  const s = new FairScheduler<Conn>({
    maxPending,
    maxQueuedBytes,
    run: async (conn, raw) => {
      work += raw.startsWith('heavy') ? 10_000 : 1; // a heavy request costs as much as the rules allow
      log.push(`${conn.name}:${raw}`);
      workAt.set(`${conn.name}:${raw}`, work);
    },
    pause: (c) => events.push(`pause ${c.name}`),
    resume: (c) => events.push(`resume ${c.name}`),
    overflow: (c) => events.push(`overflow ${c.name}`),
    ...(favoured ? { favoured } : {}),
  });
  const drain = async () => {
    for (let i = 0; i < 10_000 && log.length < expected; i++) await new Promise((r) => setImmediate(r));
  };
  let expected = 0;
  return { s, log, events, workAt, expect: (n: number) => (expected = n), drain, work: () => work };
}

describe('fair request turns (issue 7, item 5: a flood does not hold others)', () => {
  it('a request on a quiet connection waits for at most one flood request per connection', async () => {
    const h = harness(1000);
    const flooders = Array.from({ length: 4 }, (_, i) => ({ name: `f${i}` }));
    for (const f of flooders) for (let i = 0; i < 100; i++) h.s.enqueue(f, `heavy${i}`);
    const good = { name: 'good' };
    h.s.enqueue(good, 'info');
    h.expect(401);
    await h.drain();
    expect(h.log).toHaveLength(401);
    // done before: at most one heavy request of each flooder (the first turn), plus its own
    expect(h.workAt.get('good:info')!).toBeLessThanOrEqual(4 * 10_000 + 1);
    expect(h.work()).toBe(400 * 10_000 + 1);
  });

  it('keeps each connection\'s requests in order', async () => {
    const h = harness(1000);
    const a = { name: 'a' };
    const b = { name: 'b' };
    for (let i = 0; i < 5; i++) {
      h.s.enqueue(a, `x${i}`);
      h.s.enqueue(b, `y${i}`);
    }
    h.expect(10);
    await h.drain();
    expect(h.log.filter((l) => l.startsWith('a:'))).toEqual(['a:x0', 'a:x1', 'a:x2', 'a:x3', 'a:x4']);
    expect(h.log.filter((l) => l.startsWith('b:'))).toEqual(['b:y0', 'b:y1', 'b:y2', 'b:y3', 'b:y4']);
  });

  it('pauses a connection at its bound of unfinished requests, resumes it at half, and drops one that ignores the pause', async () => {
    const h = harness(8, 1000);
    const c = { name: 'c' };
    for (let i = 0; i < 8; i++) h.s.enqueue(c, `r${i}`);
    expect(h.events).toEqual(['pause c']);
    expect(h.s.pending(c)).toBe(8);
    h.expect(8);
    await h.drain();
    expect(h.events).toEqual(['pause c', 'resume c']);
    const d = { name: 'd' };
    for (let i = 0; i < 20; i++) h.s.enqueue(d, `r${i}`); // past the count: paused, still queued
    expect(h.s.pending(d)).toBe(20);
    h.s.enqueue(d, 'x'.repeat(1000)); // past the bytes: dropped
    expect(h.events).toEqual(['pause c', 'resume c', 'pause d', 'overflow d']);
    expect(h.s.pending(d)).toBe(0); // dropped with its queue
  });
});

describe('many connections from one attacker', () => {
  it('1,000 flooding connections: a protected node connection waits a bounded number of heavy requests, and so does a quiet anonymous one', async () => {
    const h = harness(1000, 1 << 20, (c) => c.name === 'node');
    const flooders = Array.from({ length: 1000 }, (_, i) => ({ name: `f${i}` }));
    for (const f of flooders) for (let i = 0; i < 3; i++) h.s.enqueue(f, `heavy${i}`);
    const node = { name: 'node' };
    const quiet = { name: 'quiet' };
    h.s.enqueue(node, 'submitTx');
    h.s.enqueue(quiet, 'info');
    h.expect(3002);
    await h.drain();
    expect(h.log).toHaveLength(3002);
    // before: one heavy request of each of the 1,000 flooders ran before the node's (10,000,000 hashes, ~12 s)
    expect(h.workAt.get('node:submitTx')!).toBeLessThanOrEqual(ANONYMOUS_PER_TURN * 10_000 + 1);
    // an anonymous connection waits its place in the round robin: at most one turn per ANONYMOUS_PER_TURN lanes
    expect(h.workAt.get('quiet:info')!).toBeLessThanOrEqual(1001 * 10_000 + 2);
  });
});
