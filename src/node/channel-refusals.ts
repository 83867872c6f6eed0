// What the channel shell does when the state machine refuses a peer's event: log it, and warn, hang up
// on or fail the peer as the refusal's action says.
import { toHex } from '../crypto/bytes.js';
import type { Channel, ChannelError } from '../channel/machine.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import type { ChannelManagerOptions } from './channel-manager-types.js';

/**
 * Answer the peer for a refused event. Returns true when the channel must be failed: a peer that breaks
 * the protocol gets no further updates from us, and the caller closes on the ledger with our latest
 * both-signed state (BOLT 1 `error` for the channel, then hang up).
 */
export function answerRefusal(o: Pick<ChannelManagerOptions, 'peers' | 'log'>, id: string, ch: Channel, error: ChannelError): boolean {
  const { action, message } = error;
  const peer = toHex(ch.remoteNodeId);
  if (action === 'ignore') o.log.debug({ channel: id.slice(0, 16), message }, 'ignored');
  else o.log.warn({ channel: id.slice(0, 16), action, message }, 'channel event refused');
  if (action === 'warn') o.peers.sendError(peer, ch.channelId, message);
  if (action === 'disconnect') {
    o.peers.sendError(peer, ch.channelId, message);
    o.peers.disconnect(peer, message);
  }
  if (action !== 'fail') return false;
  o.peers.sendError(peer, ch.channelId, message, 'error');
  o.peers.disconnect(peer, message);
  return ch.status === 'open' || ch.status === 'opening' || ch.status === 'closing';
}

/**
 * A peer's fulfil of an HTLC we offered, proposed at or past the HTLC's expiry height. The ledger no
 * longer pays such a lock to the peer (a preimage counts only if registered below the expiry), and the
 * switch may already have failed the incoming HTLC back: signing it would pay the peer out of our own
 * balance. An honest sluice node never proposes one (it fails its incoming HTLCs 6 blocks before).
 */
export function lateFulfil(ch: Channel, ops: readonly ChannelOp[], height: number, registeredBefore?: (hash: Uint8Array, expiry: number) => boolean | undefined): ChannelError | undefined {
  for (const op of ops) {
    if (op.op !== 'fulfillHtlc') continue;
    const lock = ch.signed.state.locks.find((l) => l.id === op.id);
    if (lock?.kind !== 'htlc' || lock.from !== ch.local || height < lock.expiryHeight) continue;
    // If the ledger already pays the lock to the peer (its preimage registered in time), taking the
    // fulfil changes nothing but spares the channel; while we cannot tell yet, the peer tries again later.
    const registered = registeredBefore ? registeredBefore(lock.paymentHash, lock.expiryHeight) : false;
    if (registered === true) continue;
    const message = `fulfil of HTLC ${op.id} at height ${height}, at or past its expiry ${lock.expiryHeight}`;
    return registered === undefined ? { action: 'disconnect', message: `${message}: not yet known whether its preimage was registered in time` } : { action: 'fail', message };
  }
  return undefined;
}
