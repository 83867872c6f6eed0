// What the commands that talk to a running node do (the command tree is in program-node.ts). Arguments
// are checked here, before anything is sent, so a typo fails fast even when no node runs; amounts are
// read the human way (`10sat`, `1.5sat`, `1500msat`, `10` = 10 sat) and sent as exact msat, and the
// node's answers about an amount are shown back in the unit the user typed.
import { ApiClientError, type ApiClient } from '../api/client.js';
import { parseChannelId, parseNodeId, parsePeerTarget } from '../api/fields.js';
import type { ChannelView, NodeEvent } from '../api/types.js';
import { formatMsat, formatMsatFull, parseAmount } from '../money.js';
import { parseDuration } from '../util/duration.js';
import { connectToNode, type ConnectionOptions } from './node-connection.js';
import { amountsInUnit, channelLines, channelLine, eventLine, infoLines, peerLine, unitOf, walletLines } from './node-format.js';
import { CliError, errorCode, jsonReplacer, print } from './output.js';
import { waitForSignal } from './parse.js';

/** Run a call that took an amount; a refusal that names amounts shows them in the unit typed. */
export async function withAmounts<T>(typed: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (!(e instanceof ApiClientError)) throw e;
    const message = amountsInUnit(e.message, unitOf(typed));
    throw message === e.message ? e : new CliError(errorCode(e), message);
  }
}

