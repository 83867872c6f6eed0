// An in-process sluice network for tests: one ledger (fast blocks) and nodes on an in-memory transport.
import { join } from 'node:path';
import { startLedger, type LedgerService } from '../../src/ledger/service.js';
import { SluiceNode, type NodeOptions } from '../../src/node/node.js';
import type { StreamPolicy } from '../../src/node/streams.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { silentLogger } from '../../src/util/log.js';
import { tempDir } from './tmp.js';

export const FEE = 1000n;

export interface TestNet {
  ledger: LedgerService;
  network: MemoryNetwork;
  dir: string;
  nodes: SluiceNode[];
  /** `extra`: more node options (a clock, a store double, limits). */
  node(name: string, streams?: StreamPolicy, extra?: Partial<NodeOptions>): Promise<SluiceNode>;
  stop(): Promise<void>;
}

export async function testNet(opts: { blockTimeMs?: number; disputeBlocks?: number } = {}): Promise<TestNet> {
  const tmp = await tempDir();
  const ledger = await startLedger({ dataDir: join(tmp.dir, 'ledger'), port: 0, blockTimeMs: opts.blockTimeMs ?? 30, faucet: true, fee: FEE, disputeBlocks: opts.disputeBlocks ?? 5, chainId: 'sluice-test', log: silentLogger() });
  const network = new MemoryNetwork();
  const nodes: SluiceNode[] = [];
  return {
    ledger, network, dir: tmp.dir, nodes,
    async node(name, streams, extra) {
      const n = await SluiceNode.start({ dataDir: join(tmp.dir, name), ledgerUrl: ledger.url, network, alias: name, log: silentLogger(), streams, ...extra });
      nodes.push(n);
      return n;
    },
    async stop() {
      for (const n of nodes) await n.stop().catch(() => undefined);
      await ledger.stop();
      await tmp.cleanup();
    },
  };
}
