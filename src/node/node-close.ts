// Closing a channel on the user's request (cooperatively, or on the ledger with --force), and how the
// node turns a store failure or a refusal into the error the API answers with.
import { toHex } from '../crypto/bytes.js';
import type { Channel, ChannelStatus as MachineStatus } from '../channel/machine.js';
import type { LedgerClient } from '../ledger/client.js';
import type { ChannelView } from '../api/types.js';
import { ChannelRefused, type ChannelManager } from './channels.js';
import { channelView, ledgerDown, viewStatus } from './node-views.js';
import type { PeerManager } from './peers.js';
import { StoreWriteError } from './store-port.js';
import { NodeError } from './errors.js';

/** How long a cooperative close waits for open locks to resolve before it is refused. */
const LOCKS_WAIT_MS = 15_000;
const CLOSE_TIMEOUT_MS = 60_000;

/** A store failure as a node error (the node's disk, not the request: try again); anything else goes on up. */
export function storeFailed(e: unknown): never {
  throw e instanceof StoreWriteError ? new NodeError('unavailable', 'STORE_FAILED', `nothing was done: ${e.message}`) : e;
}
export const checkStored = (failure: StoreWriteError | ChannelRefused | undefined): void => {
  if (failure instanceof ChannelRefused) throw new NodeError('conflict', 'REFUSED_BY_CHANNEL', failure.message);
  if (failure) storeFailed(failure);
};

export interface CloseDeps {
  channels: ChannelManager;
  peers: Pick<PeerManager, 'isConnected'>;
  ledger: LedgerClient;
  height: number;
  waitForStatus(id: string, want: MachineStatus[], timeoutMs: number): Promise<Channel>;
}

export async function closeChannel(d: CloseDeps, ch: Channel, force: boolean): Promise<ChannelView & { txid?: string; pendingReason?: string }> {
  const id = toHex(ch.channelId);
  if (force) {
    if (ch.status === 'closed' || ch.status === 'forceClosing') throw new NodeError('conflict', 'WRONG_STATUS', `channel is already ${ch.status}`);
    const down = ledgerDown(d.ledger);
    checkStored(await d.channels.command(id, { type: 'forceClose' }));
    const view: ChannelView & { pendingReason?: string } = channelView(d.channels.channels.get(id)!);
    if (down) return { ...view, pendingReason: `${down.message.replace(/; is .*$/, '')}: the close is submitted (with retries) once it is back` };
    // Until the ledger records the close, the settle height is what the dispute window gives from the next block.
    if (view.settleHeight === undefined) {
      const info = await d.ledger.info().catch(() => undefined);
      if (info) view.settleHeight = Math.max(info.height, d.height) + 1 + info.disputeBlocks;
    }
    return view;
  }
  if (ch.status !== 'open') throw new NodeError('conflict', 'WRONG_STATUS', `channel is ${viewStatus(ch.status)}; a cooperative close needs it open`);
  if (!d.peers.isConnected(toHex(ch.remoteNodeId))) throw new NodeError('conflict', 'PEER_NOT_CONNECTED', 'the peer is offline; use --force to close unilaterally');
  // A cooperative close needs no lock open (a stream's hash-chain budget, say, claimed and released by
  // the payee right after the stream ends): wait a little for them to resolve, else refuse at once
  // rather than let the state machine drop the close and the caller time out.
  const locked = (c: Channel | undefined) => !!c && (c.signed.state.locks.length > 0 || !!c.proposal?.state.locks.length || !!c.countersigned?.state.locks.length);
  for (const until = Date.now() + LOCKS_WAIT_MS; locked(d.channels.channels.get(id)) && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
  if (locked(d.channels.channels.get(id))) throw new NodeError('conflict', 'LOCKS_OPEN', 'the channel still has locked amounts (a hash-chain stream budget not yet claimed and released); close again once they resolve, or use --force');
  const down = ledgerDown(d.ledger);
  checkStored(await d.channels.command(id, { type: 'closeCooperatively' }));
  if (down) {
    // Agreed with the peer, but only the ledger pays out: say so now rather than time out.
    const now = await d.waitForStatus(id, ['closing', 'closed'], 10_000).catch(() => d.channels.channels.get(id)!);
    return { ...channelView(now), pendingReason: `${down.message.replace(/; is .*$/, '')}: the close is submitted (with retries) once it is back` };
  }
  const done = await d.waitForStatus(id, ['closed'], CLOSE_TIMEOUT_MS);
  return channelView(done);
}
