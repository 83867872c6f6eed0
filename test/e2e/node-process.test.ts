// Nodes as real processes over real WebSockets and LevelDB, driven through the CLI and the control API.
import { afterEach, describe, expect, it } from 'vitest';
import { cluster, until, type Cluster, type NodeProc } from '../helpers/cluster.js';

let c: Cluster | undefined;
afterEach(async () => {
  await c?.shutdown();
  c = undefined;
});

const FEE = 200_000n; // 200sat, the cluster's ledger fee
type ChannelJson = { channelId: string; status: string; localBalance: string; remoteBalance: string; seq: string; capacity: string };

async function channelOf(n: NodeProc): Promise<ChannelJson> {
  const list = await n.cliJson<ChannelJson[]>(['channel', 'list']);
  return list[0]!;
}

async function ledgerAccount(c: Cluster, id: string): Promise<{ balance: bigint; nonce: number }> {
  const r = await c.ledgerCli(['ledger', 'balance', id, '--json']);
  const o = JSON.parse(r.stdout) as { balance: string; nonce: number };
  return { balance: BigInt(o.balance), nonce: o.nonce };
}

async function ledgerBalance(c: Cluster, id: string): Promise<bigint> {
  return (await ledgerAccount(c, id)).balance;
}

async function openChannel(c: Cluster, capacity = '1000000sat'): Promise<{ a: NodeProc; b: NodeProc; channelId: string }> {
  const a = await c.node('alice');
  const b = await c.node('bob');
  const f = await a.cli(['wallet', 'faucet', '2000000sat']);
  expect(f.code).toBe(0);
  expect((await a.cli(['peer', 'connect', b.target])).code).toBe(0);
  const ch = await a.cliJson<ChannelJson>(['channel', 'open', b.id, capacity]);
  expect(ch.status).toBe('open');
  await until(async () => (await channelOf(b))?.status === 'open', 20_000, 'bob sees the channel open');
  return { a, b, channelId: ch.channelId };
}

