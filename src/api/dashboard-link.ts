// A one-time dashboard login link, asked of a running node with its API token: what `sluice dashboard`
// and the demo print. The link carries a login code (one use, one minute), never the token.
import { LOGIN_CODE_PATH } from './dashboard.js';

export interface LoginLink {
  url: string;
  expiresAt: number;
}

export async function requestLoginLink(opts: { apiUrl: string; token: string }): Promise<LoginLink> {
  const base = opts.apiUrl.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(base + LOGIN_CODE_PATH, { method: 'POST', headers: { authorization: `Bearer ${opts.token}` }, signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    throw new Error(`could not reach the node at ${base}: ${(e as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { code?: unknown; expiresAt?: unknown; path?: unknown; error?: { message?: unknown } };
  if (!res.ok) throw new Error(`the node refused a login code: ${String(body.error?.message ?? res.status)}`);
  if (typeof body.code !== 'string' || typeof body.path !== 'string' || typeof body.expiresAt !== 'number') {
    throw new Error(`the node at ${base} does not serve the dashboard (unexpected answer)`);
  }
  return { url: `${base}${body.path}${encodeURIComponent(body.code)}`, expiresAt: body.expiresAt };
}
