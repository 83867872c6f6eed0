// The dashboard's doors on the control port: login codes and sessions (with a test clock), the Host,
// Origin and session-key checks on every cookie-carrying request and on the event feed, the page's
// security headers, and files served only from the build.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DashboardAuth, LOGIN_CODE_TTL_MS, MAX_LOGIN_CODES, MAX_SESSIONS, SESSION_TTL_MS, readCookie } from '../../src/api/dashboard-auth.js';
import { CONTENT_SECURITY_POLICY } from '../../src/api/dashboard-guard.js';
import type { WebFiles } from '../../src/api/dashboard-static.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { createLogger } from '../../src/util/log.js';
import { FakeApi } from './fake-api.js';

const TOKEN = randomBytes(32).toString('hex');
let clock = 1_000_000;
const auth = new DashboardAuth({ now: () => clock });
const web: WebFiles = {
  files: new Map([
    ['/index.html', { body: Buffer.from('<!doctype html><p>dashboard</p>'), type: 'text/html; charset=utf-8', immutable: false }],
    ['/assets/app-1.js', { body: Buffer.from('console.log(1)'), type: 'text/javascript; charset=utf-8', immutable: true }],
  ]),
};
let server: ApiServer;
let api: FakeApi;
let host: string;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method: opts.method ?? 'GET', path: opts.path, headers: { host, ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function loginCode(): Promise<string> {
  const r = await send({ method: 'POST', path: '/v1/dashboard/login', headers: { authorization: `Bearer ${TOKEN}` } });
  expect(r.status).toBe(200);
  return (JSON.parse(r.body) as { code: string }).code;
}

/** Log in as a browser would: the cookie from Set-Cookie, the key from the redirect's fragment. */
async function login(): Promise<{ cookie: string; key: string; setCookie: string; location: string }> {
  const r = await send({ path: `/login?code=${await loginCode()}` });
  expect(r.status).toBe(303);
  const setCookie = String((r.headers['set-cookie'] as string[])[0]);
  const location = String(r.headers['location']);
  return { cookie: setCookie.split(';')[0]!, key: /#key=(.+)$/.exec(location)![1]!, setCookie, location };
}

const origin = () => `http://${host}`;
const browserHeaders = (s: { cookie: string; key: string }) => ({ cookie: s.cookie, 'x-sluice-dashboard': s.key, origin: origin(), 'sec-fetch-site': 'same-origin' });

beforeAll(async () => {
  api = new FakeApi();
  server = await startApiServer({ api, port: 0, token: TOKEN, log: createLogger({ level: 'silent' }), dashboard: { auth, web } });
  host = `127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close();
});

describe('login codes and sessions', () => {
  it('a code works once and for a minute; only the token mints one', async () => {
    const code = await loginCode();
    expect((await send({ path: `/login?code=${code}` })).status).toBe(303);
    expect((await send({ path: `/login?code=${code}` })).status).toBe(401);
    const late = await loginCode();
    clock += LOGIN_CODE_TTL_MS;
    expect((await send({ path: `/login?code=${late}` })).status).toBe(401);
    const s = await login();
    // a session cannot mint codes for itself: the code route takes the bearer token only
    expect((await send({ method: 'POST', path: '/v1/dashboard/login', headers: browserHeaders(s) })).status).toBe(401);
  });

  it('the cookie is HttpOnly, SameSite=Strict, named by port; the key travels in the fragment', async () => {
    const s = await login();
    expect(s.setCookie).toMatch(new RegExp(`^sluice_session_${server.port}=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200$`));
    expect(s.location).toMatch(/^\/#key=[A-Za-z0-9_-]{43}$/);
    expect(s.location).not.toContain(TOKEN);
  });

  it('sessions expire, and both tables are bounded', () => {
    const a = new DashboardAuth({ now: () => clock });
    const codes = Array.from({ length: MAX_LOGIN_CODES + 1 }, () => a.issueLoginCode().code);
    expect(a.sizes.codes).toBe(MAX_LOGIN_CODES);
    expect(a.redeem(codes[0]!)).toBeUndefined(); // the oldest was dropped
    const sessions = [];
    for (let i = 0; i < MAX_SESSIONS + 1; i++) sessions.push(a.redeem(a.issueLoginCode().code)!);
    expect(a.sizes.sessions).toBe(MAX_SESSIONS);
    expect(a.check(sessions[0]!.session, sessions[0]!.key)).toBe(false);
    const last = sessions[MAX_SESSIONS]!;
    expect(a.check(last.session, last.key)).toBe(true);
    expect(a.check(last.session, sessions[1]!.key)).toBe(false); // another session's key
    clock += SESSION_TTL_MS;
    expect(a.check(last.session, last.key)).toBe(false);
  });

  it('a cookie repeated with two values counts as none', () => {
    expect(readCookie('a=1; b=2', 'b')).toBe('2');
    expect(readCookie('b=2; b=3', 'b')).toBeUndefined();
    expect(readCookie('bb=2', 'b')).toBeUndefined();
  });
});

describe('requests that carry the session', () => {
  it('work from the dashboard itself, and the bearer token still works as before', async () => {
    const s = await login();
    const r = await send({ path: '/v1/info', headers: browserHeaders(s) });
    expect(r.status).toBe(200);
    expect((await send({ path: '/v1/info', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const before = api.calls.length;
    const pay = await send({ method: 'POST', path: '/v1/streams/' + 'ab'.repeat(16) + '/pause', headers: browserHeaders(s), body: '{}' });
    expect(pay.status).toBe(200);
    expect(api.calls.length).toBe(before + 1);
  });

  it.each([
    ['another origin', { origin: 'http://127.0.0.1:1' }, 403],
    ['a cross-site fetch', { 'sec-fetch-site': 'cross-site' }, 403],
    ['a same-site page on another port', { 'sec-fetch-site': 'same-site' }, 403],
    ['no session key', { 'x-sluice-dashboard': '' }, 403],
    ['a wrong session key', { 'x-sluice-dashboard': 'A'.repeat(43) }, 403],
    ['a re-pointed host name', { host: 'rebind.test:80' }, 421],
  ])('are refused with %s', async (_what, change, status) => {
    const s = await login();
    const before = api.calls.length;
    const r = await send({ method: 'POST', path: '/v1/streams/' + 'ab'.repeat(16) + '/stop', headers: { ...browserHeaders(s), ...change }, body: '{}' });
    expect(r.status).toBe(status);
    expect(api.calls.length).toBe(before); // nothing reached the node
  });

  it('that act must say where they come from (no Origin, no action)', async () => {
    const s = await login();
    const { origin: _o, ...noOrigin } = browserHeaders(s);
    expect((await send({ method: 'POST', path: '/v1/payments', headers: noOrigin, body: '{}' })).status).toBe(403);
    expect((await send({ path: '/v1/info', headers: noOrigin })).status).toBe(200); // reads may omit it
  });

  it('end at logout', async () => {
    const s = await login();
    const out = await send({ method: 'POST', path: '/logout', headers: browserHeaders(s) });
    expect(out.status).toBe(204);
    expect(String((out.headers['set-cookie'] as string[])[0])).toContain('Max-Age=0');
    expect((await send({ path: '/v1/info', headers: browserHeaders(s) })).status).toBe(401);
  });
});

describe('the event feed', () => {
  const open = (headers: Record<string, string>, protocols: string[]) =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/v1/events`, protocols, { headers });
      ws.on('open', () => {
        resolve(`open ${ws.protocol}`);
        ws.close();
      });
      ws.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
      ws.on('error', () => undefined);
    });

  it('opens for the dashboard with its key as subprotocol and its own Origin, and for nothing else', async () => {
    const s = await login();
    expect(await open({ cookie: s.cookie, origin: origin() }, ['sluice-dashboard', s.key])).toBe('open sluice-dashboard');
    expect(await open({ cookie: s.cookie, origin: 'http://127.0.0.1:1' }, ['sluice-dashboard', s.key])).toBe('refused 403');
    expect(await open({ cookie: s.cookie }, ['sluice-dashboard', s.key])).toBe('refused 403');
    expect(await open({ cookie: s.cookie, origin: origin() }, ['sluice-dashboard', 'A'.repeat(43)])).toBe('refused 403');
    expect(await open({ origin: origin() }, ['sluice-dashboard', s.key])).toBe('refused 401');
  });
});

