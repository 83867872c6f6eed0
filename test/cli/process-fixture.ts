// Real processes a test file starts: a cluster (ledger + nodes) and any extra sluice processes, all
// killed after each test.
import { afterEach } from 'vitest';
import type { Cluster } from '../helpers/cluster.js';
import type { Running } from '../helpers/process.js';

export function processFixture(): { extra: Running[]; use(c: Cluster): Cluster } {
  let current: Cluster | undefined;
  const extra: Running[] = [];
  afterEach(async () => {
    for (const p of extra.splice(0)) await p.kill('SIGKILL');
    await current?.shutdown();
    current = undefined;
  });
  return {
    extra,
    use(c) {
      current = c;
      return c;
    },
  };
}