export async function info(o: ConnectionOptions & { wait?: string }): Promise<void> {
  const waitMs = o.wait === undefined ? 0 : parseDuration(o.wait, '--wait');
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const i = await (await connectToNode(o)).info();
      print(o, i, () => infoLines(i));
      return;
    } catch (e) {
      // Not up yet: no data dir or api-url written, or nothing listening. Anything else (a wrong token) is final.
      const notUp =
        (e instanceof ApiClientError && e.code === 'UNREACHABLE') || (e instanceof CliError && e.code === 'NO_DATA_DIR') || /no node API address/.test((e as Error).message);
      if (!notUp || Date.now() >= deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Ask the node to stop, then wait (bounded) until its API no longer answers. */
export async function nodeStop(o: ConnectionOptions): Promise<void> {
  const client = await connectToNode(o);
  const i = await client.info();
  await client.shutdown();
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await client.info();
    } catch (e) {
      if (e instanceof ApiClientError && e.code === 'UNREACHABLE') break;
      throw e;
    }
    if (Date.now() > deadline) throw new CliError('TIMEOUT', `the node at ${client.url} said it would stop but still answers after 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  print(o, { nodeId: i.nodeId, stopped: true }, () => `node ${i.nodeId} stopped`);
}

export async function walletBalance(o: ConnectionOptions): Promise<void> {
  const w = await (await connectToNode(o)).wallet();
  print(o, w, () => walletLines(w));
}

export async function walletFaucet(amountText: string, o: ConnectionOptions): Promise<void> {
  const amount = parseAmount(amountText);
  const client = await connectToNode(o);
  const r = await withAmounts(amountText, () => client.faucet(amount));
  print(o, { ...r, amount }, () => `received ${formatMsat(amount)} in ${r.txid}\nbalance ${formatMsatFull(r.balance)}`);
}

export async function walletSend(address: string, amountText: string, o: ConnectionOptions): Promise<void> {
  const to = parseNodeId(address, 'address');
  const amount = parseAmount(amountText);
  if (amount === 0n) throw new CliError('BAD_AMOUNT', 'amount: must be more than 0');
  const client = await connectToNode(o);
  const r = await withAmounts(amountText, () => client.send({ to, amount }));
  print(o, r, () => `sent ${formatMsat(r.amount)} to ${r.to} in block ${r.height} (fee ${formatMsat(r.fee)})\ntx ${r.txid}\nbalance ${formatMsatFull(r.balance)}`);
}

export async function peerConnect(targetText: string, o: ConnectionOptions): Promise<void> {
  const target = parsePeerTarget(targetText, 'target');
  const p = await (await connectToNode(o)).connectPeer(target);
  print(o, p, () => `${p.connected ? 'connected to' : 'will connect to'} ${p.nodeId}${p.address ? ` at ${p.address}` : ''}`);
}

export async function peerList(o: ConnectionOptions): Promise<void> {
  const peers = await (await connectToNode(o)).listPeers();
  print(o, peers, () => (peers.length ? peers.map(peerLine).join('\n') : 'no peers'));
}

export async function peerDisconnect(nodeIdText: string, o: ConnectionOptions): Promise<void> {
  const nodeId = parseNodeId(nodeIdText, 'node id');
  const p = await (await connectToNode(o)).disconnectPeer({ nodeId });
  print(o, p, () => `disconnected from ${p.nodeId}; it is not redialed until \`sluice peer connect\``);
}

export async function channelOpen(nodeIdText: string, amountText: string, o: ConnectionOptions & { push?: string; private?: boolean }): Promise<void> {
  const peerId = parseNodeId(nodeIdText, 'node id');
  const capacity = parseAmount(amountText);
  const push = o.push === undefined ? 0n : parseAmount(o.push, '--push');
  const client = await connectToNode(o);
  const c = await withAmounts(amountText, () => client.openChannel({ peerId, capacity, push, ...(o.private ? { private: true } : {}) }));
  print(o, c, () =>
    [
      `opened ${c.private ? 'private ' : ''}channel ${c.channelId} (${c.status}) with ${c.peerId}`,
      `local ${formatMsat(c.localBalance)}, remote ${formatMsat(c.remoteBalance)}, capacity ${formatMsat(c.capacity)}`,
    ].join('\n'),
  );
}

export async function channelList(o: ConnectionOptions): Promise<void> {
  const chans = await (await connectToNode(o)).listChannels();
  print(o, chans, () => (chans.length ? chans.map(channelLine).join('\n') : 'no channels'));
}

async function findChannel(client: ApiClient, id: string): Promise<ChannelView> {
  const c = (await client.listChannels()).find((x) => x.channelId === id);
  if (!c) throw new CliError('UNKNOWN_CHANNEL', `no channel ${id} on the node at ${client.url}`);
  return c;
}

export async function channelInfo(idText: string, o: ConnectionOptions): Promise<void> {
  const id = parseChannelId(idText, 'channel id');
  const c = await findChannel(await connectToNode(o), id);
  print(o, c, () => channelLines(c));
}

export async function channelClose(idText: string, o: ConnectionOptions & { force: boolean }): Promise<void> {
  const channelId = parseChannelId(idText, 'channel id');
  const client = await connectToNode(o);
  // Streams over the channel end with it (their status says why): say so before it happens.
  const running = (await client.listStreams()).filter((s) => s.channelId === channelId && !['stopped', 'finished', 'rejected'].includes(s.status));
  if (running.length > 0) {
    const ids = running.map((s) => s.streamId).join(', ');
    const warning = `closing this channel ends ${running.length} running stream${running.length === 1 ? '' : 's'} (${ids}); they stop with "the channel is closing"`;
    process.stderr.write(o.json ? JSON.stringify({ warning: { code: 'STREAMS_END', message: warning, streams: running.map((s) => s.streamId) } }) + '\n' : `sluice: warning: ${warning}\n`);
  }
  const c = await client.closeChannel({ channelId, force: o.force });
  print(o, c, () => {
    const lines = [`${o.force ? 'unilateral close submitted' : 'cooperative close'} of ${c.channelId}: ${c.status}`];
    if (c.pendingReason !== undefined) lines.push(`not done yet: ${c.pendingReason}`);
    else if (o.force && c.settleHeight !== undefined) {
      lines.push(`the funds settle after the dispute window, at height ${c.settleHeight}; \`sluice channel info ${c.channelId}\` shows when`);
    }
    if (c.payout) lines.push(`paid out: local ${formatMsat(c.payout.local)}, remote ${formatMsat(c.payout.remote)}`);
    if (c.txid) lines.push(`tx ${c.txid}`);
    return lines.join('\n');
  });
}

export async function events(o: ConnectionOptions & { blocks?: boolean }): Promise<void> {
  const client = await connectToNode(o);
  // --json gives one compact JSON document per line (NDJSON), so the output can be piped.
  const show = (e: NodeEvent) => {
    if (e.type === 'ledger' && !o.blocks) return; // once a block: noise unless asked for
    process.stdout.write(o.json ? JSON.stringify(e, jsonReplacer) + '\n' : `${new Date().toISOString().slice(11, 23)} ${eventLine(e)}\n`);
  };
  const feed = client.events(show);
  await feed.ready;
  if (!o.json) process.stderr.write(`following events of the node at ${client.url} (Ctrl-C to stop)\n`);
  const end = await Promise.race([waitForSignal().then(() => 'signal' as const), feed.done]);
  if (end === 'signal') {
    feed.close();
    await feed.done;
  } else if (end) {
    throw end; // the node went away: say so, exit non-zero
  }
}
