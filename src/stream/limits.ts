// Spending limits a payer node holds itself to across all its streams: per rolling day and lifetime,
// for the whole node ('node') and for each peer (its id). Time comes in as an argument; the ledger
// is plain data that round-trips through JSON so the shell can persist it next to the streams.
import { InputError } from '../util/errors.js';
import { msatFromJson } from '../money.js';
import { checkAmount, checkId, checkTime, satAdd } from './check.js';

export interface SpendingLimits {
  /** Most spent in any rolling 24 h. */
  perDay?: bigint;
  /** Most spent ever. */
  total?: bigint;
}

const HOUR_MS = 3_600_000;
/**
 * Hour buckets that count toward "the last 24 h": the current one and the 24 before it, so a spend
 * leaves the window between 24 h and 25 h later, never early (a limit errs toward refusing).
 */
const WINDOW_HOURS = 25;

interface KeySpend {
  total: bigint;
  /** hour index (floor(ms / 1 h)) -> msat spent in that hour */
  hours: Map<number, bigint>;
}

export interface SpendLedgerJson {
  version: 1;
  keys: { key: string; total: string; hours: [number, string][] }[];
}

export class SpendLedger {
  private readonly keys = new Map<string, KeySpend>();

  /** Spent by `key` in the rolling day ending at `now`. */
  spentToday(key: string, now: number): bigint {
    checkId(key, 'key');
    const from = Math.floor(checkTime(now) / HOUR_MS) - (WINDOW_HOURS - 1);
    let sum = 0n;
    // Buckets ahead of `now` (a clock that stepped back) still count: never forget a spend.
    for (const [hour, amount] of this.keys.get(key)?.hours ?? []) if (hour >= from) sum = satAdd(sum, amount);
    return sum;
  }

  spentTotal(key: string): bigint {
    checkId(key, 'key');
    return this.keys.get(key)?.total ?? 0n;
  }

  /** What `key` may still spend now under `limits`; undefined when no limit applies. */
  remaining(key: string, now: number, limits: SpendingLimits): bigint | undefined {
    checkId(key, 'key');
    checkTime(now);
    checkLimits(limits);
    let left: bigint | undefined;
    const room = (limit: bigint, spent: bigint) => (spent >= limit ? 0n : limit - spent);
    if (limits.perDay !== undefined) left = room(limits.perDay, this.spentToday(key, now));
    if (limits.total !== undefined) {
      const t = room(limits.total, this.spentTotal(key));
      left = left === undefined || t < left ? t : left;
    }
    return left;
  }

  allowed(key: string, amount: bigint, now: number, limits: SpendingLimits): boolean {
    checkAmount(amount, 'amount');
    const left = this.remaining(key, now, limits);
    return left === undefined || amount <= left;
  }

  /**
   * Count a spend. Mutates this ledger (and returns it, for chaining): a caller that ignores the
   * return value still has the spend counted. Record under 'node' and under the peer id separately.
   */
  record(key: string, amount: bigint, now: number): this {
    checkId(key, 'key');
    checkAmount(amount, 'amount');
    const hour = Math.floor(checkTime(now) / HOUR_MS);
    const entry = this.keys.get(key) ?? { total: 0n, hours: new Map<number, bigint>() };
    entry.total = satAdd(entry.total, amount);
    entry.hours.set(hour, satAdd(entry.hours.get(hour) ?? 0n, amount));
    pruneHours(entry, hour);
    this.keys.set(key, entry);
    return this;
  }

  /**
   * Check and count in one step (a hold, in ILP STREAM's terms): the spend is counted under every key
   * only if each key's limits allow it, so concurrent callers can never both pass one limit. A hold
   * that does not turn into a payment is given back with release().
   */
  reserve(keys: readonly { key: string; limits?: SpendingLimits }[], amount: bigint, now: number): boolean {
    for (const k of keys) if (k.limits && !this.allowed(k.key, amount, now, k.limits)) return false;
    for (const k of keys) this.record(k.key, amount, now);
    return true;
  }

  /**
   * Give back a spend recorded at `at` that did not happen (a reservation whose stream was refused).
   * Takes it from the hour it was recorded in and from the total, never below zero.
   */
  release(key: string, amount: bigint, at: number): this {
    checkId(key, 'key');
    checkAmount(amount, 'amount');
    const entry = this.keys.get(key);
    if (!entry) return this;
    const hour = Math.floor(checkTime(at, 'at') / HOUR_MS);
    const less = (v: bigint) => (v > amount ? v - amount : 0n);
    entry.total = less(entry.total);
    const inHour = entry.hours.get(hour);
    if (inHour !== undefined) {
      if (less(inHour) === 0n) entry.hours.delete(hour);
      else entry.hours.set(hour, less(inHour));
    }
    return this;
  }

  toJSON(): SpendLedgerJson {
    return {
      version: 1,
      keys: [...this.keys].map(([key, e]) => ({
        key,
        total: e.total.toString(),
        hours: [...e.hours].map(([h, a]): [number, string] => [h, a.toString()]),
      })),
    };
  }

  static fromJSON(json: unknown): SpendLedger {
    const bad = (why: string) => new InputError(`spend ledger: ${why}`);
    if (typeof json !== 'object' || json === null) throw bad('expected an object');
    const { version, keys } = json as Partial<SpendLedgerJson>;
    if (version !== 1) throw bad(`unknown version ${String(version)}`);
    if (!Array.isArray(keys)) throw bad('keys: expected an array');
    const ledger = new SpendLedger();
    for (const k of keys as unknown[]) {
      if (typeof k !== 'object' || k === null) throw bad('key entry: expected an object');
      const { key, total, hours } = k as Record<string, unknown>;
      if (typeof key !== 'string' || key === '' || ledger.keys.has(key)) throw bad(`key: missing, empty or repeated (${String(key)})`);
      if (!Array.isArray(hours)) throw bad(`${key} hours: expected an array`);
      const entry: KeySpend = { total: msatFromJson(total, `spend ledger ${key} total`), hours: new Map() };
      for (const pair of hours as unknown[]) {
        if (!Array.isArray(pair) || pair.length !== 2 || !Number.isSafeInteger(pair[0]) || (pair[0] as number) < 0) {
          throw bad(`${key} hours: expected [hour, msat] pairs`);
        }
        const hour = pair[0] as number;
        if (entry.hours.has(hour)) throw bad(`${key} hours: hour ${hour} repeated`);
        entry.hours.set(hour, msatFromJson(pair[1], `spend ledger ${key} hour ${hour}`));
      }
      pruneHours(entry, Math.max(...entry.hours.keys()));
      ledger.keys.set(key, entry);
    }
    return ledger;
  }
}

/**
 * Forget the hours before the window that ends at `latest`: they count toward no rolling day again. So a
 * key holds at most WINDOW_HOURS buckets (and a few ahead, if the clock stepped back), and what the limits
 * allow (spentToday, run on every payer tick) costs a bounded sum, however long the node has run.
 */
function pruneHours(entry: KeySpend, latest: number): void {
  for (const h of entry.hours.keys()) if (h < latest - (WINDOW_HOURS - 1)) entry.hours.delete(h);
}

function checkLimits(limits: SpendingLimits): void {
  if (typeof limits !== 'object' || limits === null) throw new InputError('limits: expected { perDay?, total? }');
  if (limits.perDay !== undefined) checkAmount(limits.perDay, 'limits perDay');
  if (limits.total !== undefined) checkAmount(limits.total, 'limits total');
}
