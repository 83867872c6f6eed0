// Caller references (the ids the shell gives requests so it can answer them) as a channel and its
// events hold them: what the shell must still answer, and what an event hands in.
import type { Channel, ChannelEvent } from './machine.js';

/** The references a channel still owes an answer to (in its proposal or its queue). */
export function pendingRefs(ch: Channel): string[] {
  return [...(ch.proposal?.refs ?? []), ...ch.queue.flatMap((q) => q.refs)];
}

/** The references an event hands to the channel. */
export function eventRefs(ev: ChannelEvent): string[] {
  if (ev.type === 'localBatch') return ev.entries.flatMap((e) => e.refs);
  return [];
}
