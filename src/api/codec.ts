// JSON forms of the API's view types, one codec per type, used by the server (encode) and the client
// (decode). bigint amounts and sequence numbers travel as decimal strings so no precision is lost to
// JSON numbers; counts and heights are plain numbers. Decoders are strict and name the bad field.
import { InputError } from '../crypto/bytes.js';
import { assertNever } from '../wire/assert-never.js';
import { asObject, boolField, msatField, str, uintField, type Json, type JsonObject } from '../util/json-fields.js';
import { has, oneOf } from './codec-fields.js';
import * as rc from './routing-codec.js';
import type {
  ChannelStatus,
  ChannelView,
  NodeEvent,
  NodeInfo,
  PaymentResult,
  PeerView,
  StreamEventKind,
  StreamStatus,
  StreamView,
  SendResult,
  WalletView,
} from './types.js';

export interface Codec<T> {
  encode(v: T): Json;
  decode(v: unknown, what?: string): T;
}

export interface FaucetResult {
  txid: string;
  balance: bigint;
}

export type CloseResult = ChannelView & { txid?: string; pendingReason?: string };

const U64_MAX = (1n << 64n) - 1n;

/** A u64 (state sequence numbers) as a decimal string. */
function u64Field(o: Record<string, unknown>, key: string, what = key): bigint {
  const v = o[key];
  if (typeof v !== 'string' || !/^\d{1,20}$/.test(v) || BigInt(v) > U64_MAX) {
    throw new InputError(`${what}: expected a decimal string of a 64-bit unsigned integer`);
  }
  return BigInt(v);
}


/** A finite, non-negative JSON number that need not be whole (a rate per millisecond). */
function nonNegativeNumber(o: Record<string, unknown>, key: string, what = key): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InputError(`${what}: expected a non-negative number`);
  return v;
}

export const nodeInfoCodec: Codec<NodeInfo> = {
  encode: (i) => ({
    nodeId: i.nodeId,
    alias: i.alias,
    peerUrl: i.peerUrl,
    ledgerUrl: i.ledgerUrl,
    chainId: i.chainId,
    height: i.height,
    channels: { ...i.channels },
    peers: { ...i.peers },
    ...(i.ledger ? { ledger: { ...i.ledger } } : {}),
  }),
  decode(v, what = 'info') {
    const o = asObject(v, what);
    const ch = asObject(o['channels'], `${what}.channels`);
    const pe = asObject(o['peers'], `${what}.peers`);
    return {
      nodeId: str(o, 'nodeId'),
      alias: str(o, 'alias'),
      peerUrl: str(o, 'peerUrl'),
      ledgerUrl: str(o, 'ledgerUrl'),
      chainId: str(o, 'chainId'),
      height: uintField(o, 'height'),
      channels: {
        opening: uintField(ch, 'opening'),
        open: uintField(ch, 'open'),
        closing: uintField(ch, 'closing'),
        closed: uintField(ch, 'closed'),
        ...(has(ch, 'failed') ? { failed: uintField(ch, 'failed') } : {}),
      },
      peers: { connected: uintField(pe, 'connected'), known: uintField(pe, 'known') },
      ...(has(o, 'ledger') ? { ledger: ledgerReachability(o['ledger'], `${what}.ledger`) } : {}),
    };
  },
};

function ledgerReachability(v: unknown, what: string): NonNullable<NodeInfo['ledger']> {
  const o = asObject(v, what);
  const r: NonNullable<NodeInfo['ledger']> = { reachable: boolField(o, 'reachable') };
  if (has(o, 'lastSeenAt')) r.lastSeenAt = uintField(o, 'lastSeenAt');
  if (has(o, 'unreachableSince')) r.unreachableSince = uintField(o, 'unreachableSince');
  return r;
}

const STATUSES: readonly ChannelStatus[] = ['opening', 'open', 'closing', 'closed', 'failed'];

