// The ledger client used by nodes and the CLI: typed calls over the WebSocket JSON-RPC API, with
// reconnects (backoff) that restore subscriptions. Submitting the same signed transaction twice is
// harmless (same txid; the nonce makes a replay invalid), so callers may retry after a lost connection.
import WebSocket from 'ws';
import { toHex } from '../crypto/bytes.js';
import type { Msat } from '../money.js';
import { msatFromJson } from '../money.js';
import type { JsonObject } from '../util/json-fields.js';
import { accountFromJson, chainEntryFromJson, channelFromJson, eventFromJson } from './records-json.js';
import { LedgerRpcError, LedgerUnavailableError, channelNotice, type ChannelNotice, type LedgerInfo, type TxStatus } from './client-types.js';
import { DEFAULT_LEDGER_PORT, MAX_REQUEST_BYTES } from './server.js';
import { txToJson } from './tx-codec.js';
import { authParams, type ConnectionIdentity } from './connection-auth.js';
import type { Account, ChainEntry, LedgerChannel, Tx } from './types.js';

/** How often an identified client asks again to be protected after a refusal (an unfunded key, say). */
const AUTH_RETRY_MS = 5_000;

export const DEFAULT_LEDGER_URL = `ws://127.0.0.1:${DEFAULT_LEDGER_PORT}`;

export { LedgerRpcError, LedgerUnavailableError, type ChannelNotice, type LedgerInfo, type TxStatus } from './client-types.js';

export interface LedgerClientOptions {
  url?: string;
  requestTimeoutMs?: number;
  /** How long connect() keeps trying before it gives up. */
  connectTimeoutMs?: number;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

interface Sub {
  params: JsonObject;
  onEvent(params: Record<string, unknown>): void;
  serverId?: string;
}

export class LedgerClient {
  readonly url: string;
  private ws: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly subs = new Set<Sub>();
  private readonly byServerId = new Map<string, Sub>();
  private closed = false;
  private backoffMs = 100;
  private connected: Promise<void>;
  private markConnected!: () => void;
  private readonly requestTimeoutMs: number;
  private identity: ConnectionIdentity | undefined;
  private lastSeen: number | undefined;
  private downSince: number | undefined;
  private readonly reachabilityListeners = new Set<(reachable: boolean) => void>();

  private constructor(opts: LedgerClientOptions) {
    this.url = opts.url ?? DEFAULT_LEDGER_URL;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.connected = new Promise((r) => (this.markConnected = r));
  }

  /** Connect, retrying until connectTimeoutMs (default 5 s) passes. */
  static async connect(opts: LedgerClientOptions = {}): Promise<LedgerClient> {
    const c = new LedgerClient(opts);
    const deadline = Date.now() + (opts.connectTimeoutMs ?? 5000);
    for (;;) {
      try {
        await c.open();
        return c;
      } catch (e) {
        if (Date.now() >= deadline) {
          c.closed = true;
          throw new LedgerUnavailableError(`cannot reach the ledger at ${c.url} (${(e as Error).message}); is \`sluice ledger start\` running?`);
        }
        await sleep(150);
      }
    }
  }

  /** Whether the connection to the ledger is up right now (it drops at once when the ledger process dies). */
  get reachable(): boolean {
    return this.ws !== undefined;
  }

  /** When the ledger last sent anything (ms since the epoch). */
  get lastSeenAt(): number | undefined {
    return this.lastSeen;
  }

  /** Since when the connection has been down, while it is. */
  get unreachableSince(): number | undefined {
    return this.ws ? undefined : this.downSince;
  }

