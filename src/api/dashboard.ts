// The dashboard on the control port: its page and files at `/`, the login link's landing at `/login`,
// and who may call the API. The CLI and apps authenticate with the bearer token; a browser with the
// session cookie it got from a login link, and only from the dashboard's own pages (dashboard-guard).
//
// | method | path                  | who                   | answer                                      |
// |--------|-----------------------|-----------------------|---------------------------------------------|
// | GET    | /, /assets/*          | anyone on this host   | the compiled page (no data in it)           |
// | GET    | /login?code=CODE      | anyone with a code    | 303 to /#key=KEY with the session cookie    |
// | POST   | /logout               | a session             | 204, the session ended                      |
// | POST   | /v1/dashboard/login   | the bearer token only | { code, expiresAt, path }: one login code   |
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../util/log.js';
import { DashboardAuth, LOGIN_CODE_TTL_MS, clearSessionCookie, readCookie, sessionCookie, sessionCookieName } from './dashboard-auth.js';
import { DASHBOARD_HEADER, FEED_PROTOCOL, KEY_FRAGMENT, LOGIN_CODE_PATH } from './dashboard-protocol.js';
import { PAGE_HEADERS, allowedHosts, checkHost, checkSameOrigin } from './dashboard-guard.js';
import { loadWebFiles, type WebFiles } from './dashboard-static.js';
import { HttpError, UNAUTHORIZED, isAuthorized, sendError, sendJson } from './http.js';

export { LOGIN_CODE_PATH };

export interface DashboardOptions {
  token: string;
  /** The address the server binds, for the Host check. */
  bindHost: string;
  log: Logger;
  auth?: DashboardAuth;
  /** The compiled front end; loaded from web/dist when left out. */
  web?: WebFiles;
}

export interface Dashboard {
  /** The port is known once the server listens; the Host check needs it. */
  listening(port: number): void;
  /** Answers the dashboard's own paths and returns true; false leaves the request to the API. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** For the API and its event feed: undefined when the bearer token or a same-origin session allows the request. */
  authorize(req: IncomingMessage, opts: { upgrade: boolean }): HttpError | undefined;
}

export function createDashboard(opts: DashboardOptions): Dashboard {
  const auth = opts.auth ?? new DashboardAuth();
  const web = opts.web ?? loadWebFiles();
  if (web.missing) opts.log.warn(web.missing);
  let hosts = new Set<string>();
  let cookieName = sessionCookieName(0);
  const sessionOf = (req: IncomingMessage) => readCookie(req.headers.cookie, cookieName);

  function page(res: ServerResponse, status: number, title: string, text: string): void {
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
    res.writeHead(status, { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(html) });
    res.end(html);
  }

  function serveFile(res: ServerResponse, path: string, method: string): void {
    const file = web.files.get(path === '/' ? '/index.html' : path);
    if (!file) {
      if (web.missing && path === '/') return page(res, 503, 'Dashboard not built', web.missing.replace(/`/g, ''));
      return page(res, 404, 'Not found', 'No such file in the dashboard.');
    }
    res.writeHead(200, {
      ...PAGE_HEADERS,
      'content-type': file.type,
      'content-length': file.body.length,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-store',
    });
    res.end(method === 'HEAD' ? undefined : file.body);
  }

  function login(req: IncomingMessage, res: ServerResponse): void {
    const code = new URL(req.url ?? '/', 'http://x').searchParams.get('code') ?? '';
    const granted = auth.redeem(code);
    if (!granted) {
      opts.log.info('dashboard login refused: unknown, used or expired code');
      return page(res, 401, 'Login link not valid', 'This login link has expired or was already used. Run sluice dashboard for a new one.');
    }
    opts.log.info('dashboard login');
    // The key rides in the fragment, which the browser never sends to a server; the page moves it to
    // localStorage and takes it out of the address bar.
    res.writeHead(303, {
      ...PAGE_HEADERS,
      location: `/#${KEY_FRAGMENT}=${granted.key}`,
      'set-cookie': sessionCookie(cookieName, granted.session, granted.maxAgeMs),
      'cache-control': 'no-store',
      'content-length': 0,
    });
    res.end();
  }

  function mintCode(req: IncomingMessage, res: ServerResponse): void {
    // Only the token may mint codes: a session cannot extend itself past its expiry.
    if (!isAuthorized(req.headers.authorization, opts.token)) return sendError(res, UNAUTHORIZED);
    if (req.method !== 'POST') return sendError(res, new HttpError(405, 'METHOD_NOT_ALLOWED', `${LOGIN_CODE_PATH} takes POST`, { allow: 'POST' }));
    sendJson(res, 200, { ...auth.issueLoginCode(), ttlMs: LOGIN_CODE_TTL_MS, path: '/login?code=' });
  }

  function answerPage(req: IncomingMessage, res: ServerResponse, path: string): void {
    const method = req.method ?? 'GET';
    const refused = path === '/logout' ? checkSameOrigin(req.headers, hosts, { changes: true }) : checkHost(req.headers, hosts);
    if (refused) return page(res, refused.status, 'Refused', refused.message);
    if (path === '/logout') {
      if (method !== 'POST') return page(res, 405, 'Use POST', 'Log out with the button on the dashboard.');
      auth.end(sessionOf(req));
      res.writeHead(204, { ...PAGE_HEADERS, 'set-cookie': clearSessionCookie(cookieName), 'cache-control': 'no-store' });
      res.end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') return page(res, 405, 'Use GET', 'The dashboard pages are read with GET.');
    if (path === '/login') login(req, res);
    else serveFile(res, path, method);
  }

  return {
    listening(port) {
      hosts = allowedHosts(port, opts.bindHost);
      cookieName = sessionCookieName(port);
    },

    serve(req, res, path) {
      if (path === LOGIN_CODE_PATH) mintCode(req, res);
      else if (isPagePath(path)) answerPage(req, res, path);
      else return false;
      return true;
    },

    authorize(req, { upgrade }) {
      if (isAuthorized(req.headers.authorization, opts.token)) return undefined;
      const session = sessionOf(req);
      if (!auth.known(session)) return UNAUTHORIZED;
      const method = req.method ?? 'GET';
      const refused = checkSameOrigin(req.headers, hosts, { changes: upgrade || method !== 'GET' });
      if (refused) return refused;
      // A browser WebSocket cannot set headers: the page offers its key as a subprotocol instead.
      const key = upgrade ? feedKey(req.headers['sec-websocket-protocol']) : headerText(req.headers[DASHBOARD_HEADER]);
      if (!auth.check(session, key)) return new HttpError(403, 'CROSS_ORIGIN', `refused: a dashboard request carries its session key (${DASHBOARD_HEADER})`);
      return undefined;
    },
  };
}

function headerText(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** `sluice-dashboard, KEY` -> KEY. */
function feedKey(header: string | string[] | undefined): string | undefined {
  const parts = (headerText(header) ?? '').split(',').map((p) => p.trim());
  return parts.length === 2 && parts[0] === FEED_PROTOCOL ? parts[1] : undefined;
}

/** The page, its files and the login: paths the dashboard answers without the API's token. */
function isPagePath(path: string): boolean {
  return path === '/' || path === '/login' || path === '/logout' || /^\/(assets\/[\w.-]+|[\w-]+\.(svg|ico|png))$/.test(path);
}

/** Refusal messages quote the Host and Origin the request sent. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
