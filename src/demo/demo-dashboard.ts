// The demo's dashboards: each demo node gets its control API (and so its dashboard) on a free
// loopback port, with a token and api-url in its data dir, so `sluice dashboard --data-dir DIR`
// prints a fresh login link while the demo runs.
import { requestLoginLink } from '../api/dashboard-link.js';
import { createMetrics } from '../api/metrics.js';
import { startApiServer, type ApiServer } from '../api/server.js';
import { loadOrCreateToken } from '../api/token.js';
import { writeApiUrl } from '../api/url-file.js';
import type { Sluice } from '../sdk.js';
import { silentLogger } from '../util/log.js';

export interface DemoDashboards {
  /** One line per node: its dashboard, a one-time login link, and how to get another. */
  links(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startDemoDashboards(nodes: { name: string; dataDir: string; sluice: Sluice }[]): Promise<DemoDashboards> {
  const servers: { name: string; dataDir: string; api: ApiServer; token: string; close: () => void }[] = [];
  for (const n of nodes) {
    const token = await loadOrCreateToken(n.dataDir);
    const metrics = createMetrics({ log: silentLogger() });
    metrics.attach(n.sluice.node);
    const api = await startApiServer({ api: metrics.instrument(n.sluice.node), port: 0, token, log: silentLogger(), metrics });
    await writeApiUrl(n.dataDir, api.url);
    servers.push({ name: n.name, dataDir: n.dataDir, api, token, close: () => metrics.close() });
  }
  return {
    async links() {
      const lines: string[] = [];
      for (const s of servers) {
        const link = await requestLoginLink({ apiUrl: s.api.url, token: s.token });
        lines.push(`   ${s.name.padEnd(5)} ${link.url}`);
      }
      lines.push(`   (each link works once, for a minute; another: sluice dashboard --data-dir ${servers[0]?.dataDir ?? 'DIR'})`);
      return lines;
    },
    async close() {
      for (const s of servers) {
        s.close();
        await s.api.close();
      }
    },
  };
}
