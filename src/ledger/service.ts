// Starts the ledger: store, chain, API server and the block timer. Used by `sluice ledger start`,
// by the demo (embedded, fast blocks) and by tests.
import { mkdir } from 'node:fs/promises';
import type { Msat } from '../money.js';
import { createLogger, type Logger } from '../util/log.js';
import { Chain } from './chain.js';
import { startLedgerServer, DEFAULT_LEDGER_PORT, type LedgerLimits, type LedgerServerStats } from './server.js';
import { LedgerStore } from './store.js';

export const DEFAULT_CHAIN_ID = 'sluice-simnet';
export const DEFAULT_FEE_MSAT: Msat = 200_000n; // 200 sat, on-chain-like, so channels' savings show
export const DEFAULT_DISPUTE_BLOCKS = 10;

export interface LedgerServiceOptions {
  dataDir: string;
  host?: string;
  port?: number;
  /** Milliseconds between blocks; 0 makes blocks only on demand (the `mine` call, with --faucet). */
  blockTimeMs?: number;
  disputeBlocks?: number;
  fee?: Msat;
  faucet?: boolean;
  chainId?: string;
  log?: Logger;
  /** Bounds on what ledger users can make the server hold (defaults: DEFAULT_LEDGER_LIMITS). */
  limits?: Partial<LedgerLimits>;
}

export interface LedgerService {
  url: string;
  port: number;
  chain: Chain;
  limits: LedgerLimits;
  /** Connections, subscriptions and unfinished requests the API server holds now. */
  stats(): LedgerServerStats;
  stop(): Promise<void>;
}

export async function startLedger(opts: LedgerServiceOptions): Promise<LedgerService> {
  const log = opts.log ?? createLogger({ name: 'ledger' });
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const store = new LedgerStore(opts.dataDir);
  await store.open();
  const params = {
    chainId: opts.chainId ?? DEFAULT_CHAIN_ID,
    fee: opts.fee ?? DEFAULT_FEE_MSAT,
    disputeBlocks: opts.disputeBlocks ?? DEFAULT_DISPUTE_BLOCKS,
    faucet: opts.faucet ?? false,
  };
  let chain: Chain;
  try {
    chain = await Chain.open(store, params, Date.now());
  } catch (e) {
    await store.close();
    throw e;
  }
  const blockTimeMs = opts.blockTimeMs ?? 1000;
  let server;
  try {
    server = await startLedgerServer({ chain, host: opts.host, port: opts.port ?? DEFAULT_LEDGER_PORT, log, blockTimeMs, limits: opts.limits });
  } catch (e) {
    await store.close();
    throw e;
  }
  log.info({ chainId: params.chainId, height: chain.tip.header.height, fee: params.fee.toString(), faucet: params.faucet }, 'ledger started');

  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopping) return;
    chain
      .mine(Date.now())
      .then((m) => {
        if (m.applied.length > 0 || m.rejected.length > 0) {
          log.info({ height: m.block.header.height, txs: m.applied.length, rejected: m.rejected.length }, 'block');
        }
      })
      .catch((err: unknown) => log.error({ err }, 'block production failed'))
      .finally(() => {
        if (!stopping) timer = setTimeout(tick, blockTimeMs);
      });
  };
  if (blockTimeMs > 0) timer = setTimeout(tick, blockTimeMs);

  return {
    url: server.url,
    port: server.port,
    chain,
    limits: server.limits,
    stats: () => server.stats(),
    stop: async () => {
      stopping = true;
      if (timer) clearTimeout(timer);
      await server.close();
      await chain.idle(); // let a block being written finish
      await store.close();
    },
  };
}
