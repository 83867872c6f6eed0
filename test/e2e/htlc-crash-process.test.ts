// Two rows of the crash table at process level: the hop H of A -> H -> B is a real `sluice node`
// process (LevelDB, WebSockets), killed with SIGKILL at a point of a forward and started again on its
// data dir; A and B are whole nodes in this process, on the same ledger process, over real WebSockets.
// Every HTLC resolves and the balances are what the payment's outcome says.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cluster, until, type Cluster, type NodeProc } from '../helpers/cluster.js';
import { tempDir } from '../helpers/tmp.js';
import { TestPayee, TestPayer, buildPayment, channelOf } from '../helpers/htlc-net.js';
import { SluiceNode } from '../../src/node/node.js';
import { silentLogger } from '../../src/util/log.js';
import { DEFAULT_FORWARDING_POLICY, forwardingFee } from '../../src/forward/policy.js';

let c: Cluster | undefined;
const local: SluiceNode[] = [];
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  for (const n of local.splice(0)) await n.stop().catch(() => undefined);
  await c?.shutdown();
  await cleanup?.();
  c = undefined;
});

const CAPACITY = 1_000_000_000n; // 1,000,000 sat
const AMOUNT = 10_000_000n;
type ChannelJson = { channelId: string; status: string; localBalance: string; remoteBalance: string; seq: string };

async function hChannel(h: NodeProc, id: string): Promise<ChannelJson | undefined> {
  return (await h.cliJson<ChannelJson[]>(['channel', 'list'])).find((x) => x.channelId === id);
}

async function setup() {
  c = await cluster();
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  const start = async (name: string) => {
    const n = await SluiceNode.start({ dataDir: join(tmp.dir, name), ledgerUrl: c!.ledgerUrl, alias: name, log: silentLogger(), listen: { host: '127.0.0.1', port: 0 } });
    local.push(n);
    return n;
  };
  const [a, b] = [await start('a'), await start('b')];
  const h = await c.node('h');
  await a.faucet(CAPACITY * 2n);
  expect((await h.cli(['wallet', 'faucet', '2000000sat'])).code).toBe(0);
  await a.connectPeer(h.target);
  const ah = (await a.openChannel({ peerId: h.id, capacity: CAPACITY, push: 0n })).channelId;
  expect((await h.cli(['peer', 'connect', `${b.nodeId}@127.0.0.1:${b.peerPort}`])).code).toBe(0);
  const hb = (await h.cliJson<ChannelJson>(['channel', 'open', b.nodeId, `${CAPACITY}msat`])).channelId;
  await until(() => b.channels.channels.get(hb)?.status === 'open', 20_000, 'B sees H-B open');
  const payee = new TestPayee();
  const payer = new TestPayer();
  b.htlcs.setReceiver(payee);
  a.htlcs.setLocalSink(payer);
  const { paymentHash } = payee.issue();
  payee.mode = 'hang';
  const p = buildPayment([{ node: { nodeId: h.id } as SluiceNode, channelId: ah }, { node: b, channelId: hb }], AMOUNT, paymentHash, (await a.info()).height + 200);
  await a.htlcs.sendLocal({ paymentId: 'p', attemptId: 'x', channelId: ah, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
  await until(() => payee.asked.length === 1, 20_000, 'the HTLC reached B through H');
  return { a, b, h, ah, hb, payee, payer };
}

async function settledAfter(s: Awaited<ReturnType<typeof setup>>) {
  const out = await s.payer.outcome('x', 60_000);
  expect(out.kind).toBe('fulfilled');
  await until(async () => {
    const [x, y] = [await hChannel(s.h, s.ah), await hChannel(s.h, s.hb)];
    return channelOf(s.a, s.ah).locks === 0 && channelOf(s.b, s.hb).locks === 0
      && x?.seq === String(channelOf(s.a, s.ah).seq) && y?.seq === String(channelOf(s.b, s.hb).seq);
  }, 60_000, 'every lock resolved, H agreeing');
  const fee = forwardingFee(DEFAULT_FORWARDING_POLICY, AMOUNT);
  expect(channelOf(s.a, s.ah).local).toBe(CAPACITY - AMOUNT - fee);
  expect(channelOf(s.b, s.hb).local).toBe(AMOUNT);
  const [x, y] = [(await hChannel(s.h, s.ah))!, (await hChannel(s.h, s.hb))!];
  expect(BigInt(x.localBalance)).toBe(AMOUNT + fee);
  expect(BigInt(y.localBalance)).toBe(CAPACITY - AMOUNT);
}

describe('crash table at process level: H killed with SIGKILL', () => {
  it('after the outgoing HTLC is offered (B holds it): H restarts, B settles, A is fulfilled', async () => {
    const s = await setup();
    await c!.stop(s.h, 'SIGKILL');
    await c!.start(s.h);
    s.payee.releaseAll();
    await settledAfter(s);
  }, 120_000);

  it('after B\'s fulfil is stored at H and before H could relay it (A away): H restarts and fulfils A from its outbox', async () => {
    const s = await setup();
    await s.a.disconnectPeer({ nodeId: s.h.id }); // A hangs up and stops redialing: H cannot relay yet
    await until(() => !s.a.peers.isConnected(s.h.id), 10_000, 'A away');
    s.payee.releaseAll();
    await until(() => channelOf(s.b, s.hb).locks === 0, 20_000, 'B holds the state without the lock');
    expect(channelOf(s.a, s.ah).locks).toBe(1); // A has not been told: the fulfil is only in H's store
    await c!.stop(s.h, 'SIGKILL');
    await c!.start(s.h);
    await s.a.connectPeer(s.h.target);
    await settledAfter(s);
  }, 120_000);
});
