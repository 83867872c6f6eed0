// Hostile peers against the peer manager itself (no ledger, no channels): pong amplification, ping
// floods, peers that stop reading, and throwaway connections. Each test is named after the attack.
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { chainHash } from '../../src/channel/state.js';
import { HandshakeLimiter, judgeMessage, judgePing, NO_MESSAGES, NO_PINGS, type PeerLimits, type RateState } from '../../src/node/peer-limits.js';
import { PeerManager } from '../../src/node/peers.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { createLogger, silentLogger, type Logger } from '../../src/util/log.js';
import { Writable } from 'node:stream';
import { makePing } from '../../src/wire/ping.js';
import { HostilePeer } from '../helpers/hostile-peer.js';

const running: PeerManager[] = [];
const hostiles: HostilePeer[] = [];
afterEach(async () => {
  for (const h of hostiles.splice(0)) h.close();
  for (const pm of running.splice(0)) await pm.stop();
});

interface Victim {
  pm: PeerManager;
  nodeId: string;
  /** Stream messages handed up, by peer id. */
  streamMessages: Map<string, number>;
  /** Connect a hostile peer to it over the chosen transport. */
  attacker(secretKey?: Uint8Array): Promise<HostilePeer>;
}

async function victim(opts: { transport: 'ws' | 'memory'; limits?: Partial<PeerLimits>; pingIntervalMs?: number; channelPeers?: Set<string>; log?: Logger }): Promise<Victim> {
  const secretKey = randomSecretKey();
  const network = opts.transport === 'memory' ? new MemoryNetwork() : undefined;
  const streamMessages = new Map<string, number>();
  const pm = new PeerManager({
    secretKey, nodeId: publicKeyOf(secretKey), chainHash: chainHash('sluice-test'), log: opts.log ?? silentLogger(),
    listen: opts.transport === 'ws' ? { host: '127.0.0.1', port: 0 } : undefined,
    network,
    pingIntervalMs: opts.pingIntervalMs,
    limits: opts.limits,
    hasChannel: (peer) => opts.channelPeers?.has(peer) ?? false,
    onChannelMessage: () => {}, onStreamMessage: (peer) => streamMessages.set(peer, (streamMessages.get(peer) ?? 0) + 1), onPeerError: () => {}, onConnected: () => {}, onDisconnected: () => {},
  });
  await pm.start();
  running.push(pm);
  const nodeId = toHex(publicKeyOf(secretKey));
  return {
    pm, nodeId, streamMessages,
    async attacker(sk) {
      const h = await HostilePeer.connect(
        opts.transport === 'ws' ? { ws: `ws://127.0.0.1:${pm.port}`, remoteNodeId: nodeId, secretKey: sk } : { memory: network!, remoteNodeId: nodeId, secretKey: sk },
      );
      hostiles.push(h);
      return h;
    },
  };
}

const bigPing = () => makePing({ numPongBytes: 65531 });
const pongs = (h: HostilePeer) => h.received.filter((m) => m.kind === 'pong').length;

describe('the ping rule', () => {
  it.each([
    // [last answered, ignored so far, now, verdict]
    [undefined, 0, 0, 'answer'],
    [0, 0, 4999, 'ignore'],
    [0, 5, 5000, 'answer'],
    [0, 31, 100, 'ignore'],
    [0, 32, 100, 'disconnect'],
  ] as const)('last answered %s, %s ignored, ping at %s: %s', (lastAnswered, ignoredInARow, now, verdict) => {
    expect(judgePing({ lastAnswered, ignoredInARow }, now, { pongMinIntervalMs: 5000, maxIgnoredPings: 32 }).verdict).toBe(verdict);
  });

  it('an answered ping resets the count', () => {
    const s = judgePing({ lastAnswered: 0, ignoredInARow: 20 }, 6000, { pongMinIntervalMs: 5000, maxIgnoredPings: 32 }).state;
    expect(s).toEqual({ lastAnswered: 6000, ignoredInARow: 0 });
    expect(judgePing(NO_PINGS, 1, { pongMinIntervalMs: 5000, maxIgnoredPings: 32 }).state.lastAnswered).toBe(1);
  });
});

