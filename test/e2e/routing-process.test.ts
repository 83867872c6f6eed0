// Paying across the network with real node processes, through the CLI as a person would: five nodes
// in a line A–B–C–D plus a detour B–E–C, channels announced by gossip (no route hints), an invoice of
// D's paid over 3 hops, then a larger one that B's channel to C cannot carry, so B refuses and the
// payer routes around it through E. Then every channel closes and every ledger balance is checked to
// the msat against the payments and the fees the route said each hop kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cluster, until, type Cluster, type NodeProc } from '../helpers/cluster.js';
import { FEE, type ChannelJson } from '../helpers/streams.js';

const SLOW = 240_000;
const FUNDS = 5_000_000_000n; // 5,000,000 sat from the faucet, to every node
const CAP = 1_000_000_000n; // 1,000,000 sat a channel

interface HopJson { nodeId: string; shortChannelId: string; amount: string; fee: string; expiryHeight: number }
interface PaymentJson {
  status: string;
  paymentHash: string;
  amount: string;
  fee: string;
  route: HopJson[];
  attempts: { status: string; route: HopJson[]; failure?: { code: string; nodeId?: string; hop?: number } }[];
  preimage?: string;
  failure?: string;
}

let c: Cluster;
const n: Record<'a' | 'b' | 'c' | 'd' | 'e', NodeProc> = {} as never;
/** Channels by name, as the opener saw them open. */
const ch: Record<string, ChannelJson & { opener: NodeProc; peer: NodeProc }> = {};

async function open(name: string, from: NodeProc, to: NodeProc, push = '0'): Promise<void> {
  expect((await from.cli(['peer', 'connect', to.target])).code).toBe(0);
  const opened = await from.cliJson<ChannelJson>(['channel', 'open', to.id, `${CAP}msat`, '--push', `${push}msat`]);
  expect(opened.status).toBe('open');
  ch[name] = { ...opened, opener: from, peer: to };
}

beforeAll(async () => {
  c = await cluster({ blockTime: '100ms' });
  for (const k of ['a', 'b', 'c', 'd', 'e'] as const) n[k] = await c.node(k, ['--gossip-interval', '300ms', ...(k === 'e' ? ['--accept-keysend'] : [])]);
  for (const k of ['a', 'b', 'c', 'd', 'e'] as const) expect((await n[k].cli(['wallet', 'faucet', `${FUNDS}msat`])).code).toBe(0);
  await open('ab', n.a, n.b);
  // B's side of B–C holds only 50,000 sat: enough for the first payment, not the second
  await open('bc', n.b, n.c, `${CAP - 50_000_000n}`);
  await open('cd', n.c, n.d);
  await open('be', n.b, n.e);
  await open('ec', n.e, n.c);
  // A learns every channel from gossip: it has a channel only with B
  await until(async () => (await n.a.cliJson<{ channels: unknown[] }>(['graph'])).channels.length === 5, 60_000, "A's graph to hold the five channels");
}, SLOW);

afterAll(async () => {
  await c?.shutdown();
}, SLOW);

/** What a forwarding node keeps by the default policy: 1000 msat + 100 ppm of what it sends on. */
const policyFee = (out: bigint) => 1000n + (out * 100n) / 1_000_000n;