  /** Told `false` when an established connection drops and `true` when it is back. */
  onReachabilityChange(listener: (reachable: boolean) => void): () => void {
    this.reachabilityListeners.add(listener);
    return () => this.reachabilityListeners.delete(listener);
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
      let opened = false;
      ws.once('open', () => {
        opened = true;
        this.ws = ws;
        this.lastSeen = Date.now();
        const wasDown = this.downSince !== undefined;
        this.downSince = undefined;
        if (wasDown) for (const l of this.reachabilityListeners) l(true);
        this.backoffMs = 100;
        this.markConnected();
        void this.authenticate().then(() => this.resubscribe());
        resolve();
      });
      ws.on('message', (data) => {
        this.lastSeen = Date.now();
        this.onMessage(data.toString());
      });
      ws.once('error', (err) => {
        if (!opened) reject(err);
      });
      ws.once('close', () => {
        if (!opened) return;
        this.ws = undefined;
        this.connected = new Promise((r) => (this.markConnected = r));
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new LedgerUnavailableError('ledger connection lost'));
          this.pending.delete(id);
        }
        this.byServerId.clear();
        if (!this.closed) {
          this.downSince = Date.now();
          for (const l of this.reachabilityListeners) l(false);
          void this.reconnectLoop();
        }
      });
    });
  }

  private async reconnectLoop(): Promise<void> {
    while (!this.closed && !this.ws) {
      await sleep(this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 5000);
      if (this.closed) return;
      try {
        await this.open();
      } catch {
        // keep trying
      }
    }
  }

  /**
   * Prove this key on every connection (now, and after each reconnect) so the ledger keeps it a place
   * that anonymous connections cannot take (the key needs one fee's balance; docs/ledger.md). Resolves
   * with whether the ledger took it; a refusal leaves the connection anonymous, still served.
   */
  async identify(id: ConnectionIdentity): Promise<boolean> {
    this.identity = id;
    return this.ws ? this.authenticate() : false;
  }

  private async authenticate(): Promise<boolean> {
    if (!this.identity) return false;
    const ws = this.ws;
    try {
      await this.request('authenticate', authParams(this.identity, Date.now()));
      return true;
    } catch {
      // not funded yet, say: ask again now and then while this connection lasts
      if (!this.closed && this.ws === ws) setTimeout(() => void (this.ws === ws && this.authenticate()), AUTH_RETRY_MS).unref();
      return false;
    }
  }

  private async resubscribe(): Promise<void> {
    for (const sub of this.subs) await this.resubscribeOne(sub, 0);
  }

  /** Restore one subscription after a reconnect; a refusal is retried (with backoff) while connected. */
  private async resubscribeOne(sub: Sub, attempt: number): Promise<void> {
    const ws = this.ws;
    try {
      const r = (await this.request('subscribe', sub.params)) as { subscription: string };
      sub.serverId = r.subscription;
      this.byServerId.set(r.subscription, sub);
    } catch {
      // a lost connection restores every subscription when it comes back; on the same one, try again
      if (this.closed || this.ws !== ws || !this.subs.has(sub)) return;
      setTimeout(() => void this.resubscribeOne(sub, attempt + 1), Math.min(250 * 2 ** attempt, 5000)).unref();
    }
  }

  private onMessage(text: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (msg['method'] === 'event') {
      const params = msg['params'] as Record<string, unknown> | undefined;
      try {
        // A notice we cannot read (or a listener that throws) must not throw out of the socket handler.
        if (params) this.byServerId.get(String(params['subscription']))?.onEvent(params);
      } catch {
        // dropped: watchers reconcile against the ledger's records and do not rely on every notice
      }
      return;
    }
    const p = this.pending.get(Number(msg['id']));
    if (!p) return;
    this.pending.delete(Number(msg['id']));
    clearTimeout(p.timer);
    const err = msg['error'] as { code: number; message: string; data?: { code?: string } } | undefined;
    if (err) p.reject(new LedgerRpcError(err.code, err.message, err.data?.code));
    else p.resolve(msg['result']);
  }

  async request(method: string, params: JsonObject = {}): Promise<unknown> {
    if (this.closed) throw new LedgerUnavailableError('ledger client is closed');
    if (!this.ws) await waitFor(this.connected, this.requestTimeoutMs);
    if (!this.ws) throw new LedgerUnavailableError(`ledger at ${this.url} is unreachable`);
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    if (body.length > MAX_REQUEST_BYTES) throw new LedgerRpcError(-32600, `request of ${body.length} bytes is over the ledger's limit`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LedgerUnavailableError(`ledger did not answer ${method} within ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws!.send(body);
    });
  }

  async info(): Promise<LedgerInfo> {
    const r = (await this.request('info')) as Record<string, unknown>;
    const supply = r['supply'] as Record<string, unknown>;
    return {
      chainId: String(r['chainId']),
      height: Number(r['height']),
      tipHash: String(r['tipHash']),
      fee: msatFromJson(r['fee']),
      disputeBlocks: Number(r['disputeBlocks']),
      faucet: r['faucet'] === true,
      blockTimeMs: Number(r['blockTimeMs']),
      mempool: Number(r['mempool']),
      supply: { minted: msatFromJson(supply['minted']), fees: msatFromJson(supply['fees']) },
    };
  }

  async account(address: Uint8Array): Promise<Account> {
    return accountFromJson(await this.request('getAccount', { address: toHex(address) }));
  }

  /** The nonce the account's next transaction must carry, counting pending ones. */
  async nextNonce(address: Uint8Array): Promise<number> {
    const r = (await this.request('getAccount', { address: toHex(address) })) as Record<string, unknown>;
    return Number(r['pendingNonce'] ?? r['nonce']);
  }

  async channel(channelId: Uint8Array): Promise<LedgerChannel | undefined> {
    try {
      return channelFromJson(await this.request('getChannel', { channelId: toHex(channelId) }));
    } catch (e) {
      if (e instanceof LedgerRpcError && e.code === -32001) return undefined;
      throw e;
    }
  }

  /** The channel a BOLT 7 short channel id (16 hex characters) names; undefined if none does. */
  async channelByShortId(shortChannelId: string): Promise<LedgerChannel | undefined> {
    try {
      return channelFromJson(await this.request('getChannelByShortId', { shortChannelId }));
    } catch (e) {
      if (e instanceof LedgerRpcError && e.code === -32001) return undefined;
      throw e;
    }
  }

  /** The chain registry's record for a hash-chain root (deepest depth, its marks by height); undefined if none. */
  async chain(root: Uint8Array): Promise<ChainEntry | undefined> {
    try {
      return chainEntryFromJson(await this.request('getChain', { root: toHex(root) }));
    } catch (e) {
      if (e instanceof LedgerRpcError && e.code === -32001) return undefined;
      throw e;
    }
  }

  async submit(tx: Tx): Promise<string> {
    const r = (await this.request('submitTx', { tx: txToJson(tx) })) as { txid: string };
    return r.txid;
  }

  async faucet(address: Uint8Array, amount: Msat): Promise<string> {
    const r = (await this.request('faucet', { address: toHex(address), amount: amount.toString() })) as { txid: string };
    return r.txid;
  }

  async mine(blocks = 1): Promise<{ height: number }> {
    return (await this.request('mine', { blocks })) as { height: number };
  }

  async tx(txid: string): Promise<TxStatus | undefined> {
    try {
      const r = (await this.request('getTx', { txid })) as Record<string, unknown>;
      const out: TxStatus = { txid, status: r['status'] === 'confirmed' ? 'confirmed' : 'pending' };
      if (typeof r['height'] === 'number') out.height = r['height'];
      if (Array.isArray(r['events'])) out.events = r['events'].map(eventFromJson);
      return out;
    } catch (e) {
      if (e instanceof LedgerRpcError && e.code === -32001) return undefined;
      throw e;
    }
  }

  async audit(): Promise<{ ok: boolean; minted: Msat; balances: Msat; locked: Msat; fees: Msat }> {
    const r = (await this.request('audit')) as Record<string, unknown>;
    return { ok: r['ok'] === true, minted: msatFromJson(r['minted']), balances: msatFromJson(r['balances']), locked: msatFromJson(r['locked']), fees: msatFromJson(r['fees']) };
  }

  /** Called for every new block; returns an unsubscribe function. */
  subscribeBlocks(onBlock: (b: { height: number; hash: string }) => void): Promise<() => Promise<void>> {
    return this.subscribe({ topic: 'blocks' }, (p) => {
      const b = p['block'] as Record<string, unknown>;
      onBlock({ height: Number(b['height']), hash: String(b['hash']) });
    });
  }

  subscribeChannel(channelId: Uint8Array, onNotice: (n: ChannelNotice) => void): Promise<() => Promise<void>> {
    return this.subscribe({ topic: 'channel', channelId: toHex(channelId) }, channelNotice(onNotice));
  }

  /**
   * Events of every channel `party` is a party to: one subscription for all of a node's channels,
   * however many. On one connection a block's events come before its block notice.
   */
  subscribeParty(party: Uint8Array, onNotice: (n: ChannelNotice) => void): Promise<() => Promise<void>> {
    return this.subscribe({ topic: 'party', party: toHex(party) }, channelNotice(onNotice));
  }

  private async subscribe(params: JsonObject, onEvent: (p: Record<string, unknown>) => void): Promise<() => Promise<void>> {
    const sub: Sub = { params, onEvent };
    this.subs.add(sub);
    const r = (await this.request('subscribe', params)) as { subscription: string };
    sub.serverId = r.subscription;
    this.byServerId.set(r.subscription, sub);
    return async () => {
      this.subs.delete(sub);
      if (sub.serverId) {
        this.byServerId.delete(sub.serverId);
        await this.request('unsubscribe', { subscription: sub.serverId }).catch(() => undefined);
      }
    };
  }

  /** Wait until a transaction is in a block (checked on each new block). */
  async waitForTx(txid: string, timeoutMs = 30_000): Promise<TxStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.tx(txid);
      if (s?.status === 'confirmed') return s;
      if (!s) throw new LedgerRpcError(-32001, `transaction ${txid} is unknown to the ledger (rejected at block time?)`);
      if (Date.now() > deadline) throw new LedgerUnavailableError(`transaction ${txid} not confirmed within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const ws = this.ws;
    this.ws = undefined;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new LedgerUnavailableError('ledger client is closed'));
    }
    this.pending.clear();
    if (ws) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
        setTimeout(resolve, 500).unref();
      });
    }
  }
}


/** Wait for `p` but no longer than `ms`, without leaving a timer behind. */
async function waitFor(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
