// The API's JSON (amounts as decimal msat strings) read into the views the node's own types describe.
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
    default:
      return undefined; // a kind this page does not know yet (routing's, say): ignored
  }
}
