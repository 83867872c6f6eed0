// The watcher against a real in-process ledger (issue 7, item 1, "ledger subscriptions blind the
// watcher"). Before: one ledger subscription per channel, 256 allowed per connection; past that the
// next subscribe failed, reconciling stopped at the first failure, and channels sorting later were never
// watched again, so a stale close of one settled unopposed. Now: one `party` subscription and one for
// blocks, whatever the channel count, and each channel reconciled on its own.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../src/crypto/bytes.js';
import type { Channel, ChannelEvent, ChannelStatus } from '../../src/channel/machine.js';
import { defaultLimits } from '../../src/channel/ops.js';
import { LedgerClient } from '../../src/ledger/client.js';
import { startLedger, type LedgerService } from '../../src/ledger/service.js';
import { signTx } from '../../src/ledger/tx-codec.js';
import { Watcher, type WatcherLedger } from '../../src/node/watcher.js';
import { createLogger, silentLogger } from '../../src/util/log.js';
import { bothSign, party, state, type Party } from '../helpers/ledger-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/cluster.js';

const CHAIN = 'sluice-test';
const CAP = 10_000_000n;

let svc: LedgerService | undefined;
let client: LedgerClient | undefined;
let watcher: Watcher | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await watcher?.stop();
  await client?.close();
  await svc?.stop();
  await cleanup?.();
  watcher = undefined;
  client = undefined;
  svc = undefined;
});

async function ledger(): Promise<LedgerClient> {
  const dir = await tempDir();
  cleanup = dir.cleanup;
  svc = await startLedger({ dataDir: dir.dir, port: 0, blockTimeMs: 0, faucet: true, chainId: CHAIN, fee: 1000n, disputeBlocks: 3, log: silentLogger() });
  client = await LedgerClient.connect({ url: svc.url });
  return client;
}

function record(o: { id: Uint8Array; status: ChannelStatus; me: Party; peer: Party; seq?: bigint }): Channel {
  const s = state(o.id, o.seq ?? 0n, CAP, 0n);
  return {
    channelId: o.id, local: 'B', localNodeId: o.me.pk, remoteNodeId: o.peer.pk, capacity: CAP, limits: defaultLimits(CAP),
    status: o.status, signed: { state: s, sigA: new Uint8Array(64), sigB: new Uint8Array(64) }, queue: [], connected: false,
  };
}

/** Mallory (A) opens a channel to the victim (B) on the ledger, under an id that sorts after every other. */
async function realChannel(c: LedgerClient, victim: Party): Promise<{ mallory: Party; id: Uint8Array }> {
  const mallory = party();
  const id = new Uint8Array(32).fill(0xff);
  await c.faucet(mallory.pk, CAP + 100_000n);
  await c.mine();
  await c.submit(signTx(CHAIN, { kind: 'open', from: mallory.pk, nonce: 0, channelId: id, peer: victim.pk, capacity: CAP, state: bothSign(state(id, 0n, CAP, 0n), mallory, victim, CHAIN) }, mallory.sk));
  await c.mine();
  return { mallory, id };
}

async function staleClose(c: LedgerClient, victim: Party, mallory: Party, id: Uint8Array): Promise<void> {
  const stale = bothSign(state(id, 1n, CAP - 1000n, 1000n), mallory, victim, CHAIN);
  await c.submit(signTx(CHAIN, { kind: 'forceClose', from: mallory.pk, nonce: 1, channelId: id, state: stale }, mallory.sk));
  await c.mine();
}

function node(victim: Party, channels: Map<string, Channel>, ledgerPort: WatcherLedger, dispatch: (id: string, ev: ChannelEvent) => Promise<void>, log = silentLogger()): Watcher {
  return new Watcher({
    ledger: ledgerPort, nodeId: victim.pk, log, onHeight: () => undefined, dispatch,
    channels: () => [...channels.values()], channel: (id) => channels.get(id),
  });
}

