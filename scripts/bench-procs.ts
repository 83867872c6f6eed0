// Node and ledger processes for the bench's process sections, started through the CLI as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';

export const BIN = new URL('../bin/sluice.js', import.meta.url).pathname;

/** `sluice ARGS` as a child process; `wait(re)` resolves with the first match in its output. */
export function start(args: string[], nodeArgs: string[] = []): { proc: ChildProcess; wait(re: RegExp): Promise<RegExpMatchArray> } {
  const proc = spawn(process.execPath, [...nodeArgs, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return {
    proc,
    wait: (re) => new Promise((resolve, reject) => {
      const t = setInterval(() => {
        const m = out.match(re);
        if (m) { clearInterval(t); resolve(m); }
        if (proc.exitCode !== null) { clearInterval(t); reject(new Error(`exited: ${out}`)); }
      }, 20);
    }),
  };
}

export async function stopProcesses(dir: string, procs: ChildProcess[]): Promise<void> {
  for (const p of procs) p.kill('SIGTERM');
  // a node writes its CPU profile (SLUICE_BENCH_CPU_PROF) as it exits
  await Promise.all(procs.map((p) => (p.exitCode !== null ? undefined : new Promise((r) => { p.once('exit', r); setTimeout(r, 10_000); }))));
  await rm(dir, { recursive: true, force: true });
}
