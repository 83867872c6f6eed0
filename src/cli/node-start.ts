// `sluice node start`: a node with its peer listener and its control API, until Ctrl-C.
import type { Command } from 'commander';
import { startApiServer, DEFAULT_API_PORT } from '../api/server.js';
import { createMetrics } from '../api/metrics.js';
import { startMetricsServer } from '../api/metrics-server.js';
import { loadOrCreateToken } from '../api/token.js';
import { removeApiUrl, writeApiUrl } from '../api/url-file.js';
import { DEFAULT_LEDGER_URL } from '../ledger/client.js';
import { DEFAULT_PEER_PORT, SluiceNode } from '../node/node.js';
import { createLogger } from '../util/log.js';
import { parseDuration } from '../util/duration.js';
import { parseAmount } from '../money.js';
import { parseRate } from '../stream/rate.js';
import type { StreamPolicy } from '../node/streams.js';
import { parsePort, waitForSignal } from './ledger-commands.js';
import { defaultNodeDir } from './paths.js';

export function registerNodeStartCommand(program: Command): void {
  const node = program.commands.find((c) => c.name() === 'node') ?? program.command('node').description('run a sluice node');
  node
    .command('start')
    .description('start a node: peers connect on --port, the CLI and apps on --api-port (runs until Ctrl-C)')
    .option('--data-dir <dir>', 'where the node keeps its key, token and LevelDB store', defaultNodeDir())
    .option('--host <host>', 'address to listen on for peers and the API', '127.0.0.1')
    .option('--port <port>', 'peer WebSocket port (BOLT 8 over WebSocket)', String(DEFAULT_PEER_PORT))
    .option('--api-port <port>', 'control API port (HTTP + WebSocket events, token required)', String(DEFAULT_API_PORT))
    .option('--ledger <url>', 'ledger API address', DEFAULT_LEDGER_URL)
    .option('--alias <name>', 'a name for this node in `sluice info`')
    .option('--min-stream-rate <rate>', 'refuse incoming streams paying less than this (e.g. 10msat/s)')
    .option('--max-spend-per-day <amount>', 'streams may pay at most this much in any 24 hours, over all peers')
    .option('--max-spend-total <amount>', 'streams may pay at most this much in total, over all peers')
    .option('--max-spend-per-peer-day <amount>', 'streams may pay one peer at most this much in any 24 hours')
    .option('--max-spend-per-peer-total <amount>', 'streams may pay one peer at most this much in total')
    .option('--late-grace <duration>', 'an incoming stream is late after a tick interval plus this', '2s')
    .option('--metrics-port <port>', 'also serve Prometheus /metrics without the token on this 127.0.0.1 port (it is always on the API port with the token)')
    .option('--log-level <level>', 'trace|debug|info|warn|error', 'info')
    .option('--log-json', 'log JSON lines', false)
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const dataDir = String(o['dataDir']);
      const host = String(o['host']);
      const log = createLogger({ name: 'node', level: String(o['logLevel']), json: o['logJson'] === true });
      const amountOpt = (k: string, what: string) => (typeof o[k] === 'string' ? parseAmount(o[k] as string, what) : undefined);
      const minRate = typeof o['minStreamRate'] === 'string' ? parseRate(o['minStreamRate'], '--min-stream-rate') : undefined;
      const streams: StreamPolicy = {
        graceMs: parseDuration(String(o['lateGrace']), '--late-grace'),
        nodeLimits: { perDay: amountOpt('maxSpendPerDay', '--max-spend-per-day'), total: amountOpt('maxSpendTotal', '--max-spend-total') },
        peerLimits: { perDay: amountOpt('maxSpendPerPeerDay', '--max-spend-per-peer-day'), total: amountOpt('maxSpendPerPeerTotal', '--max-spend-per-peer-total') },
      };
      const metrics = createMetrics({ log });
      if (minRate) streams.minRatePerSec = (minRate.amount * 1000n) / BigInt(minRate.perMs);
      const node = await SluiceNode.start({
        streams,
        dataDir,
        ledgerUrl: String(o['ledger']),
        alias: typeof o['alias'] === 'string' ? o['alias'] : undefined,
        listen: { host, port: parsePort(String(o['port'])) },
        log,
        onStoreWrite: (ms) => metrics.observeStoreWrite(ms),
      });
      metrics.attach(node);
      const token = await loadOrCreateToken(dataDir);
      const api = await startApiServer({ api: metrics.instrument(node), host, port: parsePort(String(o['apiPort'])), token, log, metrics });
      const metricsServer = typeof o['metricsPort'] === 'string' ? await startMetricsServer({ metrics, port: parsePort(o['metricsPort']), log }) : undefined;
      await writeApiUrl(dataDir, api.url);
      process.stdout.write(`node ${node.nodeId}\n  peers connect to ${node.nodeId}@${host}:${node.peerPort}\n  control API on ${api.url} (token in ${dataDir}/api-token)\n`);
      process.stdout.write(`  dashboard at ${api.url}/ (run \`sluice dashboard --data-dir ${dataDir}\` for a login link)\n`);
      if (metricsServer) process.stdout.write(`  metrics at ${metricsServer.url}\n`);
      await waitForSignal();
      log.info('stopping');
      await removeApiUrl(dataDir);
      await api.close();
      await metricsServer?.close();
      metrics.close();
      await node.stop();
    });
}