describe('ledger subscriptions blind the watcher', () => {
  it('a node with 10,000 channels (300 of them never-funded opens) watches them all on two subscriptions, and a stale close of the last one is answered', async () => {
    const c = await ledger();
    const victim = party();
    const stranger = party();
    const { mallory, id } = await realChannel(c, victim);
    const channels = new Map<string, Channel>();
    for (let i = 0; i < 9_999; i++) {
      const cid = randomBytes(32);
      cid[0] = Math.min(cid[0]!, 0xfe); // all sort before the real one
      channels.set(toHex(cid), record({ id: cid, status: i < 300 ? 'opening' : 'open', me: victim, peer: stranger }));
    }
    const real = record({ id, status: 'open', me: victim, peer: mallory, seq: 5n });
    channels.set(toHex(id), real);
    const seen: ChannelEvent[] = [];
    watcher = node(victim, channels, c, async (cid, ev) => {
      if (cid !== toHex(id)) return;
      seen.push(ev);
      // what the channel machine does with it: a close older than ours is disputed, then settled after the window
      if (ev.type === 'ledgerClosing') channels.set(cid, { ...real, status: 'forceClosing', settleHeight: ev.deadlineHeight, closingSeq: ev.seq });
    });
    await watcher.start();
    expect(svc!.stats().subscriptions).toBe(2);
    expect(svc!.stats().connections).toBe(1);

    await staleClose(c, victim, mallory, id);
    const closing = await until(async () => seen.find((e) => e.type === 'ledgerClosing'), 20_000, 'the stale close to reach the watcher');
    expect(closing).toMatchObject({ type: 'ledgerClosing', seq: 1n, by: 'A' });
    expect(closing.type === 'ledgerClosing' && closing.seq < real.signed.state.seq).toBe(true); // the machine disputes it
    // and after the window, every block reaches the closing channel so that it settles
    const deadline = closing.type === 'ledgerClosing' ? closing.deadlineHeight : 0;
    await c.mine(4);
    await until(async () => seen.some((e) => e.type === 'block' && e.height >= deadline), 20_000, 'a block past the window');
    expect(svc!.stats().subscriptions).toBe(2);
    expect(watcher.failing).toBe(0);
  }, 60_000);

  it('channels whose reads or dispatches fail do not stop the others being reconciled at start, and are retried', async () => {
    const c = await ledger();
    const victim = party();
    const stranger = party();
    const { mallory, id } = await realChannel(c, victim);
    await staleClose(c, victim, mallory, id); // while the node is down
    const channels = new Map<string, Channel>();
    const broken = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const cid = new Uint8Array(32).fill(0);
      cid[31] = i % 256;
      cid[30] = i >> 8;
      channels.set(toHex(cid), record({ id: cid, status: i % 2 ? 'opening' : 'open', me: victim, peer: stranger }));
      broken.add(toHex(cid));
    }
    channels.set(toHex(id), record({ id, status: 'open', me: victim, peer: mallory, seq: 5n }));
    // one more channel on the ledger, whose handler throws every time
    const bad = new Uint8Array(32).fill(0xfe);
    await c.faucet(mallory.pk, CAP);
    await c.mine();
    await c.submit(signTx(CHAIN, { kind: 'open', from: mallory.pk, nonce: 2, channelId: bad, peer: victim.pk, capacity: CAP, state: bothSign(state(bad, 0n, CAP, 0n), mallory, victim, CHAIN) }, mallory.sk));
    await c.mine();
    channels.set(toHex(bad), record({ id: bad, status: 'opening', me: victim, peer: mallory }));
    let failReads = true;
    const flaky: WatcherLedger = {
      info: () => c.info(),
      subscribeBlocks: (f) => c.subscribeBlocks(f),
      subscribeParty: (p, f) => c.subscribeParty(p, f),
      account: (a) => c.account(a),
      channel: (cid) => (failReads && broken.has(toHex(cid)) ? Promise.reject(new Error('ledger read failed')) : c.channel(cid)),
    };
    const seen: string[] = [];
    watcher = node(victim, channels, flaky, async (cid, ev) => {
      if (cid !== toHex(id)) throw new Error('this channel\'s handler is broken');
      seen.push(ev.type);
      if (ev.type === 'ledgerClosing') channels.set(cid, { ...channels.get(cid)!, status: 'forceClosing', settleHeight: ev.deadlineHeight });
    });
    await watcher.start(); // does not reject
    expect(seen).toContain('ledgerClosing'); // the real channel, sorting after 300 failures, was reconciled
    expect(watcher.failing).toBe(301);
    failReads = false;
    await c.mine();
    await until(async () => watcher!.failing === 1, 20_000, 'the failed reads to be retried (the throwing handler stays failing)');
    await c.mine();
    // still watched every block: re-read (the dispute retry) and told of the block (the settle)
    await until(async () => seen.filter((t) => t === 'ledgerClosing').length >= 2 && seen.includes('block'), 20_000, 'the next blocks to reach the closing channel');
  }, 30_000);

  it('warns when the node\'s ledger account could not pay for a dispute, and not once it can', async () => {
    const c = await ledger();
    const victim = party();
    const { mallory, id } = await realChannel(c, victim);
    const channels = new Map([[toHex(id), record({ id, status: 'open', me: victim, peer: mallory, seq: 5n })]]);
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ json: true, level: 'warn', stream: { write: (l) => void lines.push(JSON.parse(l) as Record<string, unknown>) } });
    watcher = node(victim, channels, c, async () => undefined, log);
    await watcher.start();
    expect(lines.map((l) => l['msg'])).toEqual([expect.stringMatching(/cannot pay one transaction fee: it could not dispute a stale close/)]);
    await watcher.stop();
    await c.faucet(victim.pk, 5000n);
    await c.mine();
    lines.length = 0;
    watcher = node(victim, channels, c, async () => undefined, log);
    await watcher.start();
    expect(lines).toEqual([]);
  });
});

