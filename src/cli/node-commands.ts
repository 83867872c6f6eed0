// `sluice info | wallet | peer | channel | pay | stream | events`: talk to a running node through its control
// API. Arguments are checked here, before anything is sent, so a typo fails fast even when no node
// runs; amounts are read the human way (`10sat`, `1500msat`, `10` = 10 sat) and sent as exact msat.
import type { Command } from 'commander';
import { parseChannelId, parseNodeId, parsePeerTarget } from '../api/fields.js';
import type { NodeEvent } from '../api/types.js';
import { formatMsat, formatMsatFull, parseAmount } from '../money.js';
import { waitForSignal } from './ledger-commands.js';
import { connectToNode, withConnectionOptions, type ConnectionOptions } from './node-connection.js';
import { channelLine, eventLine, infoLines, paymentLine, peerLine, walletLines } from './node-format.js';
import { jsonReplacer, print } from './output.js';
import { registerStreamCommands } from './stream-commands.js';

const AMOUNT_HELP = 'amount: 1500msat, 10sat, or a bare number of sat';
const NODE_ID_HELP = 'node id (66 hex characters)';

export function registerNodeCommands(program: Command): void {
  withConnectionOptions(program.command('info').description("the node's id, addresses, chain height and channel counts")).action(
    async (o: ConnectionOptions) => {
      const info = await (await connectToNode(o)).info();
      print(o, info, () => infoLines(info));
    },
  );

  registerWallet(program.command('wallet').description("the node's ledger account"));
  registerPeer(program.command('peer').description('connect to peers and list them'));
  registerChannel(program.command('channel').description('open, list and close payment channels'));

  withConnectionOptions(
    program
      .command('pay')
      .description('pay a channel peer directly')
      .argument('<nodeid>', NODE_ID_HELP)
      .argument('<amount>', AMOUNT_HELP),
  ).action(async (nodeId: string, amountText: string, o: ConnectionOptions) => {
    const peerId = parseNodeId(nodeId, 'node id');
    const amount = parseAmount(amountText);
    const p = await (await connectToNode(o)).pay({ peerId, amount });
    print(o, p, () => paymentLine(p));
  });

  registerStreamCommands(program);

  withConnectionOptions(
    program.command('events').description("follow the node's events, one line each, until Ctrl-C"),
  ).action(async (o: ConnectionOptions) => {
    const client = await connectToNode(o);
    // --json gives one compact JSON document per line (NDJSON), so the output can be piped.
    const show = (e: NodeEvent) =>
      process.stdout.write(o.json ? JSON.stringify(e, jsonReplacer) + '\n' : `${new Date().toISOString().slice(11, 23)} ${eventLine(e)}\n`);
    const feed = client.events(show);
    await feed.ready;
    if (!o.json) process.stderr.write(`following events of the node at ${client.url} (Ctrl-C to stop)\n`);
    const end = await Promise.race([waitForSignal().then(() => 'signal' as const), feed.done]);
    if (end === 'signal') {
      feed.close();
      await feed.done;
    } else if (end) {
      throw end; // the node went away: say so, exit non-zero
    }
  });
}

function registerWallet(wallet: Command): void {
  withConnectionOptions(wallet.command('balance').description('ledger balance and the sum held in channels')).action(
    async (o: ConnectionOptions) => {
      const w = await (await connectToNode(o)).wallet();
      print(o, w, () => walletLines(w));
    },
  );

  withConnectionOptions(
    wallet
      .command('faucet')
      .description("simnet: ask the ledger's faucet for funds; waits for the block")
      .argument('<amount>', AMOUNT_HELP),
  ).action(async (amountText: string, o: ConnectionOptions) => {
    const amount = parseAmount(amountText);
    const r = await (await connectToNode(o)).faucet(amount);
    print(o, { ...r, amount }, () => `received ${formatMsat(amount)} in ${r.txid}\nbalance ${formatMsatFull(r.balance)}`);
  });
}

function registerPeer(peer: Command): void {
  withConnectionOptions(
    peer
      .command('connect')
      .description('connect to a peer node (and remember its address)')
      .argument('<target>', 'NODEID@HOST:PORT, as `sluice info` on that node shows'),
  ).action(async (targetText: string, o: ConnectionOptions) => {
    const target = parsePeerTarget(targetText, 'target');
    const p = await (await connectToNode(o)).connectPeer(target);
    print(o, p, () => `${p.connected ? 'connected to' : 'will connect to'} ${p.nodeId}${p.address ? ` at ${p.address}` : ''}`);
  });

  withConnectionOptions(peer.command('list').description('known peers and whether they are connected')).action(
    async (o: ConnectionOptions) => {
      const peers = await (await connectToNode(o)).listPeers();
      print(o, peers, () => (peers.length ? peers.map(peerLine).join('\n') : 'no peers'));
    },
  );
}

function registerChannel(channel: Command): void {
  withConnectionOptions(
    channel
      .command('open')
      .description('open a channel with a connected peer; waits until the open is in a block')
      .argument('<nodeid>', NODE_ID_HELP)
      .argument('<amount>', `capacity to lock from the ledger balance (${AMOUNT_HELP})`)
      .option('--push <amount>', 'part of the capacity given to the peer at open'),
  ).action(async (nodeId: string, amountText: string, o: ConnectionOptions & { push?: string }) => {
    const peerId = parseNodeId(nodeId, 'node id');
    const capacity = parseAmount(amountText);
    const push = o.push === undefined ? 0n : parseAmount(o.push, '--push');
    const c = await (await connectToNode(o)).openChannel({ peerId, capacity, push });
    print(o, c, () =>
      [
        `opened channel ${c.channelId} (${c.status}) with ${c.peerId}`,
        `local ${formatMsat(c.localBalance)}, remote ${formatMsat(c.remoteBalance)}, capacity ${formatMsat(c.capacity)}`,
      ].join('\n'),
    );
  });

  withConnectionOptions(channel.command('list').description('all channels with their balances')).action(
    async (o: ConnectionOptions) => {
      const chans = await (await connectToNode(o)).listChannels();
      print(o, chans, () => (chans.length ? chans.map(channelLine).join('\n') : 'no channels'));
    },
  );

  withConnectionOptions(
    channel
      .command('close')
      .description('close a channel: cooperatively, or unilaterally with --force')
      .argument('<id>', 'channel id (64 hex characters)')
      .option('--force', 'close unilaterally with the latest both-signed state (waits out the dispute window)', false),
  ).action(async (id: string, o: ConnectionOptions & { force: boolean }) => {
    const channelId = parseChannelId(id, 'channel id');
    const c = await (await connectToNode(o)).closeChannel({ channelId, force: o.force });
    print(o, c, () => {
      const how = o.force ? 'unilateral close' : 'cooperative close';
      const when = c.settleHeight !== undefined ? `, settles after height ${c.settleHeight}` : '';
      return `${how} of ${c.channelId}: ${c.status}${when}${c.txid ? `\ntx ${c.txid}` : ''}`;
    });
  });
}
