// Routed payments between whole nodes in one process: the in-memory transport, a real ledger, LevelDB,
// and the HTLC switch. Direct, two hops with the route's fee, a detour around a hop without the
// liquidity, a payer restarted mid-payment, and keysend refused or accepted.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { ChannelGraph } from '../../src/routing/graph.js';
import type { SluiceNode } from '../../src/node/node.js';
import { CrashingStore, type CrashPoint } from '../helpers/crash-store.js';
import type { StoreWrite } from '../helpers/store-doubles.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

// Slow enough blocks that an HTLC crosses its hops well within the payee's final expiry margin.
const BLOCK_MS = 400;

/** The ledger's short channel id of a channel (what gossip announces), once `n`'s switch has read it. */
const ledgerScid = (n: SluiceNode, channelId: string) =>
  until(() => {
    const scid = n.htlcs.localChannels().find((c) => c.channelId === channelId)?.shortChannelId;
    return scid !== undefined && scid !== channelId.slice(0, 16) && scid;
  }, 20_000, 'the ledger short channel id');
const DEFAULT_FEE = (amount: bigint) => 1000n + (amount * 100n) / 1_000_000n;

async function channel(from: SluiceNode, to: SluiceNode, capacity: bigint, push = 0n) {
  await from.connectInMemory(to.nodeId);
  const ch = await from.openChannel({ peerId: to.nodeId, capacity, push });
  await until(async () => (await to.listChannels()).find((c) => c.channelId === ch.channelId)?.status === 'open', 20_000, 'the channel open at both ends');
  return ch;
}

const balance = async (n: SluiceNode, channelId: string) => (await n.listChannels()).find((c) => c.channelId === channelId)!.localBalance;

