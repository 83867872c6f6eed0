// A simulated network of HTLC switches for the payer's and payee's shell tests: each node implements
// the switch contract (src/node/htlc-types.ts), and an HTLC travels hop by hop through the real pure
// cores (peelOnion, decideForward, the payee's FinalHopReceiver, error packets wrapped on the way back).
// Channels are balances only: no channel states, signatures or ledger, which the node tests cover.
// Attached records are written with the sender's (or payee's) store, as the switch would with a state.
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { decideForward, type OutChannelView } from '../../src/forward/decide.js';
import { DEFAULT_FORWARDING_POLICY, type ForwardingPolicy } from '../../src/forward/policy.js';
import { failWith } from '../../src/forward/failures.js';
import { createErrorPacket, wrapErrorPacket } from '../../src/onion/failure.js';
import { peelOnion } from '../../src/onion/sphinx.js';
import { MemoryNodeStore } from '../../src/node/memory-store.js';
import type { FinalHopReceiver, HtlcSwitchApi, LocalChannelView, LocalOutcomeSink, LocalSend, OutgoingOutcome } from '../../src/node/htlc-types.js';
import { randomBytes } from 'node:crypto';

export interface SimChannel {
  channelId: string;
  scid: string;
  a: SimNode;
  b: SimNode;
  balance: Map<string, bigint>;
  policy: Map<string, ForwardingPolicy>;
  active: boolean;
}

type Hop = { outcome: OutgoingOutcome };

export class SimNet {
  readonly nodes: SimNode[] = [];
  readonly channels: SimChannel[] = [];
  height = 1000;

  node(name: string): SimNode {
    const n = new SimNode(this, name);
    this.nodes.push(n);
    return n;
  }

  channel(a: SimNode, b: SimNode, balanceA: bigint, balanceB: bigint): SimChannel {
    const channelId = toHex(randomBytes(32));
    const c: SimChannel = {
      channelId, scid: channelId.slice(0, 16), a, b, active: true,
      balance: new Map([[a.nodeId, balanceA], [b.nodeId, balanceB]]),
      policy: new Map([[a.nodeId, DEFAULT_FORWARDING_POLICY], [b.nodeId, DEFAULT_FORWARDING_POLICY]]),
    };
    this.channels.push(c);
    return c;
  }

  balanceOf(c: SimChannel, n: SimNode): bigint {
    return c.balance.get(n.nodeId)!;
  }

  /** An HTLC arriving at `at` over `ch` from `prev`; resolves with what goes back to `prev`. */
  async arrive(at: SimNode, prev: SimNode, ch: SimChannel, htlcId: number, amountMsat: bigint, paymentHash: Uint8Array, expiryHeight: number, onion: Uint8Array): Promise<Hop> {
    const peeled = peelOnion({ packet: onion, nodeSecretKey: at.secretKey, associatedData: paymentHash });
    const decision = decideForward({
      incoming: { amountMsat, expiryHeight, paymentHash }, peeled, currentHeight: this.height,
      outgoing: (scid) => {
        const out = this.channels.find((c) => c.scid === scid && (c.a === at || c.b === at));
        if (!out) return undefined;
        const view: OutChannelView = {
          channelId: Buffer.from(out.channelId, 'hex'), active: out.active, spendableMsat: this.balanceOf(out, at),
          htlcCount: 0, maxHtlcs: 30, policy: out.policy.get(at.nodeId)!,
        };
        return view;
      },
    });
    switch (decision.kind) {
      case 'malformed':
        return { outcome: { kind: 'malformed', failureCode: decision.failureCode, sha256OfOnion: decision.sha256OfOnion } };
      case 'fail':
        return { outcome: { kind: 'failed', reason: decision.reason } };
      case 'receive': {
        const answer = await at.receiver!.onFinalHtlc({ channelId: ch.channelId, htlcId, amountMsat, paymentHash, expiryHeight }, decision.payload);
        if (answer.kind === 'fail') {
          const code = (answer.failureMessage[0]! << 8) | answer.failureMessage[1]!;
          return { outcome: { kind: 'failed', reason: createErrorPacket({ sharedSecret: decision.sharedSecret, failure: { code, data: answer.failureMessage.slice(2) } }) } };
        }
        if (answer.attached?.length) await at.store.writeRecords(answer.attached);
        this.move(ch, prev, at, amountMsat);
        return { outcome: { kind: 'fulfilled', preimage: answer.preimage } };
      }
      case 'forward': {
        const out = this.channels.find((c) => c.channelId === toHex(decision.channelId))!;
        const next = out.a === at ? out.b : out.a;
        if (at.down) return { outcome: { kind: 'failed', reason: failWith(0x2002, {}, decision.sharedSecret, 'down').reason } };
        const back = await this.arrive(next, at, out, at.nextHtlcId++, decision.amountMsat, paymentHash, decision.expiryHeight, decision.onion);
        const o = back.outcome;
        if (o.kind === 'fulfilled') {
          this.move(ch, prev, at, amountMsat);
          return back;
        }
        if (o.kind === 'failed') return { outcome: { kind: 'failed', reason: wrapErrorPacket({ sharedSecret: decision.sharedSecret, packet: o.reason }) } };
        if (o.kind === 'malformed') {
          // BOLT 2: the hop before the one that could not read it turns it into an error onion
          return { outcome: { kind: 'failed', reason: failWith(o.failureCode, { sha256OfOnion: o.sha256OfOnion }, decision.sharedSecret, 'malformed downstream').reason } };
        }
        return { outcome: { kind: 'failed', reason: failWith(0x1007, { channelUpdate: new Uint8Array(0) }, decision.sharedSecret, o.reason).reason } };
      }
    }
  }

