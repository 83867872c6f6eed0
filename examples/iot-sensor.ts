// An IoT sensor paid per reading. The sensor (payee) publishes a reading each time a tick of payment
// arrives and stops publishing the moment payments stop; the dashboard (payer) streams 5 sat per
// reading, once a second, for 10 readings. Runs everything on loopback: `npx tsx examples/iot-sensor.ts`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sluice, silentLogger, startLedger } from 'sluice';

const dir = await mkdtemp(join(tmpdir(), 'sluice-iot-'));
const ledger = await startLedger({ dataDir: join(dir, 'ledger'), port: 0, blockTimeMs: 200, faucet: true, log: silentLogger() });
const sensor = await Sluice.start({ ledgerUrl: ledger.url, alias: 'sensor', streams: { minRatePerSec: 1000n } });
const dashboard = await Sluice.start({ ledgerUrl: ledger.url, alias: 'dashboard' });

try {
  await dashboard.faucet('100000sat');
  await dashboard.connect(sensor.address!);
  await dashboard.openChannel(sensor.nodeId, '50000sat');

  // The sensor serves readings only while it is being paid.
  let serving = false;
  sensor.on('opened', () => (serving = true));
  sensor.on('tick', (s) => {
    if (!serving) return;
    const celsius = (20 + Math.sin(s.ticks / 3) * 2).toFixed(2);
    console.log(`reading #${s.ticks}: ${celsius} °C   (paid so far: ${s.paid} msat)`);
  });
  sensor.on('late', () => {
    serving = false;
    console.log('payments are late: the sensor stops publishing');
  });

  const done = new Promise<void>((resolve) => sensor.on('ended', () => resolve()));
  await dashboard.openStream({ peerId: sensor.nodeId, rate: '5sat/s', max: '50sat' });
  await done;
  // the sensor's side of the channel: what it earned (the payer's view catches up a moment later)
  const [ch] = await sensor.channels();
  console.log(`10 readings sold for ${ch!.localBalance} msat, no ledger transaction per reading`);
} finally {
  await dashboard.stop();
  await sensor.stop();
  await ledger.stop();
  await rm(dir, { recursive: true, force: true });
}
