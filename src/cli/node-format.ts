// Human-readable lines for the node commands: short, one thing per line, full ids (people copy
// them into the next command), amounts in sat with msat precision when there is any.
import type { ChannelView, NodeEvent, NodeInfo, PaymentResult, PeerView, StreamEventKind, StreamView, WalletView } from '../api/types.js';
import { formatMsat, formatMsatFull } from '../money.js';
import { assertNever } from '../wire/assert-never.js';

/** NODEID@HOST:PORT, as `sluice peer connect` takes it, when the node listens on a WebSocket URL. */
function connectTarget(i: NodeInfo): string {
  const m = /^wss?:\/\/([^/]+)/.exec(i.peerUrl);
  return m ? `${i.nodeId}@${m[1]}` : i.peerUrl;
}

/** A past moment as HH:MM:SS UTC and how long ago. */
function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return `${new Date(ms).toISOString().slice(11, 19)} UTC, ${s < 120 ? `${s} s` : `${Math.round(s / 60)} min`} ago`;
}

function ledgerState(i: NodeInfo): string {
  const l = i.ledger;
  if (!l) return `height ${i.height}`;
  if (l.reachable) return `reachable, height ${i.height}`;
  const since = l.unreachableSince !== undefined ? ` since ${ago(l.unreachableSince)}` : '';
  const seen = l.lastSeenAt !== undefined ? `; last seen ${ago(l.lastSeenAt)} at height ${i.height}` : '';
  return `UNREACHABLE${since}${seen}`;
}

export function infoLines(i: NodeInfo): string {
  const ch = i.channels;
  return [
    `node:     ${i.nodeId}${i.alias ? ` (${i.alias})` : ''}`,
    `peers at: ${connectTarget(i)}`,
    `ledger:   ${i.ledgerUrl} (chain ${i.chainId}): ${ledgerState(i)}`,
    `channels: ${ch.open} open, ${ch.opening} opening, ${ch.closing} closing, ${ch.closed} closed${ch.failed ? `, ${ch.failed} failed` : ''}`,
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
    `local ${formatMsat(c.localBalance)}${c.localSpendable !== undefined ? ` (can send ${formatMsat(c.localSpendable)})` : ''}`,
    `remote ${formatMsat(c.remoteBalance)}${c.remoteSpendable !== undefined ? ` (can send ${formatMsat(c.remoteSpendable)})` : ''}`,
    `capacity ${formatMsat(c.capacity)}`,
  ];
  if (c.reserve !== undefined) parts.push(`reserve ${formatMsat(c.reserve)}`);
  parts.push(`seq ${c.seq}`);
  if (c.pendingUpdates > 0) parts.push(`${c.pendingUpdates} pending`);
  if (c.settleHeight !== undefined && c.status === 'closing') parts.push(`settles after height ${c.settleHeight}`);
  if (c.payout) parts.push(`paid out ${formatMsat(c.payout.local)} / ${formatMsat(c.payout.remote)}`);
  if (c.failure !== undefined) parts.push(`(${safeText(amountsInUnit(c.failure, 'sat'))})`);
  parts.push(`peer ${c.peerId}`);
  return parts.join('  ');
}

/** One channel in full, for `sluice channel info`. */
export function channelLines(c: ChannelView): string {
  const lines = [
    `channel:   ${c.channelId}`,
    `status:    ${c.status}${c.failure !== undefined ? ` (${safeText(amountsInUnit(c.failure, 'sat'))})` : ''}`,
    `peer:      ${c.peerId} (${c.side === 'A' ? 'this node opened it' : 'the peer opened it'})`,
    `capacity:  ${formatMsatFull(c.capacity)}`,
    `local:     ${formatMsatFull(c.localBalance)}`,
    `remote:    ${formatMsatFull(c.remoteBalance)}`,
  ];
  if (c.reserve !== undefined) lines.push(`reserve:   ${formatMsatFull(c.reserve)} each side (kept once reached)`);
  if (c.localSpendable !== undefined) {
    const peer = c.remoteSpendable !== undefined ? `; the peer can send ${formatMsatFull(c.remoteSpendable)}` : '';
    lines.push(`can send:  ${formatMsatFull(c.localSpendable)}${peer}`);
  }
  lines.push(`state:     ${c.seq} (latest both signed)${c.pendingUpdates > 0 ? `, ${c.pendingUpdates} update(s) in flight` : ''}`);
  if (c.settleHeight !== undefined) lines.push(`settles:   after height ${c.settleHeight}`);
  if (c.payout) lines.push(`paid out:  local ${formatMsatFull(c.payout.local)}, remote ${formatMsatFull(c.payout.remote)}`);
  return lines.join('\n');
}

export type AmountUnit = 'msat' | 'sat' | 'btc';

/** The unit a person typed an amount in (a bare number is sat). */
export function unitOf(typed: string): AmountUnit {
  const t = typed.trim().toLowerCase();
  return t.endsWith('msat') ? 'msat' : t.endsWith('btc') ? 'btc' : 'sat';
}

