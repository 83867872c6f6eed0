import { describe, expect, it } from 'vitest';
import { ReplayLog } from '../../src/onion/replay.js';

const secret = (n: number) => new Uint8Array(32).fill(n);

describe('ReplayLog', () => {
  it('accepts an onion once and refuses the replay', () => {
    const log = new ReplayLog();
    expect(log.checkAndRecord(secret(1), 100).kind).toBe('fresh');
    expect(log.checkAndRecord(secret(1), 100).kind).toBe('replayed');
    expect(log.checkAndRecord(secret(2), 100).kind).toBe('fresh');
  });

  it('is bounded: when full it refuses new onions instead of forgetting old ones', () => {
    const log = new ReplayLog({ maxEntries: 2 });
    log.checkAndRecord(secret(1), 10);
    log.checkAndRecord(secret(2), 20);
    expect(log.checkAndRecord(secret(3), 30).kind).toBe('full');
    expect(log.checkAndRecord(secret(1), 10).kind).toBe('replayed');
    expect(log.size).toBe(2);
  });

  it('prunes entries whose expiry has passed, and only those', () => {
    const log = new ReplayLog({ maxEntries: 2 });
    const first = log.checkAndRecord(secret(1), 10);
    log.checkAndRecord(secret(2), 20);
    expect(log.prune(10)).toEqual([]);
    expect(log.prune(11)).toEqual([first.kind === 'fresh' ? first.entry.hash : '']);
    expect(log.has(secret(1))).toBe(false);
    expect(log.has(secret(2))).toBe(true);
    expect(log.checkAndRecord(secret(3), 30).kind).toBe('fresh');
  });

  it('restores from what the shell persisted, and never stores the secret itself', () => {
    const log = new ReplayLog();
    log.checkAndRecord(secret(5), 50);
    const entries = log.entries();
    expect(JSON.stringify(entries)).not.toContain('05'.repeat(32));
    const restored = new ReplayLog({ entries });
    expect(restored.checkAndRecord(secret(5), 50).kind).toBe('replayed');
  });
});
