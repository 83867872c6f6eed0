// What `sluice stream start | list | status | pause | resume | stop` do, through the node's control API
// (the command tree is in program-node.ts). As with the other node commands, arguments are checked
// before anything is sent: amounts the human way (`--max 10sat`), durations with units (`--duration
// 5min`); the rate ("10msat/s") is checked by the node, which owns the pricing rules.
//
// `--follow` then shows the stream live until it stops or finishes (exit 0) or Ctrl-C (which stops
// following, not the stream); see stream-follow.ts for how it looks.
import type { ApiClient } from '../api/client.js';
import { parseNodeId, parseStreamId } from '../api/fields.js';
import type { StreamAction } from '../api/requests.js';
import type { OpenStreamRequest, StreamEventKind, StreamView } from '../api/types.js';
import { InputError } from '../crypto/bytes.js';
import { formatMsatFull, parseAmount } from '../money.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { connectToNode, type ConnectionOptions } from './node-connection.js';
import { remainingText, safeText, startedText, streamLine } from './node-format.js';
import { CliError, print, UsageError } from './output.js';
import { waitForSignal } from './parse.js';
import { StreamFollower } from './stream-follow.js';
import { controlLine, startLines } from './stream-format.js';
import { MAX_BATCH_MS } from '../stream/batch.js';

type StartOptions = ConnectionOptions & {
  rate: string;
  max?: string;
  duration?: string;
  mode?: 'signed' | 'hashchain';
  billing?: 'prorata' | 'interval';
  batch?: string;
  maxFee?: string;
  follow?: boolean;
};

export async function streamStart(nodeId: string, o: StartOptions): Promise<void> {
  const req = startRequest(nodeId, o);
  const client = await connectToNode(o);
  if (!o.follow) {
    const s = await client.openStream(req);
    print(o, s, () => startLines(s));
    return;
  }
  await follow(client, () => client.openStream(req), o);
}

/** Oldest first, so the list reads as a history; each line shows when the stream started. */
export async function streamList(o: ConnectionOptions): Promise<void> {
  const streams = (await (await connectToNode(o)).listStreams()).sort((a, b) => a.startedAt - b.startedAt || (a.streamId < b.streamId ? -1 : 1));
  print(o, streams, () => (streams.length ? streams.map(streamLine).join('\n') : 'no streams'));
}

async function findStream(client: ApiClient, id: string): Promise<StreamView> {
  const s = (await client.listStreams()).find((x) => x.streamId === id);
  if (!s) throw new CliError('UNKNOWN_STREAM', `no stream ${id} on the node at ${client.url}`);
  return s;
}

export async function streamStatus(idText: string, o: ConnectionOptions & { follow?: boolean }): Promise<void> {
  const id = parseStreamId(idText, 'stream id');
  const client = await connectToNode(o);
  if (o.follow) {
    await follow(client, () => findStream(client, id), o);
    return;
  }
  const s = await findStream(client, id);
  print(o, s, () => statusLines(s));
}

export async function streamControl(action: StreamAction, idText: string, o: ConnectionOptions): Promise<void> {
  const streamId = parseStreamId(idText, 'stream id');
  const s = await (await connectToNode(o)).controlStream({ streamId, action });
  print(o, s, () => controlLine(s));
}

/** Check and convert what was typed, before anything is sent. */
function startRequest(nodeId: string, o: StartOptions): OpenStreamRequest {
  const peerId = parseNodeId(nodeId, 'node id');
  const rate = o.rate.trim();
  if (rate === '') throw new UsageError('--rate: expected a rate such as 10msat/s or 2sat/min');
  const req: OpenStreamRequest = { peerId, rate };
  if (o.max !== undefined) {
    req.max = parseAmount(o.max, '--max');
    if (req.max === 0n) throw new InputError('--max: must be more than 0');
  }
  if (o.duration !== undefined) req.durationMs = parseDuration(o.duration, '--duration');
  if (o.mode !== undefined) req.mode = o.mode;
  if (o.billing !== undefined) req.billing = o.billing;
  if (o.batch !== undefined) {
    req.batchMs = parseDuration(o.batch, '--batch');
    if (req.batchMs < 1 || req.batchMs > MAX_BATCH_MS) throw new InputError('--batch: from 1ms to 1min');
  }
  if (o.maxFee !== undefined) req.maxFeeMsat = parseAmount(o.maxFee, '--max-fee');
  return req;
}

function statusLines(s: StreamView): string {
  const lines = [
    startLines(s),
    `started:   ${startedText(s)} UTC`,
    `ticks:     ${s.ticks}, paid ${formatMsatFull(s.paid)}`,
    `remaining: ${remainingText(s)}`,
  ];
  if (s.durationMs !== undefined) lines.push(`duration:  ${formatDuration(s.durationMs)}`);
  if (s.late) lines.push('LATE: no tick for longer than a tick interval plus the grace period');
  if (s.route !== undefined) lines.push(`route:     ${s.route.join(' > ')}`);
  if (s.batchMs !== undefined) lines.push(`batch:     one routed HTLC every ${formatDuration(s.batchMs)}`);
  if (s.feesPaid !== undefined) lines.push(`fees paid: ${formatMsatFull(s.feesPaid)}`);
  if (s.reason !== undefined) lines.push(`reason:    ${safeText(s.reason)}`);
  return lines.join('\n');
}

/**
 * Get the stream (open it, or look it up) and follow it. The feed is subscribed first: the node may
 * send the stream's first events before the call has answered, and those are kept until the id is known.
 */
async function follow(client: ApiClient, get: () => Promise<StreamView>, o: ConnectionOptions): Promise<void> {
  let follower: StreamFollower | undefined;
  const early: [StreamEventKind, StreamView][] = [];
  const feed = client.events((e) => {
    if (e.type !== 'stream') return;
    if (follower) follower.event(e.event, e.stream);
    else early.push([e.event, e.stream]);
  });
  await feed.ready;
  let first: StreamView;
  try {
    first = await get();
  } catch (e) {
    feed.close();
    throw e;
  }
  const out = process.stdout;
  const f = new StreamFollower(first, {
    json: o.json === true,
    tty: out.isTTY === true,
    columns: () => out.columns,
    write: (text) => out.write(text),
  });
  follower = f;
  for (const [kind, s] of early) f.event(kind, s);
  early.length = 0;

  const end = await Promise.race([f.ended, waitForSignal().then(() => 'signal' as const), feed.done]);
  f.close();
  feed.close();
  await feed.done;
  if (end === 'signal') {
    if (!o.json) process.stderr.write(`stopped following; stream ${first.streamId} goes on (\`sluice stream stop ${first.streamId}\` ends it)\n`);
    return;
  }
  if (end === undefined) return; // cannot happen: the feed is only closed by us, after the race
  if ('streamId' in end) {
    if (end.status === 'rejected') {
      throw new CliError('STREAM_REJECTED', `the peer rejected stream ${end.streamId}${end.reason !== undefined ? `: ${safeText(end.reason)}` : ''}`);
    }
    return;
  }
  throw end; // the node went away: say so, exit non-zero
}
