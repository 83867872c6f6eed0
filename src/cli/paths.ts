// Default locations: everything under ~/.sluice unless SLUICE_HOME or --data-dir says otherwise.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function sluiceHome(): string {
  return process.env['SLUICE_HOME'] ?? join(homedir(), '.sluice');
}

export const defaultLedgerDir = () => join(sluiceHome(), 'ledger');
export const defaultNodeDir = () => join(sluiceHome(), 'node');
