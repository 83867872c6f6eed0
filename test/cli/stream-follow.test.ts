// The `stream start --follow` display on its own, with a fake clock and a captured output: the
// terminal redraw (one line in place), the plain lines for pipes, and --json lines.
import { describe, expect, it } from 'vitest';
import type { StreamEventKind, StreamView } from '../../src/api/types.js';
import { StreamFollower } from '../../src/cli/stream-follow.js';
import { eventLine, formatElapsed, streamLine } from '../../src/cli/node-format.js';
import { formatMsat } from '../../src/money.js';
import { FakeApi } from '../api/fake-api.js';

const T0 = 1_700_000_000_000;
const CLEAR = '\r\u001b[2K';

function setup(opts: { json?: boolean; tty?: boolean; columns?: number } = {}) {
  const api = new FakeApi();
  let now = T0;
  let out = '';
  const opened: StreamView = { ...api.stream, ticks: 0, paid: 0n, remaining: 100n, max: 100n, startedAt: T0 };
  const f = new StreamFollower(opened, {
    json: opts.json ?? false,
    tty: opts.tty ?? false,
    write: (t) => (out += t),
    columns: () => opts.columns,
    now: () => now,
    redrawMs: 60_000,
  });
  let ended: StreamView | undefined;
  void f.ended.then((s) => (ended = s));
  const at = (ms: number, kind: StreamEventKind, patch: Partial<StreamView>) => {
    now = T0 + ms;
    f.event(kind, { ...opened, ...patch });
  };
  return { f, opened, at, out: () => out, ended: () => ended, clearOut: () => (out = '') };
}

describe('StreamFollower without a terminal', () => {
  it('prints a plain line per tick, at most one a second, every other event, and a summary', async () => {
    const s = setup();
    expect(s.out()).toMatch(/^stream [0-9a-f]{32} active: paying 10 msat\/s to [0-9a-f]{66}\nchannel [0-9a-f]{64}, signed, a tick every 1s, max 0\.1 sat, for 60min\n$/);
    s.clearOut();
    s.at(1000, 'tick', { ticks: 1, paid: 10n, remaining: 90n });
    s.at(1500, 'tick', { ticks: 2, paid: 20n, remaining: 80n }); // within the second: no line
    s.at(2000, 'tick', { ticks: 3, paid: 30n, remaining: 70n });
    s.at(2100, 'late', { ticks: 3, paid: 30n, remaining: 70n, late: true });
    s.at(3000, 'paused', { ticks: 3, paid: 30n, remaining: 70n, status: 'paused' });
    s.at(65_000, 'finished', { ticks: 10, paid: 100n, remaining: 0n, status: 'finished', reason: 'max reached' });
    expect(s.out().split('\n')).toEqual([
      '0:01  ticks 1  paid 0.01 sat  rate 10 msat/s  remaining 0.09 sat',
      '0:02  ticks 3  paid 0.03 sat  rate 10 msat/s  remaining 0.07 sat',
      'late  0:02  ticks 3  paid 0.03 sat  rate 10 msat/s  remaining 0.07 sat  LATE',
      'paused  0:03  ticks 3  paid 0.03 sat  rate 10 msat/s  remaining 0.07 sat  paused',
      'finished  1:05  ticks 10  paid 0.1 sat  rate 10 msat/s  remaining 0 sat  finished',
      `stream ${s.opened.streamId} finished: paid 100 msat (0.1 sat) in 10 ticks over 1:05 (max reached)`,
      '',
    ]);
    expect(s.out()).not.toContain('\r');
    await Promise.resolve();
    expect(s.ended()).toMatchObject({ status: 'finished', ticks: 10 });
  });

  it('ignores other streams and anything after the end', () => {
    const s = setup();
    s.clearOut();
    s.at(1000, 'tick', { streamId: 'ff'.repeat(16), ticks: 1 });
    expect(s.out()).toBe('');
    s.at(2000, 'stopped', { status: 'stopped', reason: 'stopped by the payee' });
    const after = s.out();
    s.at(3000, 'tick', { ticks: 9 });
    expect(s.out()).toBe(after);
    expect(after).toContain('(stopped by the payee)');
  });

  it('strips control characters from what the node or peer sent', () => {
    const s = setup();
    s.at(1000, 'stopped', { status: 'stopped', reason: 'bye\u001b[2J\nnow', rate: '10 msat/s\u0007' });
    expect(s.out()).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/); // eslint-disable-line no-control-regex
    expect(s.out()).toContain('(bye [2J now)');
  });
});

