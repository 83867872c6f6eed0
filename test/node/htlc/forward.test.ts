// Forwarding through a hop, three whole nodes in one process (real LevelDB): A pays B through H. The
// fee stays with H, failures reach A attributed to the hop that made them, and the hostile cases
// (a next hop that never answers, one that answers with garbage or a malformed-onion failure, a
// replayed onion, an expiry too short) end with every HTLC resolved and no money lost.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { testNet, type TestNet } from '../../helpers/network.js';
import { until } from '../../helpers/until.js';
import { TestPayee, TestPayer, buildPayment, channelOf, height, openLine, settledBetween, type Line } from '../../helpers/htlc-net.js';
import { unwrapErrorPacket } from '../../../src/onion/failure.js';
import {
  FEE_INSUFFICIENT, INCORRECT_CLTV_EXPIRY, INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, INVALID_ONION_HMAC, TEMPORARY_CHANNEL_FAILURE,
} from '../../../src/onion/failure-codes.js';
import { DEFAULT_FORWARDING_POLICY, forwardingFee } from '../../../src/forward/policy.js';
import type { SluiceNode } from '../../../src/node/node.js';
import type { OutgoingOutcome } from '../../../src/node/htlc-types.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

interface Setup { line: Line; a: SluiceNode; h: SluiceNode; b: SluiceNode; ah: string; hb: string; payee: TestPayee; payer: TestPayer }

async function setup(): Promise<Setup> {
  net = await testNet({ blockTimeMs: 100 });
  const line = await openLine(net, ['a', 'h', 'b']);
  const [a, h, b] = line.nodes as [SluiceNode, SluiceNode, SluiceNode];
  const payee = new TestPayee();
  const payer = new TestPayer();
  b.htlcs.setReceiver(payee);
  a.htlcs.setLocalSink(payer);
  return { line, a, h, b, ah: line.channels[0]!, hb: line.channels[1]!, payee, payer };
}