describe('nodes as processes', () => {
  it('open, 1,000 payments both ways, cooperative close: ledger balances exact, fees included', async () => {
    c = await cluster();
    const { a, b, channelId } = await openChannel(c);
    // a few through the CLI as a person would, then the bulk through the same control API
    const one = await a.cliJson<{ amount: string; seq: string }>(['pay', b.id, '1000msat']);
    expect(one.amount).toBe('1000');
    const apiA = await a.api();
    const apiB = await b.api();
    // bob starts with nothing: he can spend once he holds more than his 1% reserve
    await Promise.all(Array.from({ length: 300 }, () => apiA.pay({ peerId: b.id, amount: 100_000n })));
    // if bob leads, he holds the full state once alice's commit arrives, a moment after her payments return
    await until(async () => BigInt((await channelOf(b)).localBalance) === 1000n + 300n * 100_000n, 10_000, 'bob to hold the payments');
    const tasks: Promise<unknown>[] = [];
    for (let i = 0; i < 400; i++) tasks.push(apiA.pay({ peerId: b.id, amount: 2_000n }));
    for (let i = 0; i < 300; i++) tasks.push(apiB.pay({ peerId: a.id, amount: 1_000n }));
    await Promise.all(tasks);
    const ca = await channelOf(a);
    const cb = await channelOf(b);
    expect(ca.seq).toBe(cb.seq);
    const toBob = 1000n + 300n * 100_000n + 400n * 2_000n - 300n * 1_000n;
    expect(BigInt(cb.localBalance)).toBe(toBob);
    expect(BigInt(ca.localBalance)).toBe(1_000_000_000n - toBob);
    // concurrent payments share updates
    expect(BigInt(ca.seq)).toBeLessThan(1001n);

    const closed = await a.cliJson<ChannelJson>(['channel', 'close', channelId]);
    expect(closed.status).toBe('closed');
    await until(async () => (await channelOf(b)).status === 'closed', 20_000, 'bob sees the close');
    // alice: 2,000,000 sat funded - capacity - open fee + her balance - close fee; bob: exactly his balance
    expect(await ledgerBalance(c, b.id)).toBe(toBob);
    expect(await ledgerBalance(c, a.id)).toBe(2_000_000_000n - 1_000_000_000n - FEE + (1_000_000_000n - toBob) - FEE);
    const audit = await c.ledgerCli(['ledger', 'audit']);
    expect(audit.stdout).toMatch(/^ok/);
  });

  it('a payer killed with SIGKILL mid-payments restarts, and nothing acknowledged is lost', async () => {
    c = await cluster();
    const { a, b, channelId } = await openChannel(c);
    const api = await a.api();
    let acked = 0n;
    let stop = false;
    const workers = Array.from({ length: 20 }, async () => {
      while (!stop) {
        try {
          await api.pay({ peerId: b.id, amount: 3_000n });
          acked += 3_000n;
        } catch {
          return; // the node went away
        }
      }
    });
    await until(async () => acked >= 300n * 3_000n, 30_000, '300 payments');
    await c.stop(a, 'SIGKILL');
    stop = true;
    await Promise.all(workers);
    await c.start(a); // same data dir, same ports: it redials bob and reestablishes
    const settled = await until(async () => {
      const [x, y] = [await channelOf(a), await channelOf(b)];
      return x.seq === y.seq && x.status === 'open' ? { x, y } : undefined;
    }, 30_000, 'the channel to reestablish');
    const bobHas = BigInt(settled.y.localBalance);
    // every acknowledged payment is there; one in flight at the kill may also have completed
    expect(bobHas).toBeGreaterThanOrEqual(acked);
    expect(bobHas - acked).toBeLessThanOrEqual(20n * 3_000n);
    expect(BigInt(settled.x.localBalance) + bobHas).toBe(1_000_000_000n);
    // payments still work after the restart
    const after = await (await a.api()).pay({ peerId: b.id, amount: 1_000n });
    expect(after.seq).toBeGreaterThan(BigInt(settled.x.seq)); // a new both-signed state carries it
    expect((await a.cli(['channel', 'close', channelId])).code).toBe(0);
    await until(async () => (await ledgerBalance(c!, b.id)) === bobHas + 1_000n, 20_000, 'bob paid out on the ledger');
  });

  it('a stale unilateral close is disputed by the watcher and the cheater forfeits its balance', async () => {
    c = await cluster({ disputeBlocks: 20 });
    const { a, b, channelId } = await openChannel(c);
    // every ledger transaction pays its fee from its sender's account: bob keeps some for disputes
    const BOB_FUNDS = 10_000_000n;
    expect((await b.cli(['wallet', 'faucet', `${BOB_FUNDS}msat`])).code).toBe(0);
    for (let i = 0; i < 3; i++) await (await a.api()).pay({ peerId: b.id, amount: 10_000_000n });
    await c.stop(a);
    await c.backup(a, `${c.root}/alice-backup`);
    await c.start(a);
    await until(async () => (await channelOf(a)).status === 'open' && (await a.cli(['peer', 'list', '--json'])).stdout.includes('"connected": true'), 20_000, 'alice reconnects');
    for (let i = 0; i < 3; i++) await (await a.api()).pay({ peerId: b.id, amount: 10_000_000n });
    expect((await channelOf(b)).seq).toBe((await channelOf(a)).seq);
    // alice restores her old state and, with bob offline, closes with it
    await c.stop(b);
    await c.stop(a);
    await c.restore(a, `${c.root}/alice-backup`);
    await c.start(a);
    const forced = await a.cli(['channel', 'close', channelId, '--force']);
    expect(forced.code).toBe(0);
    await c.start(b); // bob's watcher finds the stale close and disputes within the window
    await until(async () => (await channelOf(b)).status === 'closed', 40_000, 'the channel to settle');
    // bob had 60,000 sat in the channel; alice's 940,000 sat are forfeited to him: he is paid the whole
    // capacity. Each side paid the fees of what it sent from its own account (bob: the dispute, and the
    // settle if his landed first; alice: open, close, perhaps the settle): nonce x fee.
    const [bob, alice] = [await ledgerAccount(c, b.id), await ledgerAccount(c, a.id)];
    expect(bob.nonce).toBeGreaterThanOrEqual(1);
    expect(bob.balance).toBe(BOB_FUNDS + 1_000_000_000n - BigInt(bob.nonce) * FEE);
    expect(alice.nonce).toBeGreaterThanOrEqual(2);
    expect(alice.balance).toBe(2_000_000_000n - 1_000_000_000n - BigInt(alice.nonce) * FEE);
    expect(bob.nonce + alice.nonce).toBe(4); // open, stale close, dispute, one settle (the other is refused free)
    expect((await c.ledgerCli(['ledger', 'audit'])).stdout).toMatch(/^ok/);
  });
});
