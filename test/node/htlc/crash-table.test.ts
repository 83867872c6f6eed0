// The crash table (multihop.md §7.2): the hop H of A -> H -> B dies at each persistence point of a
// forward (its store takes no write after that point, then the node stops), starts again on the same
// data dir (real LevelDB), and every HTLC is resolved with no money lost: each channel keeps its
// capacity, and A pays, H earns and B gets exactly what the payer's outcome says.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { testNet, type TestNet } from '../../helpers/network.js';
import { until } from '../../helpers/until.js';
import { TestPayee, TestPayer, buildPayment, channelOf, height, openLine, settledBetween } from '../../helpers/htlc-net.js';
import { CrashingStore, htlcRecords, type CrashPoint } from '../../helpers/crash-store.js';
import { FaultyStore, type StoreWrite } from '../../helpers/store-doubles.js';
import { LevelNodeStore } from '../../../src/node/store.js';
import { DEFAULT_FORWARDING_POLICY, forwardingFee } from '../../../src/forward/policy.js';
import type { SluiceNode } from '../../../src/node/node.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

const CAPACITY = 100_000_000n;
const AMOUNT = 5_000_000n;

type Ids = { ah: string; hb: string };
const rec = (w: StoreWrite, prefix: string) => htlcRecords(w).filter((r) => r.key.startsWith(prefix));
const owed = (w: StoreWrite, ids: Ids, kind: string) => rec(w, `in/${ids.ah}/`).some((r) => (r.value?.['owed'] as { kind?: string } | undefined)?.kind === kind);
const proposes = (w: StoreWrite, channelId: string, op: string) => w.channelId === channelId && !!w.channel?.proposal?.ops.some((o) => o.op === op);

interface Row {
  name: string;
  /** the payee refuses instead of settling */
  payeeFails?: boolean;
  /** the payer's fee is short: H itself refuses */
  feeShort?: bigint;
  point(ids: Ids): CrashPoint;
  expect: 'fulfilled' | 'failed' | 'either';
}

const rows: Row[] = [
  { name: 'the incoming add is being stored (it never reaches the disk)', expect: 'either',
    point: (ids) => ({ at: (w) => rec(w, `in/${ids.ah}/`).some((r) => r.value && !r.value['out']) }) },
  { name: 'incoming added (stored received, nothing offered)', expect: 'either',
    point: (ids) => ({ after: (w) => rec(w, `in/${ids.ah}/`).some((r) => r.value && !r.value['out'] && !r.value['owed']) }) },
  { name: 'outgoing offered (the H-B proposal stored)', expect: 'fulfilled',
    point: (ids) => ({ after: (w) => rec(w, `out/${ids.hb}/`).some((r) => r.value) }) },
  { name: 'the fulfil from downstream is being stored (it never reaches the disk)', expect: 'fulfilled',
    point: (ids) => ({ at: (w) => owed(w, ids, 'fulfil') }) },
  { name: 'fulfil received from downstream (preimage and the owed fulfil stored)', expect: 'fulfilled',
    point: (ids) => ({ after: (w) => owed(w, ids, 'fulfil') }) },
  { name: 'fulfil relayed upstream (the A-H proposal with it stored)', expect: 'fulfilled',
    point: (ids) => ({ after: (w) => proposes(w, ids.ah, 'fulfillHtlc') }) },
  { name: 'fulfil signed upstream (the incoming record deleted)', expect: 'fulfilled',
    point: (ids) => ({ after: (w) => rec(w, `in/${ids.ah}/`).some((r) => !r.value) }) },
  { name: 'H refuses (fee too low): its own fail stored with the incoming add', feeShort: 1n, expect: 'failed',
    point: (ids) => ({ after: (w) => owed(w, ids, 'fail') }) },
  { name: 'fail received from downstream (the owed fail stored)', payeeFails: true, expect: 'failed',
    point: (ids) => ({ after: (w) => owed(w, ids, 'fail') }) },
  { name: 'fail relayed upstream (the A-H proposal with it stored)', payeeFails: true, expect: 'failed',
    point: (ids) => ({ after: (w) => proposes(w, ids.ah, 'failHtlc') }) },
  { name: 'fail signed upstream (the incoming record deleted)', payeeFails: true, expect: 'failed',
    point: (ids) => ({ after: (w) => rec(w, `in/${ids.ah}/`).some((r) => !r.value) }) },
];

