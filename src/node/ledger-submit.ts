// Submitting a channel's ledger transactions: retried while the ledger is away, refusals that only mean
// "already done" dropped, and any other refusal handed back to the channel (a submitFailed event).
import type { Channel, ChannelEvent, LedgerTxKind } from '../channel/machine.js';
import type { SignedState } from '../channel/state.js';
import { LedgerRpcError, LedgerUnavailableError } from '../ledger/client.js';
import type { Logger } from '../util/log.js';
import type { Wallet } from './wallet.js';

export interface SubmitDeps {
  wallet: Pick<Wallet, 'channelTx'>;
  log: Logger;
  dispatch(id: string, ev: ChannelEvent): Promise<unknown>;
}

const RETRIES = 10;

export async function submitChannelTx(d: SubmitDeps, id: string, ch: Channel, kind: LedgerTxKind, state: SignedState | undefined, attempt = 0): Promise<void> {
  try {
    const txid = await d.wallet.channelTx(kind, ch.channelId, { state, peer: ch.remoteNodeId, capacity: ch.capacity });
    d.log.info({ channel: id.slice(0, 16), tx: kind, txid }, 'submitted to the ledger');
  } catch (e) {
    if (e instanceof LedgerUnavailableError && attempt < RETRIES) {
      // The ledger is away: try again (a resubmission the ledger already has is refused harmlessly).
      setTimeout(() => void submitChannelTx(d, id, ch, kind, state, attempt + 1), 1000 * (attempt + 1)).unref();
      return;
    }
    const reason = e instanceof LedgerRpcError ? `${e.reason ?? e.code}: ${e.message}` : (e as Error).message;
    const benign = e instanceof LedgerRpcError && ((kind === 'close' && e.reason === 'WRONG_STATUS') || (kind === 'open' && e.reason === 'CHANNEL_EXISTS'));
    if (benign) return;
    d.log.warn({ channel: id.slice(0, 16), tx: kind, reason }, 'ledger refused a channel transaction');
    await d.dispatch(id, { type: 'submitFailed', tx: kind, reason });
  }
}
