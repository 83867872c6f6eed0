// What `sluice demo` does (what `npm start` runs).
import { runDemo } from '../demo/demo.js';
import { runLedgerDemo } from '../demo/ledger-demo.js';
import { parseDuration } from '../util/duration.js';
import { waitForSignal } from './parse.js';
export async function demo(o: { duration: string; rate: string; mode: 'signed' | 'hashchain'; tty: boolean; ledgerOnly?: boolean; dashboard?: boolean }): Promise<void> {
  if (o.ledgerOnly) {
    await runLedgerDemo();
    return;
  }
  await runDemo({
    durationMs: parseDuration(o.duration, '--duration'),
    rate: o.rate,
    mode: o.mode,
    tty: o.tty === false ? false : process.stdout.isTTY === true,
    keepRunning: o.dashboard ? waitForSignal : undefined,
  });
}