async function send(s: Setup, attemptId: string, amount: bigint, paymentHash: Uint8Array, opts: { finalBlocks?: number; feeShort?: bigint; deltaShort?: number; scid?: (id: string) => string } = {}) {
  const p = buildPayment([{ node: s.h, channelId: s.ah }, { node: s.b, channelId: s.hb }], amount, paymentHash, (await height(net!)) + (opts.finalBlocks ?? 60), opts);
  await s.a.htlcs.sendLocal({ paymentId: `p-${attemptId}`, attemptId, channelId: s.ah, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
  return p;
}

function failureOf(outcome: OutgoingOutcome, secrets: Uint8Array[]) {
  expect(outcome.kind).toBe('failed');
  if (outcome.kind !== 'failed') throw new Error('not failed');
  return unwrapErrorPacket({ sharedSecrets: secrets, packet: outcome.reason });
}

/** Every channel of the line back to no locks, both ends agreeing. */
async function allSettled(s: Setup): Promise<void> {
  await until(() => settledBetween(s.a, s.h, s.ah) && settledBetween(s.h, s.b, s.hb), 20_000, 'every lock resolved');
}

describe('forwarding A -> H -> B', () => {
  it('succeeds with the fee taken by H, and each channel keeps its capacity', async () => {
    const s = await setup();
    const { preimage, paymentHash } = s.payee.issue();
    const [ah0, hb0] = [channelOf(s.h, s.ah), channelOf(s.h, s.hb)];
    const amount = 7_000_000n;
    const p = await send(s, 'x', amount, paymentHash);
    const fee = forwardingFee(DEFAULT_FORWARDING_POLICY, amount);
    expect(p.amountMsat).toBe(amount + fee);
    const out = await s.payer.outcome('x');
    expect(out.kind === 'fulfilled' && Buffer.from(out.preimage).equals(preimage)).toBe(true);
    await allSettled(s);
    expect(channelOf(s.h, s.ah).local - ah0.local).toBe(amount + fee);
    expect(hb0.local - channelOf(s.h, s.hb).local).toBe(amount);
    expect(channelOf(s.b, s.hb).local).toBe(hb0.remote + amount);
    for (const [n, id] of [[s.a, s.ah], [s.h, s.ah], [s.h, s.hb], [s.b, s.hb]] as const) {
      const c = channelOf(n, id);
      expect(c.local + c.remote).toBe(100_000_000n);
    }
    await until(() => s.h.htlcs.sizes().incoming === 0 && s.h.htlcs.sizes().outgoing === 0);
    // H's forwarding history: one forward, settled, with its fee
    expect(await s.h.listForwards()).toMatchObject([
      { status: 'settled', incomingChannelId: s.ah, outgoingChannelId: s.hb, amountIn: amount + fee, amountOut: amount, fee, paymentHash: Buffer.from(paymentHash).toString('hex') },
    ]);
  });

  it('an onion that names the next channel by its ledger short channel id (as gossip announces it) is forwarded', async () => {
    const s = await setup();
    const ledgerScid = (id: string) => net!.ledger.chain.state.channel(Buffer.from(id, 'hex'))!.shortChannelId!;
    await until(() => s.h.htlcs.localChannels().find((c) => c.channelId === s.hb)?.shortChannelId === ledgerScid(s.hb), 10_000, 'H read the ledger id');
    const { paymentHash } = s.payee.issue();
    await send(s, 'scid', 1_000_000n, paymentHash, { scid: ledgerScid });
    expect((await s.payer.outcome('scid')).kind).toBe('fulfilled');
  });

  it('a policy set on H\'s outgoing channel is checked, stored across a restart, and is what H charges', async () => {
    const s = await setup();
    await expect(s.h.setChannelPolicy(s.hb, { feePpm: 2_000_000n })).rejects.toThrow(/feePpm/);
    const policy = await s.h.setChannelPolicy(s.hb, { feeBaseMsat: 5_000n });
    expect(policy).toEqual({ ...DEFAULT_FORWARDING_POLICY, feeBaseMsat: 5_000n });
    await s.h.stop();
    const h2 = await net!.node('h');
    expect(h2.htlcs.localChannels().find((c) => c.channelId === s.hb)?.policy.feeBaseMsat).toBe(5_000n);
    await until(() => s.a.channels.channels.get(s.ah)!.connected && s.b.channels.channels.get(s.hb)!.connected);
    // the payer's route still assumes the default fee: H asks for its own
    const { paymentHash } = s.payee.issue();
    const p = buildPayment([{ node: h2, channelId: s.ah }, { node: s.b, channelId: s.hb }], 1_000_000n, paymentHash, (await height(net!)) + 60);
    await s.a.htlcs.sendLocal({ paymentId: 'p', attemptId: 'low', channelId: s.ah, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    const r = failureOf(await s.payer.outcome('low'), p.sharedSecrets);
    expect(r.ok && [r.hopIndex, r.failure.code]).toEqual([0, FEE_INSUFFICIENT]);
    // the refusal is in H's history, read again from its store after another restart
    await h2.stop();
    const h3 = await net!.node('h');
    expect((await h3.listForwards()).at(-1)).toMatchObject({ status: 'failed', failure: 'fee_insufficient', incomingChannelId: s.ah, fee: 0n });
    await until(() => s.a.channels.channels.get(s.ah)!.connected && s.b.channels.channels.get(s.hb)!.connected);
    // paying 5,000 msat more than the route built for the default fee is enough
    const p2 = buildPayment([{ node: h3, channelId: s.ah }, { node: s.b, channelId: s.hb }], 1_000_000n, paymentHash, (await height(net!)) + 60, { feeShort: -5_000n });
    await s.a.htlcs.sendLocal({ paymentId: 'p', attemptId: 'ok', channelId: s.ah, amountMsat: p2.amountMsat, paymentHash, expiryHeight: p2.expiryHeight, onion: p2.onion, attached: [] });
    expect((await s.payer.outcome('ok')).kind).toBe('fulfilled');
  });

  it('a payee refusal reaches A from hop 1, a fee too low from hop 0', async () => {
    const s = await setup();
    const p1 = await send(s, 'unknown', 1_000_000n, randomBytes(32));
    const r1 = failureOf(await s.payer.outcome('unknown'), p1.sharedSecrets);
    expect(r1.ok && [r1.hopIndex, r1.failure.code]).toEqual([1, INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS]);
    const { paymentHash } = s.payee.issue();
    const p2 = await send(s, 'cheap', 1_000_000n, paymentHash, { feeShort: 1n });
    const r2 = failureOf(await s.payer.outcome('cheap'), p2.sharedSecrets);
    expect(r2.ok && [r2.hopIndex, r2.failure.code]).toEqual([0, FEE_INSUFFICIENT]);
    expect(s.payee.asked).toHaveLength(1); // the underpaid one never left H
    await allSettled(s);
    expect(channelOf(s.a, s.ah).local).toBe(100_000_000n);
  });

  it('refuses an HTLC whose expiry leaves H less than its delta', async () => {
    const s = await setup();
    const { paymentHash } = s.payee.issue();
    const p = await send(s, 'short', 1_000_000n, paymentHash, { deltaShort: 1 });
    const r = failureOf(await s.payer.outcome('short'), p.sharedSecrets);
    expect(r.ok && [r.hopIndex, r.failure.code]).toEqual([0, INCORRECT_CLTV_EXPIRY]);
    expect(s.payee.asked).toHaveLength(0);
    await allSettled(s);
  });

  it('refuses a replayed onion at H, and the payee is asked only once', async () => {
    const s = await setup();
    const { paymentHash } = s.payee.issue();
    const p = await send(s, 'first', 2_000_000n, paymentHash);
    expect((await s.payer.outcome('first')).kind).toBe('fulfilled');
    // the same onion again, as someone who saw it pass would replay it
    await s.a.htlcs.sendLocal({ paymentId: 'p2', attemptId: 'again', channelId: s.ah, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    const r = failureOf(await s.payer.outcome('again'), p.sharedSecrets);
    expect(r.ok && [r.hopIndex, r.failure.code]).toEqual([0, TEMPORARY_CHANNEL_FAILURE]);
    expect(s.payee.asked).toHaveLength(1);
    await allSettled(s);
  });

  it('a next hop that answers with garbage: A learns the failure is unattributable, and nothing is lost', async () => {
    const s = await setup();
    s.payee.mode = 'hang';
    const { paymentHash } = s.payee.issue();
    const p = await send(s, 'garbage', 3_000_000n, paymentHash);
    const lock = await until(() => s.b.channels.channels.get(s.hb)!.signed.state.locks[0]);
    s.b.channels.submitOps(s.hb, [{ op: 'failHtlc', id: lock.id, reason: randomBytes(292) }]);
    const r = failureOf(await s.payer.outcome('garbage'), p.sharedSecrets);
    expect(r.ok).toBe(false);
    await allSettled(s);
    expect(channelOf(s.a, s.ah).local).toBe(100_000_000n);
    expect(channelOf(s.h, s.hb).local).toBe(100_000_000n);
  });

  it('a malformed-onion failure from B becomes H\'s own error packet with B\'s code (BOLT 2)', async () => {
    const s = await setup();
    s.payee.mode = 'hang';
    const { paymentHash } = s.payee.issue();
    const p = await send(s, 'malformed', 3_000_000n, paymentHash);
    const lock = await until(() => s.b.channels.channels.get(s.hb)!.signed.state.locks[0]);
    s.b.channels.submitOps(s.hb, [{ op: 'failMalformedHtlc', id: lock.id, sha256OfOnion: randomBytes(32), failureCode: INVALID_ONION_HMAC }]);
    const r = failureOf(await s.payer.outcome('malformed'), p.sharedSecrets);
    expect(r.ok && [r.hopIndex, r.failure.code]).toEqual([0, INVALID_ONION_HMAC]);
    await allSettled(s);
  });

  it('a next hop that never answers: H fails A back at the outgoing expiry, before A\'s own', async () => {
    const s = await setup();
    const { paymentHash } = s.payee.issue();
    s.payee.mode = 'hang';
    const p = await send(s, 'silent', 4_000_000n, paymentHash, { finalBlocks: 25 });
    await until(() => s.h.htlcs.sizes().outgoing === 1 && channelOf(s.b, s.hb).locks === 1);
    await s.b.stop(); // B goes silent holding the lock
    const r = failureOf(await s.payer.outcome('silent'), p.sharedSecrets);
    expect(r.ok && [r.hopIndex, r.failure.code]).toEqual([0, TEMPORARY_CHANNEL_FAILURE]);
    expect(await height(net!)).toBeLessThan(p.expiryHeight);
    await until(() => settledBetween(s.a, s.h, s.ah));
    expect(channelOf(s.a, s.ah).local).toBe(100_000_000n);
    // H still holds its lock towards B; B, back, fails its expired HTLC and the lock goes
    const b2 = await net!.node('b');
    b2.htlcs.setReceiver(s.payee);
    await until(() => settledBetween(s.h, b2, s.hb), 20_000, 'the H-B lock removed after B is back');
    expect(channelOf(s.h, s.hb).local).toBe(100_000_000n);
  });
});
