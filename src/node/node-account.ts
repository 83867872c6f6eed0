// The node's own ledger account as its API shows it: the balance (and what is locked in open channels),
// faucet funds, and plain on-ledger transfers. Each call needs the ledger, so it is refused at once while
// the ledger is unreachable, and its failures come back as node errors.
import { toHex } from '../crypto/bytes.js';
import { parsePublicKey } from '../crypto/keys.js';
import { localBalance } from '../channel/machine.js';
import type { LedgerClient } from '../ledger/client.js';
import type { SendResult, WalletView } from '../api/types.js';
import type { ChannelManager } from './channels.js';
import { NodeError } from './errors.js';
import { ledgerCall, ledgerDown } from './node-views.js';
import type { Wallet } from './wallet.js';

export interface NodeAccount {
  ledger: LedgerClient;
  /** The node's ledger address (its node id). */
  address: Uint8Array;
  /** Signs and submits the node's transactions. */
  account: Wallet;
  channels: ChannelManager;
}

/** A call that needs the ledger: refused at once while it is unreachable, its failures mapped to API errors. */
export function needLedger<T>(ledger: LedgerClient, fn: () => Promise<T>): Promise<T> {
  const down = ledgerDown(ledger);
  return down ? Promise.reject(down) : ledgerCall(fn);
}

export async function walletView(a: NodeAccount): Promise<WalletView> {
  const acct = await needLedger(a.ledger, () => a.ledger.account(a.address));
  const inChannels = a.channels.list().filter((c) => c.status === 'open').reduce((s, c) => s + localBalance(c), 0n);
  return { address: toHex(a.address), balance: acct.balance, nonce: acct.nonce, inChannels };
}

export function faucet(a: NodeAccount, amount: bigint): Promise<{ txid: string; balance: bigint }> {
  return needLedger(a.ledger, async () => {
    const txid = await a.ledger.faucet(a.address, amount);
    await a.ledger.waitForTx(txid);
    return { txid, balance: (await a.ledger.account(a.address)).balance };
  });
}

export function sendOnLedger(a: NodeAccount, opts: { to: string; amount: bigint }): Promise<SendResult> {
  const to = parsePublicKey(opts.to, 'to');
  if (opts.amount <= 0n) throw new NodeError('invalid', 'BAD_AMOUNT', 'amount must be positive');
  if (toHex(to) === toHex(a.address)) throw new NodeError('invalid', 'BAD_TARGET', 'that is this node\'s own account');
  return needLedger(a.ledger, async () => {
    const [acct, info] = await Promise.all([a.ledger.account(a.address), a.ledger.info()]);
    if (acct.balance < opts.amount + info.fee) {
      throw new NodeError('conflict', 'INSUFFICIENT_FUNDS', `ledger balance ${acct.balance} msat is short of amount + fee (${opts.amount + info.fee} msat)`);
    }
    const txid = await a.account.submit({ kind: 'transfer', to, amount: opts.amount });
    const st = await a.ledger.waitForTx(txid);
    const balance = (await a.ledger.account(a.address)).balance;
    return { txid, height: st.height ?? 0, to: toHex(to), amount: opts.amount, fee: info.fee, balance };
  });
}