export const channelViewCodec: Codec<ChannelView> = {
  encode(c) {
    const out: JsonObject = {
      channelId: c.channelId,
      peerId: c.peerId,
      side: c.side,
      status: c.status,
      capacity: c.capacity.toString(),
      localBalance: c.localBalance.toString(),
      remoteBalance: c.remoteBalance.toString(),
      seq: c.seq.toString(),
      pendingUpdates: c.pendingUpdates,
    };
    if (c.settleHeight !== undefined) out['settleHeight'] = c.settleHeight;
    if (c.payout) out['payout'] = { local: c.payout.local.toString(), remote: c.payout.remote.toString() };
    if (c.reserve !== undefined) out['reserve'] = c.reserve.toString();
    if (c.localSpendable !== undefined) out['localSpendable'] = c.localSpendable.toString();
    if (c.remoteSpendable !== undefined) out['remoteSpendable'] = c.remoteSpendable.toString();
    if (c.failure !== undefined) out['failure'] = c.failure;
    if (c.private) out['private'] = true;
    return out;
  },
  decode(v, what = 'channel') {
    const o = asObject(v, what);
    const c: ChannelView = {
      channelId: str(o, 'channelId'),
      peerId: str(o, 'peerId'),
      side: oneOf(o, 'side', ['A', 'B'] as const),
      status: oneOf(o, 'status', STATUSES),
      capacity: msatField(o, 'capacity'),
      localBalance: msatField(o, 'localBalance'),
      remoteBalance: msatField(o, 'remoteBalance'),
      seq: u64Field(o, 'seq'),
      pendingUpdates: uintField(o, 'pendingUpdates'),
    };
    if (has(o, 'settleHeight')) c.settleHeight = uintField(o, 'settleHeight');
    if (has(o, 'payout')) {
      const p = asObject(o['payout'], `${what}.payout`);
      c.payout = { local: msatField(p, 'local', 'payout.local'), remote: msatField(p, 'remote', 'payout.remote') };
    }
    if (has(o, 'reserve')) c.reserve = msatField(o, 'reserve');
    if (has(o, 'localSpendable')) c.localSpendable = msatField(o, 'localSpendable');
    if (has(o, 'remoteSpendable')) c.remoteSpendable = msatField(o, 'remoteSpendable');
    if (has(o, 'failure')) c.failure = str(o, 'failure');
    if (has(o, 'private')) c.private = boolField(o, 'private');
    return c;
  },
};

export const closeResultCodec: Codec<CloseResult> = {
  encode(c) {
    const out = channelViewCodec.encode(c) as JsonObject;
    if (c.txid !== undefined) out['txid'] = c.txid;
    if (c.pendingReason !== undefined) out['pendingReason'] = c.pendingReason;
    return out;
  },
  decode(v, what = 'channel') {
    const c: CloseResult = channelViewCodec.decode(v, what);
    const o = asObject(v, what);
    if (has(o, 'txid')) c.txid = str(o, 'txid');
    if (has(o, 'pendingReason')) c.pendingReason = str(o, 'pendingReason');
    return c;
  },
};

export const peerViewCodec: Codec<PeerView> = {
  encode(p) {
    const out: JsonObject = { nodeId: p.nodeId, connected: p.connected, channels: p.channels };
    if (p.address !== undefined) out['address'] = p.address;
    return out;
  },
  decode(v, what = 'peer') {
    const o = asObject(v, what);
    const p: PeerView = { nodeId: str(o, 'nodeId'), connected: boolField(o, 'connected'), channels: uintField(o, 'channels') };
    if (has(o, 'address')) p.address = str(o, 'address');
    return p;
  },
};

export const walletViewCodec: Codec<WalletView> = {
  encode: (w) => ({ address: w.address, balance: w.balance.toString(), nonce: w.nonce, inChannels: w.inChannels.toString() }),
  decode(v, what = 'wallet') {
    const o = asObject(v, what);
    return { address: str(o, 'address'), balance: msatField(o, 'balance'), nonce: uintField(o, 'nonce'), inChannels: msatField(o, 'inChannels') };
  },
};

export const faucetResultCodec: Codec<FaucetResult> = {
  encode: (r) => ({ txid: r.txid, balance: r.balance.toString() }),
  decode(v, what = 'faucet') {
    const o = asObject(v, what);
    return { txid: str(o, 'txid'), balance: msatField(o, 'balance') };
  },
};