describe('the page and its files', () => {
  it('are served with a strict Content-Security-Policy and no framing', async () => {
    const r = await send({ path: '/' });
    expect(r.status).toBe(200);
    expect(r.body).toContain('dashboard');
    expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['cache-control']).toBe('no-store');
    const asset = await send({ path: '/assets/app-1.js' });
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('come only from the build: no path reaches the file system', async () => {
    for (const path of ['/assets/../../package.json', '/assets/%2e%2e%2fpackage.json', '/assets/nope.js', '/../package.json']) {
      const r = await send({ path });
      expect([401, 404]).toContain(r.status);
      expect(r.body).not.toContain('"name": "sluice"');
    }
  });

  it('answer only to this machine’s names (DNS rebinding)', async () => {
    expect((await send({ path: '/', headers: { host: 'rebind.test' } })).status).toBe(421);
    const quoted = await send({ path: '/', headers: { host: '<img src=x>' } });
    expect(quoted.body).toContain('&#60;img src=x&#62;'); // the refusal quotes the Host, escaped
    expect(quoted.body).not.toContain('<img');
    expect((await send({ path: '/', headers: { host: `localhost:${server.port}` } })).status).toBe(200);
  });

  it('say so when the front end was not built', async () => {
    const bare = await startApiServer({ api, port: 0, token: TOKEN, log: createLogger({ level: 'silent' }), dashboard: { web: { files: new Map(), missing: 'not built; run npm run build:web' } } });
    try {
      const res = await fetch(`${bare.url}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build:web');
    } finally {
      await bare.close();
    }
  });
});