describe('crash table: H dies at each point of a forward and starts again', () => {
  it.each(rows)('$name', async (row) => {
    net = await testNet({ blockTimeMs: 100 });
    // The channel ids are known only once opened: the point reads them through `ids`, filled in below.
    const ids: Ids = { ah: '', hb: '' };
    const store = new CrashingStore(join(net.dir, 'h'), { after: (w) => !!ids.hb && !!row.point(ids).after?.(w), at: (w) => !!ids.hb && !!row.point(ids).at?.(w) });
    const { nodes, channels } = await openLine(net, ['a', 'h', 'b'], CAPACITY, 0n, { h: { store } });
    const [a, h, b] = nodes as [SluiceNode, SluiceNode, SluiceNode];
    ids.ah = channels[0]!;
    ids.hb = channels[1]!;
    const payee = new TestPayee();
    if (row.payeeFails) payee.mode = 'fail';
    const payer = new TestPayer();
    b.htlcs.setReceiver(payee);
    a.htlcs.setLocalSink(payer);
    const { paymentHash } = payee.issue();
    const p = buildPayment([{ node: h, channelId: ids.ah }, { node: b, channelId: ids.hb }], AMOUNT, paymentHash, (await height(net)) + 80, row.feeShort ? { feeShort: row.feeShort } : {});
    await a.htlcs.sendLocal({ paymentId: 'p', attemptId: 'x', channelId: ids.ah, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });

    await store.reached;
    await h.stop();
    const h2 = await net.node('h');

    const outcome = await payer.outcome('x', 30_000);
    if (row.expect !== 'either') expect(outcome.kind).toBe(row.expect);
    await until(() => settledBetween(a, h2, ids.ah) && settledBetween(h2, b, ids.hb), 30_000, 'every lock resolved after the restart');
    const paid = outcome.kind === 'fulfilled';
    const fee = forwardingFee(DEFAULT_FORWARDING_POLICY, AMOUNT);
    expect(channelOf(a, ids.ah).local).toBe(CAPACITY - (paid ? AMOUNT + fee : 0n));
    expect(channelOf(h2, ids.ah).local).toBe(paid ? AMOUNT + fee : 0n);
    if (row.feeShort) expect(payee.asked).toHaveLength(0);
    expect(channelOf(h2, ids.hb).local).toBe(CAPACITY - (paid ? AMOUNT : 0n));
    expect(channelOf(b, ids.hb).local).toBe(paid ? AMOUNT : 0n);
    for (const [n, id] of [[a, ids.ah], [h2, ids.ah], [h2, ids.hb], [b, ids.hb]] as const) {
      const c = channelOf(n, id);
      expect(c.local + c.remote).toBe(CAPACITY);
    }
    await until(() => h2.htlcs.sizes().incoming === 0 && h2.htlcs.sizes().outgoing === 0, 10_000, 'H holds no HTLC record');
  });
});

describe('a failed write at H, with no crash', () => {
  it.each([
    ['the incoming add', (ids: Ids) => (w: StoreWrite) => rec(w, `in/${ids.ah}/`).some((r) => r.value && !r.value['out'])],
    ['the outgoing offer', (ids: Ids) => (w: StoreWrite) => rec(w, `out/${ids.hb}/`).some((r) => r.value)],
    ['the fulfil learned from B', (ids: Ids) => (w: StoreWrite) => owed(w, ids, 'fulfil')],
  ])('%s: nothing of it is acted on, the peer resends after the hang-up, and the payment completes', async (_name, match) => {
    net = await testNet({ blockTimeMs: 100 });
    const ids: Ids = { ah: '', hb: '' };
    const store = new FaultyStore(new LevelNodeStore(join(net.dir, 'h', 'db')));
    store.fail((w) => !!ids.hb && match(ids)(w));
    const { nodes, channels } = await openLine(net, ['a', 'h', 'b'], CAPACITY, 0n, { h: { store } });
    const [a, h, b] = nodes as [SluiceNode, SluiceNode, SluiceNode];
    ids.ah = channels[0]!;
    ids.hb = channels[1]!;
    const payee = new TestPayee();
    const payer = new TestPayer();
    b.htlcs.setReceiver(payee);
    a.htlcs.setLocalSink(payer);
    const { paymentHash } = payee.issue();
    const p = buildPayment([{ node: h, channelId: ids.ah }, { node: b, channelId: ids.hb }], AMOUNT, paymentHash, (await height(net)) + 80);
    await a.htlcs.sendLocal({ paymentId: 'p', attemptId: 'x', channelId: ids.ah, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    // the hang-up's reconnect is the peers' redial (with its backoff); dial back at once instead
    const heal = setInterval(() => {
      for (const [x, y] of [[a, h], [h, b]] as const) if (!x.peers.isConnected(y.nodeId)) void x.connectInMemory(y.nodeId).catch(() => undefined);
    }, 200);
    const outcome = await payer.outcome('x', 30_000).finally(() => clearInterval(heal));
    expect(store.writes.some((w) => match(ids)(w))).toBe(true); // the failure did happen
    await until(() => settledBetween(a, h, ids.ah) && settledBetween(h, b, ids.hb), 30_000);
    const paid = outcome.kind === 'fulfilled';
    const fee = forwardingFee(DEFAULT_FORWARDING_POLICY, AMOUNT);
    expect(channelOf(a, ids.ah).local).toBe(CAPACITY - (paid ? AMOUNT + fee : 0n));
    expect(channelOf(h, ids.ah).local - (CAPACITY - channelOf(h, ids.hb).local)).toBe(paid ? fee : 0n);
    expect(payee.asked.length).toBeLessThanOrEqual(1);
  }, 60_000);
});
