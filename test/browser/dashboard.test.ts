// The dashboard in real headless Chromium against real node processes: log in with the link that
// `sluice dashboard` prints, watch a channel and a live stream, pause it with a click and see the
// payee's meter stop, and check that pages from other origins (and re-pointed host names) get nothing.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import type { ApiClient } from '../../src/api/client.js';
import { channelPair, cluster, freePort, until, type Cluster, type NodeProc } from '../helpers/cluster.js';
import { launchChromium, screenshot } from './chromium.js';

const SLOW = 180_000;

let c: Cluster;
let alice: NodeProc;
let bob: NodeProc;
let aliceApi: ApiClient;
let bobApi: ApiClient;
let browser: BrowserContext;
let evil: Server;
let evilOrigin: string;
const consoleErrors: string[] = [];

const dashboardUrl = (n: NodeProc) => `http://127.0.0.1:${n.apiPort}`;

async function loginLink(n: NodeProc): Promise<string> {
  const r = await n.cliJson<{ url: string }>(['dashboard']);
  return r.url;
}

async function openDashboard(n: NodeProc): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${n.name}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${n.name}: ${e.message}`));
  await page.goto(await loginLink(n));
  await page.getByTestId('node-id').waitFor();
  return page;
}

/** How many pixels of a canvas are dark: a QR code that was drawn, not left blank. */
function darkPixels(canvas: Locator): Promise<number> {
  return canvas.evaluate((el) => {
    const c = el as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i]! < 128) n++;
    return n;
  });
}

/** The payee or payer row's paid amount as the page shows it. */
async function shownPaid(page: Page, role: 'payer' | 'payee'): Promise<bigint> {
  return BigInt((await page.locator(`tr[data-role=${role}] [data-field=paid]`).first().getAttribute('data-msat')) ?? '-1');
}

beforeAll(async () => {
  c = await cluster({ blockTime: '100ms' });
  ({ alice, bob, aliceApi, bobApi } = await channelPair(c));
  browser = await launchChromium(join(c.root, 'chromium-profile'), { hostRules: 'MAP rebind.test 127.0.0.1' });
  // A page on another origin (same machine, another port): what a malicious site could do.
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>another site</title><h1>another site</h1>');
  });
  const evilPort = await freePort();
  await new Promise<void>((r) => evil.listen(evilPort, '127.0.0.1', r));
  evilOrigin = `http://127.0.0.1:${evilPort}`;
}, SLOW);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (evil ? evil.close(r) : r(undefined)));
  await c?.shutdown();
}, SLOW);

