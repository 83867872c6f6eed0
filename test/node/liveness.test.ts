// A peer that completes the handshake and init and then goes silent is pinged, then dropped.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fromHex } from '../../src/crypto/bytes.js';
import { randomSecretKey } from '../../src/crypto/keys.js';
import { chainHash } from '../../src/channel/state.js';
import { startLedger } from '../../src/ledger/service.js';
import { SluiceNode } from '../../src/node/node.js';
import { connectPeer } from '../../src/transport/ws.js';
import { silentLogger } from '../../src/util/log.js';
import { FeatureVector } from '../../src/wire/features.js';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import { tempDir } from '../helpers/tmp.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('peer liveness', () => {
  it('pings a connected peer and drops it after three silent intervals', async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.cleanup);
    const ledger = await startLedger({ dataDir: join(tmp.dir, 'l'), port: 0, blockTimeMs: 0, chainId: 'sluice-test', log: silentLogger() });
    cleanups.push(() => ledger.stop());
    const node = await SluiceNode.start({ dataDir: join(tmp.dir, 'n'), ledgerUrl: ledger.url, listen: { host: '127.0.0.1', port: 0 }, log: silentLogger(), pingIntervalMs: 100 });
    cleanups.push(() => node.stop());
    const s = await connectPeer({ url: `ws://127.0.0.1:${node.peerPort}`, localSecretKey: randomSecretKey(), remoteNodeId: fromHex(node.nodeId) });
    const kinds: string[] = [];
    s.onMessage((b) => {
      const d = decodeMessage(b);
      if (d.ok) kinds.push(d.value.kind);
    });
    const closed = new Promise<number>((r) => s.onClose(() => r(Date.now())));
    s.send(encodeMessage({ kind: 'init', globalFeatures: FeatureVector.EMPTY, features: FeatureVector.EMPTY, tlvs: { networks: [chainHash('sluice-test')] }, unknownTlvs: [] }));
    const t0 = Date.now();
    const at = await closed; // we never answer a ping
    expect(kinds).toContain('ping');
    expect(at - t0).toBeGreaterThanOrEqual(250);
    expect(at - t0).toBeLessThan(10_000); // loose: only that it is dropped, not how fast
  });
});

describe('redialing', () => {
  it('redials a peer connected by address after it restarts on the same port', async () => {
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const tmp = await tempDir();
    cleanups.push(tmp.cleanup);
    const ledger = await startLedger({ dataDir: join(tmp.dir, 'l'), port: 0, blockTimeMs: 0, chainId: 'sluice-test', log: silentLogger() });
    cleanups.push(() => ledger.stop());
    const start = (name: string, p: number) =>
      SluiceNode.start({ dataDir: join(tmp.dir, name), ledgerUrl: ledger.url, listen: { host: '127.0.0.1', port: p }, log: silentLogger() });
    const alice = await start('alice', 0);
    cleanups.push(() => alice.stop());
    let bob = await start('bob', port);
    await alice.connectPeer(`${bob.nodeId}@127.0.0.1:${port}`);
    await bob.stop();
    const connected = async () => (await alice.listPeers()).find((p) => p.nodeId === bob.nodeId)?.connected === true;
    for (let i = 0; i < 50 && (await connected()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await connected()).toBe(false);
    bob = await start('bob', port);
    cleanups.push(() => bob.stop());
    let ok = false;
    for (let i = 0; i < 200 && !ok; i++) {
      ok = await connected();
      if (!ok) await new Promise((r) => setTimeout(r, 50));
    }
    expect(ok).toBe(true);
  });
});
