// What the bench's sections share: the figures recorded so far, and how they are computed and printed.
export const results: Record<string, number | string> = {};

/**
 * A figure under its stable name, and under the names earlier runs used (kept so older runs and
 * docs/performance.md's citations still compare).
 */
export function record(name: string, value: number, ...formerNames: string[]): number {
  for (const n of [name, ...formerNames]) results[n] = value;
  return value;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** ops/s: the median of `runs` runs of `n` calls. */
export function rate(n: number, fn: (i: number) => void, runs = 5): number {
  const rs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    rs.push(n / ((performance.now() - t) / 1000));
  }
  return median(rs);
}

export function line(label: string, value: string): void {
  process.stdout.write(`  ${label.padEnd(44)} ${value}\n`);
}

export const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
