// Issue 7, item 1, "ledger subscriptions blind the watcher", against real processes: a stranger with no
// funds sends 300 openChannel messages it never funds. On main each accepted open cost a ledger
// subscription (256 per connection): the next subscribe was refused, the rejection went unhandled and
// the node exited; after a restart, reconciling stopped at the first failing subscribe. Now the node
// stays up, and after a restart it still answers a stale close of its real channel within the window.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { fromHex } from '../../src/crypto/bytes.js';
import { randomSecretKey } from '../../src/crypto/keys.js';
import { chainHash } from '../../src/channel/state.js';
import { signState, type ChannelState } from '../../src/channel/state.js';
import { DEFAULT_CHAIN_ID } from '../../src/ledger/service.js';
import { connectPeer } from '../../src/transport/ws.js';
import { FeatureVector } from '../../src/wire/features.js';
import { decodeMessage, encodeMessage, type Message } from '../../src/wire/message.js';
import { cluster, until, type Cluster, type NodeProc } from '../helpers/cluster.js';

const FEE = 200_000n;
let c: Cluster | undefined;
afterEach(async () => {
  await c?.shutdown();
  c = undefined;
});

type ChannelJson = { channelId: string; peerId: string; status: string; seq: string };

async function channel(n: NodeProc, id: string): Promise<ChannelJson | undefined> {
  return (await n.cliJson<ChannelJson[]>(['channel', 'list'])).find((ch) => ch.channelId === id);
}

async function account(c: Cluster, id: string): Promise<{ balance: bigint; nonce: number }> {
  const o = JSON.parse((await c.ledgerCli(['ledger', 'balance', id, '--json'])).stdout) as { balance: string; nonce: number };
  return { balance: BigInt(o.balance), nonce: o.nonce };
}

/** A stranger's key sends `count` well-formed channel opens to the node and never funds them; resolves with the answers. */
async function unfundedOpens(node: NodeProc, count: number): Promise<Message[]> {
  const sk = randomSecretKey();
  const s = await connectPeer({ url: `ws://127.0.0.1:${node.port}`, localSecretKey: sk, remoteNodeId: fromHex(node.id) });
  const inbox: Message[] = [];
  s.onMessage((b) => {
    const d = decodeMessage(b);
    if (d.ok && d.value.kind !== 'unknown') inbox.push(d.value);
  });
  s.send(encodeMessage({ kind: 'init', globalFeatures: FeatureVector.EMPTY, features: FeatureVector.EMPTY, tlvs: { networks: [chainHash(DEFAULT_CHAIN_ID)] }, unknownTlvs: [] }));
  await until(async () => inbox.some((m) => m.kind === 'init'), 5000, 'init from the node');
  const capacity = 20_000_000n;
  for (let i = 0; i < count; i++) {
    const channelId = randomBytes(32);
    const s0: ChannelState = { channelId, seq: 0n, balanceA: capacity, balanceB: 0n, locks: [], closing: false };
    s.send(encodeMessage({ kind: 'openChannel', channelId, chainHash: chainHash(DEFAULT_CHAIN_ID), capacity, push: 0n, reserve: capacity / 100n, sigA: signState(DEFAULT_CHAIN_ID, s0, sk) }));
  }
  // every open answered (accepted, or refused once the node bounds unfunded opens)
  await until(async () => inbox.filter((m) => m.kind === 'acceptChannel' || m.kind === 'error').length >= count, 30_000, 'answers to every open');
  s.close();
  return inbox;
}

describe('ledger subscriptions blind the watcher (real processes)', () => {
  it('300 never-funded opens from a stranger: the node stays up, and after a restart it still disputes a stale close', async () => {
    c = await cluster({ disputeBlocks: 30 });
    const a = await c.node('alice');
    const b = await c.node('bob');
    expect((await a.cli(['wallet', 'faucet', '2000000sat'])).code).toBe(0);
    const BOB_FUNDS = 10_000_000n; // bob pays his dispute from his own ledger account
    expect((await b.cli(['wallet', 'faucet', `${BOB_FUNDS}msat`])).code).toBe(0);
    expect((await a.cli(['peer', 'connect', b.target])).code).toBe(0);
    const opened = await a.cliJson<ChannelJson>(['channel', 'open', b.id, '1000000sat']);
    const id = opened.channelId;
    for (let i = 0; i < 3; i++) await (await a.api()).pay({ peerId: b.id, amount: 10_000_000n });
    await c.stop(a);
    await c.backup(a, `${c.root}/alice-backup`);
    await c.start(a);
    await until(async () => (await channel(a, id))?.status === 'open' && (await a.cli(['peer', 'list', '--json'])).stdout.includes('"connected": true'), 20_000, 'alice reconnects');
    for (let i = 0; i < 3; i++) await (await a.api()).pay({ peerId: b.id, amount: 10_000_000n });

    const answers = await unfundedOpens(b, 300);
    expect(answers.length).toBeGreaterThanOrEqual(300);
    expect(answers.some((m) => m.kind === 'acceptChannel')).toBe(true); // the node did take some
    // still up and serving
    const info = await (await b.api()).info();
    expect(info.nodeId).toBe(b.id);
    expect(b.proc!.proc.exitCode).toBeNull();

    // alice restores her old state and, with bob offline, closes with it; bob restarts with every record
    await c.stop(b);
    await c.stop(a);
    await c.restore(a, `${c.root}/alice-backup`);
    await c.start(a);
    expect((await a.cli(['channel', 'close', id, '--force'])).code).toBe(0);
    await c.start(b);
    await until(async () => (await channel(b, id))?.status === 'closed', 60_000, 'the channel to settle');
    // bob's watcher disputed: alice forfeited, bob is paid the whole capacity (less the fees he sent)
    const bob = await account(c, b.id);
    expect(bob.nonce).toBeGreaterThanOrEqual(1);
    expect(bob.balance).toBe(BOB_FUNDS + 1_000_000_000n - BigInt(bob.nonce) * FEE);
  }, 150_000);
});