describe.each(['memory', 'ws'] as const)('over %s', (transport) => {
  it('pong amplification: 2,000 pings for 65,531-byte pongs from a stranger that stopped reading get one pong, then a disconnect', async () => {
    const v = await victim({ transport });
    const evil = await v.attacker();
    await evil.init();
    evil.stopReading();
    const sent = await evil.flood(2000, bigPing);
    evil.resumeReading();
    const reason = await evil.disconnected;
    // one answered ping, the next 32 ignored, the 33rd ignored one is a flood
    expect(sent).toBeGreaterThanOrEqual(34);
    expect(pongs(evil)).toBe(1);
    expect(evil.received.some((m) => m.kind === 'warning')).toBe(true);
    expect(reason).toMatch(/ping flood|closed/);
    await waitUntil(() => v.pm.list().length === 0);
  });

  it('a peer that stops reading is dropped once our send buffer passes the bound, even when every ping is answered', async () => {
    const v = await victim({ transport, limits: { pongMinIntervalMs: 0, maxIgnoredPings: Number.MAX_SAFE_INTEGER, maxSendBufferBytes: 1 << 20 } });
    const evil = await v.attacker();
    await evil.init();
    evil.stopReading();
    await evil.flood(2000, bigPing, { perTurn: 20 });
    await waitUntil(() => !v.pm.isConnected(evil.nodeId) && v.pm.list().length === 0);
    evil.resumeReading();
    await evil.disconnected;
    // We stopped well short of the 2,000 pongs (131 MB) it asked for.
    expect(pongs(evil)).toBeLessThan(2000);
  });
});

describe('the message rate rule', () => {
  const limits = { messageBurst: 3, messagesPerSecond: 1, controlBurst: 2, controlsPerSecond: 0.5, maxDroppedMessages: 2 };
  const run = (times: number[], control: (i: number) => boolean = () => false, given = limits) => {
    let state: RateState = NO_MESSAGES;
    return times.map((t, i) => {
      const judged = judgeMessage(state, t, given, control(i));
      state = judged.state;
      return judged.verdict;
    });
  };

  it('a burst passes, then the first over the rate is warned about, the next dropped, then a disconnect', () => {
    expect(run([0, 0, 0, 0, 0, 0])).toEqual(['pass', 'pass', 'pass', 'warn', 'drop', 'disconnect']);
  });

  it('the bucket refills at the rate, up to the burst', () => {
    expect(run([0, 0, 0, 1000, 1000, 10_000, 10_000, 10_000, 10_000])).toEqual(['pass', 'pass', 'pass', 'pass', 'warn', 'pass', 'pass', 'pass', 'drop']);
  });

  it('stream control has its own tighter bucket; other messages still pass while it is empty', () => {
    const isControl = (i: number) => i !== 3;
    expect(run([0, 0, 0, 0, 2000, 3000], isControl, { ...limits, messageBurst: 10 })).toEqual(['pass', 'pass', 'warn', 'pass', 'pass', 'drop']);
  });
});

describe('the reconnect rule', () => {
  it('a peer past its handshake burst waits for the refill; others are not affected', () => {
    const hs = new HandshakeLimiter({ handshakeBurst: 2, handshakesPerMinute: 6 });
    expect([hs.admit('a', 0), hs.admit('a', 0), hs.admit('a', 0)]).toEqual([0, 0, 10_000]);
    expect(hs.admit('b', 0)).toBe(0);
    expect(hs.admit('a', 4000)).toBe(6000);
    expect(hs.admit('a', 10_000)).toBe(0);
  });

  it('remembers a bounded number of peers, forgetting the least recently seen', () => {
    const hs = new HandshakeLimiter({ handshakeBurst: 1, handshakesPerMinute: 1 }, 3);
    for (const p of ['a', 'b', 'c', 'd']) hs.admit(p, 0);
    expect(hs.size).toBe(3);
    expect(hs.admit('a', 0)).toBe(0); // forgotten: a full bucket again
    expect(hs.admit('d', 0)).toBeGreaterThan(0);
  });
});

