// The API's JSON (amounts as decimal msat strings) read into the views the node's own types describe.
import type { ForwardView, InvoiceView, RouteHopView, RoutedPaymentView } from '../../src/api/routing-types';
import type { ChannelView, NodeEvent, NodeInfo, PeerView, StreamView, WalletView } from '../../src/api/types';

type Obj = Record<string, unknown>;
const big = (v: unknown): bigint => (typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v) : 0n);
const optBig = (v: unknown): bigint | undefined => (v === undefined ? undefined : big(v));

export const toInfo = (o: Obj): NodeInfo => o as unknown as NodeInfo;
export const toPeer = (o: Obj): PeerView => o as unknown as PeerView;
export const toWallet = (o: Obj): WalletView => ({ ...(o as unknown as WalletView), balance: big(o['balance']), inChannels: big(o['inChannels']) });

export function toChannel(o: Obj): ChannelView {
  const payout = o['payout'] as Obj | undefined;
  return {
    ...(o as unknown as ChannelView),
    capacity: big(o['capacity']),
    localBalance: big(o['localBalance']),
    remoteBalance: big(o['remoteBalance']),
    seq: big(o['seq']),
    payout: payout ? { local: big(payout['local']), remote: big(payout['remote']) } : undefined,
  };
}

export function toStream(o: Obj): StreamView {
  return { ...(o as unknown as StreamView), rateAmount: big(o['rateAmount']), paid: big(o['paid']), max: optBig(o['max']), remaining: optBig(o['remaining']) };
}

export const toInvoice = (o: Obj): InvoiceView => ({ ...(o as unknown as InvoiceView), amount: optBig(o['amount']), received: optBig(o['received']) });

const toHop = (o: Obj): RouteHopView => ({ ...(o as unknown as RouteHopView), amount: big(o['amount']), fee: big(o['fee']) });
const hops = (v: unknown): RouteHopView[] => (Array.isArray(v) ? v.map((h) => toHop(h as Obj)) : []);

export function toRoutedPayment(o: Obj): RoutedPaymentView {
  const attempts = Array.isArray(o['attempts']) ? (o['attempts'] as Obj[]).map((a) => ({ ...(a as unknown as RoutedPaymentView['attempts'][number]), route: hops(a['route']) })) : [];
  return { ...(o as unknown as RoutedPaymentView), amount: big(o['amount']), fee: big(o['fee']), route: hops(o['route']), attempts };
}

export const toForward = (o: Obj): ForwardView => ({ ...(o as unknown as ForwardView), amountIn: big(o['amountIn']), amountOut: optBig(o['amountOut']), fee: big(o['fee']) });

export function toEvent(o: Obj): NodeEvent | undefined {
  switch (o['type']) {
    case 'stream':
      return { type: 'stream', event: o['event'] as never, stream: toStream(o['stream'] as Obj) };
    case 'channel':
      return { type: 'channel', channel: toChannel(o['channel'] as Obj) };
    case 'peer':
      return o as unknown as NodeEvent;
    case 'ledger':
      return { type: 'ledger', height: Number(o['height']) };
    case 'payment':
      return { ...(o as unknown as NodeEvent & { type: 'payment' }), amount: big(o['amount']), seq: big(o['seq']) };
    case 'invoice':
      return { type: 'invoice', event: 'paid', invoice: toInvoice(o['invoice'] as Obj) };
    case 'routedPayment':
      return { type: 'routedPayment', event: o['event'] === 'succeeded' ? 'succeeded' : 'failed', payment: toRoutedPayment(o['payment'] as Obj) };
    case 'forward':
      return { type: 'forward', event: o['event'] === 'settled' ? 'settled' : 'failed', forward: toForward(o['forward'] as Obj) };
    default:
      return undefined; // a kind this page does not know yet: ignored
  }
}