describe('dashboard in Chromium', () => {
  it('without a login, the page says how to get one; the login link works once and never carries the token', async () => {
    expect(alice.proc!.output()).toContain(`dashboard at ${dashboardUrl(alice)}/ (run \`sluice dashboard --data-dir ${alice.dir}\``);
    const page = await browser.newPage();
    await page.goto(dashboardUrl(alice));
    await expect(page.getByTestId('login-needed').textContent()).resolves.toContain('sluice dashboard');
    await screenshot(page, 'login-needed');

    const link = await loginLink(alice);
    const token = (await readFile(join(alice.dir, 'api-token'), 'utf8')).trim();
    expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${alice.apiPort}/login\\?code=[A-Za-z0-9_-]{43}$`));
    expect(link).not.toContain(token);
    await page.goto(link);
    await expect(page.getByTestId('node-id').textContent()).resolves.toBe(alice.id);
    expect(new URL(page.url()).hash).toBe(''); // the session key was moved out of the address bar
    const cookies = await browser.cookies(dashboardUrl(alice));
    const session = cookies.find((k) => k.name === `sluice_session_${alice.apiPort}`);
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(session?.value).not.toContain(token);

    const again = await page.goto(link);
    expect(again?.status()).toBe(401);
    await expect(page.textContent('body')).resolves.toContain('expired or was already used');
    await screenshot(page, 'login-link-used');
    await page.close();
  }, SLOW);

  it('shows the channel, starts a stream from the form, and the payee watches it tick up', async () => {
    const a = await openDashboard(alice);
    const b = await openDashboard(bob);
    // the node's address as a QR code, drawn (a canvas with pixels, not left blank)
    const qr = a.locator('canvas.qr');
    expect(await qr.getAttribute('data-qr')).toBe(alice.target);
    const dark = await darkPixels(qr);
    expect(dark).toBeGreaterThan(100);
    const row = a.locator('[data-testid=channels] tr[data-channel]');
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('open');
    await expect(row.textContent()).resolves.toContain('1000000 sat');

    const form = a.locator('form[data-form=stream]');
    await form.locator('select[name=peer]').selectOption(bob.id);
    await form.locator('input[name=rate]').fill('10sat/s');
    await form.getByRole('button', { name: 'Start' }).click();
    await form.locator('.done').waitFor();

    // bob's page: the incoming stream's meter rises, tick after tick, over the event feed
    const first = await until(async () => {
      const v = await shownPaid(b, 'payee').catch(() => -1n);
      return v > 0n ? v : undefined;
    }, 30_000, 'a first metered tick on the payee page');
    await until(async () => (await shownPaid(b, 'payee')) > first, 30_000, 'the payee page to tick up again');
    await expect(b.locator('tr[data-role=payee] [data-field=status]').textContent()).resolves.toBe('active');
    await until(async () => (await b.getByTestId('feed').getAttribute('data-state')) === 'live', 10_000, 'feed live');
    await screenshot(a, 'alice-streaming');
    await screenshot(b, 'bob-receiving');
    await a.close();
    await b.close();
  }, SLOW);

  it("pausing with a click stops the payee's meter", async () => {
    const a = await openDashboard(alice);
    const b = await openDashboard(bob);
    await a.locator('tr[data-role=payer]').getByRole('button', { name: 'Pause' }).click();
    await until(async () => (await b.locator('tr[data-role=payee] [data-field=status]').textContent()) === 'paused', 30_000, 'the payee page to show paused');
    const payerPaid = (await aliceApi.listStreams())[0]!.paid;
    // the payee's page settles on exactly what the payer paid, and stays there while blocks go by
    await until(async () => (await shownPaid(b, 'payee')) === payerPaid, 30_000, 'the payee page to show what the payer paid');
    const height = (await bobApi.info()).height;
    await until(async () => (await bobApi.info()).height >= height + 20, 30_000, '20 more blocks (2 s, two tick intervals)');
    expect(await shownPaid(b, 'payee')).toBe(payerPaid);
    expect((await bobApi.listStreams())[0]!.paid).toBe(payerPaid);
    expect((await bobApi.listStreams())[0]!.status).toBe('paused');
    await expect(a.locator('tr[data-role=payer]').getByRole('button', { name: 'Resume' }).isVisible()).resolves.toBe(true);
    await screenshot(b, 'bob-paused');
    await a.close();
    await b.close();
  }, SLOW);

  it('a page from another origin can do nothing, and a re-pointed host name is refused', async () => {
    const session = await openDashboard(alice); // the browser now holds alice's session cookie
    const streamId = (await aliceApi.listStreams())[0]!.streamId;
    const page = await browser.newPage();
    await page.goto(evilOrigin);
    const target = `${dashboardUrl(alice)}/v1/streams/${streamId}/resume`;

    // a "simple" cross-origin POST (no preflight): the cookie goes along (same site), Origin stops it
    const answered = page.waitForResponse(target);
    await page.evaluate((url) => fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' }).then(() => 'sent'), target);
    const res = await answered;
    // 403 CROSS_ORIGIN, not 401: the node saw a live session cookie and still refused
    expect(res.status()).toBe(403);

    // a form posted across origins: refused too
    const formAnswered = page.waitForResponse(target);
    // (a string: the test's own types have no DOM; the browser runs it)
    await page.evaluate(`(() => {
      const f = document.createElement('form');
      f.method = 'POST';
      f.action = ${JSON.stringify(target)};
      f.enctype = 'text/plain';
      document.body.append(f);
      f.submit();
    })()`);
    const formRes = await formAnswered;
    expect(formRes.status()).toBe(403);
    expect(await formRes.text()).toContain('CROSS_ORIGIN');
    await page.goto(evilOrigin);

    // reading needs CORS, which the node never grants; the event feed refuses another Origin
    const read = await page.evaluate((url) => fetch(url, { credentials: 'include' }).then((r) => `read ${r.status}`, (e: Error) => `blocked: ${e.name}`), `${dashboardUrl(alice)}/v1/info`);
    expect(read).toBe('blocked: TypeError');
    const feed = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url, ['sluice-dashboard', 'guessed-key']);
          ws.onopen = () => resolve('opened');
          ws.onclose = () => resolve('closed before opening');
        }),
      `ws://127.0.0.1:${alice.apiPort}/v1/events`,
    );
    expect(feed).toBe('closed before opening');
    expect((await aliceApi.listStreams())[0]!.status).toBe('paused'); // nothing the page tried happened
    await screenshot(page, 'another-origin');

    // DNS rebinding: a name of the attacker's resolving to 127.0.0.1 reaches the port, but not the node
    const rebound = await page.goto(`http://rebind.test:${alice.apiPort}/`);
    expect(rebound?.status()).toBe(421);
    await expect(page.textContent('body')).resolves.toContain('rebind.test');
    await screenshot(page, 'rebind-refused');
    await page.close();
    await session.close();
  }, SLOW);

  it('bob creates an invoice and sees its QR code; alice pays it from her page; both pages show it', async () => {
    const a = await openDashboard(alice);
    const b = await openDashboard(bob);
    const form = b.locator('form[data-form=invoice]');
    await form.locator('input[name=amount]').fill('2500sat');
    await form.locator('input[name=description]').fill('a coffee');
    await form.getByRole('button', { name: 'Create' }).click();
    await b.getByTestId('invoice-made').waitFor();
    const text = await b.getByTestId('invoice-text').inputValue();
    expect(text).toMatch(/^lnsb25u1/);
    // the QR code holds the invoice (upper case: QR's alphanumeric mode) and is drawn
    const qr = b.locator('[data-testid=invoice-made] canvas.qr');
    expect(await qr.getAttribute('data-qr')).toBe(text.toUpperCase());
    const dark = await darkPixels(qr);
    expect(dark).toBeGreaterThan(1000);
    await b.locator('[data-testid=invoices] tr[data-status=open]').first().waitFor();
    await screenshot(b, 'bob-invoice');

    const pay = a.locator('form[data-form=pay-invoice]');
    await pay.locator('textarea[name=invoice]').fill(text);
    await pay.getByRole('button', { name: 'Pay' }).click();
    await expect(pay.locator('.done').textContent()).resolves.toMatch(/^pay invoice: paid 2500 sat over 1 hop\(s\), fee 0 sat|^paid 2500 sat over 1 hop\(s\), fee 0 sat/);
    // alice's page lists the payment; bob's invoice turns paid over the event feed, without a reload
    await a.locator('[data-testid=routed-payments] tr[data-status=succeeded]').waitFor();
    await b.locator('[data-testid=invoices] tr[data-status=paid]').waitFor({ timeout: 20_000 });
    expect((await bobApi.listInvoices()).find((i) => i.invoice === text)?.status).toBe('paid');
    await screenshot(a, 'alice-paid-invoice');
    await screenshot(b, 'bob-invoice-paid');
    // a garbled invoice gets a readable message, not a blank page
    await pay.locator('textarea[name=invoice]').fill(text.slice(0, -3) + 'qqq');
    await pay.getByRole('button', { name: 'Pay' }).click();
    await expect(pay.locator('.error').textContent()).resolves.toMatch(/^pay invoice: .*(checksum|invoice)/);
    // the browser notes the refused request (400) in the console: that one is this step's, not a script error
    const refused = consoleErrors.findIndex((e) => e === 'alice: Failed to load resource: the server responded with a status of 400 (Bad Request)');
    expect(refused).toBeGreaterThanOrEqual(0);
    consoleErrors.splice(refused, 1);
    await a.close();
    await b.close();
  }, SLOW);

  it('the pages ran without script or Content-Security-Policy errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
