// Streaming payments between node processes over real WebSockets and LevelDB, against a real ledger
// process: started through the CLI as a person would (`sluice stream start …`), polled through the
// control API, and checked to the msat on the ledger after the channel closes.
import { afterEach, describe, expect, it } from 'vitest';
import { cluster, until, type Cluster } from '../helpers/cluster.js';
import { channelOf, FEE, FUNDED, ledgerBalance, openChannel, streamOf, type ChannelJson, type StreamJson } from '../helpers/streams.js';

let c: Cluster | undefined;
afterEach(async () => {
  await c?.shutdown();
  c = undefined;
});

const CAPACITY = 1_000_000_000n; // 1,000,000 sat

describe('streams between node processes', () => {
  it('a 30 s per-second signed stream, then a cooperative close: both sides agree, ledger balances exact', async () => {
    c = await cluster();
    const { a, b, channelId } = await openChannel(c);

    const t0 = Date.now();
    const started = await a.cliJson<StreamJson>(['stream', 'start', b.id, '--rate', '10sat/s', '--duration', '30s', '--mode', 'signed']);
    expect(started).toMatchObject({
      role: 'payer', peerId: b.id, channelId, mode: 'signed', status: 'active', rateAmount: '10000', ratePerMs: 1000, tickMs: 1000, durationMs: 30_000,
    });
    const id = started.streamId;
    expect(id).toMatch(/^[0-9a-f]{32}$/);

    // Poll both nodes through the API until each has the stream finished.
    await until(async () => {
      const [x, y] = await Promise.all([streamOf(a, id), streamOf(b, id)]);
      return x?.status === 'finished' && y?.status === 'finished';
    }, 45_000, 'the stream to finish on both sides');
    const elapsed = Date.now() - t0;
    // 30 ticks of 1 s each cannot be paid in less than 30 s; and they are not paid late either.
    expect(elapsed).toBeGreaterThanOrEqual(30_000);
    expect(elapsed).toBeLessThan(40_000);

    // What a person reads: `sluice stream list --json` on each side.
    const [listA, listB] = [await a.cliJson<StreamJson[]>(['stream', 'list']), await b.cliJson<StreamJson[]>(['stream', 'list'])];
    expect(listA).toHaveLength(1);
    expect(listB).toHaveLength(1);
    const [pa, pb] = [listA[0]!, listB[0]!];
    expect(pa).toMatchObject({ streamId: id, role: 'payer', peerId: b.id, status: 'finished', ticks: 30, paid: '300000' });
    expect(pb).toMatchObject({ streamId: id, role: 'payee', peerId: a.id, status: 'finished', ticks: 30, paid: '300000', channelId, mode: 'signed' });
    // both sides hold the same terms
    for (const k of ['rateAmount', 'ratePerMs', 'tickMs', 'durationMs'] as const) expect(pb[k]).toEqual(pa[k]);

    // The channel carries exactly what the stream paid, and both sides hold the same signed state.
    const paid = 300_000n;
    const [ca, cb] = [await channelOf(a), await channelOf(b)];
    expect(ca.seq).toBe(cb.seq);
    expect(ca.pendingUpdates).toBe(0);
    expect(BigInt(cb.localBalance)).toBe(paid);
    expect(BigInt(ca.localBalance)).toBe(CAPACITY - paid);

    const closed = await a.cliJson<ChannelJson>(['channel', 'close', channelId]);
    expect(closed.status).toBe('closed');
    await until(async () => (await channelOf(b)).status === 'closed', 20_000, 'bob sees the close');
    // bob never had a ledger balance: he gets exactly what the stream paid. The cooperative close fee
    // is the opener's (side A), like the open fee.
    expect(await ledgerBalance(c, b.id)).toBe(paid);
    expect(await ledgerBalance(c, a.id)).toBe(FUNDED - CAPACITY - FEE + (CAPACITY - paid) - FEE);
    expect((await c.ledgerCli(['ledger', 'audit'])).stdout).toMatch(/^ok/);
  }, 60_000);

  it('`stream start --follow` without a terminal prints plain lines and exits 0 when the stream finishes', async () => {
    c = await cluster();
    const { a, b } = await openChannel(c);
    const r = await a.cli(['stream', 'start', b.id, '--rate', '10sat/s', '--duration', '3s', '--follow']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // not a terminal: no redraws (carriage returns, escape sequences), one line per event
    expect(r.stdout).not.toMatch(/[\r\u001b]/);
    const lines = r.stdout.trimEnd().split('\n');
    const head = lines[0]!.match(/^stream ([0-9a-f]{32}) active: paying 10 sat\/s to ([0-9a-f]{66})$/);
    expect(head, r.stdout).not.toBeNull();
    const id = head![1]!;
    expect(head![2]).toBe(b.id);
    expect(lines[1]).toMatch(/^channel [0-9a-f]{64}, signed, a tick every 1s, for 3s$/);
    // at least one tick line on the way (tick lines are rate-limited to one a second)
    expect(lines.slice(2, -2).some((l) => /^\d+:\d\d {2}ticks [1-3] {2}paid \d+ sat {2}rate 10 sat\/s {2}remaining no cap$/.test(l)), r.stdout).toBe(true);
    expect(lines.at(-2)).toMatch(/^finished {2}\d+:\d\d {2}ticks 3 {2}paid 30 sat {2}rate 10 sat\/s {2}remaining no cap {2}finished$/);
    expect(lines.at(-1)).toMatch(new RegExp(`^stream ${id} finished: paid 30000 msat \\(30 sat\\) in 3 ticks over \\d+:\\d\\d \\(the stream reached its cap or duration\\)$`));
    // and the payee counted the same
    const seen = await until(async () => {
      const s = await streamOf(b, id);
      return s?.status === 'finished' ? s : undefined;
    }, 10_000, 'bob to see the stream finished');
    expect(seen.ticks).toBe(3);
    expect(seen.paid).toBe(30_000n);
  }, 30_000);

  it('the payer is SIGKILLed mid-stream (hash chain): the payee force-closes and is paid every tick it saw', async () => {
    c = await cluster(); // dispute window: 10 blocks of 100 ms
    const { a, b, channelId } = await openChannel(c);
    // 100 sat a tick, 100 ticks at most: the locked budget is 10,000 sat.
    // Bob checkpoints (claims into a signed balance) only every 60 ticks; we kill alice well before.
    const UNIT = 100_000n;
    const started = await a.cliJson<StreamJson>(['stream', 'start', b.id, '--mode', 'hashchain', '--rate', '100sat/s', '--max', '10000sat']);
    expect(started).toMatchObject({ role: 'payer', mode: 'hashchain', status: 'active', tickMs: 1000, max: '10000000', paid: '0' });
    const id = started.streamId;
    // the budget is locked in the signed state: out of alice's balance, not yet in bob's
    const locked = await channelOf(b);
    expect(BigInt(locked.localBalance)).toBe(0n);
    expect(BigInt(locked.remoteBalance)).toBe(CAPACITY - 100n * UNIT);

    await until(async () => ((await streamOf(b, id))?.ticks ?? 0) >= 5, 20_000, 'bob to meter 5 ticks');
    await c.stop(a, 'SIGKILL'); // never restarted
    // Reveals alice sent before she died may still be in flight to bob: read bob's count only once he
    // has seen the connection drop (everything she sent before is then processed, in order).
    const apiB = await b.api();
    await until(async () => (await apiB.listPeers()).every((p) => !p.connected), 10_000, 'bob to see alice gone');
    const before = (await streamOf(b, id))!;
    const ticks = before.ticks;
    expect(before.role).toBe('payee');
    expect(ticks).toBeGreaterThanOrEqual(5);
    expect(ticks).toBeLessThan(60); // no checkpoint: everything bob saw is still in the lock, claimable only by a reveal
    expect(before.paid).toBe(BigInt(ticks) * UNIT);
    const chB = await channelOf(b);
    expect(BigInt(chB.localBalance)).toBe(0n);
    // every ledger transaction pays its fee from its sender's account: bob needs a little to close alone
    const BOB_FUNDS = 1_000_000n;
    expect((await b.cli(['wallet', 'faucet', `${BOB_FUNDS}msat`])).code).toBe(0);

    const forced = await b.cli(['channel', 'close', channelId, '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect((JSON.parse(forced.stdout) as ChannelJson).status).toBe('closing');
    // Bob's node reveals the deepest preimage during the window and settles after it.
    const done = await until(async () => {
      const ch = await channelOf(b);
      return ch.status === 'closed' ? ch : undefined;
    }, 30_000, 'the ledger to settle the channel');

    // Nothing moved on bob's side of the stream since the kill.
    expect((await streamOf(b, id))!.ticks).toBe(ticks);
    // The ledger pays bob exactly the revealed depth times the unit; alice gets back the rest of the
    // budget. Bob's account paid the fees of the force close, the reveal and the settle he sent.
    const toBob = BigInt(ticks) * UNIT;
    expect(BigInt(done.payout!.local)).toBe(toBob);
    expect(await ledgerBalance(c, b.id)).toBe(BOB_FUNDS + toBob - 3n * FEE);
    expect(await ledgerBalance(c, a.id)).toBe(FUNDED - CAPACITY - FEE + (CAPACITY - BigInt(ticks) * UNIT));
    expect((await c.ledgerCli(['ledger', 'audit'])).stdout).toMatch(/^ok/);
  }, 60_000);
});
