// Lines for streams as they start and change (shared by the stream commands and the follower).
import type { StreamView } from '../api/types.js';
import { formatMsat } from '../money.js';
import { formatDuration } from '../util/duration.js';
import { safeText } from './node-format.js';

export function startLines(s: StreamView): string {
  const via = s.batchMs !== undefined ? `across hops${s.route ? ` via ${s.route.length - 1} hub${s.route.length === 2 ? '' : 's'}` : ''}, a batch every ${formatDuration(s.batchMs)}` : `channel ${s.channelId}`;
  const terms = [via, s.mode, `a tick every ${formatDuration(s.tickMs)}`];
  if (s.max !== undefined) terms.push(`max ${formatMsat(s.max)}`);
  if (s.durationMs !== undefined) terms.push(`for ${formatDuration(s.durationMs)}`);
  const dir = s.role === 'payer' ? `paying ${safeText(s.rate, 40)} to` : `paid ${safeText(s.rate, 40)} by`;
  return [`stream ${s.streamId} ${s.status}: ${dir} ${s.peerId}`, terms.join(', ')].join('\n');
}

export function controlLine(s: StreamView): string {
  const cap = s.remaining !== undefined ? `, ${formatMsat(s.remaining)} left of the cap` : '';
  const why = s.reason !== undefined ? ` (${safeText(s.reason)})` : '';
  return `stream ${s.streamId} ${s.status}: ${s.ticks} tick${s.ticks === 1 ? '' : 's'}, paid ${formatMsat(s.paid)}${cap}${why}`;
}
