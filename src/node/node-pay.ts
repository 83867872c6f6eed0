// A direct payment to a channel peer: one `pay` op in the next channel update, answered once a
// both-signed state carries it (or refused at once with why). No HTLC and no route: the payee's node
// need not agree to it, as with a push of funds.
import { toHex } from '../crypto/bytes.js';
import type { NodeEvent, PaymentResult } from '../api/types.js';
import type { ChannelManager } from './channels.js';
import { NodeError } from './errors.js';
import type { PeerManager } from './peers.js';
import { StoreWriteError } from './store-port.js';

const PAY_TIMEOUT_MS = 60_000;

export async function payPeer(
  o: { peers: Pick<PeerManager, 'isConnected'>; channels: Pick<ChannelManager, 'payable' | 'submitOps'>; emit(e: NodeEvent): void },
  opts: { peerId: string; amount: bigint },
): Promise<PaymentResult> {
  const peerId = opts.peerId.toLowerCase();
  if (opts.amount <= 0n) throw new NodeError('invalid', 'BAD_AMOUNT', 'amount must be positive');
  if (!o.peers.isConnected(peerId)) throw new NodeError('conflict', 'PEER_NOT_CONNECTED', `not connected to ${peerId}; run \`sluice peer connect\` first`);
  const ch = o.channels.payable(peerId, opts.amount);
  if (!ch) throw new NodeError('conflict', 'NO_ROUTE', `no open channel with ${peerId} can send ${opts.amount} msat (reserve included)`);
  const id = toHex(ch.channelId);
  const { ref, settled } = o.channels.submitOps(id, [{ op: 'pay', amount: opts.amount }]);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NodeError('unavailable', 'PENDING', `payment ${ref} not acknowledged within ${PAY_TIMEOUT_MS / 1000} s; it may still complete`)), PAY_TIMEOUT_MS);
  });
  try {
    const s = await Promise.race([settled, timeout]);
    o.emit({ type: 'payment', direction: 'sent', channelId: id, peerId, amount: opts.amount, seq: s.seq });
    return { paymentId: ref, channelId: id, peerId, amount: opts.amount, seq: s.seq };
  } catch (e) {
    if (e instanceof NodeError) throw e;
    if (e instanceof StoreWriteError) throw new NodeError('unavailable', 'STORE_FAILED', `the payment was not made: ${e.message}`);
    throw new NodeError('refused', 'PAYMENT_REJECTED', (e as Error).message);
  } finally {
    clearTimeout(timer);
  }
}
