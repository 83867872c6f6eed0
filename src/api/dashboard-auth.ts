// Dashboard logins: `sluice dashboard` asks the node (with the API token) for a one-time login code and
// prints a link carrying it; the browser trades the code for a session cookie. The token itself never
// appears in a URL, a browser history or a cookie. Codes live a minute and work once; sessions expire;
// both tables are bounded so nothing a caller does makes the node hold more than a few kilobytes.
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
  private readonly sessions = new Map<string, number>();

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

  /** A new session id if `code` is live (and spends it), else undefined. */
  redeem(code: string): { session: string; maxAgeMs: number } | undefined {
    this.sweep();
    if (!/^[A-Za-z0-9_-]{43}$/.test(code)) return undefined;
    const key = digest(code);
    if (!this.codes.has(key)) return undefined;
    this.codes.delete(key); // single use, whatever happens next
    const session = this.random(32).toString('base64url');
    this.sessions.set(digest(session), this.now() + SESSION_TTL_MS);
    dropOldest(this.sessions, MAX_SESSIONS);
    return { session, maxAgeMs: SESSION_TTL_MS };
  }

  /** True if the Cookie header carries a live session. */
  hasSession(cookieHeader: string | undefined): boolean {
    const id = readCookie(cookieHeader, SESSION_COOKIE);
    if (id === undefined) return false;
    const expiry = this.sessions.get(digest(id));
    if (expiry === undefined) return false;
    if (expiry <= this.now()) {
      this.sessions.delete(digest(id));
      return false;
    }
    return true;
  }

  endSession(cookieHeader: string | undefined): void {
    const id = readCookie(cookieHeader, SESSION_COOKIE);
    if (id !== undefined) this.sessions.delete(digest(id));
  }

  get sizes(): { codes: number; sessions: number } {
    return { codes: this.codes.size, sessions: this.sessions.size };
  }

  private sweep(): void {
    const now = this.now();
    for (const table of [this.codes, this.sessions]) {
      for (const [k, expiry] of table) if (expiry <= now) table.delete(k);
    }
  }
}

function dropOldest(table: Map<string, number>, max: number): void {
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

export function sessionCookie(session: string, maxAgeMs: number): string {
  return `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(maxAgeMs / 1000)}`;
}

export const CLEAR_SESSION_COOKIE = `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
