// `sluice stream start | list | pause | resume | stop`: streaming payments through the node's control
// API. As with the other node commands, arguments are checked before anything is sent: amounts the
// human way (`--max 10sat`), durations with units (`--duration 5min`); the rate ("10msat/s") is
// checked by the node, which owns the pricing rules.
//
// `stream start --follow` then shows the stream live until it stops or finishes (exit 0) or Ctrl-C
// (which stops following, not the stream). On a terminal one status line is redrawn in place; when
// stdout is not a terminal (a pipe, a log file) it prints one plain line per event, ticks at most
// once a second. With --json it prints the stream as opened, then one JSON event per line (NDJSON).
import { Option, type Command } from 'commander';
import type { ApiClient } from '../api/client.js';
import { FINAL_STREAM_STATUSES } from '../api/codec.js';
import { parseNodeId, parseStreamId } from '../api/fields.js';
import type { StreamAction } from '../api/requests.js';
import type { OpenStreamRequest, StreamEventKind, StreamView } from '../api/types.js';
import { InputError } from '../crypto/bytes.js';
import { formatMsat, formatMsatFull, parseAmount } from '../money.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { waitForSignal } from './ledger-commands.js';
import { connectToNode, withConnectionOptions, type ConnectionOptions } from './node-connection.js';
import { formatElapsed, remainingText, safeText, streamLine } from './node-format.js';
import { jsonReplacer, print, UsageError } from './output.js';

const NODE_ID_HELP = 'node id of a channel peer (66 hex characters)';
const STREAM_ID_HELP = 'stream id (32 hex characters), as `sluice stream list` shows';

type StartOptions = ConnectionOptions & {
  rate: string;
  max?: string;
  duration?: string;
  mode?: 'signed' | 'hashchain';
  billing?: 'prorata' | 'interval';
  follow?: boolean;
};

export function registerStreamCommands(program: Command): void {
  const stream = program.command('stream').description('stream payments to a channel peer: start, list, pause, resume, stop');

  withConnectionOptions(
    stream
      .command('start')
      .description('start paying a channel peer a rate; waits until the peer accepts the terms')
      .argument('<nodeid>', NODE_ID_HELP)
      .requiredOption('--rate <rate>', 'the price, e.g. 10msat/s, 2sat/min')
      .option('--max <amount>', 'stop once this much is paid: 1500msat, 10sat, or a bare number of sat')
      .option('--duration <duration>', 'stop after this long: 30s, 5min, 1h')
      .addOption(new Option('--mode <mode>', 'how ticks are paid (default: the node picks)').choices(['signed', 'hashchain']))
      .addOption(
        new Option('--billing <billing>', 'prorata: a per-minute price billed each second; interval: once per interval').choices([
          'prorata',
          'interval',
        ]),
      )
      .option(
        '--follow',
        'then show the stream live until it ends; Ctrl-C stops following, not the stream (with --json: the stream, then one event per line)',
      ),
  ).action(async (nodeId: string, o: StartOptions) => {
    const req = startRequest(nodeId, o);
    const client = await connectToNode(o);
    if (!o.follow) {
      const s = await client.openStream(req);
      print(o, s, () => startLines(s));
      return;
    }
    await startAndFollow(client, req, o);
  });

  withConnectionOptions(stream.command('list').description('streams this node pays or is paid, one line each')).action(
    async (o: ConnectionOptions) => {
      const streams = await (await connectToNode(o)).listStreams();
      print(o, streams, () => (streams.length ? streams.map(streamLine).join('\n') : 'no streams'));
    },
  );

  const actions: [StreamAction, string][] = [
    ['pause', 'pause a stream this node pays: no ticks until it is resumed'],
    ['resume', 'resume a paused stream this node pays'],
    ['stop', 'stop a stream for good (payer or payee)'],
  ];
  for (const [action, description] of actions) {
    withConnectionOptions(stream.command(action).description(description).argument('<id>', STREAM_ID_HELP)).action(
      async (id: string, o: ConnectionOptions) => {
        const streamId = parseStreamId(id, 'stream id');
        const s = await (await connectToNode(o)).controlStream({ streamId, action });
        print(o, s, () => controlLine(s));
      },
    );
  }
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
  return req;
}

export function startLines(s: StreamView): string {
  const terms = [`channel ${s.channelId}`, s.mode, `a tick every ${formatDuration(s.tickMs)}`];
  if (s.max !== undefined) terms.push(`max ${formatMsat(s.max)}`);
  if (s.durationMs !== undefined) terms.push(`for ${formatDuration(s.durationMs)}`);
  const dir = s.role === 'payer' ? `paying ${safeText(s.rate, 40)} to` : `paid ${safeText(s.rate, 40)} by`;
  return [`stream ${s.streamId} ${s.status}: ${dir} ${s.peerId}`, terms.join(', ')].join('\n');
}

function controlLine(s: StreamView): string {
  const cap = s.remaining !== undefined ? `, ${formatMsat(s.remaining)} left of the cap` : '';
  const why = s.reason !== undefined ? ` (${safeText(s.reason)})` : '';
  return `stream ${s.streamId} ${s.status}: ${s.ticks} tick${s.ticks === 1 ? '' : 's'}, paid ${formatMsat(s.paid)}${cap}${why}`;
}

/**
 * Open the stream and follow it. The feed is subscribed first: the node may send the stream's first
 * events before the open call has answered, and those are kept until the stream id is known.
 */
