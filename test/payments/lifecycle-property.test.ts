// A property of the payment lifecycle on random graphs with random outcomes (any hop, any code, a
// refusal, a garbled packet, success): at most one attempt in flight, never more than maxAttempts,
// no later route uses an edge or node an earlier failure excluded, every payment ends, and it succeeds
// only through a fulfil with the right preimage (its fee then the succeeded route's).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/hash.js';
import { publicKeyOf } from '../../src/crypto/keys.js';
import { toHex } from '../../src/crypto/bytes.js';
import { createErrorPacket, wrapErrorPacket } from '../../src/onion/failure.js';
import { buildFailure } from '../../src/onion/failure-details.js';
import { ChannelGraph } from '../../src/routing/graph.js';
import { attemptSecrets } from '../../src/payments/interpret.js';
import { addAttempt, applyOutcome, createPayment, nextStep } from '../../src/payments/lifecycle.js';
import type { LocalChannel } from '../../src/payments/route-plan.js';
import type { Attempt, AttemptOutcome } from '../../src/payments/types.js';

const sk = (i: number) => Uint8Array.from({ length: 32 }, (_, j) => (j === 31 ? i + 1 : j === 0 ? 7 : 0));
const NODES = Array.from({ length: 7 }, (_, i) => ({ sk: sk(i), id: toHex(publicKeyOf(sk(i))) }));
const scid = (a: number, b: number) => `${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
const CODES = [0x1007, 0x4008, 0x400a, 0x100c, 0x100d, 0x100e, 0x1014, 0x2002, 0x6002, 0x400f, 0x13, 0x12, 0x4016];

const preimage = new Uint8Array(32).fill(9);

function errorFrom(attempt: Attempt, i: number, code: number): Uint8Array {
  const secrets = attemptSecrets(attempt);
  let packet = createErrorPacket({ sharedSecret: secrets[i]!, failure: buildFailure(code, { channelUpdate: new Uint8Array(0), htlcMsat: 1n, height: 1, cltvExpiry: 1, disabledFlags: 0 }) });
  for (let j = i - 1; j >= 0; j--) packet = wrapErrorPacket({ sharedSecret: secrets[j]!, packet });
  return packet;
}

describe('payment lifecycle property', () => {
  it('random graphs and outcomes keep every invariant', () => {
    let retried = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })), { minLength: 3, maxLength: 14, selector: ([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}` }),
        fc.array(fc.oneof(
          fc.record({ kind: fc.constant('fail' as const), hop: fc.nat(), code: fc.constantFrom(...CODES) }),
          fc.record({ kind: fc.constantFrom('refused' as const, 'garbled' as const, 'fulfil' as const, 'badPreimage' as const) }),
        ), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 6 }),
        (pairs, outcomes, maxAttempts) => {
          const g = new ChannelGraph();
          for (const [a, b] of pairs) {
            if (a === b) continue;
            const id = scid(a, b);
            g.addChannel({ shortChannelId: id, node1: NODES[a]!.id, node2: NODES[b]!.id, capacityMsat: 10n ** 9n });
            for (const from of [a, b]) g.setPolicy(id, NODES[from]!.id, { feeBaseMsat: BigInt(from * 100), feePpm: 10n, cltvExpiryDelta: 6, htlcMinimumMsat: 1n, htlcMaximumMsat: 10n ** 9n });
          }
          const local: LocalChannel[] = [1, 2, 3].map((i) => ({ shortChannelId: scid(0, i), peer: NODES[i]!.id, active: true, spendableMsat: 10n ** 8n, capacityMsat: 10n ** 9n }));
          const ctx = { graph: g, source: NODES[0]!.id, localChannels: local, currentHeight: 10, nowMs: 0 };
          let p = createPayment({ paymentHash: sha256(preimage), payee: NODES[6]!.id, amountMsat: 50_000n, maxFeeMsat: 100_000n, timeoutMs: 1000, maxAttempts, finalCltvExpiryDelta: 12 }, 0);
          const avoided = new Set<string>();
          for (let step = 0; step < 40 && p.status === 'inflight'; step++) {
            const n = nextStep(p, ctx);
            p = n.payment;
            if (n.next.kind !== 'attempt') break;
            for (const h of n.next.route.hops) {
              expect(avoided.has(`${h.shortChannelId}/${h.from}`)).toBe(false);
              if (h.to !== NODES[6]!.id) expect(avoided.has(h.to)).toBe(false);
            }
            p = addAttempt(p, { attemptId: `a${step}`, route: n.next.route, sessionKey: sk(20 + step), nowMs: 0 });
            expect(p.attempts.filter((a) => a.status === 'inflight')).toHaveLength(1);
            expect(p.attempts.length).toBeLessThanOrEqual(maxAttempts);
            const attempt = p.attempts.at(-1)!;
            const o = outcomes[step % outcomes.length]!;
            const hops = attempt.route.hops.length;
            const outcome: AttemptOutcome =
              o.kind === 'fail' ? { kind: 'failed', reason: errorFrom(attempt, o.hop % hops, o.code) }
              : o.kind === 'fulfil' ? { kind: 'fulfilled', preimage }
              : o.kind === 'badPreimage' ? { kind: 'fulfilled', preimage: new Uint8Array(32) }
              : o.kind === 'refused' ? { kind: 'refused', reason: 'x' }
              : { kind: 'failed', reason: new Uint8Array(292).fill(3) };
            const r = applyOutcome(p, attempt.attemptId, outcome, 0);
            if (o.kind === 'badPreimage') {
              expect(r.changed).toBe(false);
              p = applyOutcome(p, attempt.attemptId, { kind: 'refused', reason: 'x' }, 0).payment;
            } else {
              p = r.payment;
            }
            for (const e of p.excludedEdges) avoided.add(e);
            for (const x of p.excludedNodes) avoided.add(x);
            if (o.kind === 'fulfil') {
              expect(p.status).toBe('succeeded');
              expect(p.feeMsat).toBe(attempt.route.feeMsat);
            }
          }
          if (p.status === 'inflight') p = nextStep(p, ctx).payment;
          if (p.attempts.length > 1) retried++;
          expect(p.status).not.toBe('inflight');
          if (p.status === 'failed') expect(p.failure).toBeDefined();
          expect(p.attempts.length).toBeLessThanOrEqual(maxAttempts);
        },
      ),
      { numRuns: 150 },
    );
    // the runs exercise retries, not only first attempts
    expect(retried).toBeGreaterThan(10);
  });
});
