// The streams' due-queue against a plain model: whatever is set, taken is exactly the ids whose latest
// time has come, earliest first, each once.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DueQueue } from '../../src/node/streams-schedule.js';

describe('DueQueue', () => {
  it('takes what is due, earliest first, and only the latest time set for each id', () => {
    const q = new DueQueue();
    q.set('a', 30);
    q.set('b', 10);
    q.set('c', 20);
    q.set('a', 5); // moved earlier
    q.set('c', undefined); // taken out
    expect(q.take(9)).toEqual(['a']);
    expect(q.take(9)).toEqual([]);
    expect(q.take(100)).toEqual(['b']);
    expect(q.size).toBe(0);
  });

  it('agrees with a model under random sets and takes', () => {
    const op = fc.oneof(
      fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e'), at: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }) }),
      fc.integer({ min: 0, max: 100 }).map((now) => ({ now })),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const q = new DueQueue();
      const model = new Map<string, number>();
      for (const o of ops) {
        if ('now' in o) {
          const want = [...model].filter(([, at]) => at <= o.now).sort((x, y) => x[1] - y[1]);
          const got = q.take(o.now);
          expect(new Set(got)).toEqual(new Set(want.map(([id]) => id)));
          const times = got.map((id) => model.get(id)!);
          expect(times).toEqual([...times].sort((x, y) => x - y));
          for (const [id] of want) model.delete(id);
        } else if (o.at === undefined) {
          q.set(o.id, undefined);
          model.delete(o.id);
        } else {
          q.set(o.id, o.at);
          model.set(o.id, o.at);
        }
        expect(q.size).toBe(model.size);
      }
    }));
  });
});
