// Times the node store's durable writes for the metrics (sluice_store_write_seconds), without the
// store knowing: each write method of the given store is wrapped in place, reads are left alone.
import type { NodeStore } from './store.js';

/** The store's write methods; each resolves once its synced batch is durable. */
const WRITE_METHODS = ['saveChannel', 'deleteChannel', 'saveStream', 'deleteStream', 'saveStreams', 'savePeer', 'writeRecords'] as const;

export function timeStoreWrites<S extends NodeStore>(store: S, onWriteMs: (ms: number) => void): S {
  const methods = store as unknown as Record<string, unknown>;
  for (const name of WRITE_METHODS) {
    const write = methods[name];
    if (typeof write !== 'function') continue;
    methods[name] = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await (write as (...a: unknown[]) => Promise<unknown>).apply(store, args);
      } finally {
        onWriteMs(performance.now() - started);
      }
    };
  }
  return store;
}
