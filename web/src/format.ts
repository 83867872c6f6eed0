// Display helpers: amounts through the node's own formatter, ids shortened the way the CLI does.
import { formatMsat, parseAmount } from '../../src/money';

export { formatMsat, parseAmount };

export const short = (id: string, n = 8) => (id.length > n * 2 ? `${id.slice(0, n)}…${id.slice(-4)}` : id);

export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

/** A bar's share in percent, safe for a zero capacity. */
export function share(part: bigint, whole: bigint): number {
  if (whole <= 0n) return 0;
  return Number((part * 10000n) / whole) / 100;
}
