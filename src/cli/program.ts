// The `sluice` command tree: names, arguments, options, defaults and help. Each action imports its
// handler module only when it runs, so `--help` and a simple query load little more than commander.
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { print } from './output.js';
import { registerNodeApiCommands } from './program-node.js';
import { AMOUNT_HELP, CHANNEL_ID_HELP, DEFAULTS, defaultLedgerDir, defaultNodeDir, jsonOption, ledgerOption } from './options.js';

/** The package version, read from package.json beside dist/ (or src/). */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('sluice')
    .description('A Lightning-style payment channel node with streaming payments and a simulated ledger.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('version')
    .description("print sluice's version and the Node.js it runs on")
    .addOption(jsonOption())
    .action((o: { json?: boolean }) => {
      const v = { version: packageVersion(), node: process.version };
      print(o, v, () => `sluice ${v.version} (Node.js ${v.node})`);
    });

  registerLedger(program);
  registerNode(program);
  registerNodeApiCommands(program);

  program
    .command('demo')
    .description('run the whole story on loopback with nothing else to set up (what `npm start` runs)')
    .option('--duration <duration>', 'how long alice streams to bob', '10s')
    .option('--rate <rate>', 'the stream rate, e.g. 10sat/s, 2sat/min', '10sat/s')
    .addOption(new Option('--mode <mode>', 'signed (a channel update per tick) or hashchain (a hash per tick)').choices(['signed', 'hashchain']).default('signed'))
    .option('--no-tty', 'print plain lines instead of a redrawn progress bar')
    .option('--ledger-only', 'only the ledger part: faucet, transfer, audit')
    .option('--dashboard', 'after the stream, keep the nodes and their dashboards running until Ctrl-C')
    .action(async (o) => (await import('./demo-command.js')).demo(o));
  return program;
}

/** How a daemon logs. */
function withLogOptions(cmd: Command): Command {
  return cmd.option('--log-level <level>', 'trace|debug|info|warn|error', 'info').option('--log-json', 'log JSON lines', false);
}

function registerLedger(program: Command): void {
  const ledger = program.command('ledger').description('run and query the simulated ledger (a regtest-like chain)');
  const load = () => import('./ledger-commands.js');

  ledger
    .command('start')
    .description('start the ledger service (runs until Ctrl-C)')
    .option('--data-dir <dir>', 'where the ledger keeps its LevelDB store', defaultLedgerDir())
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port for the WebSocket JSON-RPC API', String(DEFAULTS.ledgerPort))
    .option('--block-time <duration>', 'time between blocks, e.g. 200ms, 1s', '1s')
    .option('--dispute-blocks <n>', 'blocks a unilateral close waits for disputes', String(DEFAULTS.disputeBlocks))
    .option('--fee <amount>', 'flat fee per transaction (e.g. 200sat, 1500msat)', `${DEFAULTS.feeMsat}msat`)
    .option('--chain-id <id>', 'chain id signed into every state and transaction', DEFAULTS.chainId)
    .option('--faucet', 'enable the faucet and on-demand mining (simnet)', false)
    .action(async (o) => (await load()).ledgerStart(o));
  withLogOptions(ledger.commands.find((c) => c.name() === 'start')!);

  const query = (name: string, description: string) => ledger.command(name).description(description).addOption(ledgerOption()).addOption(jsonOption());

  query('info', 'chain id, height, fee and supply').action(async (o) => (await load()).ledgerInfo(o));
  query('balance', 'balance and nonce of an account (a 33-byte public key in hex)')
    .argument('<address>', 'account public key (66 hex characters)')
    .action(async (address: string, o) => (await load()).ledgerBalance(address, o));
  query('faucet', 'mint simnet funds to an account (ledger must run with --faucet)')
    .argument('<address>', 'account public key (66 hex characters)')
    .argument('<amount>', AMOUNT_HELP)
    .option('--no-wait', 'return once accepted, without waiting for the block')
    .action(async (address: string, amount: string, o) => (await load()).ledgerFaucet(address, amount, o));
  query('mine', 'make blocks now (simnet: ledger must run with --faucet)')
    .argument('[blocks]', 'how many', '1')
    .action(async (blocks: string, o) => (await load()).ledgerMine(blocks, o));
  query('audit', 'check that minted == balances + locked in channels + fees').action(async (o) => (await load()).ledgerAudit(o));
  query('tx', 'a transaction: pending, or its block, kind and what it did')
    .argument('<txid>', 'transaction id (64 hex characters)')
    .action(async (txid: string, o) => (await load()).ledgerTx(txid, o));
  query('block', 'a block: its hash, time and transactions')
    .argument('<height>', 'block height')
    .action(async (height: string, o) => (await load()).ledgerBlock(height, o));
  query('channel', 'a channel as the ledger sees it: status, capacity, the state it holds, payouts')
    .argument('<id>', CHANNEL_ID_HELP)
    .action(async (id: string, o) => (await load()).ledgerChannel(id, o));
}

function registerNode(program: Command): void {
  const node = program.command('node').description('run a sluice node, or stop one');
  node
    .command('start')
    .description('start a node: peers connect on --port, the CLI and apps on --api-port (runs until Ctrl-C or `sluice node stop`)')
    .option('--data-dir <dir>', 'where the node keeps its key, token and LevelDB store', defaultNodeDir())
    .option('--host <host>', 'address to listen on for peers (the control API is always on 127.0.0.1)', '127.0.0.1')
    .option('--port <port>', 'peer WebSocket port (BOLT 8 over WebSocket)', String(DEFAULTS.peerPort))
    .option('--api-port <port>', 'control API port (HTTP + WebSocket events, token required)', String(DEFAULTS.apiPort))
    .addOption(ledgerOption())
    .option('--alias <name>', 'a name for this node in `sluice info`')
    .option('--min-stream-rate <rate>', 'refuse incoming streams paying less than this (e.g. 10msat/s)')
    .option('--max-spend-per-day <amount>', 'streams may pay at most this much in any 24 hours, over all peers')
    .option('--max-spend-total <amount>', 'streams may pay at most this much in total, over all peers')
    .option('--max-spend-per-peer-day <amount>', 'streams may pay one peer at most this much in any 24 hours')
    .option('--max-spend-per-peer-total <amount>', 'streams may pay one peer at most this much in total')
    .option('--late-grace <duration>', 'an incoming stream is late after a tick interval plus this', '2s')
    .option('--max-streams-per-channel <n>', 'incoming streams a peer may run at once on one channel (default 64)')
    .option('--metrics-port <port>', 'also serve Prometheus /metrics without the token on this 127.0.0.1 port (it is always on the API port with the token)')
    .option('--accept-keysend', 'take spontaneous payments (keysend) to this node without an invoice (off by default)', false)
    .option('--gossip-interval <duration>', 'how often channel announcements are relayed to peers (BOLT 7 staggers them)', '60s')
    .action(async (o) => (await import('./node-start.js')).nodeStart(o));
  withLogOptions(node.commands.find((c) => c.name() === 'start')!).option('--log-file <file>', 'append log lines to this file instead of stderr');
}
