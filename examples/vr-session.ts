// A VR session billed per minute, pro rata each second, in hash-chain mode: the headset locks a budget
// for up to a minute at 60 sat/min, then each second reveals the next hash of its chain (one hash for
// the server to check, no signature). The server ends the session when the money stops, and claims the
// revealed seconds into its balance (a channel update of its own, just after the session ends).
// `npx tsx examples/vr-session.ts` (about 8 seconds).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sluice, silentLogger, startLedger } from 'sluice';

const dir = await mkdtemp(join(tmpdir(), 'sluice-vr-'));
const ledger = await startLedger({ dataDir: join(dir, 'ledger'), port: 0, blockTimeMs: 200, faucet: true, log: silentLogger() });
const server = await Sluice.start({ ledgerUrl: ledger.url, alias: 'vr-server', streams: { graceMs: 1500 } });
const headset = await Sluice.start({ ledgerUrl: ledger.url, alias: 'headset' });

try {
  await headset.faucet('100000sat');
  await headset.connect(server.address!);
  await headset.openChannel(server.nodeId, '50000sat');

  server.on('opened', (s) => console.log(`session started at ${s.rate} for up to ${(s.durationMs ?? 0) / 1000} s`));
  // one redrawn line on a terminal, a line per second elsewhere
  const redraw = process.stdout.isTTY === true;
  server.on('tick', (s) => {
    const line = `session time ${s.ticks}s, paid ${s.paid} msat`;
    process.stdout.write(redraw ? `\r${line}   ` : `${line}\n`);
  });
  const ended = new Promise<void>((resolve) => server.on('ended', () => resolve()));
  const session = await headset.openStream({ peerId: server.nodeId, rate: '60sat/min', duration: '1min', mode: 'hashchain' });

  // The player takes the headset off after about 6 seconds.
  await new Promise((r) => setTimeout(r, 6_200));
  await session.stop();
  await ended;
  const [view] = await server.streams();
  // the claim of the revealed seconds is the server's own channel update, just after the session ends
  const { localBalance: balance } = await server.untilIdle(view!.channelId);
  console.log(`${redraw ? '\n' : ''}session over: ${view!.ticks} s billed, ${view!.paid} msat; the server's channel balance is now ${balance} msat`);
} finally {
  await headset.stop();
  await server.stop();
  await ledger.stop();
  await rm(dir, { recursive: true, force: true });
}
