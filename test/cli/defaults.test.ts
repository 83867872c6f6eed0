// The command tree keeps its own copy of the defaults (so `--help` loads nothing heavy); they must be
// the values of the modules that own them.
import { expect, it } from 'vitest';
import { DEFAULT_API_PORT } from '../../src/api/server.js';
import { DEFAULT_LEDGER_URL } from '../../src/ledger/client.js';
import { DEFAULT_LEDGER_PORT } from '../../src/ledger/server.js';
import { DEFAULT_CHAIN_ID, DEFAULT_DISPUTE_BLOCKS, DEFAULT_FEE_MSAT } from '../../src/ledger/service.js';
import { DEFAULT_PEER_PORT } from '../../src/node/node.js';
import { DEFAULTS, DEFAULT_LEDGER_URL as CLI_LEDGER_URL } from '../../src/cli/options.js';

it('the CLI defaults are the owning modules\' defaults', () => {
  expect(DEFAULTS).toEqual({
    ledgerPort: DEFAULT_LEDGER_PORT,
    peerPort: DEFAULT_PEER_PORT,
    apiPort: DEFAULT_API_PORT,
    chainId: DEFAULT_CHAIN_ID,
    disputeBlocks: DEFAULT_DISPUTE_BLOCKS,
    feeMsat: DEFAULT_FEE_MSAT,
  });
  expect(CLI_LEDGER_URL).toBe(DEFAULT_LEDGER_URL);
});
