// Conservation check: everything ever minted is in an account, locked in a channel, or paid as fees.
import type { Msat } from '../money.js';
import type { MemoryState } from './view.js';

export interface AuditReport {
  ok: boolean;
  minted: Msat;
  balances: Msat;
  locked: Msat;
  fees: Msat;
  negativeAccounts: number;
}

export function audit(state: MemoryState): AuditReport {
  let balances = 0n;
  let negativeAccounts = 0;
  for (const a of state.accounts.values()) {
    balances += a.balance;
    if (a.balance < 0n) negativeAccounts++;
  }
  let locked = 0n;
  for (const c of state.channels.values()) if (c.status !== 'closed') locked += c.locked;
  const { minted, fees } = state.supply();
  return { ok: negativeAccounts === 0 && minted === balances + locked + fees, minted, balances, locked, fees, negativeAccounts };
}
