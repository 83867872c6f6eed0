// Payments through the control API's RPC channel between two node processes: every payment's
// result, exact balances on both sides, refusals per payment, and the token required.
import { afterEach, expect, it } from 'vitest';
import { ApiClient, ApiClientError } from '../../src/api/client.js';
import { cluster, until, type Cluster } from '../helpers/cluster.js';

let c: Cluster | undefined;
afterEach(async () => {
  await c?.shutdown();
  c = undefined;
});

type ChannelJson = { channelId: string; status: string; localBalance: string; seq: string };

it('5,000 payments over one RPC connection, some refused: each answered, balances exact', async () => {
  c = await cluster();
  const a = await c.node('alice');
  const b = await c.node('bob');
  expect((await a.cli(['wallet', 'faucet', '2000000sat'])).code).toBe(0);
  expect((await a.cli(['peer', 'connect', b.target])).code).toBe(0);
  const ch = await a.cliJson<ChannelJson>(['channel', 'open', b.id, '1000000sat']);
  await until(async () => (await b.cliJson<ChannelJson[]>(['channel', 'list']))[0]?.status === 'open', 20_000, 'bob sees the channel open');

  const api = await a.api();
  const stranger = `02${'79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'}`; // a valid point, no channel
  const payments = Array.from({ length: 5_000 }, (_, i) => {
    if (i % 1000 === 7) return { peerId: stranger, amount: 1_000n }; // refused by the node
    if (i % 1000 === 8) return { peerId: b.id, amount: 0n }; // refused by the request codec
    return { peerId: b.id, amount: BigInt(1_000 + (i % 13)) };
  });
  const out = await api.payMany(payments);

  let expected = 0n;
  const seqs = new Set<bigint>();
  out.forEach((o, i) => {
    const p = payments[i]!;
    if (i % 1000 === 7) {
      expect(o.ok ? 'paid' : [o.error.status, o.error.code]).toEqual([409, 'PEER_NOT_CONNECTED']);
    } else if (i % 1000 === 8) {
      expect(o.ok ? 'paid' : [o.error.status, o.error.code, o.error.message]).toEqual([400, 'BAD_REQUEST', 'amount: must be more than 0 msat']);
    } else {
      if (!o.ok) throw new Error(`payment ${i} refused: ${o.error.message}`);
      expect(o.payment).toMatchObject({ channelId: ch.channelId, peerId: b.id, amount: p.amount });
      seqs.add(o.payment.seq);
      expected += p.amount;
    }
  });
  // many payments share one both-signed update
  expect(seqs.size).toBeLessThan(1_000);
  const bobHas = async () => BigInt((await b.cliJson<ChannelJson[]>(['channel', 'list']))[0]!.localBalance);
  await until(async () => (await bobHas()) === expected, 20_000, 'bob to hold every payment');
  const alice = (await a.cliJson<ChannelJson[]>(['channel', 'list']))[0]!;
  expect(BigInt(alice.localBalance)).toBe(1_000_000_000n - expected);

  // the same channel without the token is refused before anything runs
  const noToken = new ApiClient({ url: api.url, token: '0'.repeat(64) });
  const e = await noToken.payMany([{ peerId: b.id, amount: 1_000n }]).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(ApiClientError);
  expect((e as ApiClientError).status).toBe(401);
  expect(await bobHas()).toBe(expected);
}, 120_000);