export const sendResultCodec: Codec<SendResult> = {
  encode: (r) => ({ txid: r.txid, height: r.height, to: r.to, amount: r.amount.toString(), fee: r.fee.toString(), balance: r.balance.toString() }),
  decode(v, what = 'send') {
    const o = asObject(v, what);
    return { txid: str(o, 'txid'), height: uintField(o, 'height'), to: str(o, 'to'), amount: msatField(o, 'amount'), fee: msatField(o, 'fee'), balance: msatField(o, 'balance') };
  },
};

export const paymentResultCodec: Codec<PaymentResult> = {
  encode: (p) => ({
    paymentId: p.paymentId,
    channelId: p.channelId,
    peerId: p.peerId,
    amount: p.amount.toString(),
    seq: p.seq.toString(),
  }),
  decode(v, what = 'payment') {
    const o = asObject(v, what);
    return {
      paymentId: str(o, 'paymentId'),
      channelId: str(o, 'channelId'),
      peerId: str(o, 'peerId'),
      amount: msatField(o, 'amount'),
      seq: u64Field(o, 'seq'),
    };
  },
};

export const STREAM_STATUSES: readonly StreamStatus[] = ['opening', 'active', 'paused', 'stopped', 'finished', 'rejected'];
/** Statuses a stream never leaves. */
export const FINAL_STREAM_STATUSES: readonly StreamStatus[] = ['stopped', 'finished', 'rejected'];
export const STREAM_EVENT_KINDS: readonly StreamEventKind[] = ['opened', 'tick', 'late', 'onTime', 'paused', 'resumed', 'stopped', 'finished'];

export const streamViewCodec: Codec<StreamView> = {
  encode(s) {
    const out: JsonObject = {
      streamId: s.streamId,
      peerId: s.peerId,
      channelId: s.channelId,
      role: s.role,
      mode: s.mode,
      status: s.status,
      rate: s.rate,
      rateAmount: s.rateAmount.toString(),
      ratePerMs: s.ratePerMs,
      tickMs: s.tickMs,
    };
    if (s.max !== undefined) out['max'] = s.max.toString();
    if (s.durationMs !== undefined) out['durationMs'] = s.durationMs;
    out['ticks'] = s.ticks;
    out['paid'] = s.paid.toString();
    out['startedAt'] = s.startedAt;
    if (s.remaining !== undefined) out['remaining'] = s.remaining.toString();
    if (s.late !== undefined) out['late'] = s.late;
    if (s.lastTickAt !== undefined) out['lastTickAt'] = s.lastTickAt;
    if (s.reason !== undefined) out['reason'] = s.reason;
    if (s.route !== undefined) out['route'] = [...s.route];
    if (s.feesPaid !== undefined) out['feesPaid'] = s.feesPaid.toString();
    if (s.batchMs !== undefined) out['batchMs'] = s.batchMs;
    return out;
  },
  decode(v, what = 'stream') {
    const o = asObject(v, what);
    const s: StreamView = {
      streamId: str(o, 'streamId'),
      peerId: str(o, 'peerId'),
      channelId: str(o, 'channelId'),
      role: oneOf(o, 'role', ['payer', 'payee'] as const),
      mode: oneOf(o, 'mode', ['signed', 'hashchain'] as const),
      status: oneOf(o, 'status', STREAM_STATUSES),
      rate: str(o, 'rate'),
      rateAmount: msatField(o, 'rateAmount'),
      ratePerMs: nonNegativeNumber(o, 'ratePerMs'),
      tickMs: uintField(o, 'tickMs'),
      ticks: uintField(o, 'ticks'),
      paid: msatField(o, 'paid'),
      startedAt: uintField(o, 'startedAt'),
    };
    if (has(o, 'max')) s.max = msatField(o, 'max');
    if (has(o, 'durationMs')) s.durationMs = uintField(o, 'durationMs');
    if (has(o, 'remaining')) s.remaining = msatField(o, 'remaining');
    if (has(o, 'late')) s.late = boolField(o, 'late');
    if (has(o, 'lastTickAt')) s.lastTickAt = uintField(o, 'lastTickAt');
    if (has(o, 'reason')) s.reason = str(o, 'reason');
    if (has(o, 'route')) {
      const route = o['route'];
      if (!Array.isArray(route) || route.some((h) => typeof h !== 'string')) throw new InputError(`${what}.route: expected a list of node ids`);
      s.route = route as string[];
    }
    if (has(o, 'feesPaid')) s.feesPaid = msatField(o, 'feesPaid');
    if (has(o, 'batchMs')) s.batchMs = uintField(o, 'batchMs');
    return s;
  },
};