describe('message floods', () => {
  const control = (i: number) => ({ kind: 'streamControl' as const, streamId: new Uint8Array(16).fill(i % 256), action: 'pause' as const, reason: '' });

  it('stream control flood: a peer alternating pause/resume past the rate is warned, cut off, and the excess never reaches the streams; an honest peer is still served', async () => {
    const limits = { controlBurst: 100, controlsPerSecond: 10, maxDroppedMessages: 50 };
    const v = await victim({ transport: 'memory', limits });
    const honest = await v.attacker();
    await honest.init();
    const evil = await v.attacker();
    await evil.init();
    const sent = await evil.flood(5000, (i) => ({ ...control(i), action: i % 2 === 0 ? 'pause' : 'resume' }), { perTurn: 200 });
    expect(await evil.disconnected).toMatch(/message flood|closed/);
    const warning = evil.received.find((m) => m.kind === 'warning');
    expect(warning).toBeDefined();
    // At most the burst, plus what refilled meanwhile, got through; the flood went on past it.
    const handled = v.streamMessages.get(evil.nodeId) ?? 0;
    expect(handled).toBeGreaterThanOrEqual(100);
    expect(handled).toBeLessThan(sent);
    expect(sent).toBeGreaterThan(100 + 50);
    // The honest peer is still connected and its messages are handled.
    for (let i = 0; i < 20; i++) honest.send(control(i));
    await waitUntil(() => v.streamMessages.get(honest.nodeId) === 20);
    expect(v.pm.isConnected(honest.nodeId)).toBe(true);
    expect(honest.received.some((m) => m.kind === 'warning')).toBe(false);
  });

  it('warning flood: a peer\'s long warnings reach our log cut short, and at warn level once a minute', async () => {
    const lines: { level: number; text: string }[] = [];
    const stream = new Writable({ write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { level: number; text: string });
      done();
    } });
    const v = await victim({ transport: 'memory', log: createLogger({ stream, json: true, level: 'debug' }) });
    const evil = await v.attacker();
    await evil.init();
    const long = new TextEncoder().encode('x'.repeat(60_000));
    for (let i = 0; i < 100; i++) evil.send({ kind: 'warning', channelId: new Uint8Array(32), data: long });
    await waitUntil(() => lines.filter((l) => l.text !== undefined).length === 100);
    const texts = lines.filter((l) => l.text !== undefined);
    expect(texts.filter((l) => l.level === 40)).toHaveLength(1); // pino's warn
    for (const l of texts) expect(l.text.length).toBeLessThan(300);
  });

  it('reconnect amplification: a peer completing handshakes past its burst is refused with a backoff; another peer still gets in', async () => {
    const v = await victim({ transport: 'memory', limits: { handshakeBurst: 3, handshakesPerMinute: 1 } });
    const key = randomSecretKey();
    for (let i = 0; i < 3; i++) {
      const h = await v.attacker(key);
      await h.init();
      h.close();
      await h.disconnected;
    }
    const again = await v.attacker(key);
    expect(await again.disconnected).toMatch(/reconnecting too often: retry in \d+ s/);
    expect(again.received).toEqual([]); // no init: none of its messages will be handled
    const other = await v.attacker();
    await other.init();
    expect(v.pm.isConnected(other.nodeId)).toBe(true);
  });
});

describe('liveness', () => {
  it('a ping flood is not liveness: a peer that only pings, faster than we answer, is dropped as unresponsive', async () => {
    const v = await victim({ transport: 'memory', pingIntervalMs: 100, limits: { pongMinIntervalMs: 60_000, maxIgnoredPings: Number.MAX_SAFE_INTEGER } });
    const evil = await v.attacker();
    await evil.init();
    for (let i = 0; i < 1000 && !evil.closed; i++) {
      evil.send(makePing({ numPongBytes: 4 }));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(evil.closed).toBe(true);
    expect(pongs(evil)).toBe(1);
    expect(evil.received.some((m) => m.kind === 'ping')).toBe(true); // we did ask it
  });
});

describe('unbounded tables', () => {
  it('300 throwaway connections leave no peer entries behind; a channel peer keeps its entry', async () => {
    const keeper = randomSecretKey();
    const v = await victim({ transport: 'ws', channelPeers: new Set([toHex(publicKeyOf(keeper))]) });
    for (let batch = 0; batch < 12; batch++) {
      await Promise.all(
        Array.from({ length: 25 }, async () => {
          const h = await v.attacker();
          await h.init();
          h.close();
          await h.disconnected;
        }),
      );
    }
    const kept = await v.attacker(keeper);
    await kept.init();
    kept.close();
    await waitUntil(() => v.pm.list().length === 1 && !v.pm.isConnected(kept.nodeId));
    expect(v.pm.list()).toEqual([{ nodeId: toHex(publicKeyOf(keeper)), address: undefined, connected: false }]);
  }, 120_000); // 300 real handshakes: slow on a loaded machine

  it('connected peers without a channel are capped; a channel peer still gets in', async () => {
    const keeper = randomSecretKey();
    const v = await victim({ transport: 'memory', limits: { maxPeersWithoutChannels: 3 }, channelPeers: new Set([toHex(publicKeyOf(keeper))]) });
    const first = await Promise.all([1, 2, 3].map(async () => {
      const h = await v.attacker();
      await h.init();
      return h;
    }));
    const fourth = await v.attacker();
    expect(await fourth.disconnected).toMatch(/too many peers without channels/);
    expect(fourth.received).toEqual([]);
    const channelPeer = await v.attacker(keeper);
    await channelPeer.init();
    expect(v.pm.isConnected(channelPeer.nodeId)).toBe(true);
    first[0]!.close();
    await waitUntil(() => !v.pm.isConnected(first[0]!.nodeId));
    const fifth = await v.attacker();
    await fifth.init(); // a slot was freed
    expect(v.pm.isConnected(fifth.nodeId)).toBe(true);
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 20));
  }
}