describe('StreamFollower on a terminal', () => {
  it('redraws one line in place and keeps events on their own lines', async () => {
    const s = setup({ tty: true });
    expect(s.out().endsWith(`${CLEAR}0:00  ticks 0  paid 0 sat  rate 10 msat/s  remaining 0.1 sat`)).toBe(true);
    s.clearOut();
    s.at(1000, 'tick', { ticks: 1, paid: 10n, remaining: 90n });
    s.at(1200, 'tick', { ticks: 2, paid: 20n, remaining: 80n });
    expect(s.out()).toBe(
      `${CLEAR}0:01  ticks 1  paid 0.01 sat  rate 10 msat/s  remaining 0.09 sat` + `${CLEAR}0:01  ticks 2  paid 0.02 sat  rate 10 msat/s  remaining 0.08 sat`,
    );
    expect(s.out()).not.toContain('\n');
    s.clearOut();
    s.at(2000, 'paused', { ticks: 2, paid: 20n, remaining: 80n, status: 'paused' });
    expect(s.out()).toBe(
      `${CLEAR}paused  0:02  ticks 2  paid 0.02 sat  rate 10 msat/s  remaining 0.08 sat  paused\n` +
        `${CLEAR}0:02  ticks 2  paid 0.02 sat  rate 10 msat/s  remaining 0.08 sat  paused`,
    );
    s.clearOut();
    s.at(5000, 'finished', { ticks: 10, paid: 100n, remaining: 0n, status: 'finished' });
    expect(s.out()).toBe(
      `${CLEAR}finished  0:05  ticks 10  paid 0.1 sat  rate 10 msat/s  remaining 0 sat  finished\n` +
        `stream ${s.opened.streamId} finished: paid 100 msat (0.1 sat) in 10 ticks over 0:05\n`,
    );
    await Promise.resolve();
    expect(s.ended()?.status).toBe('finished');
  });

  it('close() (Ctrl-C) leaves the cursor on a new line; the line fits the terminal', () => {
    const s = setup({ tty: true, columns: 30 });
    const drawn = s.out().split(CLEAR).at(-1)!;
    expect(drawn.length).toBe(29);
    s.clearOut();
    s.f.close();
    expect(s.out()).toBe('\n');
    expect(s.ended()).toBeUndefined();
  });
});

describe('StreamFollower --json', () => {
  it('prints the stream as opened, then one event object per line, exact amounts as strings', () => {
    const s = setup({ json: true });
    s.at(1000, 'tick', { ticks: 1, paid: 10n, remaining: 90n });
    s.at(2000, 'finished', { ticks: 2, paid: 20n, remaining: 80n, status: 'finished' });
    const lines = s.out().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ streamId: s.opened.streamId, paid: '0', max: '100', status: 'active' });
    expect(lines[1]).toMatchObject({ type: 'stream', event: 'tick', stream: { ticks: 1, paid: '10', remaining: '90' } });
    expect(lines[2]).toMatchObject({ type: 'stream', event: 'finished', stream: { status: 'finished' } });
  });
});

describe('formatting', () => {
  it('elapsed time', () => {
    expect([0, 999, 1000, 65_000, 3_599_000, 3_600_000, 3_725_000, -5].map(formatElapsed)).toEqual(['0:00', '0:00', '0:01', '1:05', '59:59', '1:00:00', '1:02:05', '0:00']);
  });

  it('a list line and an event line', () => {
    const api = new FakeApi();
    const line = streamLine(api.stream);
    const started = new Date(api.stream.startedAt).toISOString().replace('T', ' ').slice(0, 19);
    expect(line).toMatch(new RegExp(`^${api.stream.streamId}  started ${started}  payer  peer ${api.peer.slice(0, 12)}…  signed     active    10 msat/s  ticks 3  paid 0.03 sat  remaining `));
    expect(eventLine({ type: 'stream', event: 'onTime', stream: { ...api.stream, role: 'payee' } })).toBe(
      `stream ${api.stream.streamId} on time again  payee from ${api.peer}  10 msat/s  ticks 3  paid 0.03 sat  remaining ${formatMsat(api.stream.remaining!)}`,
    );
  });
});