describe('routing between node processes', () => {
  const paid: PaymentJson[] = [];

  it('an invoice of D paid over 3 hops (B, C, D), the fee as the route says', async () => {
    const inv = await n.d.cliJson<{ invoice: string; paymentHash: string; amount: string }>(['invoice', 'create', '20000sat', '--description', 'three hops']);
    expect(inv.invoice).toMatch(/^lnsb200u1/);
    const decoded = await n.a.cliJson<{ routeHints: unknown[]; payee: string }>(['invoice', 'decode', inv.invoice]);
    expect(decoded.payee).toBe(n.d.id);
    expect(decoded.routeHints).toEqual([]); // D's channel is announced: no hints needed
    const route = await n.a.cliJson<{ hops: HopJson[]; fee: string }>(['route', n.d.id, '20000sat']);
    expect(route.hops.map((h) => h.nodeId)).toEqual([n.b.id, n.c.id, n.d.id]);

    const p = await n.a.cliJson<PaymentJson>(['pay', inv.invoice]);
    expect(p.status).toBe('succeeded');
    expect(p.route.map((h) => h.nodeId)).toEqual([n.b.id, n.c.id, n.d.id]);
    const toD = 20_000_000n;
    expect(BigInt(p.amount)).toBe(toD);
    // C keeps its fee on what it sends D; B on what it sends C; A pays B no fee (its own channel)
    const feeC = policyFee(toD);
    const feeB = policyFee(toD + feeC);
    expect(p.route.map((h) => BigInt(h.fee))).toEqual([feeB, feeC, 0n]);
    expect(BigInt(p.fee)).toBe(feeB + feeC);
    expect(p.preimage).toMatch(/^[0-9a-f]{64}$/);
    const invoices = await n.d.cliJson<{ paymentHash: string; status: string; received?: string }[]>(['invoice', 'list']);
    expect(invoices.find((i) => i.paymentHash === inv.paymentHash)).toMatchObject({ status: 'paid', received: String(toD) });
    // paying it again is refused: never twice
    const again = await n.a.cli(['pay', inv.invoice, '--json']);
    expect(again.code).not.toBe(0);
    paid.push(p);
  }, SLOW);

  it("a larger invoice: B cannot carry it to C, says so, and A routes around through E", async () => {
    const inv = await n.d.cliJson<{ invoice: string }>(['invoice', 'create', '100000sat']);
    const p = await n.a.cliJson<PaymentJson>(['pay', inv.invoice, '--max-fee', '1000sat']);
    expect(p.status).toBe('succeeded');
    expect(p.route.map((h) => h.nodeId)).toEqual([n.b.id, n.e.id, n.c.id, n.d.id]);
    expect(p.attempts.length).toBeGreaterThanOrEqual(2);
    const refused = p.attempts.find((a) => a.status === 'failed');
    expect(refused?.failure).toMatchObject({ code: 'temporary_channel_failure', nodeId: n.b.id });
    expect(refused?.route.map((h) => h.nodeId)).toEqual([n.b.id, n.c.id, n.d.id]);
    const toD = 100_000_000n;
    const feeC = policyFee(toD);
    const feeE = policyFee(toD + feeC);
    const feeB = policyFee(toD + feeC + feeE);
    expect(p.route.map((h) => BigInt(h.fee))).toEqual([feeB, feeE, feeC, 0n]);
    paid.push(p);
  }, SLOW);

  it('a spontaneous payment: refused by D (keysend off by default), taken by E (--accept-keysend)', async () => {
    const refused = await n.a.cli(['pay', n.d.id, '1000sat', '--json']);
    expect(refused.code).toBe(1);
    const r = JSON.parse(refused.stdout) as PaymentJson;
    expect(r.status).toBe('failed');
    expect(r.attempts.at(-1)?.failure?.code).toBe('incorrect_or_unknown_payment_details');
    const p = await n.a.cliJson<PaymentJson>(['pay', n.e.id, '1000sat']);
    expect(p.status).toBe('succeeded');
    expect(p.route.map((h) => h.nodeId)).toEqual([n.b.id, n.e.id]);
    paid.push(p);
    const list = await n.a.cliJson<PaymentJson[]>(['payment', 'list']);
    expect(list.filter((x) => x.status === 'succeeded')).toHaveLength(3);
  }, SLOW);

  it("each hop's forwarding history: what it forwarded, what it earned, what it refused", async () => {
    type ForwardJson = { status: string; fee: string; amountIn: string; amountOut?: string; failure?: string };
    const fees = (node: NodeProc) => paid.flatMap((p) => p.route.filter((h, i) => i + 1 < p.route.length && h.nodeId === node.id).map((h) => BigInt(h.fee)));
    for (const hop of [n.b, n.c, n.e]) {
      const fwd = await hop.cliJson<ForwardJson[]>(['forward', 'list']);
      const settled = fwd.filter((f) => f.status === 'settled');
      expect(settled.map((f) => BigInt(f.fee)).sort(), hop.name).toEqual(fees(hop).sort());
      for (const f of settled) expect(BigInt(f.amountIn) - BigInt(f.amountOut!), hop.name).toBe(BigInt(f.fee));
    }
    // B refused the large payment on its channel to C, and passed on the keysend D refused
    const atB = await n.b.cliJson<ForwardJson[]>(['forward', 'list']);
    expect(atB.filter((f) => f.status === 'failed').map((f) => f.failure)).toEqual(expect.arrayContaining(['temporary_channel_failure']));
    const human = await n.b.cli(['forward', 'list']);
    expect(human.stdout).toMatch(/earned [\d.]+ sat in fees over \d+ settled forward\(s\)/);
  }, SLOW);

  it('every channel closes, and every ledger balance is exactly what the payments and fees say', async () => {
    // what each channel's two sides should hold: the capacity, moved by every hop of every payment
    const key = (x: NodeProc, y: NodeProc) => [x.id, y.id].sort().join('/');
    const held = new Map<string, Map<string, bigint>>();
    for (const [, v] of Object.entries(ch)) {
      const push = CAP - BigInt(v.localBalance);
      held.set(key(v.opener, v.peer), new Map([[v.opener.id, CAP - push], [v.peer.id, push]]));
    }
    for (const p of paid) {
      let from = n.a.id;
      for (const h of p.route) {
        const m = held.get([from, h.nodeId].sort().join('/'))!;
        m.set(from, m.get(from)! - BigInt(h.amount));
        m.set(h.nodeId, m.get(h.nodeId)! + BigInt(h.amount));
        from = h.nodeId;
      }
    }
    for (const [name, v] of Object.entries(ch)) {
      const closed = await v.opener.cliJson<ChannelJson>(['channel', 'close', v.channelId]);
      expect(closed.status, name).toBe('closed');
    }
    for (const [name, v] of Object.entries(ch)) {
      const m = held.get(key(v.opener, v.peer))!;
      const seen = await until(async () => (await v.peer.cliJson<ChannelJson[]>(['channel', 'list'])).find((x) => x.channelId === v.channelId && x.payout), 30_000, `${name} paid out`);
      expect(BigInt(seen.payout!.local), name).toBe(m.get(v.peer.id));
      expect(BigInt(seen.payout!.remote), name).toBe(m.get(v.opener.id));
    }
    // each node's ledger account: its funds, less what it locked and the fee of every transaction of
    // its that landed (its nonce counts them), plus what it was paid out
    const sent: Record<string, number> = {};
    for (const k of ['a', 'b', 'c', 'd', 'e'] as const) {
      const node = n[k];
      const acct = JSON.parse((await c.ledgerCli(['ledger', 'balance', node.id, '--json'])).stdout) as { balance: string; nonce: number };
      sent[k] = acct.nonce;
      let expected = FUNDS;
      for (const v of Object.values(ch)) {
        const share = held.get(key(v.opener, v.peer))!.get(node.id);
        if (share === undefined) continue;
        expected += share;
        if (v.opener === node) expected -= CAP;
      }
      expected -= BigInt(acct.nonce) * FEE;
      expect(BigInt(acct.balance), k).toBe(expected);
    }
    // the transactions that landed: five opens (one by each opener) and five cooperative closes (both
    // sides submit a close; whichever lands first is the one paid for, the other is refused for free)
    expect(Object.values(sent).reduce((x, y) => x + y, 0)).toBe(10);
    for (const k of ['a', 'b', 'c', 'e'] as const) expect(sent[k], k).toBeGreaterThanOrEqual(Object.values(ch).filter((v) => v.opener === n[k]).length);
    // B, C and E earned exactly their fees; the money is conserved
    expect((await c.ledgerCli(['ledger', 'audit'])).stdout).toMatch(/^ok/);
  }, SLOW);
});
