// Dashboard logins: `sluice dashboard` asks the node (with the API token) for a one-time login code and
// prints a link carrying it; the browser trades the code for a session. The token itself never appears
// in a URL, a browser history or a cookie. Codes live a minute and work once; sessions expire; both
// tables are bounded so nothing a caller does makes the node hold more than a few kilobytes.
//
// A session is two secrets. The cookie (HttpOnly, SameSite=Strict) cannot be read by any script; but
// browsers send a cookie to every port of 127.0.0.1, so a server another local user runs on another
// port would receive it. The key is handed to the page in the login redirect's fragment and kept in
// the origin's localStorage, which is per port; the page sends it as a header (or WebSocket
// subprotocol). Both must match: the cookie stops other origins' scripts, the key stops other ports.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const LOGIN_CODE_TTL_MS = 60_000;
export const SESSION_TTL_MS = 12 * 3_600_000;
/** Outstanding codes kept; issuing another drops the oldest. */
export const MAX_LOGIN_CODES = 16;
/** Live sessions kept; a new login past this ends the oldest. */
export const MAX_SESSIONS = 32;
export const SESSION_COOKIE = 'sluice_session';

export interface DashboardAuthOptions {
  now?: () => number;
  random?: (bytes: number) => Buffer;
}

/** Secrets are kept only as their sha256, so a heap dump or a log of the table reveals nothing usable. */
const digest = (secret: string) => createHash('sha256').update(secret).digest('hex');

export class DashboardAuth {
  private readonly now: () => number;
  private readonly random: (bytes: number) => Buffer;
  /** digest(code) -> expiry; Map keeps insertion order, so the first key is the oldest. */
  private readonly codes = new Map<string, number>();
  /** digest(session id) -> expiry and digest(key). */
  private readonly sessions = new Map<string, { expiry: number; key: string }>();

  constructor(opts: DashboardAuthOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? randomBytes;
  }

  issueLoginCode(): { code: string; expiresAt: number } {
    this.sweep();
    const code = this.random(32).toString('base64url');
    const expiresAt = this.now() + LOGIN_CODE_TTL_MS;
    this.codes.set(digest(code), expiresAt);
    dropOldest(this.codes, MAX_LOGIN_CODES);
    return { code, expiresAt };
  }

  /** A new session (cookie id and key) if `code` is live, which spends it; else undefined. */
  redeem(code: string): { session: string; key: string; maxAgeMs: number } | undefined {
    this.sweep();
    if (!/^[A-Za-z0-9_-]{43}$/.test(code)) return undefined;
    const spent = digest(code);
    if (!this.codes.has(spent)) return undefined;
    this.codes.delete(spent); // single use, whatever happens next
    const session = this.random(32).toString('base64url');
    const key = this.random(32).toString('base64url');
    this.sessions.set(digest(session), { expiry: this.now() + SESSION_TTL_MS, key: digest(key) });
    dropOldest(this.sessions, MAX_SESSIONS);
    return { session, key, maxAgeMs: SESSION_TTL_MS };
  }

  /** True if the session (from the cookie) is live and `key` is its key. */
  check(session: string | undefined, key: string | undefined): boolean {
    if (session === undefined || key === undefined) return false;
    const s = this.sessions.get(digest(session));
    if (s === undefined) return false;
    if (s.expiry <= this.now()) {
      this.sessions.delete(digest(session));
      return false;
    }
    return timingSafeEqual(Buffer.from(s.key, 'hex'), createHash('sha256').update(key).digest());
  }

  /** True if there is a live session with this cookie id (whatever the key). */
  known(session: string | undefined): boolean {
    const s = session === undefined ? undefined : this.sessions.get(digest(session));
    return s !== undefined && s.expiry > this.now();
  }

  end(session: string | undefined): void {
    if (session !== undefined) this.sessions.delete(digest(session));
  }

  get sizes(): { codes: number; sessions: number } {
    return { codes: this.codes.size, sessions: this.sessions.size };
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, expiry] of this.codes) if (expiry <= now) this.codes.delete(k);
    for (const [k, s] of this.sessions) if (s.expiry <= now) this.sessions.delete(k);
  }
}

function dropOldest(table: Map<string, unknown>, max: number): void {
  while (table.size > max) table.delete(table.keys().next().value as string);
}

/** One cookie's value from a Cookie header; a repeated name counts only if every copy agrees. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (typeof header !== 'string' || header.length > 8192) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    if (found !== undefined && !sameText(found, value)) return undefined;
    found = value;
  }
  return found;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Named by port: cookies ignore ports, and two nodes on one machine must not overwrite each other's. */
export const sessionCookieName = (port: number) => `${SESSION_COOKIE}_${port}`;

export function sessionCookie(name: string, session: string, maxAgeMs: number): string {
  return `${name}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(maxAgeMs / 1000)}`;
}

export const clearSessionCookie = (name: string) => `${name}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
