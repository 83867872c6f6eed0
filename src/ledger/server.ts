// The ledger's WebSocket JSON-RPC 2.0 API: requests plus subscriptions (subscriptions.ts). Bound to
// 127.0.0.1 by default. Every bad request gets a JSON-RPC error and changes nothing.
//
// What any ledger user can make it hold is bounded (LedgerLimits, docs/security.md): connections
// (unfinished handshakes included), unfinished requests per connection (then the socket is paused),
// subscriptions per connection, and bytes buffered for a subscriber that does not read. Requests run in
// fair turns across connections (rpc-scheduler.ts), so a flood on one does not hold the others.
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { InputError, toHex } from '../crypto/bytes.js';
import type { Logger } from '../util/log.js';
import { asObject, hexField, msatField, pubkeyField, str, uintField, type Json, type JsonObject } from '../util/json-fields.js';
import { isShortChannelId } from './short-channel-id.js';
import { accountToJson, blockToJson, chainEntryToJson, channelToJson, supplyToJson } from './records-json.js';
import { txFromJson } from './tx-codec.js';
import { randomBytes } from 'node:crypto';
import type { Chain } from './chain.js';
import { FairScheduler } from './rpc-scheduler.js';
import { blockNotices, noticesFor, subscriptionFromParams, type Subscription } from './subscriptions.js';
import { PROTECTED_PER_KEY, checkAuth } from './connection-auth.js';
import type { Socket } from 'node:net';

export const DEFAULT_LEDGER_PORT = 9700;
export const MAX_REQUEST_BYTES = 256 * 1024;
const MAX_MINE_PER_CALL = 1000;

/** What one ledger user can make the server hold. */
export interface LedgerLimits {
  /**
   * Open anonymous sockets, WebSocket or still in the HTTP upgrade; a new socket past it closes the
   * oldest anonymous one. Connections that proved a key able to pay a fee (`authenticate`) do not count:
   * they have their own pool, PROTECTED_PER_KEY per key, so a flood of anonymous sockets cannot keep a
   * node off the ledger.
   */
  maxConnections: number;
  /** Requests queued or running per connection; at the bound the server stops reading that socket. */
  maxPendingPerConnection: number;
  /** Bytes of requests queued per connection (what arrives after the pause); past it the connection is dropped. */
  maxQueuedBytesPerConnection: number;
  /** Subscriptions per connection (a node needs two: blocks and its party). */
  maxSubscriptionsPerConnection: number;
  /** Bytes waiting to be sent to one connection; past it the connection is dropped (it does not read). */
  maxBufferedBytes: number;
  /** Time to complete the HTTP upgrade request. */
  handshakeTimeoutMs: number;
}

export const DEFAULT_LEDGER_LIMITS: LedgerLimits = {
  maxConnections: 1024,
  maxPendingPerConnection: 256,
  maxQueuedBytesPerConnection: 4 * MAX_REQUEST_BYTES,
  maxSubscriptionsPerConnection: 64,
  maxBufferedBytes: 16 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
};

/** JSON-RPC error codes: the standard ones, then ours (-32000 range). */
export const RpcCode = {
  PARSE: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  TX_REJECTED: -32000,
  NOT_FOUND: -32001,
  DISABLED: -32002,
} as const;

export class RpcError extends Error {
  constructor(readonly code: number, message: string, readonly data?: Json) {
    super(message);
  }
}

interface Conn {
  ws: WebSocket;
  subs: Map<string, Subscription>;
  socket: Socket;
}

export interface LedgerServerOptions {
  chain: Chain;
  host?: string;
  port?: number;
  log: Logger;
  blockTimeMs: number;
  limits?: Partial<LedgerLimits>;
}

export interface LedgerServerStats {
  connections: number;
  /** Connections in the protected pool (they proved a funded key). */
  protectedConnections: number;
  subscriptions: number;
  pendingRequests: number;
  /** Open sockets that proved no key, WebSocket or still in the HTTP upgrade (what maxConnections bounds). */
  anonymousSockets: number;
}

export interface LedgerServer {
  port: number;
  url: string;
  limits: LedgerLimits;
  stats(): LedgerServerStats;
  close(): Promise<void>;
}

