// Durations with units, as a person types them: 200ms, 1s, 2min, 1h.
import { InputError } from '../crypto/bytes.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

export function parseDuration(input: string, what = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|sec|m|min|h)$/.exec(String(input).trim());
  if (!m) throw new InputError(`${what}: '${input}' is not a duration (use e.g. 200ms, 1s, 2min, 1h)`);
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  if (!Number.isFinite(ms) || ms <= 0 || !Number.isInteger(Math.round(ms))) throw new InputError(`${what}: '${input}' must be positive`);
  if (ms > 365 * 24 * 3_600_000) throw new InputError(`${what}: '${input}' is too long`);
  return Math.round(ms);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${min}min${s ? ` ${s}s` : ''}`;
}