describe('a party notice flood', () => {
  it('1,000 notices of one channel in a block without the record (or with one the client could not read) cost one read, at the block notice', async () => {
    const victim = party();
    const mallory = party();
    const id = randomBytes(32);
    const channels = new Map([[toHex(id), record({ id, status: 'open', me: victim, peer: mallory, seq: 5n })]]);
    const lc = {
      channelId: id, a: mallory.pk, b: victim.pk, capacity: CAP, locked: CAP, status: 'closing' as const, openedHeight: 1, reveals: {},
      latest: bothSign(state(id, 1n, CAP, 0n), mallory, victim, CHAIN), submittedBy: 'A' as const, closedSeq: 1n, deadlineHeight: 9,
    };
    let onParty: ((n: import('../../src/ledger/client.js').ChannelNotice) => void) | undefined;
    let onBlock: ((b: { height: number; hash: string }) => void) | undefined;
    let reads = 0;
    const fake: WatcherLedger = {
      info: async () => ({ chainId: CHAIN, height: 1, tipHash: '', fee: 1000n, disputeBlocks: 3, faucet: true, blockTimeMs: 0, mempool: 0, supply: { minted: 0n, fees: 0n } }),
      subscribeParty: async (_p, cb) => { onParty = cb; return async () => undefined; },
      subscribeBlocks: async (cb) => { onBlock = cb; return async () => undefined; },
      channel: async () => { reads++; return lc; },
      account: async () => ({ balance: 1_000_000n, nonce: 0 }),
    };
    const seen: ChannelEvent[] = [];
    watcher = node(victim, channels, fake, async (_cid, ev) => { seen.push(ev); });
    await watcher.start();
    const readsAtStart = reads;
    const closingsAtStart = seen.filter((e) => e.type === 'ledgerClosing').length;
    for (let i = 0; i < 1000; i++) onParty!({ txid: 'x', height: 2, event: { kind: 'chainRevealed', channelId: id, lockId: 1, depth: i + 1 } });
    await new Promise((r) => setImmediate(r));
    expect(reads).toBe(readsAtStart); // nothing read per notice
    onBlock!({ height: 2, hash: '' });
    await until(async () => seen.filter((e) => e.type === 'ledgerClosing').length > closingsAtStart, 5_000, 'the close to be read at the block notice');
    expect(reads).toBe(readsAtStart + 1);
    expect(seen.filter((e) => e.type === 'ledgerClosing')).toHaveLength(closingsAtStart + 1);
  });
});
