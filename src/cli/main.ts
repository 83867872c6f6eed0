// The `sluice` command line.
import { Command, CommanderError } from 'commander';
import { registerDashboardCommand } from './dashboard-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerLedgerCommands } from './ledger-commands.js';
import { registerNodeCommands } from './node-commands.js';
import { registerNodeStartCommand } from './node-start.js';
import { describeError } from './output.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('sluice')
    .description('A Lightning-style payment channel node with streaming payments and a simulated ledger.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerLedgerCommands(program);
  registerNodeCommands(program);
  registerNodeStartCommand(program);
  registerDemoCommand(program);
  registerDashboardCommand(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander already printed help/version/usage
    process.stderr.write(`sluice: ${describeError(e)}\n`);
    return 1;
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`sluice: ${describeError(e)}\n`);
    process.exit(1);
  },
);
