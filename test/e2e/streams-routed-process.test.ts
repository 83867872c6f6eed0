// A stream across hops with real node processes, through the CLI as a person would: a payer with one
// channel, to a hub, streams per second to a payee it has no channel with (payer–hub–payee). The payer
// finds the payee's address in gossip, sends the terms straight to it, and pays each second's tick as
// one keysend HTLC through the hub. Then a second stream with the hub SIGKILLed mid-stream and started
// again. Then the same two in hash-chain mode (a lock per hop under one root, the hub relaying each tick).
// Then every channel closes, and every ledger balance is exactly the ticks × price to the payee
// and the route's fees to the hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cluster, until, type Cluster, type NodeProc } from '../helpers/cluster.js';
import { FEE, type ChannelJson, type StreamJson } from '../helpers/streams.js';

const SLOW = 240_000;
const FUNDS = 5_000_000_000n;
const CAP = 1_000_000_000n;
const RATE = 10_000n; // 10 sat a second

type RoutedJson = StreamJson & { route?: string[]; feesPaid?: string; batchMs?: number };

let c: Cluster;
let payer: NodeProc;
let hub: NodeProc;
let payee: NodeProc;
const opened: Record<'ph' | 'hp', ChannelJson & { opener: NodeProc; peer: NodeProc }> = {} as never;
/** What the streams paid: to the payee, and in fees to the hub. */
let toPayee = 0n;
let toHub = 0n;

/** The hub's default policy: 1000 msat + 100 ppm of what it sends on. */
const policyFee = (out: bigint) => 1000n + (out * 100n) / 1_000_000n;

async function open(name: 'ph' | 'hp', from: NodeProc, to: NodeProc): Promise<void> {
  expect((await from.cli(['peer', 'connect', to.target])).code).toBe(0);
  const ch = await from.cliJson<ChannelJson>(['channel', 'open', to.id, `${CAP}msat`]);
  expect(ch.status).toBe('open');
  opened[name] = { ...ch, opener: from, peer: to };
}

const streamOn = async (n: NodeProc, id: string) => (await n.cliJson<RoutedJson[]>(['stream', 'list'])).find((s) => s.streamId === id);
const ended = (s: RoutedJson | undefined) => s !== undefined && ['finished', 'stopped'].includes(s.status);

beforeAll(async () => {
  c = await cluster({ blockTime: '100ms' });
  payer = await c.node('payer', ['--gossip-interval', '300ms']);
  hub = await c.node('hub', ['--gossip-interval', '300ms']);
  payee = await c.node('payee', ['--gossip-interval', '300ms']);
  for (const n of [payer, hub]) expect((await n.cli(['wallet', 'faucet', `${FUNDS}msat`])).code).toBe(0);
  await open('ph', payer, hub);
  await open('hp', hub, payee);
  // The payer learns the hub's channel to the payee, and the payee's address, from gossip alone.
  await until(async () => {
    const g = await payer.cliJson<{ channels: unknown[]; nodes: { nodeId: string; address?: string }[] }>(['graph']);
    return g.channels.length === 2 && g.nodes.some((x) => x.nodeId === payee.id && x.address);
  }, 60_000, "the payer's graph to hold both channels and the payee's address");
}, SLOW);

afterAll(async () => {
  await c?.shutdown();
}, SLOW);

