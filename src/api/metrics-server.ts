// `--metrics-port`: /metrics alone on its own loopback port, without the token, for a Prometheus
// scraper on this machine. It answers only GET /metrics and only to a Host header naming this
// machine, so a web page that re-points its own name at 127.0.0.1 (DNS rebinding) cannot read it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../util/log.js';
import { allowedHosts, checkHost } from './dashboard-guard.js';
import { HttpError, sendError } from './http.js';
import { METRICS_PATH, type NodeMetrics } from './metrics.js';

export interface MetricsServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Answer a scrape: the exposition text, or 500 (and a log line) if the node could not be read. */
export async function sendMetrics(res: ServerResponse, metrics: NodeMetrics, log: Logger): Promise<void> {
  let text: string;
  try {
    text = await metrics.text();
  } catch (err) {
    log.error({ err }, 'metrics scrape failed');
    return sendError(res, new HttpError(500, 'INTERNAL', 'metrics unavailable; see the node log'));
  }
  res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export async function startMetricsServer(opts: { metrics: NodeMetrics; port: number; log: Logger }): Promise<MetricsServer> {
  const host = '127.0.0.1';
  let hosts = new Set<string>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const wrongHost = checkHost(req.headers, hosts);
    if (wrongHost) return sendError(res, wrongHost);
    const path = (req.url ?? '/').split('?')[0];
    if (path !== METRICS_PATH) return sendError(res, new HttpError(404, 'NOT_FOUND', `only ${METRICS_PATH} here`));
    if (req.method !== 'GET') return sendError(res, new HttpError(405, 'METHOD_NOT_ALLOWED', 'use GET', { allow: 'GET' }));
    await sendMetrics(res, opts.metrics, opts.log);
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(port, host);
  const url = `http://${host}:${port}${METRICS_PATH}`;
  opts.log.info({ url }, 'metrics listening');
  return {
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
