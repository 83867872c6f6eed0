// In-process payment networks for the HTLC switch's tests: whole nodes (real LevelDB, the in-memory
// transport, one ledger) in a line, a payee that settles the hashes it knows, a payer that records the
// outcomes it is told, and onions built for a route through the line.
import { randomBytes } from 'node:crypto';
import { toHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { DEFAULT_FORWARDING_POLICY, forwardingFee } from '../../src/forward/policy.js';
import { buildOnion } from '../../src/onion/sphinx.js';
import { encodeHopPayload } from '../../src/onion/payload.js';
import type { NodeOptions, SluiceNode } from '../../src/node/node.js';
import type { FinalHopAnswer, FinalHopReceiver, IncomingHtlc, LocalOutcomeSink, OutgoingOutcome } from '../../src/node/htlc-types.js';
import { localShortChannelId } from '../../src/node/htlc-views.js';
import type { HopPayload } from '../../src/onion/payload.js';
import { encodeFailureMessage } from '../../src/onion/failure.js';
import { buildFailure } from '../../src/onion/failure-details.js';
import { INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS } from '../../src/onion/failure-codes.js';
import { until } from './until.js';
import type { TestNet } from './network.js';

/** Settles HTLCs whose hash it issued; `mode` lets a test make it fail, hang or throw. */
export class TestPayee implements FinalHopReceiver {
  readonly preimages = new Map<string, Uint8Array>();
  readonly asked: IncomingHtlc[] = [];
  mode: 'settle' | 'fail' | 'hang' = 'settle';
  private readonly held: (() => void)[] = [];

  /** Answer every HTLC held in 'hang' mode as 'settle' mode would, and settle from now on. */
  releaseAll(): void {
    this.mode = 'settle';
    for (const r of this.held.splice(0)) r();
  }

  issue(): { preimage: Uint8Array; paymentHash: Uint8Array } {
    const preimage = randomBytes(32);
    const paymentHash = sha256(preimage);
    this.preimages.set(toHex(paymentHash), preimage);
    return { preimage, paymentHash };
  }

  onFinalHtlc(htlc: IncomingHtlc, _payload: HopPayload): Promise<FinalHopAnswer> {
    this.asked.push(htlc);
    if (this.mode === 'hang') return new Promise((resolve) => this.held.push(() => void this.answer(htlc).then(resolve)));
    return this.answer(htlc);
  }

  private answer(htlc: IncomingHtlc): Promise<FinalHopAnswer> {
    const preimage = this.preimages.get(toHex(htlc.paymentHash));
    if (!preimage || this.mode === 'fail') {
      return Promise.resolve({ kind: 'fail', failureMessage: encodeFailureMessage(buildFailure(INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, { htlcMsat: htlc.amountMsat, height: 0 })) });
    }
    return Promise.resolve({ kind: 'settle', preimage });
  }
}

/** Records every outcome it is told (duplicates included: delivery is at least once). */
export class TestPayer implements LocalOutcomeSink {
  readonly outcomes = new Map<string, OutgoingOutcome>();
  told = 0;

  onLocalOutcome(_paymentId: string, attemptId: string, outcome: OutgoingOutcome): Promise<void> {
    this.told++;
    if (!this.outcomes.has(attemptId)) this.outcomes.set(attemptId, outcome);
    return Promise.resolve();
  }

  async outcome(attemptId: string, timeoutMs = 20_000): Promise<OutgoingOutcome> {
    await until(() => this.outcomes.has(attemptId), timeoutMs, `the outcome of ${attemptId}`);
    return this.outcomes.get(attemptId)!;
  }
}

export interface Line {
  nodes: SluiceNode[];
  /** channels[i] joins nodes[i] and nodes[i+1], opened (and funded) by nodes[i]. */
  channels: string[];
}

/** Nodes in a line, each opening a channel to the next with `capacity` (pushing `push` to it). */
export async function openLine(net: TestNet, names: string[], capacity = 100_000_000n, push = 0n, extra: Record<string, Partial<NodeOptions>> = {}): Promise<Line> {
  const nodes: SluiceNode[] = [];
  for (const n of names) nodes.push(await net.node(n, undefined, extra[n]));
  const channels: string[] = [];
  for (let i = 0; i + 1 < nodes.length; i++) {
    const [a, b] = [nodes[i]!, nodes[i + 1]!];
    await a.faucet(capacity * 2n);
    await a.connectInMemory(b.nodeId);
    const ch = await a.openChannel({ peerId: b.nodeId, capacity, push });
    await until(async () => (await b.listChannels()).some((c) => c.channelId === ch.channelId && c.status === 'open'));
    channels.push(ch.channelId);
  }
  return { nodes, channels };
}

export interface RouteHop {
  node: SluiceNode;
  /** the channel into this hop (from the previous one) */
  channelId: string;
}

export interface BuiltPayment {
  onion: Uint8Array;
  sharedSecrets: Uint8Array[];
  /** what the first HTLC carries */
  amountMsat: bigint;
  expiryHeight: number;
}

/**
 * The onion for paying `amountMsat` to the last of `hops`, with every forwarder on the default policy:
 * amounts and expiries built backwards from the payee, as a payer's router would.
 */
/** The line a–h–b, plus a channel c→h: a second way into the hop h. */
export async function openStar(net: TestNet, extra: Record<string, Partial<NodeOptions>> = {}) {
  const line = await openLine(net, ['a', 'h', 'b'], 100_000_000n, 0n, extra);
  const [a, h, b] = line.nodes as [SluiceNode, SluiceNode, SluiceNode];
  const c = await net.node('c');
  await c.faucet(200_000_000n);
  await c.connectInMemory(h.nodeId);
  const ch = (await c.openChannel({ peerId: h.nodeId, capacity: 100_000_000n, push: 0n })).channelId;
  await until(async () => (await h.listChannels()).some((x) => x.channelId === ch && x.status === 'open'));
  return { a, h, b, c, ah: line.channels[0]!, hb: line.channels[1]!, ch };
}

export function buildPayment(hops: RouteHop[], amountMsat: bigint, paymentHash: Uint8Array, finalExpiry: number, opts: { paymentSecret?: Uint8Array; feeShort?: bigint; deltaShort?: number; scid?: (channelId: string) => string } = {}): BuiltPayment {
  const payloads: Uint8Array[] = [];
  let amount = amountMsat;
  let expiry = finalExpiry;
  for (let i = hops.length - 1; i >= 0; i--) {
    if (i === hops.length - 1) {
      payloads.unshift(encodeHopPayload({ amountToForwardMsat: amount, outgoingCltvValue: BigInt(expiry), paymentData: { paymentSecret: opts.paymentSecret ?? new Uint8Array(32), totalMsat: amount } }));
    } else {
      const next = hops[i + 1]!;
      payloads.unshift(encodeHopPayload({ amountToForwardMsat: amount, outgoingCltvValue: BigInt(expiry), shortChannelId: Buffer.from(opts.scid?.(next.channelId) ?? localShortChannelId({ channelId: Buffer.from(next.channelId, 'hex') }), 'hex') }));
      amount += forwardingFee(DEFAULT_FORWARDING_POLICY, amount) - (opts.feeShort ?? 0n);
      expiry += DEFAULT_FORWARDING_POLICY.cltvExpiryDelta - (opts.deltaShort ?? 0);
    }
  }
  const built = buildOnion({
    hops: hops.map((h, i) => ({ publicKey: Buffer.from(h.node.nodeId, 'hex'), payload: payloads[i]! })),
    sessionKey: randomBytes(32),
    associatedData: paymentHash,
  });
  return { onion: built.packet, sharedSecrets: built.sharedSecrets, amountMsat: amount, expiryHeight: expiry };
}

/** One channel as a node holds it: balances and the locks of its latest both-signed state. */
export function channelOf(n: SluiceNode, channelId: string): { local: bigint; remote: bigint; locks: number; seq: bigint } {
  const ch = n.channels.channels.get(channelId);
  if (!ch) throw new Error(`${n.alias} has no channel ${channelId.slice(0, 8)}`);
  const s = ch.signed.state;
  const [local, remote] = ch.local === 'A' ? [s.balanceA, s.balanceB] : [s.balanceB, s.balanceA];
  return { local, remote, locks: s.locks.length, seq: s.seq };
}

/** Both ends hold the same latest state, with no lock left. */
export function settledBetween(a: SluiceNode, b: SluiceNode, channelId: string): boolean {
  const x = channelOf(a, channelId);
  const y = channelOf(b, channelId);
  return x.locks === 0 && y.locks === 0 && x.seq === y.seq && x.local === y.remote;
}

export async function height(net: TestNet): Promise<number> {
  return net.ledger.chain.tip.header.height;
}
