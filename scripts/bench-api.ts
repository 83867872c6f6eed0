// The bench's control-API figures: payments over the RPC channel, and how long the CLI takes to start.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ApiClient } from '../src/api/client.js';
import { DEFAULT_RPC_MAX_IN_FLIGHT } from '../src/api/rpc-server.js';
import { fmt, line, median, record } from './bench-lib.js';

const BIN = new URL('../bin/sluice.js', import.meta.url).pathname;

/**
 * Payments through the control API's RPC channel (GET /v1/rpc): one WebSocket, as many calls in
 * flight as the node allows one connection, each payment still validated and answered on its own. Returns how many it paid.
 */
export async function rpcThroughput(api: ApiClient, peerId: string, channelId: string, pids: { payer: number; payee: number }): Promise<number> {
  const seqOf = async () => (await api.listChannels()).find((c) => c.channelId === channelId)!.seq;
  const rpc = await api.openRpc();
  try {
    // warm up the connection and the node's paths
    await rpc.payMany(Array.from({ length: 2_000 }, () => ({ peerId, amount: 1000n })));
    // three rounds, the median kept: one round's wall time is at the mercy of whatever else runs
    const rounds: { rate: number; updates: number; payer?: number; payee?: number; client: number }[] = [];
    const total = 30_000;
    for (let i = 0; i < 3; i++) {
      const seq0 = await seqOf();
      const cpu0 = { payer: cpuMs(pids.payer), payee: cpuMs(pids.payee), client: process.cpuUsage() };
      const t0 = performance.now();
      const out = await rpc.payMany(Array.from({ length: total }, () => ({ peerId, amount: 1000n })));
      const secs = (performance.now() - t0) / 1000;
      const client = process.cpuUsage(cpu0.client);
      const refused = out.filter((o) => !o.ok);
      if (refused.length > 0) throw new Error(`${refused.length} RPC payments refused: ${(refused[0] as { error: Error }).error.message}`);
      const perPayment = (ms: number | undefined) => (ms === undefined ? undefined : (ms * 1000) / total);
      rounds.push({
        rate: total / secs,
        updates: Number((await seqOf()) - seq0) / secs,
        payer: perPayment(cpuOf(pids.payer, cpu0.payer)),
        payee: perPayment(cpuOf(pids.payee, cpu0.payee)),
        client: (client.user + client.system) / total,
      });
    }
    const mid = [...rounds].sort((a, b) => a.rate - b.rate)[1]!;
    record('apiPaymentsPerSec', mid.rate, 'apiRpcPaymentsPerSec');
    rounds.forEach((r, i) => record(`apiRpcPaymentsPerSecRound${i + 1}`, r.rate));
    record('apiRpcUpdatesPerSec', mid.updates);
    record('apiRpcPaymentsPerUpdate', mid.rate / mid.updates);
    line(
      `payments/s over RPC (3 x ${total.toLocaleString('en-US')}, ${DEFAULT_RPC_MAX_IN_FLIGHT.toLocaleString('en-US')} in flight), median`,
      `${fmt(mid.rate)} /s  (rounds ${rounds.map((r) => fmt(r.rate)).join(', ')}; ${(mid.rate / mid.updates).toFixed(0)} payments per update)`,
    );
    if (mid.payer !== undefined && mid.payee !== undefined) {
      // CPU time is what a payment costs whatever else the machine runs; wall time is not
      record('apiRpcPayerCpuUsPerPayment', mid.payer);
      record('apiRpcPayeeCpuUsPerPayment', mid.payee);
      record('apiRpcClientCpuUsPerPayment', mid.client);
      line('  CPU per payment: payer / payee / client', `${mid.payer.toFixed(1)} / ${mid.payee.toFixed(1)} / ${mid.client.toFixed(1)} µs`);
    }
    return 3 * total + 2_000;
  } finally {
    await rpc.close();
  }
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux); undefined elsewhere. */
export function cpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticksPerSec = 100; // USER_HZ, 100 on Linux
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSec;
  } catch {
    return undefined;
  }
}

function cpuOf(pid: number, before: number | undefined): number | undefined {
  const after = cpuMs(pid);
  return after === undefined || before === undefined ? undefined : after - before;
}

/** Wall time of running `node args` to its exit: the median of `n` runs. */
async function spawnMs(args: string[], n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, args, { stdio: 'ignore' });
      p.on('error', reject);
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`node ${args.join(' ')} exited ${code}`))));
    });
    times.push(performance.now() - t);
  }
  return median(times);
}

/** How long a `sluice` command takes to start and answer, beside a bare Node start in the same run. */
export async function cliStart(dataDir: string): Promise<void> {
  process.stdout.write('\nCLI start (medians of 15 runs, `node bin/sluice.js` as an npm-linked `sluice` runs)\n');
  const bare = record('nodeBareStartMs', await spawnMs(['-e', '0'], 15));
  const help = record('cliStartMs', await spawnMs([BIN, '--help'], 15), 'cliHelpMs');
  const query = record('cliQueryMs', await spawnMs([BIN, 'info', '--data-dir', dataDir], 15));
  record('cliStartOverBareMs', help - bare);
  record('cliQueryOverBareMs', query - bare);
  line('node -e 0', `${bare.toFixed(0)} ms`);
  line('sluice --help', `${help.toFixed(0)} ms  (+${(help - bare).toFixed(0)} ms over bare node)`);
  line('sluice info (a query to a running node)', `${query.toFixed(0)} ms  (+${(query - bare).toFixed(0)} ms over bare node)`);
}
