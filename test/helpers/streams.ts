// Small helpers for the stream end-to-end tests: a funded channel between two node processes, and
// reading channels, streams and ledger balances the way a user would (CLI --json) or through the API.
import { expect } from 'vitest';
import type { StreamView } from '../../src/api/types.js';
import { until, type Cluster, type NodeProc } from './cluster.js';

/** 200sat, the cluster's ledger fee (every ledger transaction pays it). */
export const FEE = 200_000n;
/** What the faucet gives alice before she opens: 2,000,000 sat. */
export const FUNDED = 2_000_000_000n;

export type ChannelJson = {
  channelId: string;
  status: string;
  localBalance: string;
  remoteBalance: string;
  seq: string;
  capacity: string;
  pendingUpdates: number;
  payout?: { local: string; remote: string };
};

/** A stream as `sluice stream … --json` prints it: bigints as decimal strings. */
export type StreamJson = Omit<StreamView, 'rateAmount' | 'paid' | 'max' | 'remaining'> & {
  rateAmount: string;
  paid: string;
  max?: string;
  remaining?: string;
};

export async function channelOf(n: NodeProc): Promise<ChannelJson> {
  const list = await n.cliJson<ChannelJson[]>(['channel', 'list']);
  return list[0]!;
}

export async function ledgerBalance(c: Cluster, id: string): Promise<bigint> {
  const r = await c.ledgerCli(['ledger', 'balance', id, '--json']);
  if (r.code !== 0) throw new Error(`ledger balance failed (${r.code}): ${r.stderr}`);
  return BigInt((JSON.parse(r.stdout) as { balance: string }).balance);
}

/** One stream of a node, through the control API (the cheap way to poll). */
export async function streamOf(n: NodeProc, streamId: string): Promise<StreamView | undefined> {
  return (await (await n.api()).listStreams()).find((s) => s.streamId === streamId);
}

/** alice (funded with 2,000,000 sat) opens `capacity` to bob, through the CLI; both see it open. */
export async function openChannel(c: Cluster, capacity = '1000000sat'): Promise<{ a: NodeProc; b: NodeProc; channelId: string }> {
  const a = await c.node('alice');
  const b = await c.node('bob');
  expect((await a.cli(['wallet', 'faucet', '2000000sat'])).code).toBe(0);
  expect((await a.cli(['peer', 'connect', b.target])).code).toBe(0);
  const ch = await a.cliJson<ChannelJson>(['channel', 'open', b.id, capacity]);
  expect(ch.status).toBe('open');
  await until(async () => (await channelOf(b))?.status === 'open', 20_000, 'bob sees the channel open');
  return { a, b, channelId: ch.channelId };
}
