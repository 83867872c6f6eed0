// The pure streaming-payment core: prices, terms, the payer's schedule, the payee's meter, PayWord
// hash chains and spending limits. No timers, clock or I/O: the node shell passes `now` in.
export { MAX_RATE_PER_MS, checkRate, formatRate, parseRate, type Rate } from './rate.js';
export {
  MAX_CHAIN_UNITS,
  checkTerms,
  hashchainUnits,
  makeTerms,
  maxTicks,
  owedAfter,
  tickAmount,
  type Billing,
  type StreamMode,
  type StreamStatus,
  type StreamTerms,
  type TermsOptions,
} from './terms.js';
export {
  activeAt,
  goOffline,
  goOnline,
  nextTickAt,
  pausePayer,
  recordTicks,
  recordTicksTo,
  resumePayer,
  startPayer,
  stopPayer,
  ticksDue,
  type PayerStream,
} from './payer.js';
export {
  checkLate,
  meterTick,
  meterTickTo,
  observedRate,
  pauseMeter,
  resumeMeter,
  startMeter,
  stopMeter,
  type MeterError,
  type MeterErrorReason,
  type MeterResult,
  type PayeeMeter,
} from './payee.js';
export { CHAIN_VALUE_LENGTH, HashChainSecret, verifyReveal, type RevealCheck, type RevealResult } from './hashchain.js';
export { SpendLedger, type SpendLedgerJson, type SpendingLimits } from './limits.js';