export async function startLedgerServer(opts: LedgerServerOptions): Promise<LedgerServer> {
  const { chain, log } = opts;
  const host = opts.host ?? '127.0.0.1';
  const limits: LedgerLimits = { ...DEFAULT_LEDGER_LIMITS, ...opts.limits };
  const conns = new Set<Conn>();
  // Unfinished handshakes are checked a few times per timeout (Node's default is every 30 s).
  const http = createServer({ connectionsCheckingInterval: Math.max(50, Math.floor(limits.handshakeTimeoutMs / 4)) }, (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('the sluice ledger speaks JSON-RPC over WebSocket\n');
  });
  // Every socket, oldest first; a protected one is mapped to its key. A new socket past maxConnections
  // anonymous ones closes the OLDEST anonymous socket (handshakes in progress count), not itself: a node
  // reconnecting gets in, and proves its key within a round trip, before an attacker's churn through
  // the whole pool could reach it (it is the youngest).
  const sockets = new Map<Socket, string | undefined>();
  const protectedBy = new Map<string, number>();
  let anonymous = 0;
  http.on('connection', (socket: Socket) => {
    if (anonymous >= limits.maxConnections) {
      for (const [old, party] of sockets) {
        if (party !== undefined) continue;
        old.destroy();
        forget(old);
        break;
      }
    }
    sockets.set(socket, undefined);
    anonymous++;
    // Our own deadline for the upgrade, besides Node's socket and header timeouts: a socket that has not
    // become a WebSocket by then is destroyed, whatever the http server's timers make of it.
    const deadline = setTimeout(() => {
      if (!upgraded.has(socket)) socket.destroy();
    }, limits.handshakeTimeoutMs);
    deadline.unref();
    socket.once('close', () => {
      clearTimeout(deadline);
      forget(socket);
    });
  });
  const upgraded = new WeakSet<Socket>();
  function forget(socket: Socket): void {
    if (!sockets.has(socket)) return;
    const party = sockets.get(socket);
    sockets.delete(socket);
    if (party === undefined) anonymous--;
    else if (protectedBy.get(party)! <= 1) protectedBy.delete(party);
    else protectedBy.set(party, protectedBy.get(party)! - 1);
  }
  // A socket idle before its upgrade is closed (ws clears this timeout on the sockets it takes over);
  // one that trickles its headers is closed by headersTimeout.
  http.timeout = limits.handshakeTimeoutMs;
  http.headersTimeout = limits.handshakeTimeoutMs;
  http.requestTimeout = limits.handshakeTimeoutMs;
  const wss = new WebSocketServer({ server: http, maxPayload: MAX_REQUEST_BYTES, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    http.once('listening', resolve);
    http.once('error', reject);
    http.listen(opts.port ?? DEFAULT_LEDGER_PORT, host);
  });

  const methods: Record<string, (params: Record<string, unknown>, conn: Conn) => Json | Promise<Json>> = {
    info: () => ({
      chainId: chain.params.chainId,
      height: chain.tip.header.height,
      tipHash: toHex(chain.tip.header.hash),
      fee: chain.params.fee.toString(),
      disputeBlocks: chain.params.disputeBlocks,
      faucet: chain.params.faucet,
      blockTimeMs: opts.blockTimeMs,
      mempool: chain.mempoolSize,
      supply: supplyToJson(chain.state.supply()),
    }),
    getAccount: (p) => {
      const id = pubkeyField(p, 'address');
      // pendingNonce counts transactions waiting in the mempool: the nonce a sender's next one needs
      return { ...accountToJson(chain.state.account(id)), pendingNonce: chain.pendingNonce(id) };
    },
    getChannel: (p) => {
      const ch = chain.state.channel(hexField(p, 'channelId', 32));
      if (!ch) throw new RpcError(RpcCode.NOT_FOUND, 'no such channel');
      return channelToJson(ch);
    },
    getChannelByShortId: (p) => {
      const scid = str(p, 'shortChannelId');
      if (!isShortChannelId(scid)) throw new RpcError(RpcCode.INVALID_PARAMS, 'shortChannelId: expected 16 lowercase hex characters');
      const ch = chain.state.channelByShortId(scid);
      if (!ch) throw new RpcError(RpcCode.NOT_FOUND, 'no channel with that short channel id');
      return channelToJson(ch);
    },
    getChain: (p) => {
      const root = hexField(p, 'root', 32);
      const e = chain.state.chain(root);
      if (!e) throw new RpcError(RpcCode.NOT_FOUND, 'nothing is registered for that root');
      return chainEntryToJson(root, e);
    },
    getBlock: async (p) => {
      const height = uintField(p, 'height');
      const b = height <= chain.tip.header.height ? await chain.blockAt(height) : undefined;
      if (!b) throw new RpcError(RpcCode.NOT_FOUND, `no block at height ${height}`);
      return blockToJson(b);
    },
    getTx: async (p): Promise<JsonObject> => {
      const txid = toHex(hexField(p, 'txid', 32));
      if (chain.isPending(txid)) return { txid, status: 'pending' };
      const t = await chain.txRecord(txid);
      if (!t) throw new RpcError(RpcCode.NOT_FOUND, 'unknown transaction');
      return { txid, status: 'confirmed', height: t.height, index: t.index, tx: t.tx, events: t.events };
    },
    submitTx: (p) => {
      let tx;
      try {
        tx = txFromJson(p['tx']);
      } catch (e) {
        if (e instanceof InputError) throw new RpcError(RpcCode.TX_REJECTED, e.message, { code: 'MALFORMED' });
        throw e;
      }
      const r = chain.submit(tx);
      if (!r.ok) throw new RpcError(RpcCode.TX_REJECTED, r.error.message, { code: r.error.code });
      log.debug({ txid: r.txid, kind: tx.kind }, 'tx accepted');
      return { txid: r.txid, status: 'pending' };
    },
    faucet: (p) => {
      if (!chain.params.faucet) throw new RpcError(RpcCode.DISABLED, 'the faucet is off on this ledger (start it with --faucet)');
      const r = chain.submit({ kind: 'faucet', to: pubkeyField(p, 'address'), amount: msatField(p, 'amount'), salt: randomBytes(16) });
      if (!r.ok) throw new RpcError(RpcCode.TX_REJECTED, r.error.message, { code: r.error.code });
      return { txid: r.txid, status: 'pending' };
    },
    mine: async (p) => {
      if (!chain.params.faucet) throw new RpcError(RpcCode.DISABLED, 'mining on demand is a simnet feature (start the ledger with --faucet)');
      const n = p['blocks'] === undefined ? 1 : uintField(p, 'blocks', MAX_MINE_PER_CALL);
      let last = chain.tip;
      for (let i = 0; i < n; i++) last = (await chain.mine(Date.now())).block;
      return { height: last.header.height, hash: toHex(last.header.hash) };
    },
    audit: () => {
      const a = chain.audit();
      return { ok: a.ok, minted: a.minted.toString(), balances: a.balances.toString(), locked: a.locked.toString(), fees: a.fees.toString(), negativeAccounts: a.negativeAccounts };
    },
    subscribe: (p, conn) => {
      if (conn.subs.size >= limits.maxSubscriptionsPerConnection) {
        throw new RpcError(RpcCode.INVALID_PARAMS, `too many subscriptions on this connection (at most ${limits.maxSubscriptionsPerConnection}; topic "party" covers all of a key's channels)`);
      }
      const sub = subscriptionFromParams(p);
      const id = randomBytes(8).toString('hex');
      conn.subs.set(id, sub);
      return { subscription: id };
    },
    unsubscribe: (p, conn) => ({ removed: conn.subs.delete(str(p, 'subscription')) }),
    // Prove a key: the connection moves to the protected pool. Cheap checks first; the key must be able
    // to pay one fee (the stake that bounds the pool: PROTECTED_PER_KEY per funded key).
    authenticate: (p, conn) => {
      const party = pubkeyField(p, 'party');
      const key = toHex(party);
      if (!sockets.has(conn.socket)) throw new RpcError(RpcCode.INVALID_PARAMS, 'connection is closing');
      if (sockets.get(conn.socket) === key) return { protected: true };
      if (sockets.get(conn.socket) !== undefined) throw new RpcError(RpcCode.INVALID_PARAMS, 'this connection already proved another key');
      if ((protectedBy.get(key) ?? 0) >= PROTECTED_PER_KEY) throw new RpcError(RpcCode.INVALID_PARAMS, `key already holds ${PROTECTED_PER_KEY} protected connections`);
      if (chain.state.account(party).balance < chain.params.fee) throw new RpcError(RpcCode.INVALID_PARAMS, 'only a key that can pay one fee gets a protected connection');
      const bad = checkAuth({ chainId: chain.params.chainId, party, timeMs: uintField(p, 'time'), sig: hexField(p, 'sig', 64), nowMs: Date.now() });
      if (bad) throw new RpcError(RpcCode.INVALID_PARAMS, `authenticate: ${bad}`);
      sockets.set(conn.socket, key);
      anonymous--;
      protectedBy.set(key, (protectedBy.get(key) ?? 0) + 1);
      return { protected: true };
    },
  };

  async function handle(conn: Conn, raw: string): Promise<JsonObject | null> {
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      return errorReply(null, RpcCode.PARSE, 'parse error: not valid JSON');
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return errorReply(null, RpcCode.INVALID_REQUEST, 'invalid request: expected one JSON-RPC object');
    const req = msg as Record<string, unknown>;
    const id = typeof req['id'] === 'string' || typeof req['id'] === 'number' ? (req['id'] as Json) : null;
    if (req['jsonrpc'] !== '2.0' || typeof req['method'] !== 'string') return errorReply(id, RpcCode.INVALID_REQUEST, 'invalid request: needs jsonrpc "2.0" and a method');
    const method = methods[req['method']];
    if (!Object.hasOwn(methods, req['method']) || !method) return errorReply(id, RpcCode.METHOD_NOT_FOUND, `unknown method '${req['method']}'`);
    try {
      const params = req['params'] === undefined ? {} : asObject(req['params'], 'params');
      const result = await method(params, conn);
      return { jsonrpc: '2.0', id, result };
    } catch (e) {
      if (e instanceof RpcError) return errorReply(id, e.code, e.message, e.data);
      if (e instanceof InputError) return errorReply(id, RpcCode.INVALID_PARAMS, e.message);
      log.error({ err: e, method: req['method'] }, 'request failed');
      return errorReply(id, RpcCode.INTERNAL, 'internal error');
    }
  }

  const send = (conn: Conn, msg: JsonObject) => {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    if (conn.ws.bufferedAmount > limits.maxBufferedBytes) {
      log.warn({ buffered: conn.ws.bufferedAmount }, 'ledger client does not read what it is sent; dropping it');
      conn.ws.terminate();
      return;
    }
    conn.ws.send(JSON.stringify(msg));
  };

  const scheduler = new FairScheduler<Conn>({
    maxPending: limits.maxPendingPerConnection,
    maxQueuedBytes: limits.maxQueuedBytesPerConnection,
    run: async (conn, raw) => {
      const reply = await handle(conn, raw);
      if (reply) send(conn, reply);
    },
    pause: (conn) => conn.ws.pause(),
    resume: (conn) => conn.ws.resume(),
    favoured: (conn) => sockets.get(conn.socket) !== undefined,
    overflow: (conn) => {
      log.warn('ledger client kept sending past its bound of unfinished requests; dropping it');
      conn.ws.close(1008, 'too many unfinished requests');
    },
  });

  wss.on('connection', (ws, req) => {
    upgraded.add(req.socket as Socket);
    const conn: Conn = { ws, subs: new Map(), socket: req.socket as Socket };
    conns.add(conn);
    ws.on('message', (data, isBinary) => {
      scheduler.enqueue(conn, isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString());
    });
    ws.on('close', () => {
      conns.delete(conn);
      scheduler.drop(conn);
    });
    ws.on('error', (err) => log.debug({ err: err.message }, 'ledger client connection error'));
  });

  const unsubscribe = chain.onBlock((m) => {
    const notices = blockNotices(m, (id) => chain.state.channel(id));
    for (const conn of conns) {
      for (const params of noticesFor(conn.subs, notices)) send(conn, { jsonrpc: '2.0', method: 'event', params });
    }
  });

  const port = (http.address() as AddressInfo).port;
  log.info({ url: `ws://${host}:${port}` }, 'ledger API listening');
  return {
    port,
    url: `ws://${host}:${port}`,
    limits,
    stats: () => {
      let subscriptions = 0;
      let pendingRequests = 0;
      for (const c of conns) {
        subscriptions += c.subs.size;
        pendingRequests += scheduler.pending(c);
      }
      let protectedConnections = 0;
      for (const n of protectedBy.values()) protectedConnections += n;
      return { connections: conns.size, protectedConnections, subscriptions, pendingRequests, anonymousSockets: anonymous };
    },
    close: async () => {
      unsubscribe();
      for (const c of conns) c.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function errorReply(id: Json, code: number, message: string, data?: Json): JsonObject {
  const error: JsonObject = { code, message };
  if (data !== undefined) error['data'] = data;
  return { jsonrpc: '2.0', id, error };
}
