// What keeps other web pages away from the node. The browser holds a session cookie for the node's
// control port, so every request that rides on that cookie must show it came from the dashboard
// itself:
// - Host must name the node as this machine reaches it (127.0.0.1, localhost or [::1] with the port):
//   a page whose own name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name and is refused.
// - Origin, when the browser sends one, must be the dashboard's; requests that change something, and the
//   event feed's WebSocket, must carry it. Pages on 127.0.0.1 at another port are same-site, so
//   SameSite=Strict alone would let their requests carry the cookie: Origin is what stops them.
// - Sec-Fetch-Site, when present, must be same-origin (or none: an address typed or pasted).
// - The session key in a header (dashboard-auth.ts), which a cross-origin page could not send without a
//   CORS preflight (which the node never approves) even if it knew the key.
import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from './http.js';

/** Script, style, images, fetch and WebSocket from the node only; no frames, no inline script. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every page and file the dashboard serves. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export const MISDIRECTED = (host: string) =>
  new HttpError(421, 'WRONG_HOST', `this node answers as 127.0.0.1 or localhost, not '${host.slice(0, 100)}'`);
export const CROSS_ORIGIN = (why: string) => new HttpError(403, 'CROSS_ORIGIN', `refused: ${why}`);

/** Host header values that name this node: loopback names with the port it listens on. */
export function allowedHosts(port: number, bindHost: string): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  if (bindHost !== '0.0.0.0' && bindHost !== '::') names.push(bindHost.includes(':') ? `[${bindHost}]` : bindHost);
  return new Set(names.map((n) => `${n}:${port}`.toLowerCase()));
}

/** Undefined if the Host header names this node, else the error to answer. */
export function checkHost(headers: IncomingHttpHeaders, hosts: ReadonlySet<string>): HttpError | undefined {
  const host = (headers.host ?? '').toLowerCase();
  return hosts.has(host) ? undefined : MISDIRECTED(host);
}

/**
 * Undefined if a cookie-carrying request comes from the dashboard's own pages. `changes` marks a
 * request that acts (POST) or opens the event feed: those must say where they come from.
 */
export function checkSameOrigin(headers: IncomingHttpHeaders, hosts: ReadonlySet<string>, opts: { changes: boolean }): HttpError | undefined {
  const wrongHost = checkHost(headers, hosts);
  if (wrongHost) return wrongHost;
  const origin = headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${(headers.host ?? '').toLowerCase()}`) {
    return CROSS_ORIGIN(`a request from ${origin.slice(0, 100)} may not use the dashboard session`);
  }
  if (opts.changes && origin === undefined) return CROSS_ORIGIN('a request that acts must carry an Origin header');
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return CROSS_ORIGIN(`a ${site} request may not use the dashboard session`);
  return undefined;
}
