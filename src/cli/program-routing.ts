// The commands that pay across the network (issue 10): invoice, pay, payment, route, graph and
// channel policy. Descriptions and options only; the handlers load when a command runs.
import type { Command } from 'commander';
import { AMOUNT_HELP, CHANNEL_ID_HELP, NODE_ID_HELP, withConnectionOptions } from './options.js';

const routingCommands = () => import('./routing-commands.js');

export function registerRoutingCommands(program: Command): void {
  const invoice = program.command('invoice').description('ask to be paid: create BOLT 11 invoices, list them, decode any invoice');
  withConnectionOptions(
    invoice
      .command('create')
      .description('create an invoice any node on the network can pay (prints the lnsb... string)')
      .argument('[amount]', `${AMOUNT_HELP}; leave out to let the payer choose`)
      .option('--description <text>', 'what the payment is for (shown to the payer)', '')
      .option('--expiry <duration>', 'how long the invoice can be paid: 10min, 1h, 7d', '1h'),
  ).action(async (amount: string | undefined, o) => (await routingCommands()).invoiceCreate(amount, o));
  withConnectionOptions(invoice.command('list').description('invoices this node issued, newest last, with whether each was paid')).action(
    async (o) => (await routingCommands()).invoiceList(o),
  );
  // decoded here, without asking the node: the connection options are taken (so scripts can pass
  // the same ones to every command) and not used
  withConnectionOptions(
    invoice
      .command('decode')
      .description('show what an invoice asks for (read here: works without a running node)')
      .argument('<invoice>', 'a BOLT 11 invoice (lnsb..., lnbc..., ...)'),
  ).action(async (text: string, o) => (await routingCommands()).invoiceDecode(text, o));

  withConnectionOptions(
    program
      .command('pay')
      .description(
        'pay an invoice over any number of hops, or a node: directly over a channel with it, else as a spontaneous (keysend) payment; waits for the outcome',
      )
      .argument('<target>', `a BOLT 11 invoice, or a ${NODE_ID_HELP}`)
      .argument('[amount]', `${AMOUNT_HELP}; needed to pay a node, or an invoice that leaves the amount to the payer`)
      .option('--max-fee <amount>', 'the most to pay in routing fees (default: 5% of the amount, at least 10 sat)')
      .option('--timeout <duration>', 'stop trying new routes after this long', '60s'),
  ).action(async (target: string, amount: string | undefined, o) => (await routingCommands()).pay(target, amount, o));

  const payment = program.command('payment').description('payments this node sent over routes');
  withConnectionOptions(payment.command('list', { isDefault: true }).description('every routed payment: status, amount, fee, hops, attempts')).action(
    async (o) => (await routingCommands()).paymentList(o),
  );

  const forward = program.command('forward').description('payments this node forwarded between its channels, and the fees it earned');
  withConnectionOptions(forward.command('list', { isDefault: true }).description('recent forwards: amounts, fee, status')).action(
    async (o) => (await routingCommands()).forwardList(o),
  );

  withConnectionOptions(
    program
      .command('route')
      .description('the route a payment to a node would take now, with each hop\'s fee and expiry (nothing is sent)')
      .argument('<nodeid>', NODE_ID_HELP)
      .argument('<amount>', AMOUNT_HELP),
  ).action(async (nodeId: string, amount: string, o) => (await routingCommands()).route(nodeId, amount, o));

  withConnectionOptions(program.command('graph').description('the nodes and channels this node knows of (its own and those announced to it)')).action(
    async (o) => (await routingCommands()).graph(o),
  );

  const channel = program.commands.find((c) => c.name() === 'channel')!;
  withConnectionOptions(
    channel
      .command('policy')
      .description('show, or change, what this node charges to forward payments over a channel')
      .argument('<id>', CHANNEL_ID_HELP)
      .option('--base-fee <amount>', `fee per forwarded payment (${AMOUNT_HELP})`)
      .option('--fee-ppm <n>', 'fee per million of the amount forwarded')
      .option('--expiry-delta <blocks>', 'ledger blocks this node keeps between an incoming and its outgoing HTLC\'s expiry')
      .option('--min-htlc <amount>', 'smallest payment to forward')
      .option('--max-htlc <amount>', 'largest payment to forward'),
  ).action(async (id: string, o) => (await routingCommands()).channelPolicy(id, o));
}
