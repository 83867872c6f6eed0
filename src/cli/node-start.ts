// What `sluice node start` does: a node with its peer listener and its control API, until Ctrl-C,
// SIGTERM or `sluice node stop`. Mistakes a person makes starting one get a message that says which:
// a port already taken (checked before anything starts), a data dir another node holds, a --ledger
// URL that is not a ledger (a node's peer port, a control API).
import { createWriteStream, type WriteStream } from 'node:fs';
import { createMetrics } from '../api/metrics.js';
import { startMetricsServer } from '../api/metrics-server.js';
import { startApiServer } from '../api/server.js';
import { loadOrCreateToken } from '../api/token.js';
import { removeApiUrl, writeApiUrl } from '../api/url-file.js';
import { SluiceNode } from '../node/node.js';
import type { StreamPolicy } from '../node/streams.js';
import { parseAmount } from '../money.js';
import { parseRate } from '../stream/rate.js';
import { parseDuration } from '../util/duration.js';
import { createLogger } from '../util/log.js';
import { explainLedgerFailure } from './ledger-errors.js';
import { CliError } from './output.js';
import { assertPortFree, checkDataDir, parseCount, parsePort, waitForSignal } from './parse.js';

type Opts = Record<string, string | boolean | undefined>;

/** The control API (and dashboard) listen on loopback only, whatever --host the peers use. */
const API_HOST = '127.0.0.1';

export async function nodeStart(o: Opts): Promise<void> {
  const dataDir = String(o['dataDir']);
  const host = String(o['host']);
  const ledgerUrl = String(o['ledger']);
  const port = parsePort(String(o['port']), '--port');
  const apiPort = parsePort(String(o['apiPort']), '--api-port');
  const metricsPort = typeof o['metricsPort'] === 'string' ? parsePort(o['metricsPort'], '--metrics-port') : undefined;
  const streams = streamPolicy(o);
  const gossipFlushMs = parseDuration(String(o['gossipInterval'] ?? '60s'), '--gossip-interval');
  if (gossipFlushMs < 100) throw new CliError('BAD_INPUT', '--gossip-interval: at least 100ms');
  await checkDataDir(dataDir, { mustExist: false, daemon: 'node' });
  await assertPortFree(host, port, '--port');
  await assertPortFree(API_HOST, apiPort, '--api-port');
  if (metricsPort !== undefined) await assertPortFree('127.0.0.1', metricsPort, '--metrics-port');
  if (port !== 0 && port === apiPort) throw new CliError('BAD_INPUT', `--port and --api-port are both ${port}; they need a port each`);

  let logFile: WriteStream | undefined;
  if (typeof o['logFile'] === 'string') {
    logFile = createWriteStream(o['logFile'], { flags: 'a', mode: 0o600 });
    await new Promise<void>((resolve, reject) => logFile!.once('open', () => resolve()).once('error', (e) => reject(new CliError('BAD_INPUT', `--log-file: ${e.message}`))));
  }
  const log = createLogger({ name: 'node', level: String(o['logLevel']), json: o['logJson'] === true, stream: logFile });
  const metrics = createMetrics({ log });

  const node = await SluiceNode.start({
    streams,
    dataDir,
    ledgerUrl,
    alias: typeof o['alias'] === 'string' ? o['alias'] : undefined,
    listen: { host, port },
    log,
    acceptKeysend: o['acceptKeysend'] === true,
    gossip: { flushMs: gossipFlushMs },
    onStoreWrite: (ms) => metrics.observeStoreWrite(ms),
  }).catch((e: unknown) => {
    throw explainStartFailure(e, ledgerUrl, port);
  });
  let requestStop!: () => void;
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  metrics.attach(node);
  const api = metrics.instrument(Object.assign(node, { shutdown: async () => requestStop() }));
  const token = await loadOrCreateToken(dataDir);
  const server = await startApiServer({ api, host: API_HOST, port: apiPort, token, log, metrics });
  const metricsServer = metricsPort !== undefined ? await startMetricsServer({ metrics, port: metricsPort, log }) : undefined;
  await writeApiUrl(dataDir, server.url);
  process.stdout.write(`node ${node.nodeId}\n  peers connect to ${node.nodeId}@${host}:${node.peerPort}\n  control API on ${server.url} (token in ${dataDir}/api-token)\n`);
  process.stdout.write(`  dashboard at ${server.url}/ (run \`sluice dashboard --data-dir ${dataDir}\` for a login link)\n`);
  if (metricsServer) process.stdout.write(`  metrics at ${metricsServer.url}\n`);
  await Promise.race([waitForSignal(), stopRequested]);
  log.info('stopping');
  await removeApiUrl(dataDir);
  await server.close();
  await metricsServer?.close();
  metrics.close();
  await node.stop();
  if (logFile) await new Promise<void>((resolve) => logFile!.end(resolve));
}

function streamPolicy(o: Opts): StreamPolicy {
  const amountOpt = (k: string, what: string) => (typeof o[k] === 'string' ? parseAmount(o[k] as string, what) : undefined);
  const minRate = typeof o['minStreamRate'] === 'string' ? parseRate(o['minStreamRate'], '--min-stream-rate') : undefined;
  const streams: StreamPolicy = {
    graceMs: parseDuration(String(o['lateGrace']), '--late-grace'),
    nodeLimits: { perDay: amountOpt('maxSpendPerDay', '--max-spend-per-day'), total: amountOpt('maxSpendTotal', '--max-spend-total') },
    peerLimits: { perDay: amountOpt('maxSpendPerPeerDay', '--max-spend-per-peer-day'), total: amountOpt('maxSpendPerPeerTotal', '--max-spend-per-peer-total') },
  };
  if (minRate) streams.minRatePerSec = (minRate.amount * 1000n) / BigInt(minRate.perMs);
  if (typeof o['maxStreamsPerChannel'] === 'string') streams.maxStreamsPerChannel = parseCount(o['maxStreamsPerChannel'], '--max-streams-per-channel');
  return streams;
}

/** What went wrong, in the user's terms, when a node does not start. */
function explainStartFailure(e: unknown, ledgerUrl: string, port: number): unknown {
  if ((e as { code?: string }).code === 'EADDRINUSE') return new CliError('PORT_IN_USE', `--port ${port} is already in use (another node, or another program); pick another port`);
  return explainLedgerFailure(e, ledgerUrl) ?? e;
}