describe('a stream across one hub, real processes', () => {
  it('30 seconds at 10 sat/s: 30 batches through the hub, the meter exact, the fees as quoted', async () => {
    const s = await payer.cliJson<RoutedJson>(['stream', 'start', payee.id, '--rate', '10sat/s', '--duration', '30s', '--max-fee', '2sat']);
    expect(s).toMatchObject({ status: 'active', role: 'payer', route: [hub.id, payee.id], batchMs: 1000, feesPaid: '0' });
    const status = await payer.cli(['stream', 'status', s.streamId]);
    expect(status.stdout).toContain(`route:     ${hub.id} > ${payee.id}`);
    await until(async () => ended(await streamOn(payee, s.streamId)) && ended(await streamOn(payer, s.streamId)), 90_000, 'both ends of the stream to end');
    const atPayer = (await streamOn(payer, s.streamId))!;
    const atPayee = (await streamOn(payee, s.streamId))!;
    // what moved, for the ledger check at the end (counted before the checks, so one failure here is not blamed on the ledger)
    toPayee += BigInt(atPayee.paid);
    toHub += BigInt(atPayer.feesPaid!);
    expect(atPayer).toMatchObject({ status: 'finished', ticks: 30, paid: String(30n * RATE) });
    expect(atPayee).toMatchObject({ status: 'finished', role: 'payee', ticks: 30, paid: String(30n * RATE) });
    // one batch a second, each tick its own HTLC: the hub's fee on each
    expect(BigInt(atPayer.feesPaid!)).toBe(30n * policyFee(RATE));
    const line = (await payer.cli(['stream', 'list'])).stdout;
    expect(line).toContain('route ');
    expect(line).toContain('fees ');
  }, SLOW);

  it('the hub SIGKILLed mid-stream and started again: the stream resumes, no tick is paid past what reached the payee', async () => {
    const s = await payer.cliJson<RoutedJson>(['stream', 'start', payee.id, '--rate', '10sat/s', '--duration', '20s']);
    await until(async () => ((await streamOn(payee, s.streamId))?.ticks ?? 0) >= 5, 60_000, 'five ticks metered');
    await c.stop(hub, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 2000)); // the hub stays down a while: the payer's clock stops
    await c.start(hub);
    await until(async () => ended(await streamOn(payee, s.streamId)) && ended(await streamOn(payer, s.streamId)), 120_000, 'both ends of the stream to end');
    const atPayer = (await streamOn(payer, s.streamId))!;
    const atPayee = (await streamOn(payee, s.streamId))!;
    toPayee += BigInt(atPayee.paid);
    toHub += BigInt(atPayer.feesPaid!);
    // What the payee metered is what the payer paid: every batch was paid upstream before it reached the payee.
    expect(atPayee.paid).toBe(atPayer.paid);
    expect(atPayer, atPayer.reason).toMatchObject({ status: 'finished', ticks: 20 });
    // The fees are the hub's policy on each batch that went through (a batch after the outage may hold several ticks).
    const pays = await payer.cliJson<{ status: string; amount: string; fee: string; payee: string }[]>(['payment', 'list']);
    const batches = pays.filter((p) => p.status === 'succeeded' && p.payee === payee.id);
    expect(batches.reduce((x, p) => x + BigInt(p.amount), 0n)).toBe(toPayee);
    for (const p of batches) expect(BigInt(p.fee)).toBe(policyFee(BigInt(p.amount)));
    expect(batches.reduce((x, p) => x + BigInt(p.fee), 0n)).toBe(toHub);
  }, SLOW);

  /** Every lock of the stream given back: each channel's balances are what was paid so far, to the msat. */
  async function settledSoFar(): Promise<void> {
    const bal = async (n: NodeProc, k: 'ph' | 'hp') => BigInt((await n.cliJson<ChannelJson[]>(['channel', 'list'])).find((x) => x.channelId === opened[k].channelId)!.localBalance);
    await until(async () => (await bal(payer, 'ph')) === CAP - toPayee - toHub, 30_000, "the payer's lock given back, its balance what it paid");
    await until(async () => (await bal(hub, 'hp')) === CAP - toPayee, 30_000, "the hub's lock given back, its balance what it paid on");
    expect(await bal(hub, 'ph')).toBe(toPayee + toHub);
    expect(await bal(payee, 'hp')).toBe(toPayee);
  }

  it('the payer SIGKILLed mid-stream and started again: it dials the payee back and the stream finishes, every tick paid once', async () => {
    const s = await payer.cliJson<RoutedJson>(['stream', 'start', payee.id, '--rate', '10sat/s', '--duration', '10s']);
    await until(async () => ((await streamOn(payee, s.streamId))?.ticks ?? 0) >= 3, 60_000, 'three ticks metered');
    await c.stop(payer, 'SIGKILL');
    await c.start(payer);
    // the payee only waits: the restarted payer must dial it again (at its announced address) to go on
    await until(async () => ended(await streamOn(payee, s.streamId)) && ended(await streamOn(payer, s.streamId)), 120_000, 'both ends of the stream to end');
    const atPayer = (await streamOn(payer, s.streamId))!;
    const atPayee = (await streamOn(payee, s.streamId))!;
    toPayee += BigInt(atPayee.paid);
    toHub += BigInt(atPayer.feesPaid!);
    expect(atPayer, atPayer.reason).toMatchObject({ status: 'finished', ticks: 10, paid: String(10n * RATE) });
    expect(atPayee.paid).toBe(atPayer.paid);
  }, SLOW);

  it('hash chain, 30 seconds at 10 sat/s through the hub: one lock per hop, one hash per tick, the fee per tick as quoted', async () => {
    const s = await payer.cliJson<RoutedJson>(['stream', 'start', payee.id, '--rate', '10sat/s', '--duration', '30s', '--mode', 'hashchain', '--max-fee', '2sat']);
    expect(s).toMatchObject({ status: 'active', role: 'payer', mode: 'hashchain', route: [hub.id, payee.id], feesPaid: '0' });
    await until(async () => ended(await streamOn(payee, s.streamId)) && ended(await streamOn(payer, s.streamId)), 90_000, 'both ends of the stream to end');
    const atPayer = (await streamOn(payer, s.streamId))!;
    const atPayee = (await streamOn(payee, s.streamId))!;
    toPayee += BigInt(atPayee.paid);
    toHub += BigInt(atPayer.feesPaid!);
    expect(atPayer).toMatchObject({ status: 'finished', ticks: 30, paid: String(30n * RATE) });
    expect(atPayee).toMatchObject({ status: 'finished', role: 'payee', ticks: 30, paid: String(30n * RATE) });
    // the hub's fee is its policy on one tick, for every tick (quoted at the open)
    expect(BigInt(atPayer.feesPaid!)).toBe(30n * policyFee(RATE));
    await settledSoFar();
  }, SLOW);

  it('hash chain, the hub SIGKILLed mid-stream and started again: the relay goes on, nothing reaches the payee unpaid upstream', async () => {
    const s = await payer.cliJson<RoutedJson>(['stream', 'start', payee.id, '--rate', '10sat/s', '--duration', '10s', '--mode', 'hashchain']);
    await until(async () => ((await streamOn(payee, s.streamId))?.ticks ?? 0) >= 3, 60_000, 'three ticks reach the payee');
    await c.stop(hub, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 2000)); // the payer's clock stops while its hub is away
    await c.start(hub);
    await until(async () => ended(await streamOn(payee, s.streamId)) && ended(await streamOn(payer, s.streamId)), 120_000, 'both ends of the stream to end');
    const atPayer = (await streamOn(payer, s.streamId))!;
    const atPayee = (await streamOn(payee, s.streamId))!;
    expect(atPayer, atPayer.reason).toMatchObject({ status: 'finished', ticks: 10 });
    expect(atPayee, atPayee.reason).toMatchObject({ status: 'finished', ticks: 10, paid: String(10n * RATE) });
    toPayee += BigInt(atPayee.paid);
    toHub += BigInt(atPayer.feesPaid!);
    expect(BigInt(atPayer.feesPaid!)).toBe(10n * policyFee(RATE));
    // every unit the hub paid the payee, the payer paid the hub, with the fee: to the msat, in both channels
    await settledSoFar();
  }, SLOW);

  it('`stream start --follow` across the hub: plain lines, the route in the head, exit 0 when it finishes', async () => {
    const r = await payer.cli(['stream', 'start', payee.id, '--rate', '10sat/s', '--duration', '3s', '--batch', '1s', '--follow']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const head = lines[0]!.match(/^stream ([0-9a-f]{32}) active: paying 10 sat\/s to ([0-9a-f]{66})$/);
    expect(head, r.stdout).not.toBeNull();
    expect(lines[1]).toMatch(/^across hops via 1 hub, a batch every 1s, signed, a tick every 1s, for 3s$/);
    expect(lines.at(-1)).toMatch(/finished: paid 30000 msat \(30 sat\) in 3 ticks/);
    const id = head![1]!;
    await until(async () => ended(await streamOn(payee, id)), 20_000, 'the payee to end it');
    const atPayer = (await streamOn(payer, id))!;
    toPayee += BigInt((await streamOn(payee, id))!.paid);
    toHub += BigInt(atPayer.feesPaid!);
    expect(await streamOn(payee, id)).toMatchObject({ status: 'finished', ticks: 3, paid: '30000' });
    expect(BigInt(atPayer.feesPaid!)).toBe(3n * policyFee(RATE));
  }, SLOW);

  it('every channel closes: the payee holds ticks × price, the hub its fees, every ledger balance exact', async () => {
    // what each side of each channel should hold: the payer paid toPayee + toHub to the hub, the hub toPayee to the payee
    const held = { ph: { opener: CAP - toPayee - toHub, peer: toPayee + toHub }, hp: { opener: CAP - toPayee, peer: toPayee } };
    for (const k of ['ph', 'hp'] as const) {
      await until(async () => (await opened[k].opener.cliJson<ChannelJson[]>(['channel', 'list'])).find((x) => x.channelId === opened[k].channelId)?.pendingUpdates === 0, 30_000, `${k} idle`);
      const closed = await opened[k].opener.cliJson<ChannelJson>(['channel', 'close', opened[k].channelId]);
      expect(closed.status, k).toBe('closed');
    }
    for (const k of ['ph', 'hp'] as const) {
      const v = opened[k];
      const seen = await until(async () => (await v.peer.cliJson<ChannelJson[]>(['channel', 'list'])).find((x) => x.channelId === v.channelId && x.payout), 30_000, `${k} paid out`);
      expect(BigInt(seen.payout!.local), k).toBe(held[k].peer);
      expect(BigInt(seen.payout!.remote), k).toBe(held[k].opener);
    }
    const account = async (n: NodeProc) => JSON.parse((await c.ledgerCli(['ledger', 'balance', n.id, '--json'])).stdout) as { balance: string; nonce: number };
    const [p, h, e] = [await account(payer), await account(hub), await account(payee)];
    expect(BigInt(p.balance)).toBe(FUNDS - CAP + held.ph.opener - BigInt(p.nonce) * FEE);
    expect(BigInt(h.balance)).toBe(FUNDS - CAP + held.ph.peer + held.hp.opener - BigInt(h.nonce) * FEE);
    expect(BigInt(e.balance)).toBe(held.hp.peer - BigInt(e.nonce) * FEE);
    // the hub is up exactly its fees on the two channels (before its own ledger fees)
    expect(held.ph.peer + held.hp.opener - CAP).toBe(toHub);
    expect((await c.ledgerCli(['ledger', 'audit'])).stdout).toMatch(/^ok/);
  }, SLOW);
});
