// The commands that talk to a running node through its control API: info, wallet, peer, channel,
// stream, events and node stop (pay, invoice, route and graph: program-routing.ts). Descriptions and
// options only; the handlers load when a command runs.
import { Option, type Command } from 'commander';
import { AMOUNT_HELP, CHANNEL_ID_HELP, NODE_ID_HELP, STREAM_ID_HELP, withConnectionOptions } from './options.js';
import { registerRoutingCommands } from './program-routing.js';

const nodeCommands = () => import('./node-commands.js');
const streamCommands = () => import('./stream-commands.js');

export function registerNodeApiCommands(program: Command): void {
  withConnectionOptions(
    program
      .command('info')
      .description("the node's id, addresses, ledger state and channel counts")
      .option('--wait <duration>', 'if the node is not up yet (just started), keep asking for this long (e.g. 30s)'),
  ).action(
    async (o) => (await nodeCommands()).info(o),
  );

  const node = program.commands.find((c) => c.name() === 'node')!;
  withConnectionOptions(node.command('stop').description('stop a running node (as Ctrl-C in its terminal would); waits until it has stopped')).action(
    async (o) => (await nodeCommands()).nodeStop(o),
  );

  const wallet = program.command('wallet').description("the node's ledger account");
  // `sluice wallet` alone is the balance (docs and people say "sluice wallet")
  withConnectionOptions(wallet.command('balance', { isDefault: true }).description('ledger balance and the sum held in channels (what `sluice wallet` alone shows)')).action(
    async (o) => (await nodeCommands()).walletBalance(o),
  );
  withConnectionOptions(
    wallet.command('faucet').description("simnet: ask the ledger's faucet for funds; waits for the block").argument('<amount>', AMOUNT_HELP),
  ).action(async (amount: string, o) => (await nodeCommands()).walletFaucet(amount, o));
  withConnectionOptions(
    wallet
      .command('send')
      .description("move settled funds from the node's ledger account to another account; waits for the block")
      .argument('<address>', 'account to pay: a node id or any ledger account (66 hex characters)')
      .argument('<amount>', `${AMOUNT_HELP} (the ledger fee comes on top)`),
  ).action(async (address: string, amount: string, o) => (await nodeCommands()).walletSend(address, amount, o));

  const peer = program.command('peer').description('connect to peers, list them, disconnect');
  withConnectionOptions(
    peer
      .command('connect')
      .description('connect to a peer node; the address is remembered (and redialed) only once it has reached that node')
      .argument('<target>', 'NODEID@HOST:PORT, as `sluice info` on that node shows'),
  ).action(async (target: string, o) => (await nodeCommands()).peerConnect(target, o));
  withConnectionOptions(peer.command('list').description('known peers and whether they are connected')).action(
    async (o) => (await nodeCommands()).peerList(o),
  );
  withConnectionOptions(
    peer
      .command('disconnect')
      .description('hang up on a peer and stop redialing it (channels stay; `peer connect` brings it back)')
      .argument('<nodeid>', NODE_ID_HELP),
  ).action(async (nodeId: string, o) => (await nodeCommands()).peerDisconnect(nodeId, o));

  const channel = program.command('channel').description('open, list, inspect and close payment channels');
  withConnectionOptions(
    channel
      .command('open')
      .description('open a channel with a connected peer; waits until the open is in a block')
      .argument('<nodeid>', NODE_ID_HELP)
      .argument('<amount>', `capacity to lock from the ledger balance (${AMOUNT_HELP})`)
      .option('--push <amount>', 'part of the capacity given to the peer at open')
      .option('--private', 'do not announce the channel to the network (payers reach it through your invoices\' route hints)'),
  ).action(async (nodeId: string, amount: string, o) => (await nodeCommands()).channelOpen(nodeId, amount, o));
  withConnectionOptions(channel.command('list').description('all channels: balances, what each side can spend now, reserve')).action(
    async (o) => (await nodeCommands()).channelList(o),
  );
  withConnectionOptions(channel.command('info').description('one channel in full').argument('<id>', CHANNEL_ID_HELP)).action(
    async (id: string, o) => (await nodeCommands()).channelInfo(id, o),
  );
  withConnectionOptions(
    channel
      .command('close')
      .description('close a channel: cooperatively (waits until paid out), or unilaterally with --force')
      .argument('<id>', CHANNEL_ID_HELP)
      .option(
        '--force',
        'close alone with the latest both-signed state: returns once the close is submitted; the funds settle after the dispute window, at the height printed',
        false,
      ),
  ).action(async (id: string, o) => (await nodeCommands()).channelClose(id, o));

  registerRoutingCommands(program);

  registerStream(program);

  withConnectionOptions(
    program
      .command('dashboard')
      .description("a one-time login link for the node's dashboard in a browser (valid for a minute, once)")
      .option('--open', 'open the link in the default browser (xdg-open / open)'),
  ).action(async (o) => (await import('./dashboard-command.js')).dashboard(o));

  withConnectionOptions(
    program
      .command('events')
      .description("follow the node's events, one line each, until Ctrl-C")
      .option('--blocks', 'also show each new ledger height (once a block)'),
  ).action(async (o) => (await nodeCommands()).events(o));
}

function registerStream(program: Command): void {
  const stream = program.command('stream').description('stream payments to a channel peer or across hops: start, list, status, pause, resume, stop');
  withConnectionOptions(
    stream
      .command('start')
      .description('start paying a node a rate (a channel peer, or any node a route reaches); waits until it accepts the terms')
      .argument('<nodeid>', 'node id of the payee (66 hex characters)')
      .requiredOption('--rate <rate>', 'the price, e.g. 10msat/s, 2sat/min')
      .option('--max <amount>', `stop once this much is paid (${AMOUNT_HELP})`)
      .option('--duration <duration>', 'stop after this long: 30s, 5min, 1h')
      .addOption(new Option('--mode <mode>', 'how ticks are paid (default: the node picks)').choices(['signed', 'hashchain']))
      .addOption(
        new Option('--billing <billing>', 'prorata: a per-minute price billed each second; interval: once per interval').choices(['prorata', 'interval']),
      )
      .option('--batch <duration>', 'no channel with the payee: pay the ticks due as one routed HTLC this often (default 1s, at most 1min)')
      .option('--max-fee <amount>', `no channel with the payee: the most one batch (hash chain: one tick) may pay in routing fees (${AMOUNT_HELP})`)
      .option('--follow', 'then show the stream live until it ends; Ctrl-C stops following, not the stream (with --json: the stream, then one event per line)'),
  ).action(async (nodeId: string, o) => (await streamCommands()).streamStart(nodeId, o));
  withConnectionOptions(stream.command('list').description('streams this node pays or is paid, one line each, oldest first')).action(
    async (o) => (await streamCommands()).streamList(o),
  );
  withConnectionOptions(
    stream
      .command('status')
      .description('one stream in full')
      .argument('<id>', STREAM_ID_HELP)
      .option('--follow', 'then show it live until it ends (Ctrl-C stops following, not the stream)'),
  ).action(async (id: string, o) => (await streamCommands()).streamStatus(id, o));
  const actions = [
    ['pause', 'pause a stream this node pays: no ticks until it is resumed'],
    ['resume', 'resume a paused stream this node pays'],
    ['stop', 'stop a stream for good (payer or payee)'],
  ] as const;
  for (const [action, description] of actions) {
    withConnectionOptions(stream.command(action).description(description).argument('<id>', STREAM_ID_HELP)).action(
      async (id: string, o) => (await streamCommands()).streamControl(action, id, o),
    );
  }
}
