// A hostile peer against a real node process: garbage, oversized frames, and a badly signed update.
// The node must cut it off and change no channel state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { connectPeer } from '../../src/transport/ws.js';
import type { PeerSession } from '../../src/transport/session.js';
import { decodeMessage, encodeMessage, type Message } from '../../src/wire/message.js';
import { FeatureVector } from '../../src/wire/features.js';
import { chainHash } from '../../src/channel/state.js';
import { signState, type ChannelState } from '../../src/channel/state.js';
import { LedgerClient } from '../../src/ledger/client.js';
import { signTx } from '../../src/ledger/tx-codec.js';
import { DEFAULT_CHAIN_ID } from '../../src/ledger/service.js';
import { cluster, until, type Cluster, type NodeProc } from '../helpers/cluster.js';

let c: Cluster;
let bob: NodeProc;

beforeAll(async () => {
  c = await cluster();
  bob = await c.node('bob');
});
afterAll(async () => {
  await c.shutdown();
});

/** A BOLT 8 + BOLT 1 session to bob from a key of our choosing, init exchanged. */
async function session(sk: Uint8Array): Promise<{ s: PeerSession; inbox: Message[]; closed: Promise<string> }> {
  const s = await connectPeer({ url: `ws://127.0.0.1:${bob.port}`, localSecretKey: sk, remoteNodeId: fromHex(bob.id) });
  const inbox: Message[] = [];
  s.onMessage((b) => {
    const d = decodeMessage(b);
    if (d.ok && d.value.kind !== 'unknown') inbox.push(d.value);
  });
  const closed = new Promise<string>((r) => s.onClose((x) => r(x.reason)));
  s.send(encodeMessage({ kind: 'init', globalFeatures: FeatureVector.EMPTY, features: FeatureVector.EMPTY, tlvs: { networks: [chainHash(DEFAULT_CHAIN_ID)] }, unknownTlvs: [] }));
  await until(async () => inbox.some((m) => m.kind === 'init'), 5000, 'init from bob');
  return { s, inbox, closed };
}

describe('a hostile peer', () => {
  it('is cut off for bytes that are not the Noise handshake, and for an oversized frame', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${bob.port}`);
    await new Promise((r) => ws.on('open', r));
    const code = await new Promise<number>((resolve) => {
      ws.on('close', (c2) => resolve(c2));
      ws.send(randomBytes(50)); // a wrong act one
    });
    expect(code).not.toBe(1000);
    const big = new WebSocket(`ws://127.0.0.1:${bob.port}`);
    await new Promise((r) => big.on('open', r));
    const bigCode = await new Promise<number>((resolve) => {
      big.on('close', (c2) => resolve(c2));
      big.send(new Uint8Array(70_000));
    });
    expect(bigCode).toBe(1009);
  });

  it('is cut off for an unknown even message and for an undecodable channel message', async () => {
    const a = await session(randomSecretKey());
    a.s.send(Uint8Array.of(0x03, 0xe8)); // type 1000: unknown and even (256..259 are BOLT 7 gossip now)
    expect(await a.closed).toMatch(/unknown even message type 1000/);
    const b = await session(randomSecretKey());
    b.s.send(Uint8Array.of(0x80, 0x04, 1, 2, 3)); // an updateState cut short
    expect(await b.closed).toMatch(/bad message/);
    const c = await session(randomSecretKey());
    c.s.send(Uint8Array.of(0x01, 0x00)); // a channel_announcement with no body
    expect(await c.closed).toMatch(/bad message/);
  });

  it('sends a badly signed update: cut off, the channel keeps its state and is closed with it', async () => {
    // be the leader (lower node id) so that our updates carry our signature
    let sk = randomSecretKey();
    while (toHex(publicKeyOf(sk)) >= bob.id) sk = randomSecretKey();
    const me = publicKeyOf(sk);
    const ledger = await LedgerClient.connect({ url: c.ledgerUrl });
    await ledger.waitForTx(await ledger.faucet(me, 2_000_000_000n));
    // bob pays for the force close he will send from his own ledger account (every fee is its sender's)
    await ledger.waitForTx(await ledger.faucet(fromHex(bob.id), 1_000_000n));
    const { s, inbox, closed } = await session(sk);
    const channelId = randomBytes(32);
    const capacity = 1_000_000_000n;
    const s0: ChannelState = { channelId, seq: 0n, balanceA: capacity, balanceB: 0n, locks: [], closing: false };
    const sigA = signState(DEFAULT_CHAIN_ID, s0, sk);
    s.send(encodeMessage({ kind: 'openChannel', channelId, chainHash: chainHash(DEFAULT_CHAIN_ID), capacity, push: 0n, reserve: capacity / 100n, sigA }));
    const accept = await until(async () => inbox.find((m) => m.kind === 'acceptChannel'), 5000, 'acceptChannel');
    if (accept.kind !== 'acceptChannel') throw new Error('unreachable');
    await ledger.waitForTx(await ledger.submit(signTx(DEFAULT_CHAIN_ID, { kind: 'open', from: me, nonce: 0, channelId, peer: fromHex(bob.id), capacity, state: { state: s0, sigA, sigB: accept.sigB } }, sk)));
    const api = await bob.api();
    await until(async () => (await api.listChannels())[0]?.status === 'open', 10_000, 'bob sees it open');

    const s1: ChannelState = { ...s0, seq: 1n, balanceA: capacity - 5000n, balanceB: 5000n };
    const goodSig = signState(DEFAULT_CHAIN_ID, s1, sk);
    const badSig = goodSig.slice();
    badSig[5]! ^= 0xff;
    s.send(encodeMessage({ kind: 'updateState', channelId, seq: 1n, ops: [{ op: 'pay', amount: 5000n }], sig: badSig }));
    await closed;
    const errorSent = inbox.find((m) => m.kind === 'error');
    expect(errorSent).toBeDefined();
    const [ch] = await api.listChannels();
    expect(ch!.seq).toBe(0n);
    expect(ch!.localBalance).toBe(0n);
    // bob failed the channel: it closes on the ledger with the last state both signed (state 0)
    await until(async () => (await ledger.channel(channelId))?.status === 'closing', 10_000, 'a unilateral close');
    expect((await ledger.channel(channelId))!.latest!.state.seq).toBe(0n);
    await ledger.close();
  });
});