  private move(ch: SimChannel, from: SimNode, to: SimNode, amount: bigint): void {
    ch.balance.set(from.nodeId, ch.balance.get(from.nodeId)! - amount);
    ch.balance.set(to.nodeId, ch.balance.get(to.nodeId)! + amount);
  }
}

export class SimNode implements HtlcSwitchApi {
  readonly secretKey = randomSecretKey();
  readonly nodeId = toHex(publicKeyOf(this.secretKey));
  store = new MemoryNodeStore();
  receiver?: FinalHopReceiver;
  sink?: LocalOutcomeSink;
  nextHtlcId = 1;
  /** forwards fail with temporary_node_failure */
  down = false;
  /** outcomes of our own sends, by (paymentId, attemptId): what a restarted switch delivers again */
  readonly outcomes: { paymentId: string; attemptId: string; outcome: OutgoingOutcome }[] = [];
  readonly sent: LocalSend[] = [];
  /** while set, sends wait here instead of travelling */
  hold?: Promise<void>;

  constructor(private readonly net: SimNet, readonly name: string) {}

  setReceiver(r: FinalHopReceiver): void {
    this.receiver = r;
  }

  setLocalSink(s: LocalOutcomeSink): void {
    this.sink = s;
  }

  localChannels(): LocalChannelView[] {
    return this.net.channels
      .filter((c) => c.a === this || c.b === this)
      .map((c) => {
        const peer = c.a === this ? c.b : c.a;
        return {
          channelId: c.channelId, shortChannelId: c.scid, peerNodeId: peer.nodeId, active: c.active,
          spendableMsat: c.balance.get(this.nodeId)!, receivableMsat: c.balance.get(peer.nodeId)!, capacityMsat: c.balance.get(this.nodeId)! + c.balance.get(peer.nodeId)!,
          policy: { htlcMaximumMsat: 10n ** 15n, ...c.policy.get(this.nodeId)! },
        };
      });
  }

  async sendLocal(send: LocalSend): Promise<{ htlcId: number }> {
    const ch = this.net.channels.find((c) => c.channelId === send.channelId);
    if (!ch || !ch.active) throw new Error('channel not active');
    if (this.net.balanceOf(ch, this) < send.amountMsat) throw new Error('not enough balance');
    await this.store.writeRecords(send.attached);
    this.sent.push(send);
    const htlcId = this.nextHtlcId++;
    const peer = ch.a === this ? ch.b : ch.a;
    void (async () => {
      if (this.hold) await this.hold;
      const { outcome } = await this.net.arrive(peer, this, ch, htlcId, send.amountMsat, send.paymentHash, send.expiryHeight, send.onion);
      this.outcomes.push({ paymentId: send.paymentId, attemptId: send.attemptId, outcome });
      await this.sink?.onLocalOutcome(send.paymentId, send.attemptId, outcome);
    })();
    return { htlcId };
  }

  /** What a restarted switch does: tell the sink every outcome again. */
  async redeliver(): Promise<void> {
    for (const o of this.outcomes) await this.sink?.onLocalOutcome(o.paymentId, o.attemptId, o.outcome);
  }
}