describe('routed payments between nodes', () => {
  it('A pays B directly, then C through B with the fee the route says', async () => {
    net = await testNet({ blockTimeMs: BLOCK_MS });
    const [a, b, c] = [await net.node('A'), await net.node('B'), await net.node('C')];
    await a.faucet(5_000_000_000n);
    await b.faucet(5_000_000_000n);
    const ab = await channel(a, b, 1_000_000_000n);
    const bc = await channel(b, c, 1_000_000_000n);

    const direct = await b.payee.createInvoice({ amountMsat: 10_000_000n, description: 'direct' });
    const r1 = await a.payer.payInvoice(direct.invoice);
    expect(r1).toMatchObject({ status: 'succeeded', feeMsat: 0n, paymentHash: direct.paymentHash });
    expect(toHex(sha256(Buffer.from(r1.preimage!, 'hex')))).toBe(direct.paymentHash);
    await until(async () => (await b.payee.list()).find((i) => i.paymentHash === direct.paymentHash)?.status === 'paid', 10_000, 'B marks it paid');

    const amount = 50_000_000n;
    const twoHops = await c.payee.createInvoice({ amountMsat: amount, description: 'two hops' });
    const r2 = await a.payer.payInvoice(twoHops.invoice);
    expect(r2.status).toBe('succeeded');
    expect(r2.route.map((h) => h.nodeId)).toEqual([b.nodeId, c.nodeId]);
    expect(r2.feeMsat).toBe(DEFAULT_FEE(amount));
    await until(async () => (await balance(c, bc.channelId)) === amount, 10_000, 'C paid');
    await until(async () => (await balance(b, ab.channelId)) === 10_000_000n + amount + DEFAULT_FEE(amount), 10_000, 'B paid amount + fee on A–B');
    expect(await balance(a, ab.channelId)).toBe(1_000_000_000n - 10_000_000n - amount - DEFAULT_FEE(amount));
    expect(await balance(b, bc.channelId)).toBe(1_000_000_000n - amount);
    expect((await a.payer.list()).map((p) => p.status)).toEqual(['succeeded', 'succeeded']);
    expect(await a.payer.payInvoice(twoHops.invoice).catch((e: Error & { code?: string }) => e.code)).toBe('ALREADY_PAID');
  });

  it('a hop without the liquidity fails and the payer takes the detour (4 nodes)', async () => {
    net = await testNet({ blockTimeMs: BLOCK_MS });
    const graph = new ChannelGraph();
    const a = await net.node('A', undefined, { graph: () => graph });
    const [b, c, d] = [await net.node('B'), await net.node('C'), await net.node('D')];
    for (const n of [a, b, c]) await n.faucet(5_000_000_000n);
    await channel(a, b, 1_000_000_000n);
    await channel(a, c, 1_000_000_000n);
    // B's side of B–D is nearly all pushed to D: B cannot forward 50,000 sat over it
    const bd = await channel(b, d, 1_000_000_000n, 950_000_000n);
    const cd = await channel(c, d, 1_000_000_000n);
    // what gossip would show: capacities and policies, not balances; C's route is dearer, so B's is tried first
    for (const [ch, from, base] of [[bd, b, 1000n], [cd, c, 5000n]] as const) {
      // both ends name the channel by it before the graph and D's invoice do
      const scid = await ledgerScid(from, ch.channelId);
      expect(await ledgerScid(d, ch.channelId)).toBe(scid);
      graph.addChannel({ shortChannelId: scid, node1: from.nodeId, node2: d.nodeId, capacityMsat: 1_000_000_000n });
      graph.setPolicy(scid, from.nodeId, { feeBaseMsat: base, feePpm: 100n, cltvExpiryDelta: 12, htlcMinimumMsat: 1000n, htlcMaximumMsat: 1_000_000_000n });
    }
    const amount = 100_000_000n;
    const inv = await d.payee.createInvoice({ amountMsat: amount, description: 'detour' });
    const r = await a.payer.payInvoice(inv.invoice);
    expect(r.status).toBe('succeeded');
    expect(r.attempts.map((x) => x.status)).toEqual(['failed', 'succeeded']);
    expect(r.attempts[0]!.failure).toMatchObject({ failingHop: 0, failingNode: b.nodeId, codeName: 'temporary_channel_failure' });
    expect(r.route.map((h) => h.nodeId)).toEqual([c.nodeId, d.nodeId]);
    expect(r.feeMsat).toBe(5000n + (amount * 100n) / 1_000_000n);
    await until(async () => (await balance(d, cd.channelId)) === amount, 10_000, 'D paid over C–D');
    expect(await balance(d, bd.channelId)).toBe(950_000_000n);
  });

  const paymentWrite = (w: StoreWrite, hash: string, status: string) => !!w.records?.some((r) => r.kind === 'payment' && r.key === hash && 'value' in r && r.value['status'] === status);
  it.each([
    // the channel state offering the HTLC (with the attempt) is stored; nothing later reaches the disk
    ['once its attempt is stored', (hash: string): CrashPoint => ({ after: (w) => w.method === 'saveChannel' && paymentWrite(w, hash, 'inflight') })],
    // the fulfil is stored by the switch, but the payer's record of it never reaches the disk
    ['while it stores the success', (hash: string): CrashPoint => ({ at: (w) => w.method === 'writeRecords' && paymentWrite(w, hash, 'succeeded') })],
  ])('a payer that dies %s neither pays twice nor forgets the payment', async (_name, point) => {
    net = await testNet({ blockTimeMs: BLOCK_MS });
    let hash = '';
    const store = new CrashingStore(join(net.dir, 'A'), {
      after: (w) => !!hash && !!point(hash).after?.(w),
      at: (w) => !!hash && !!point(hash).at?.(w),
    });
    const a = await net.node('A', undefined, { store });
    const [b, c] = [await net.node('B'), await net.node('C')];
    await a.faucet(5_000_000_000n);
    await b.faucet(5_000_000_000n);
    const ab = await channel(a, b, 1_000_000_000n);
    await channel(b, c, 1_000_000_000n);
    const amount = 20_000_000n;
    const inv = await c.payee.createInvoice({ amountMsat: amount, description: 'restart' });
    hash = inv.paymentHash;
    void a.payer.payInvoice(inv.invoice).catch(() => undefined);
    await store.reached;
    await a.stop();
    net.nodes.splice(net.nodes.indexOf(a), 1);
    const a2 = await net.node('A');
    const [p] = await a2.payer.list();
    // remembered with its one attempt: in flight, or already succeeded if the switch told the outcome
    // again (at start, or once the peer is back) before we looked; never failed, never a new attempt
    expect(p).toMatchObject({ paymentHash: inv.paymentHash, attempts: [{ attemptId: expect.any(String) }] });
    expect(['inflight', 'succeeded']).toContain(p!.status);
    expect(await a2.payer.payInvoice(inv.invoice).catch((e: Error & { code?: string }) => e.code)).toBe(p!.status === 'inflight' ? 'PAYMENT_IN_FLIGHT' : 'ALREADY_PAID');
    if (!(await a2.listPeers()).some((x) => x.nodeId === b.nodeId && x.connected)) await a2.connectInMemory(b.nodeId);
    await until(async () => (await a2.payer.list())[0]?.status === 'succeeded', 30_000, 'the payment to succeed after the restart');
    const done = (await a2.payer.list())[0]!;
    expect(done.attempts).toHaveLength(1);
    expect(done.feeMsat).toBe(DEFAULT_FEE(amount));
    await until(async () => (await balance(a2, ab.channelId)) === 1_000_000_000n - amount - DEFAULT_FEE(amount), 10_000, 'A paid once');
    expect((await c.payee.list())[0]).toMatchObject({ status: 'paid', receivedMsat: amount });
    expect(await a2.payer.payInvoice(inv.invoice).catch((e: Error & { code?: string }) => e.code)).toBe('ALREADY_PAID');
  });

  it('keysend is refused by default and accepted with acceptKeysend', async () => {
    net = await testNet({ blockTimeMs: BLOCK_MS });
    const a = await net.node('A');
    const b = await net.node('B');
    const c = await net.node('C', undefined, { acceptKeysend: true });
    await a.faucet(5_000_000_000n);
    const ab = await channel(a, b, 1_000_000_000n);
    const ac = await channel(a, c, 1_000_000_000n);
    const refused = await a.payer.payNode(b.nodeId, 1_000_000n);
    expect(refused).toMatchObject({ status: 'failed', keysend: true, failure: { reason: 'rejected_by_payee', codeName: 'incorrect_or_unknown_payment_details' } });
    expect(await balance(b, ab.channelId)).toBe(0n);
    const ok = await a.payer.payNode(c.nodeId, 1_000_000n);
    expect(ok).toMatchObject({ status: 'succeeded', keysend: true });
    await until(async () => (await balance(c, ac.channelId)) === 1_000_000n, 10_000, 'C paid');
    expect(await c.payee.list()).toMatchObject([{ paymentHash: ok.paymentHash, keysend: true, status: 'paid', receivedMsat: 1_000_000n }]);
  });
});
