// Takes docs/dashboard.png: runs the demo with --dashboard, logs Debian's Chromium into alice's
// dashboard with the link the demo prints, pays bob once from the page's form while the stream runs,
// and photographs the page. Run: npm run build && node --import tsx scripts/dashboard-screenshot.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSluice } from '../test/helpers/process.js';
import { launchChromium } from '../test/browser/chromium.js';

const OUT = fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));

const demo = startSluice(['demo', '--duration', '60s', '--rate', '10sat/s', '--dashboard', '--no-tty']);
const profile = await mkdtemp(join(tmpdir(), 'sluice-shot-'));
const browser = await launchChromium(profile);
try {
  const m = await demo.waitFor(/^ {3}alice +(http:\/\/\S+)$/m, 60_000);
  const bob = (await demo.waitFor(/^ {2}bob +([0-9a-f]{66})$/m)).at(1)!;
  const page = await browser.newPage();
  await page.goto(m[1]!);
  await page.getByTestId('node-id').waitFor();
  await demo.waitFor(/ 8 ticks, bob received/, 60_000);
  const pay = page.locator('form[data-form=pay]');
  await pay.locator('select[name=peer]').selectOption(bob);
  await pay.locator('input[name=amount]').fill('250sat');
  await pay.getByRole('button', { name: 'Pay' }).click();
  await pay.locator('.done').waitFor();
  await demo.waitFor(/ 20 ticks, bob received/, 60_000);
  await page.screenshot({ path: OUT, fullPage: true });
  process.stdout.write(`wrote ${OUT}\n`);
} finally {
  await browser.close();
  await demo.kill('SIGINT');
  await rm(profile, { recursive: true, force: true });
}
