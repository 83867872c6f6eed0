// Hostile peers against the peer manager itself (no ledger, no channels): pong amplification, ping
// floods, peers that stop reading, and throwaway connections. Each test is named after the attack.
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { chainHash } from '../../src/channel/open.js';
import { judgePing, NO_PINGS, type PeerLimits } from '../../src/node/peer-limits.js';
import { PeerManager } from '../../src/node/peers.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { silentLogger } from '../../src/util/log.js';
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
  /** Connect a hostile peer to it over the chosen transport. */
  attacker(secretKey?: Uint8Array): Promise<HostilePeer>;
}

async function victim(opts: { transport: 'ws' | 'memory'; limits?: Partial<PeerLimits>; pingIntervalMs?: number; channelPeers?: Set<string> }): Promise<Victim> {
  const secretKey = randomSecretKey();
  const network = opts.transport === 'memory' ? new MemoryNetwork() : undefined;
  const pm = new PeerManager({
    secretKey, nodeId: publicKeyOf(secretKey), chainHash: chainHash('sluice-test'), log: silentLogger(),
    listen: opts.transport === 'ws' ? { host: '127.0.0.1', port: 0 } : undefined,
    network,
    pingIntervalMs: opts.pingIntervalMs,
    limits: opts.limits,
    hasChannel: (peer) => opts.channelPeers?.has(peer) ?? false,
    onChannelMessage: () => {}, onStreamMessage: () => {}, onPeerError: () => {}, onConnected: () => {}, onDisconnected: () => {},
  });
  await pm.start();
  running.push(pm);
  const nodeId = toHex(publicKeyOf(secretKey));
  return {
    pm, nodeId,
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
