// How the node shows itself through its API: channels as views (status, balances, what each side can
// spend), and ledger failures as the node errors a caller acts on.
import { toHex } from '../crypto/bytes.js';
import type { Channel, ChannelStatus as MachineStatus } from '../channel/machine.js';
import { localBalance, remoteBalance } from '../channel/machine.js';
import { LedgerRpcError, LedgerUnavailableError, type LedgerClient } from '../ledger/client.js';
import type { ChannelStatus, ChannelView, NodeInfo } from '../api/types.js';
import { NodeError } from './errors.js';

export function viewStatus(s: MachineStatus): ChannelStatus {
  switch (s) {
    case 'proposed':
    case 'opening':
      return 'opening';
    case 'open':
      return 'open';
    case 'closing':
    case 'forceClosing':
      return 'closing';
    case 'closed':
      return 'closed';
    case 'failed':
      return 'failed';
  }
}

export function channelView(ch: Channel): ChannelView {
  const v: ChannelView = {
    channelId: toHex(ch.channelId),
    peerId: toHex(ch.remoteNodeId),
    side: ch.local,
    status: viewStatus(ch.status),
    capacity: ch.capacity,
    localBalance: localBalance(ch),
    remoteBalance: remoteBalance(ch),
    seq: ch.signed.state.seq,
    pendingUpdates: (ch.proposal ? 1 : 0) + ch.queue.length,
  };
  if (ch.settleHeight !== undefined && ch.status === 'forceClosing') v.settleHeight = ch.settleHeight;
  if (ch.payout) v.payout = ch.payout;
  // What each side can pay now: its balance above the reserve, and only while the channel is open.
  const reserve = ch.limits.reserve;
  const spendable = (b: bigint) => (ch.status === 'open' && b > reserve ? b - reserve : 0n);
  v.reserve = reserve;
  v.localSpendable = spendable(v.localBalance);
  v.remoteSpendable = spendable(v.remoteBalance);
  if (ch.failure !== undefined) v.failure = ch.failure;
  if (ch.private) v.private = true;
  return v;
}

/** Why a ledger call cannot be made now, when the ledger connection is down (so it fails at once, not after a timeout). */
export function ledgerDown(ledger: LedgerClient): NodeError | undefined {
  if (ledger.reachable) return undefined;
  const since = ledger.unreachableSince;
  const when = since !== undefined ? ` since ${new Date(since).toISOString().slice(11, 19)} UTC` : '';
  return new NodeError('unavailable', 'LEDGER_UNAVAILABLE', `the ledger at ${ledger.url} is unreachable${when}; is \`sluice ledger start\` running?`);
}

/** Ledger failures as API errors: refusals are the caller's to fix (422), an unreachable ledger is 503. */
export async function ledgerCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof LedgerRpcError) throw new NodeError('refused', e.reason ?? 'LEDGER_REFUSED', `ledger: ${e.message}`);
    if (e instanceof LedgerUnavailableError) throw new NodeError('unavailable', 'LEDGER_UNAVAILABLE', e.message);
    throw e;
  }
}

/** `sluice info`: who the node is, where it listens, the ledger as it sees it, and what it holds. */
export function nodeInfo(o: {
  nodeId: string;
  alias: string;
  peerPort: number | undefined;
  ledger: Pick<LedgerClient, 'url' | 'reachable' | 'lastSeenAt' | 'unreachableSince'>;
  chainId: string;
  height: number;
  channels: readonly Channel[];
  peers: readonly { connected: boolean }[];
}): NodeInfo {
  const counts = { opening: 0, open: 0, closing: 0, closed: 0, failed: 0 };
  for (const ch of o.channels) counts[viewStatus(ch.status)]++;
  return {
    nodeId: o.nodeId,
    alias: o.alias,
    peerUrl: o.peerPort !== undefined ? `ws://127.0.0.1:${o.peerPort}` : '(in-memory)',
    ledgerUrl: o.ledger.url,
    chainId: o.chainId,
    height: o.height,
    ledger: { reachable: o.ledger.reachable, lastSeenAt: o.ledger.lastSeenAt, unreachableSince: o.ledger.unreachableSince },
    channels: counts,
    peers: { connected: o.peers.filter((p) => p.connected).length, known: o.peers.length },
  };
}
