// `npm start` / `sluice demo`: the whole story on loopback with nothing else to set up. An embedded
// ledger with fast blocks, two nodes on real WebSockets, faucet funding, a channel, a stream of
// per-second payments shown live, a cooperative close, and the settlement read back from the ledger.
// Everything runs in a temporary directory that is removed at the end; nothing is left running.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerClient } from '../ledger/client.js';
import { startLedger } from '../ledger/service.js';
import { formatMsat } from '../money.js';
import { Sluice } from '../sdk.js';
import { formatRate, parseRate } from '../stream/rate.js';
import { hashchainUnits, makeTerms } from '../stream/terms.js';
import { formatDuration } from '../util/duration.js';
import { silentLogger } from '../util/log.js';
import { startDemoDashboards, type DemoDashboards } from './demo-dashboard.js';

export interface DemoOptions {
  durationMs: number;
  rate: string;
  mode: 'signed' | 'hashchain';
  /** Redraw one progress line (a terminal) or print plain lines (anything else). */
  tty?: boolean;
  out?: NodeJS.WritableStream;
  /** After the stream, keep the nodes (and their dashboards) running until this resolves, then stop. */
  keepRunning?: () => Promise<void>;
}

const CHANNEL_SAT = 500_000n;

export async function runDemo(o: DemoOptions): Promise<void> {
  const out = o.out ?? process.stdout;
  const tty = o.tty ?? (process.stdout.isTTY === true);
  const say = (line: string) => out.write(line + '\n');
  // fail early, before anything starts: a rate, or a hash chain the stream could not be paid with
  const rate = parseRate(o.rate);
  const terms = makeTerms({ rate, durationMs: o.durationMs, mode: o.mode });
  if (o.mode === 'hashchain') hashchainUnits(terms);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-demo-'));
  const ledger = await startLedger({ dataDir: join(dir, 'ledger'), port: 0, blockTimeMs: 200, faucet: true, log: silentLogger() });
  const chain = await LedgerClient.connect({ url: ledger.url });
  const nodes: Sluice[] = [];
  let dashboards: DemoDashboards | undefined;
  try {
    const fee = (await chain.info()).fee;
    say(`sluice demo: a ledger (${ledger.url}, 200 ms blocks, ${formatMsat(fee)} per transaction) and two nodes on loopback`);
    const alice = await Sluice.start({ dataDir: join(dir, 'alice'), ledgerUrl: ledger.url, alias: 'alice' });
    nodes.push(alice);
    const bob = await Sluice.start({ dataDir: join(dir, 'bob'), ledgerUrl: ledger.url, alias: 'bob' });
    nodes.push(bob);
    say(`  alice ${alice.nodeId}`);
    say(`  bob   ${bob.nodeId}`);
    dashboards = await startDemoDashboards([
      { name: 'alice', dataDir: join(dir, 'alice'), sluice: alice },
      { name: 'bob', dataDir: join(dir, 'bob'), sluice: bob },
    ]);
    say('  dashboards (open in a browser on this machine):');
    for (const line of await dashboards.links()) say(line);

    await alice.faucet(`${2n * CHANNEL_SAT}sat`);
    say(`1. faucet: alice gets ${formatMsat(2n * CHANNEL_SAT * 1000n)} on the ledger`);
    await alice.connect(bob.address!);
    const ch = await alice.openChannel(bob.nodeId, `${CHANNEL_SAT}sat`);
    say(`2. channel ${ch.channelId.slice(0, 16)}… open: ${formatMsat(ch.capacity)} locked on the ledger`);

    say(`3. alice streams ${formatRate(rate)} to bob for ${formatDuration(o.durationMs)} (${o.mode} mode)`);
    const stream = await alice.openStream({ peerId: bob.nodeId, rate: o.rate, duration: o.durationMs, mode: o.mode });
    const started = Date.now();
    let lastLine = 0;
    let lastTicks = -1;
    const render = (ticks: number, paid: bigint, final = false) => {
      const elapsed = Date.now() - started;
      const frac = Math.min(1, elapsed / o.durationMs);
      if (tty) {
        const width = 30;
        const filled = Math.round(frac * width);
        out.write(`\r   [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${formatDuration(elapsed).padEnd(8)} ${String(ticks).padStart(4)} ticks  bob received ${formatMsat(paid)}   `);
        if (final) out.write('\n');
      } else if ((final && ticks !== lastTicks) || (!final && elapsed - lastLine >= 900)) {
        lastLine = elapsed;
        lastTicks = ticks;
        say(`   ${formatDuration(elapsed).padEnd(8)} ${ticks} ticks, bob received ${formatMsat(paid)}`);
      }
    };
    // bob's side of the stream: what the payee metered
    bob.on('tick', (s) => render(s.ticks, s.paid));
    // both sides see the end: bob when the last tick arrives, alice when its update is signed
    const ended = (n: Sluice) => new Promise<void>((resolve) => {
      const off = n.on('ended', () => {
        off();
        resolve();
      });
    });
    await Promise.all([ended(alice), ended(bob)]);
    const metered = (await bob.streams())[0]!;
    render(metered.ticks, metered.paid, true);
    const paidView = await stream.view();
    say(`   stream ${paidView.status}: ${paidView.ticks} payments, ${formatMsat(paidView.paid)} paid by alice, ${formatMsat(metered.paid)} metered by bob`);
    if (o.keepRunning) {
      // A person clicks around now; whatever they do, the story's settlement no longer applies.
      say('the nodes keep running with the channel open; new login links:');
      for (const line of await dashboards.links()) say(line);
      say('press Ctrl-C to stop them (the temporary directory is removed)');
      await o.keepRunning();
      return;
    }

    // a hash-chain stream ends with bob's claim and the release of the unspent budget: close after them
    const before = await alice.untilIdle(ch.channelId);
    say(`4. cooperative close at state ${before.seq}: alice ${formatMsat(before.localBalance)}, bob ${formatMsat(before.remoteBalance)}`);
    await alice.closeChannel(ch.channelId);
    const aliceLedger = (await chain.account(Buffer.from(alice.nodeId, 'hex'))).balance;
    const bobLedger = (await chain.account(Buffer.from(bob.nodeId, 'hex'))).balance;
    const audit = await chain.audit();
    say('5. settlement on the ledger:');
    say(`   alice: ${formatMsat(aliceLedger)}`);
    say(`   bob:   ${formatMsat(bobLedger)}  (= what the stream paid)`);
    say(`   fees paid: ${formatMsat(2n * fee)} for 2 ledger transactions (open, close)`);
    say(`   the same ${paidView.ticks} payments as ledger transactions would have cost ${formatMsat(BigInt(paidView.ticks) * fee)} in fees`);
    say(`   ledger audit: ${audit.ok ? 'ok' : 'MISMATCH'} (minted = balances + locked + fees)`);
    if (bobLedger !== metered.paid || !audit.ok) throw new Error('the settlement does not match the stream');
  } finally {
    await dashboards?.close();
    for (const n of nodes) await n.stop().catch(() => undefined);
    await chain.close();
    await ledger.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
