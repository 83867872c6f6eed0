// `sluice demo` (what `npm start` runs).
import type { Command } from 'commander';
import { runDemo } from '../demo/demo.js';
import { runLedgerDemo } from '../demo/ledger-demo.js';
import { parseDuration } from '../util/duration.js';
import { waitForSignal } from './ledger-commands.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the whole story on loopback with nothing else to set up (what `npm start` runs)')
    .option('--duration <duration>', 'how long alice streams to bob', '10s')
    .option('--rate <rate>', 'the stream rate, e.g. 10sat/s, 2sat/min', '10sat/s')
    .option('--mode <mode>', 'signed (a channel update per tick) or hashchain (a hash per tick)', 'signed')
    .option('--no-tty', 'print plain lines instead of a redrawn progress bar')
    .option('--ledger-only', 'only the ledger part: faucet, transfer, audit')
    .option('--dashboard', 'after the stream, keep the nodes and their dashboards running until Ctrl-C')
    .action(async (o: { duration: string; rate: string; mode: string; tty: boolean; ledgerOnly?: boolean; dashboard?: boolean }) => {
      if (o.ledgerOnly) {
        await runLedgerDemo();
        return;
      }
      if (o.mode !== 'signed' && o.mode !== 'hashchain') throw new Error(`--mode: '${o.mode}' is not signed or hashchain`);
      await runDemo({
        durationMs: parseDuration(o.duration, '--duration'),
        rate: o.rate,
        mode: o.mode,
        tty: o.tty === false ? false : process.stdout.isTTY === true,
        keepRunning: o.dashboard ? waitForSignal : undefined,
      });
    });
}
