// `sluice ledger …`: run the simulated chain and look at it.
import type { Command } from 'commander';
import { parsePublicKey } from '../crypto/keys.js';
import { DEFAULT_LEDGER_URL, LedgerClient } from '../ledger/client.js';
import { DEFAULT_LEDGER_PORT } from '../ledger/server.js';
import { DEFAULT_CHAIN_ID, DEFAULT_DISPUTE_BLOCKS, DEFAULT_FEE_MSAT, startLedger } from '../ledger/service.js';
import { formatMsatFull, parseAmount } from '../money.js';
import { parseDuration } from '../util/duration.js';
import { createLogger } from '../util/log.js';
import { print } from './output.js';
import { defaultLedgerDir } from './paths.js';

interface ClientOpts {
  ledger: string;
  json?: boolean;
}

async function withClient<T>(opts: ClientOpts, fn: (c: LedgerClient) => Promise<T>): Promise<T> {
  const c = await LedgerClient.connect({ url: opts.ledger, connectTimeoutMs: 2000 });
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

const ledgerUrlOption = ['--ledger <url>', 'ledger API address', DEFAULT_LEDGER_URL] as const;

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description('run and query the simulated ledger (a regtest-like chain)');

  ledger
    .command('start')
    .description('start the ledger service (runs until Ctrl-C)')
    .option('--data-dir <dir>', 'where the ledger keeps its LevelDB store', defaultLedgerDir())
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port for the WebSocket JSON-RPC API', String(DEFAULT_LEDGER_PORT))
    .option('--block-time <duration>', 'time between blocks, e.g. 200ms, 1s', '1s')
    .option('--dispute-blocks <n>', 'blocks a unilateral close waits for disputes', String(DEFAULT_DISPUTE_BLOCKS))
    .option('--fee <amount>', 'flat fee per transaction (e.g. 200sat, 1500msat)', `${DEFAULT_FEE_MSAT}msat`)
    .option('--chain-id <id>', 'chain id signed into every state and transaction', DEFAULT_CHAIN_ID)
    .option('--faucet', 'enable the faucet and on-demand mining (simnet)', false)
    .option('--log-level <level>', 'trace|debug|info|warn|error', 'info')
    .option('--log-json', 'log JSON lines', false)
    .action(async (o: Record<string, string | boolean>) => {
      const log = createLogger({ name: 'ledger', level: String(o['logLevel']), json: o['logJson'] === true });
      const svc = await startLedger({
        dataDir: String(o['dataDir']),
        host: String(o['host']),
        port: parsePort(String(o['port'])),
        blockTimeMs: parseDuration(String(o['blockTime']), '--block-time'),
        disputeBlocks: parseCount(String(o['disputeBlocks']), '--dispute-blocks'),
        fee: parseAmount(String(o['fee']), '--fee'),
        chainId: String(o['chainId']),
        faucet: o['faucet'] === true,
        log,
      });
      process.stdout.write(`ledger listening on ${svc.url} (height ${svc.chain.tip.header.height})\n`);
      await waitForSignal();
      log.info('stopping');
      await svc.stop();
    });

  ledger
    .command('info')
    .description('chain id, height, fee and supply')
    .option(...ledgerUrlOption)
    .option('--json', 'print JSON')
    .action(async (o: ClientOpts) => {
      const info = await withClient(o, (c) => c.info());
      print(o, info, () => [
        `chain:          ${info.chainId}`,
        `height:         ${info.height}`,
        `tip:            ${info.tipHash}`,
        `fee:            ${formatMsatFull(info.fee)}`,
        `dispute window: ${info.disputeBlocks} blocks`,
        `block time:     ${info.blockTimeMs ? `${info.blockTimeMs} ms` : 'on demand'}`,
        `faucet:         ${info.faucet ? 'on' : 'off'}`,
        `minted:         ${formatMsatFull(info.supply.minted)}`,
        `fees paid:      ${formatMsatFull(info.supply.fees)}`,
      ].join('\n'));
    });

  ledger
    .command('balance')
    .description('balance and nonce of an account (a 33-byte public key in hex)')
    .argument('<address>', 'account public key (66 hex characters)')
    .option(...ledgerUrlOption)
    .option('--json', 'print JSON')
    .action(async (address: string, o: ClientOpts) => {
      const pk = parsePublicKey(address, 'address');
      const acct = await withClient(o, (c) => c.account(pk));
      print(o, { address, balance: acct.balance, nonce: acct.nonce }, () => `${formatMsatFull(acct.balance)}  (nonce ${acct.nonce})`);
    });

  ledger
    .command('faucet')
    .description('mint simnet funds to an account (ledger must run with --faucet)')
    .argument('<address>', 'account public key (66 hex characters)')
    .argument('<amount>', 'amount: 1500msat, 10sat, or a bare number of sat')
    .option(...ledgerUrlOption)
    .option('--no-wait', 'return once accepted, without waiting for the block')
    .option('--json', 'print JSON')
    .action(async (address: string, amountText: string, o: ClientOpts & { wait: boolean }) => {
      const pk = parsePublicKey(address, 'address');
      const amount = parseAmount(amountText);
      const r = await withClient(o, async (c) => {
        const txid = await c.faucet(pk, amount);
        const st = o.wait ? await c.waitForTx(txid) : { status: 'pending' as const, height: undefined };
        return { txid, status: st.status, height: st.height, amount };
      });
      print(o, r, () => `${r.status === 'confirmed' ? `minted ${formatMsatFull(amount)} in block ${r.height}` : 'faucet transaction accepted'}: ${r.txid}`);
    });

  ledger
    .command('mine')
    .description('make blocks now (simnet: ledger must run with --faucet)')
    .argument('[blocks]', 'how many', '1')
    .option(...ledgerUrlOption)
    .option('--json', 'print JSON')
    .action(async (blocks: string, o: ClientOpts) => {
      const r = await withClient(o, (c) => c.mine(parseCount(blocks, 'blocks')));
      print(o, r, () => `height ${r.height}`);
    });

  ledger
    .command('audit')
    .description('check that minted == balances + locked in channels + fees')
    .option(...ledgerUrlOption)
    .option('--json', 'print JSON')
    .action(async (o: ClientOpts) => {
      const r = await withClient(o, (c) => c.audit());
      print(o, r, () => `${r.ok ? 'ok' : 'MISMATCH'}: minted ${r.minted} = balances ${r.balances} + locked ${r.locked} + fees ${r.fees} (msat)`);
      if (!r.ok) process.exitCode = 1;
    });
}

export function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new Error(`port: '${text}' is not a port number (0-65535)`);
  return n;
}

export function parseCount(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new Error(`${what}: '${text}' is not a whole number`);
  return n;
}

export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
