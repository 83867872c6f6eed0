// What the payer's and the payee's steps share: the streamControl a side sends, a record as it ends, and
// the stop said again to a peer that comes back soon after an end.
import { fromHex } from '../crypto/bytes.js';
import type { StreamControlAction } from '../wire/stream.js';
import { done, REPEAT_END_MS, type StreamEffect, type StreamStepResult } from './events.js';
import type { StreamRecord } from './record.js';

export const FINISHED_REASON = 'the stream reached its cap or duration';

export function control(r: { id: string }, action: StreamControlAction, reason: string): StreamEffect {
  return { type: 'send', message: { kind: 'streamControl', streamId: fromHex(r.id), action, reason } };
}

/** The record as it ends: its final status, why, and when (the history, and the repeat below, need it). */
export function endedAs<R extends StreamRecord>(r: R, status: 'stopped' | 'finished' | 'rejected', reason: string, now: number): R {
  return { ...r, status, reason, endedAt: now };
}

/** A peer back soon after the stream ended may have missed the stop: say it again (harmless to hear twice). */
export function repeatRecentStop(r: StreamRecord, now: number): StreamStepResult {
  const recent = (r.status === 'stopped' || r.status === 'finished') && r.endedAt !== undefined && now - r.endedAt < REPEAT_END_MS;
  return recent ? done(r, [control(r, 'stop', r.reason ?? 'stopped')]) : done(r);
}
