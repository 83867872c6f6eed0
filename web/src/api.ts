// The page's side of the control API: fetch with the session cookie and key, JSON in and out, errors
// as readable messages, and the event feed as a WebSocket that reconnects by itself.
import { DASHBOARD_HEADER, FEED_PROTOCOL, KEY_FRAGMENT } from '../../src/api/dashboard-protocol';

const KEY_STORE = 'sluice-dashboard-key';

/** After a login the key arrives in the address's fragment: keep it, and take it out of the address bar. */
export function takeKeyFromAddress(): void {
  const m = new RegExp(`^#${KEY_FRAGMENT}=([A-Za-z0-9_-]{20,100})$`).exec(location.hash);
  if (!m) return;
  localStorage.setItem(KEY_STORE, m[1]!);
  history.replaceState(null, '', location.pathname);
}

const key = () => localStorage.getItem(KEY_STORE) ?? '';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { [DASHBOARD_HEADER]: key() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiFailure(0, 'OFFLINE', 'The node does not answer. Is it still running?');
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiFailure(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `the node answered ${res.status} ${res.statusText}`);
  }
  return json as T;
}

export async function logout(): Promise<void> {
  await fetch('/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => undefined);
  localStorage.removeItem(KEY_STORE);
}

export type FeedState = 'connecting' | 'live' | 'down';

/** Follows /v1/events until stopped; reconnects with backoff, and says when it (re)connects so the caller can re-read. */
export function followEvents(opts: { onEvent: (e: unknown) => void; onState: (s: FeedState) => void }): () => void {
  let ws: WebSocket | undefined;
  let stopped = false;
  let delay = 500;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    opts.onState('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/events`;
    ws = new WebSocket(url, [FEED_PROTOCOL, key()]);
    ws.onopen = () => {
      delay = 500;
      opts.onState('live');
    };
    ws.onmessage = (m) => {
      try {
        opts.onEvent(JSON.parse(String(m.data)));
      } catch {
        // a frame we cannot read is skipped; the state is re-read on the next reconnect
      }
    };
    ws.onclose = () => {
      if (stopped) return;
      opts.onState('down');
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 5000);
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    ws?.close();
  };
}
