// Shows one stream live: on a terminal one status line redrawn in place; elsewhere (a pipe, a log
// file) one plain line per event, ticks at most once a second; with --json one JSON event per line.
import { FINAL_STREAM_STATUSES } from '../api/codec.js';
import type { StreamEventKind, StreamView } from '../api/types.js';
import { formatMsat, formatMsatFull } from '../money.js';
import { formatElapsed, remainingText, safeText } from './node-format.js';
import { jsonReplacer } from './output.js';
import { startLines } from './stream-format.js';

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