/** An msat amount in a unit, exactly (decimals as needed). */
export function formatIn(unit: AmountUnit, msat: bigint): string {
  if (unit === 'msat') return `${msat} msat`;
  if (unit === 'sat') return formatMsat(msat);
  const per = 100_000_000_000n;
  const frac = (msat % per).toString().padStart(11, '0').replace(/0+$/, '');
  return `${msat / per}${frac ? `.${frac}` : ''} btc`;
}

/** A message from the node that names amounts in msat ("1000 msat"), with those in the unit the user typed. */
export function amountsInUnit(message: string, unit: AmountUnit): string {
  if (unit === 'msat') return message;
  return message.replace(/\b(\d{1,20}) msat\b/g, (_m, digits: string) => formatIn(unit, BigInt(digits)));
}

export function paymentLine(p: PaymentResult): string {
  return `paid ${formatMsat(p.amount)} to ${p.peerId} (channel ${p.channelId}, state ${p.seq})`;
}

/**
 * Text that came from the node or its peer (a stream's rate, the reason it stopped) on one line
 * without control characters, so it cannot move the cursor or recolour the terminal.
 */
export function safeText(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim().slice(0, max);
}

/** A node id cut to what tells peers apart in a table: `02a1b2c3d4e5…`. */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 12)}…` : id;
}

/** Wall-clock time as m:ss, or h:mm:ss past an hour. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** What the cap still allows: an amount, or "no cap". */
export function remainingText(s: StreamView): string {
  return s.remaining !== undefined ? formatMsat(s.remaining) : 'no cap';
}

/** When a stream started, to the second, in UTC: `2026-12-01 07:41:05`. */
export function startedText(s: StreamView): string {
  return new Date(s.startedAt).toISOString().replace('T', ' ').slice(0, 19);
}

/** One stream for `sluice stream list`: id, start, role, peer, mode, status, rate, ticks, paid, remaining. */
export function streamLine(s: StreamView): string {
  const parts = [
    s.streamId,
    `started ${startedText(s)}`,
    s.role.padEnd(5),
    `peer ${shortId(s.peerId)}`,
    s.mode.padEnd(9),
    s.status.padEnd(8),
    safeText(s.rate, 40),
    `ticks ${s.ticks}`,
    `paid ${formatMsat(s.paid)}`,
    `remaining ${remainingText(s)}`,
  ];
  if (s.route !== undefined) parts.push(`route ${s.route.map(shortId).join('>')}`);
  if (s.feesPaid !== undefined) parts.push(`fees ${formatMsat(s.feesPaid)}`);
  if (s.late) parts.push('LATE');
  if (s.reason !== undefined) parts.push(`(${safeText(s.reason)})`);
  return parts.join('  ');
}

const STREAM_EVENT_WORDS: Record<StreamEventKind, string> = {
  opened: 'opened',
  tick: 'tick',
  late: 'late',
  onTime: 'on time again',
  paused: 'paused',
  resumed: 'resumed',
  stopped: 'stopped',
  finished: 'finished',
};

export function streamEventLine(kind: StreamEventKind, s: StreamView): string {
  const dir = s.role === 'payer' ? `to ${s.peerId}` : `from ${s.peerId}`;
  const parts = [
    `stream ${s.streamId} ${STREAM_EVENT_WORDS[kind] ?? safeText(String(kind), 20)}`,
    `${s.role} ${dir}`,
    safeText(s.rate, 40),
    `ticks ${s.ticks}`,
    `paid ${formatMsat(s.paid)}`,
  ];
  if (s.remaining !== undefined) parts.push(`remaining ${formatMsat(s.remaining)}`);
  if (s.reason !== undefined) parts.push(`(${safeText(s.reason)})`);
  return parts.join('  ');
}

export function eventLine(e: NodeEvent): string {
  switch (e.type) {
    case 'stream':
      return streamEventLine(e.event, e.stream);
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
    case 'invoice':
      return `invoice paid: ${formatMsat(e.invoice.received ?? e.invoice.amount ?? 0n)} for ${e.invoice.paymentHash}${e.invoice.description ? ` "${safeText(e.invoice.description, 60)}"` : ''}`;
    case 'routedPayment':
      return e.event === 'succeeded'
        ? `payment succeeded: ${formatMsat(e.payment.amount)} to ${e.payment.payee} over ${e.payment.route.length} hop(s), fee ${formatMsat(e.payment.fee)}`
        : `payment failed: ${formatMsat(e.payment.amount)} to ${e.payment.payee}: ${safeText(e.payment.failure ?? 'no reason given')}`;
    case 'forward':
      return e.event === 'settled'
        ? `forwarded ${formatMsat(e.forward.amountOut ?? e.forward.amountIn)} (fee ${formatMsat(e.forward.fee)}) from channel ${e.forward.incomingChannelId} to ${e.forward.outgoingChannelId ?? '?'}`
        : `forward failed back on channel ${e.forward.incomingChannelId}: ${safeText(e.forward.failure ?? 'no reason given')}`;
    default:
      return assertNever(e, 'node event');
  }
}
