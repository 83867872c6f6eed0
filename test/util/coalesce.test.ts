// The Coalescer: one run per key at a time, and every caller that asks during a run shares one more.
import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../src/util/coalesce.js';

/** Work whose runs end only when the test says, recording each run's key and argument. */
function gated() {
  const runs: { key: string; arg: boolean; end: (fail?: Error) => void }[] = [];
  const work = (key: string, arg: boolean) => new Promise<void>((resolve, reject) => {
    runs.push({ key, arg, end: (fail) => (fail ? reject(fail) : resolve()) });
  });
  return { runs, c: new Coalescer<boolean>(work, (a, b) => a || b) };
}
const flush = () => new Promise<void>((r) => setImmediate(r));

describe('Coalescer', () => {
  it('100,000 asks during one run make one more run, with their arguments merged', async () => {
    const { runs, c } = gated();
    const first = c.run('r', false);
    const later: Promise<void>[] = [];
    for (let i = 0; i < 100_000; i++) later.push(c.run('r', i === 50_000));
    expect(runs).toHaveLength(1);
    expect(c.size()).toBe(2);
    runs[0]!.end();
    await first;
    await flush();
    expect(runs.map((r) => r.arg)).toEqual([false, true]);
    runs[1]!.end();
    await Promise.all(later);
    expect(runs).toHaveLength(2);
    expect(c.size()).toBe(0);
  });

  it('a caller that asks during the queued run is served by a run that starts after its ask', async () => {
    const { runs, c } = gated();
    void c.run('r', false);
    const second = c.run('r', false);
    runs[0]!.end();
    await flush();
    expect(runs).toHaveLength(2);
    let thirdDone = false;
    const third = c.run('r', true).then(() => { thirdDone = true; });
    runs[1]!.end();
    await second;
    await flush();
    expect(thirdDone).toBe(false);
    expect(runs).toHaveLength(3);
    expect(runs[2]!.arg).toBe(true);
    runs[2]!.end();
    await third;
  });

  it('a failed run fails its own caller and still lets the queued one run', async () => {
    const { runs, c } = gated();
    const first = c.run('r', false);
    const second = c.run('r', false);
    runs[0]!.end(new Error('no'));
    await expect(first).rejects.toThrow('no');
    await flush();
    expect(runs).toHaveLength(2);
    runs[1]!.end();
    await expect(second).resolves.toBeUndefined();
  });

  it('keys do not wait on each other', () => {
    const { runs, c } = gated();
    void c.run('a', false);
    void c.run('b', false);
    expect(runs.map((r) => r.key)).toEqual(['a', 'b']);
  });
});
