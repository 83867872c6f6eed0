// The forwarding core (pure): a hop's policy, its decision for an incoming HTLC, the final hop's checks,
// and its deadlines. The shell (src/node/forward*.ts) stores and acts on what these answer.
export * from './policy.js';
export * from './failures.js';
export * from './decide.js';
export * from './receive.js';
export * from './deadlines.js';
