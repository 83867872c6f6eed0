// What the channel shell does when the state machine refuses a peer's event: log it, and warn, hang up
// on or fail the peer as the refusal's action says.
import { toHex } from '../crypto/bytes.js';
import type { Channel, ChannelError } from '../channel/machine.js';
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