export function listCodec<T>(item: Codec<T>, what: string): Codec<T[]> {
  return {
    encode: (items) => items.map((i) => item.encode(i)),
    decode(v) {
      if (!Array.isArray(v)) throw new InputError(`${what}: expected an array`);
      return v.map((i, n) => item.decode(i, `${what}[${n}]`));
    },
  };
}

export const NODE_EVENT_TYPES: readonly NodeEvent['type'][] = ['stream', 'peer', 'channel', 'payment', 'ledger', 'invoice', 'routedPayment', 'forward'];

/**
 * Whether this client knows the event well enough to decode it: its type, and for a stream event its
 * kind. What a newer node adds is skipped by a client rather than failing its feed.
 */
export function isKnownEvent(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  if (!(NODE_EVENT_TYPES as readonly unknown[]).includes(o['type'])) return false;
  return o['type'] !== 'stream' || (STREAM_EVENT_KINDS as readonly unknown[]).includes(o['event']);
}

export const nodeEventCodec: Codec<NodeEvent> = {
  encode(e): Json {
    switch (e.type) {
      case 'stream':
        return { type: e.type, event: e.event, stream: streamViewCodec.encode(e.stream) };
      case 'peer':
        return { type: e.type, nodeId: e.nodeId, connected: e.connected };
      case 'channel':
        return { type: e.type, channel: channelViewCodec.encode(e.channel) };
      case 'payment':
        return {
          type: e.type,
          direction: e.direction,
          channelId: e.channelId,
          peerId: e.peerId,
          amount: e.amount.toString(),
          seq: e.seq.toString(),
        };
      case 'ledger':
        return { type: e.type, height: e.height };
      case 'invoice':
        return { type: e.type, event: e.event, invoice: rc.invoiceViewCodec.encode(e.invoice) };
      case 'routedPayment':
        return { type: e.type, event: e.event, payment: rc.routedPaymentCodec.encode(e.payment) };
      case 'forward':
        return { type: e.type, event: e.event, forward: rc.forwardViewCodec.encode(e.forward) };
      default:
        return assertNever(e, 'node event');
    }
  },
  decode(v, what = 'event') {
    const o = asObject(v, what);
    const type = oneOf(o, 'type', NODE_EVENT_TYPES, `${what}.type`);
    switch (type) {
      case 'stream':
        return { type, event: oneOf(o, 'event', STREAM_EVENT_KINDS, `${what}.event`), stream: streamViewCodec.decode(o['stream'], `${what}.stream`) };
      case 'peer':
        return { type, nodeId: str(o, 'nodeId'), connected: boolField(o, 'connected') };
      case 'channel':
        return { type, channel: channelViewCodec.decode(o['channel'], `${what}.channel`) };
      case 'payment':
        return {
          type,
          direction: oneOf(o, 'direction', ['sent', 'received'] as const),
          channelId: str(o, 'channelId'),
          peerId: str(o, 'peerId'),
          amount: msatField(o, 'amount'),
          seq: u64Field(o, 'seq'),
        };
      case 'ledger':
        return { type, height: uintField(o, 'height') };
      case 'invoice':
        return { type, event: oneOf(o, 'event', ['paid'] as const), invoice: rc.invoiceViewCodec.decode(o['invoice'], `${what}.invoice`) };
      case 'routedPayment':
        return { type, event: oneOf(o, 'event', ['succeeded', 'failed'] as const), payment: rc.routedPaymentCodec.decode(o['payment'], `${what}.payment`) };
      case 'forward':
        return { type, event: oneOf(o, 'event', ['settled', 'failed'] as const), forward: rc.forwardViewCodec.decode(o['forward'], `${what}.forward`) };
      default:
        return assertNever(type, 'node event type');
    }
  },
};
