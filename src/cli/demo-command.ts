// `sluice demo` (what `npm start` runs).
import type { Command } from 'commander';
import { runLedgerDemo } from '../demo/ledger-demo.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the whole story on loopback with nothing else to set up (what `npm start` runs)')
    .action(async () => {
      await runLedgerDemo();
    });
}