async function startAndFollow(client: ApiClient, req: OpenStreamRequest, o: StartOptions): Promise<void> {
  let follower: StreamFollower | undefined;
  const early: [StreamEventKind, StreamView][] = [];
  const feed = client.events((e) => {
    if (e.type !== 'stream') return;
    if (follower) follower.event(e.event, e.stream);
    else early.push([e.event, e.stream]);
  });
  await feed.ready;
  let opened: StreamView;
  try {
    opened = await client.openStream(req);
  } catch (e) {
    feed.close();
    throw e;
  }
  const out = process.stdout;
  const f = new StreamFollower(opened, {
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
    if (!o.json) process.stderr.write(`stopped following; stream ${opened.streamId} goes on (\`sluice stream stop ${opened.streamId}\` ends it)\n`);
    return;
  }
  if (end === undefined) return; // cannot happen: the feed is only closed by us, after the race
  if ('streamId' in end) {
    if (end.status === 'rejected') {
      throw new Error(`the peer rejected stream ${end.streamId}${end.reason !== undefined ? `: ${safeText(end.reason)}` : ''}`);
    }
    return;
  }
  throw end; // the node went away: say so, exit non-zero
}

export interface FollowerOptions {
  json: boolean;
  /** Redraw one line in place (a terminal), or print plain lines. */
  tty: boolean;
  write(text: string): void;
  /** Terminal width, to keep the redrawn line from wrapping. */
  columns?: () => number | undefined;
  now?: () => number;
  /** How often a terminal's line is redrawn between events (the elapsed time moves on). */
  redrawMs?: number;
}

const CLEAR_LINE = '\r\u001b[2K';
/** Without a terminal, tick lines are at most this often; other events always get a line. */
const PLAIN_TICK_EVERY_MS = 1000;

const EVENT_WORDS: Record<StreamEventKind, string> = {
  opened: 'opened',
  tick: 'tick',
  late: 'late',
  onTime: 'on time',
  paused: 'paused',
  resumed: 'resumed',
  stopped: 'stopped',
  finished: 'finished',
};

/** Shows one stream's events as they come; `ended` resolves with the last view when it stops or finishes. */
export class StreamFollower {
  readonly ended: Promise<StreamView>;
  private current: StreamView;
  private done = false;
  private drawn = false; // a live line is on screen without its newline
  private lastPlainTick = -Infinity;
  private finalElapsed: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private resolveEnded!: (s: StreamView) => void;
  private readonly now: () => number;

  constructor(
    opened: StreamView,
    private readonly o: FollowerOptions,
  ) {
    this.current = opened;
    this.now = o.now ?? Date.now;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    if (o.json) o.write(JSON.stringify(opened, jsonReplacer) + '\n');
    else {
      o.write(startLines(opened) + '\n');
      if (o.tty) {
        this.draw();
        this.timer = setInterval(() => this.draw(), o.redrawMs ?? 1000);
        this.timer.unref();
      }
    }
    if (isFinal(opened)) this.finish();
  }

  /** A stream event from the feed; those of other streams are ignored. */
  event(kind: StreamEventKind, s: StreamView): void {
    if (this.done || s.streamId !== this.current.streamId) return;
    this.current = s;
    const final = kind === 'stopped' || kind === 'finished' || isFinal(s);
    if (final) this.finalElapsed = this.elapsed();
    if (this.o.json) {
      this.o.write(JSON.stringify({ type: 'stream', event: kind, stream: s }, jsonReplacer) + '\n');
    } else if (kind === 'tick' && !final) {
      if (this.o.tty) this.draw();
      else if (this.now() - this.lastPlainTick >= PLAIN_TICK_EVERY_MS) {
        this.lastPlainTick = this.now();
        this.o.write(this.statusLine() + '\n');
      }
    } else {
      this.writeLine(`${EVENT_WORDS[kind] ?? safeText(String(kind), 20)}  ${this.statusLine()}`);
      if (this.o.tty && !final) this.draw();
    }
    if (final) this.finish();
  }

  /** Stop the redraw timer and leave the cursor on a fresh line. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.drawn) this.o.write('\n');
    this.drawn = false;
  }

  /** elapsed, ticks, paid, rate, remaining budget, and the status when it is not plain 'active'. */
  statusLine(): string {
    const s = this.current;
    const parts = [
      formatElapsed(this.finalElapsed ?? this.elapsed()),
      `ticks ${s.ticks}`,
      `paid ${formatMsat(s.paid)}`,
      `rate ${safeText(s.rate, 40)}`,
      `remaining ${remainingText(s)}`,
    ];
    if (s.status !== 'active') parts.push(s.status);
    if (s.late) parts.push('LATE');
    return parts.join('  ');
  }

  private elapsed(): number {
    return Math.max(0, this.now() - this.current.startedAt);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.finalElapsed ??= this.elapsed();
    const s = this.current;
    if (!this.o.json) {
      const why = s.reason !== undefined ? ` (${safeText(s.reason)})` : '';
      const ticks = `${s.ticks} tick${s.ticks === 1 ? '' : 's'}`;
      this.writeLine(`stream ${s.streamId} ${s.status}: paid ${formatMsatFull(s.paid)} in ${ticks} over ${formatElapsed(this.finalElapsed)}${why}`);
    }
    this.close();
    this.resolveEnded(s);
  }

  /** A line that stays: on a terminal it replaces the live line, which is redrawn below it. */
  private writeLine(text: string): void {
    this.o.write(this.drawn ? `${CLEAR_LINE}${text}\n` : `${text}\n`);
    this.drawn = false;
  }

  private draw(): void {
    if (this.done) return;
    let line = this.statusLine();
    const width = this.o.columns?.();
    if (width !== undefined && width > 1 && line.length >= width) line = line.slice(0, width - 1);
    this.o.write(CLEAR_LINE + line);
    this.drawn = true;
  }
}

function isFinal(s: StreamView): boolean {
  return FINAL_STREAM_STATUSES.includes(s.status);
}
