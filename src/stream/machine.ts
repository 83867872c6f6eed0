// The stream state machine: step(stream, event, ctx) -> { stream, effects } | error. Pure: no I/O, no
// timers, no clock (time is on the event). The shell (node/streams*) runs the effects in order:
//   send        a stream message to the stream's peer
//   pay         payer, signed mode: propose a streamPay op; the record with this payment counted is
//               stored in the same atomic batch as the channel state carrying it. Answer with
//               'committed' (that state is signed by both) or 'refused'.
//   lock        payer, hash-chain mode: propose the budget's lock; answer 'lockCommitted' / 'lockRefused'
//   hold        count a spend against the spending limits (the event's allowance said it fits); if the
//               limits refuse it after all, run none of the step's later effects and answer 'holdRefused'
//   release     give back a spend that did not happen (a hold that was refused)
//   persist     store the record: 'now' (status changes) or 'batched' (progress, stored once a second)
//   emit        tell the node's listeners (opened, tick, late, …)
//   claim       payee, hash-chain mode: turn revealed ticks into a signed balance (a checkpoint)
//   settleChain payee, hash-chain mode, at the end: claim what was revealed, give back the rest
//   drop        forget the record entirely (a never-paid stream that expired)
import { assertNever } from '../util/errors.js';
import type { StreamContext, StreamEvent, StreamStepResult } from './events.js';
import type { StreamRecord } from './record.js';
import { stepPayer } from './payer-step.js';
import { stepPayee } from './payee-step.js';

export * from './events.js';

export function step(stream: StreamRecord, event: StreamEvent, ctx: StreamContext): StreamStepResult {
  switch (stream.role) {
    case 'payer':
      return stepPayer(stream, event, ctx);
    case 'payee':
      return stepPayee(stream, event, ctx);
    default:
      return assertNever(stream, 'stream role');
  }
}
