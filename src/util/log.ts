// Structured logging. JSON lines when asked (--log-json), short human lines otherwise; levels from
// --log-level. Secrets never reach a log: known secret-bearing keys are redacted at any depth we use.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'token', '*.token', 'secretKey', '*.secretKey', 'sk', '*.sk', 'preimage', '*.preimage', 'seed', '*.seed',
  'authorization', '*.authorization', 'headers.authorization',
];

export interface LogOptions {
  level?: string;
  json?: boolean;
  name?: string;
  /** Where lines go; defaults to stderr so that stdout stays for command output. */
  stream?: { write(s: string): void };
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

function humanStream(out: { write(s: string): void }) {
  return {
    write(line: string) {
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        const { level, time, msg, name, pid: _pid, hostname: _h, ...rest } = rec;
        const t = new Date(Number(time)).toISOString().slice(11, 23);
        const extras = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
        out.write(`${t} ${(LEVEL_NAMES[Number(level)] ?? level)} ${name ? `[${name}] ` : ''}${msg ?? ''}${extras ? ' ' + extras : ''}\n`);
      } catch {
        out.write(line);
      }
    },
  };
}

export function createLogger(opts: LogOptions = {}): Logger {
  const out = opts.stream ?? process.stderr;
  return pino(
    { level: opts.level ?? 'info', name: opts.name, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined },
    opts.json ? out : humanStream(out),
  );
}

/** A logger that drops everything (tests, embedding without logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
