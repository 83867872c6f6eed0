// The human-readable part of a BOLT 11 invoice: `ln` + currency prefix + optional amount. The amount
// is in bitcoin with a multiplier letter (m, u, n, p); sluice works in msat, so 1 BTC = 10^11 msat
// and a `p` amount must end in 0 (a tenth of a msat cannot be paid).

import { InputError } from '../crypto/bytes.js';

export type Network = 'bitcoin' | 'testnet' | 'signet' | 'regtest' | 'simnet';

/** The BIP 173 currency prefixes; `sb` (simnet) is sluice's own, as LND's simnet uses it. */
export const CURRENCY_PREFIX: Readonly<Record<Network, string>> = {
  bitcoin: 'bc',
  testnet: 'tb',
  signet: 'tbs',
  regtest: 'bcrt',
  simnet: 'sb',
};

const NETWORK_OF: ReadonlyMap<string, Network> = new Map(
  (Object.entries(CURRENCY_PREFIX) as [Network, string][]).map(([n, p]) => [p, n]),
);

/** msat per unit of amount, by multiplier; `p` is handled apart (a tenth of a msat). */
const MSAT_PER: ReadonlyMap<string, bigint> = new Map([
  ['', 100_000_000_000n],
  ['m', 100_000_000n],
  ['u', 100_000n],
  ['n', 100n],
]);

/** No more than the 21 million bitcoin that can exist. */
export const MAX_INVOICE_AMOUNT_MSAT = 21_000_000n * 100_000_000_000n;

export type HrpResult =
  | { readonly ok: true; readonly network: Network; readonly amountMsat: bigint | undefined }
  | { readonly ok: false; readonly error: 'bad_prefix' | 'unknown_currency' | 'bad_amount'; readonly message: string };

export function parseHrp(hrp: string): HrpResult {
  if (!hrp.startsWith('ln')) return { ok: false, error: 'bad_prefix', message: `"${hrp}" does not start with "ln"` };
  const m = /^ln([a-z]+)(.*)$/.exec(hrp);
  const network = m ? NETWORK_OF.get(m[1]!) : undefined;
  if (!m || network === undefined) return { ok: false, error: 'unknown_currency', message: `unknown currency in "${hrp}"` };
  const amount = m[2]!;
  if (amount === '') return { ok: true, network, amountMsat: undefined };
  const a = /^([1-9][0-9]{0,20})([munp]?)$/.exec(amount);
  if (!a) return { ok: false, error: 'bad_amount', message: `"${amount}" is not an amount with a known multiplier` };
  const digits = BigInt(a[1]!);
  let msat: bigint;
  if (a[2] === 'p') {
    if (digits % 10n !== 0n) return { ok: false, error: 'bad_amount', message: `${amount} is not a whole number of msat` };
    msat = digits / 10n;
  } else {
    msat = digits * MSAT_PER.get(a[2]!)!;
  }
  if (msat > MAX_INVOICE_AMOUNT_MSAT) return { ok: false, error: 'bad_amount', message: `${amount} is more bitcoin than exists` };
  return { ok: true, network, amountMsat: msat };
}

/** The hrp for a network and an optional amount, using the largest multiplier that is exact. */
export function formatHrp(network: Network, amountMsat?: bigint): string {
  const prefix = `ln${CURRENCY_PREFIX[network]}`;
  if (amountMsat === undefined) return prefix;
  if (amountMsat <= 0n || amountMsat > MAX_INVOICE_AMOUNT_MSAT) {
    throw new InputError(`invoice amount must be 1..${MAX_INVOICE_AMOUNT_MSAT} msat, got ${amountMsat}`);
  }
  for (const [letter, per] of MSAT_PER) {
    if (amountMsat % per === 0n) return `${prefix}${amountMsat / per}${letter}`;
  }
  return `${prefix}${amountMsat * 10n}p`;
}
