// Human-readable lines for the node commands: short, one thing per line, full ids (people copy
// them into the next command), amounts in sat with msat precision when there is any.
import type { ChannelView, NodeEvent, NodeInfo, PaymentResult, PeerView, WalletView } from '../api/types.js';
import { formatMsat, formatMsatFull } from '../money.js';
import { assertNever } from '../wire/assert-never.js';

export function infoLines(i: NodeInfo): string {
  const ch = i.channels;
  return [
    `node:     ${i.nodeId}${i.alias ? ` (${i.alias})` : ''}`,
    `peers at: ${i.peerUrl}`,
    `ledger:   ${i.ledgerUrl} (chain ${i.chainId}, height ${i.height})`,
    `channels: ${ch.open} open, ${ch.opening} opening, ${ch.closing} closing, ${ch.closed} closed`,
    `peers:    ${i.peers.connected} connected, ${i.peers.known} known`,
  ].join('\n');
}

export function walletLines(w: WalletView): string {
  return [
    `on ledger:   ${formatMsatFull(w.balance)}`,
    `in channels: ${formatMsatFull(w.inChannels)}`,
    `account:     ${w.address} (nonce ${w.nonce})`,
  ].join('\n');
}

export function peerLine(p: PeerView): string {
  const state = p.connected ? 'connected   ' : 'disconnected';
  const chans = `${p.channels} channel${p.channels === 1 ? '' : 's'}`;
  return `${p.nodeId}  ${state}  ${chans}${p.address ? `  ${p.address}` : ''}`;
}

export function channelLine(c: ChannelView): string {
  const parts = [
    c.channelId,
    c.status.padEnd(7),
    `local ${formatMsat(c.localBalance)}`,
    `remote ${formatMsat(c.remoteBalance)}`,
    `capacity ${formatMsat(c.capacity)}`,
    `seq ${c.seq}`,
  ];
  if (c.pendingUpdates > 0) parts.push(`${c.pendingUpdates} pending`);
  if (c.settleHeight !== undefined && c.status === 'closing') parts.push(`settles after height ${c.settleHeight}`);
  if (c.payout) parts.push(`paid out ${formatMsat(c.payout.local)} / ${formatMsat(c.payout.remote)}`);
  parts.push(`peer ${c.peerId}`);
  return parts.join('  ');
}

export function paymentLine(p: PaymentResult): string {
  return `paid ${formatMsat(p.amount)} to ${p.peerId} (channel ${p.channelId}, state ${p.seq})`;
}

export function eventLine(e: NodeEvent): string {
  switch (e.type) {
    case 'peer':
      return `peer ${e.nodeId} ${e.connected ? 'connected' : 'disconnected'}`;
    case 'channel':
      return `channel ${channelLine(e.channel)}`;
    case 'payment':
      return e.direction === 'sent'
        ? `payment sent ${formatMsat(e.amount)} to ${e.peerId} (channel ${e.channelId}, state ${e.seq})`
        : `payment received ${formatMsat(e.amount)} from ${e.peerId} (channel ${e.channelId}, state ${e.seq})`;
    case 'ledger':
      return `ledger height ${e.height}`;
    default:
      return assertNever(e, 'node event');
  }
}
