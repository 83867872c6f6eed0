// sluice as a library: `import { Sluice, startLedger } from 'sluice'`.
export { Sluice, type StartOptions, type SluiceEvents, type OpenStreamOptions, type StreamHandle, type StreamOptions, type Amount, type Duration, type Rate } from './sdk.js';
export { SluiceNode, type NodeOptions } from './node/node.js';
export type { StreamPolicy } from './node/streams.js';
export { startLedger, type LedgerService, type LedgerServiceOptions } from './ledger/service.js';
export { LedgerClient } from './ledger/client.js';
export { MemoryNetwork } from './transport/memory.js';
export { startApiServer } from './api/server.js';
export { ApiClient } from './api/client.js';
export type * from './api/types.js';
export type * from './api/payment-types.js';
export { parseAmount, formatMsat, formatMsatFull, type Msat } from './money.js';
export { parseRate, formatRate } from './stream/rate.js';
export { parseDuration } from './util/duration.js';
export { createLogger, silentLogger, type Logger } from './util/log.js';
