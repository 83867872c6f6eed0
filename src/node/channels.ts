// Drives the channel state machines: feeds them events one at a time per channel, and runs their
// effects in order. A `persist` is awaited (LevelDB, sync) before any later effect runs, so no signature
// leaves this process for a state that is not on disk.
import { randomBytes } from 'node:crypto';
import { toHex } from '../crypto/bytes.js';
import { acceptOpen, proposeOpen } from '../channel/open.js';
import { localBalance, step, type Channel, type ChannelEffect, type ChannelEvent, type QueuedOps, type StepContext } from '../channel/machine.js';
import { signState, type ChannelState } from '../channel/state.js';
import { LedgerRpcError, LedgerUnavailableError } from '../ledger/client.js';
import type { ChannelMessage, OpenChannelMessage } from '../wire/channel.js';
import type { ChannelOp } from '../wire/channel-ops.js';
import type { Logger } from '../util/log.js';
import type { AttachedWrite, NodeStore } from './store.js';
import type { PeerManager } from './peers.js';
import type { Wallet } from './wallet.js';

export interface Settlement {
  seq: bigint;
}

interface Waiter {
  resolve(s: Settlement): void;
  reject(e: Error): void;
}

export interface ChannelManagerOptions {
  store: NodeStore;
  peers: PeerManager;
  wallet: Wallet;
  chainId: string;
  secretKey: Uint8Array;
  nodeId: Uint8Array;
  log: Logger;
  height(): number;
  /** Something about a channel changed (status, balances, a payment). */
  onChange(ch: Channel, effect: ChannelEffect): void;
}

export class ChannelManager {
  readonly channels = new Map<string, Channel>();
  private readonly serial = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly incoming = new Map<string, QueuedOps[]>();
  /** Records a caller gave with its ops, stored with the first channel state that carries them. */
  private readonly attached = new Map<string, readonly AttachedWrite[]>();
  private readonly ctx: StepContext;

  constructor(private readonly o: ChannelManagerOptions) {
    const sk = o.secretKey;
    const chainId = o.chainId;
    this.ctx = {
      chainId,
      sign: (s: ChannelState) => signState(chainId, s, sk),
      get height() {
        return o.height();
      },
    };
  }

  async load(): Promise<void> {
    for (const ch of await this.o.store.loadChannels()) this.channels.set(toHex(ch.channelId), ch);
  }

  list(): Channel[] {
    return [...this.channels.values()];
  }

  withPeer(peerId: string): Channel[] {
    return this.list().filter((c) => toHex(c.remoteNodeId) === peerId);
  }

  /** Run `fn` after everything already queued for this channel (messages, updates, persists). */
  afterPending(id: string, fn: () => Promise<void>): Promise<void> {
    return this.serialize(id, fn);
  }

  /** Run `fn` after everything already queued for this channel. */
  private serialize(id: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.serial.get(id) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.catch((e: unknown) => this.o.log.error({ err: e, channel: id.slice(0, 16) }, 'channel task failed'));
    this.serial.set(id, tail);
    return run;
  }

  /** Feed one event to a channel (after what is already queued for it) and run its effects. */
  dispatch(id: string, ev: ChannelEvent): Promise<void> {
    return this.serialize(id, () => this.step(id, ev));
  }

  private async step(id: string, ev: ChannelEvent): Promise<void> {
    const ch = this.channels.get(id);
    if (!ch) return;
    const r = step(ch, ev, this.ctx);
    if (!r.ok) {
      const { action, message } = r.error;
      const peer = toHex(ch.remoteNodeId);
      if (action === 'ignore') this.o.log.debug({ channel: id.slice(0, 16), message }, 'ignored');
      else this.o.log.warn({ channel: id.slice(0, 16), action, message }, 'channel event refused');
      if (action === 'warn') this.o.peers.sendError(peer, ch.channelId, message);
      if (action === 'disconnect') {
        this.o.peers.sendError(peer, ch.channelId, message);
        this.o.peers.disconnect(peer, message);
      }
      if (action === 'fail') {
        // Fail the channel (BOLT 1 `error` for it), hang up, and close on the ledger with our latest
        // both-signed state: a peer that breaks the protocol gets no further updates from us.
        this.o.peers.sendError(peer, ch.channelId, message, 'error');
        this.o.peers.disconnect(peer, message);
        if (ch.status === 'open' || ch.status === 'opening' || ch.status === 'closing') {
          const closed = step(ch, { type: 'forceClose' }, this.ctx);
          if (closed.ok) await this.runEffects(id, closed.channel, closed.effects);
        }
      }
      return;
    }
    await this.runEffects(id, r.channel, r.effects);
  }

  private async runEffects(id: string, ch: Channel, effects: ChannelEffect[]): Promise<void> {
    // The new state becomes the channel's only once it is stored: if the write fails, the channel stays
    // as it was and nothing after the failed persist (no signature) goes out.
    if (!effects.some((e) => e.type === 'persist')) this.channels.set(id, ch);
    const peer = toHex(ch.remoteNodeId);
    for (const e of effects) {
      switch (e.type) {
        case 'persist':
          await this.o.store.saveChannel(ch, this.takeAttached(ch.proposal?.refs ?? []));
          this.channels.set(id, ch);
          break;
        case 'send':
          this.o.peers.send(peer, e.message);
          break;
        case 'submit':
          void this.submit(id, ch, e.tx, e.state);
          break;
        case 'settled':
          for (const ref of e.refs) this.takeWaiter(ref)?.resolve({ seq: e.seq });
          this.o.onChange(ch, e);
          break;
        case 'rejected':
          for (const ref of e.refs) this.takeWaiter(ref)?.reject(new Error(e.reason));
          break;
        case 'received':
        case 'statusChanged':
          this.o.onChange(ch, e);
          break;
        default: {
          const never: never = e;
          return never;
        }
      }
    }
  }

  private takeWaiter(ref: string): Waiter | undefined {
    const w = this.waiters.get(ref);
    this.waiters.delete(ref);
    this.attached.delete(ref);
    return w;
  }

  private takeAttached(refs: readonly string[]): AttachedWrite[] {
    const out: AttachedWrite[] = [];
    for (const ref of refs) {
      const w = this.attached.get(ref);
      if (!w) continue;
      this.attached.delete(ref);
      out.push(...w);
    }
    return out;
  }

  private async submit(id: string, ch: Channel, kind: 'open' | 'close' | 'forceClose' | 'dispute' | 'settle', state: Channel['signed'] | undefined, attempt = 0): Promise<void> {
    try {
      const txid = await this.o.wallet.channelTx(kind, ch.channelId, { state, peer: ch.remoteNodeId, capacity: ch.capacity });
      this.o.log.info({ channel: id.slice(0, 16), tx: kind, txid }, 'submitted to the ledger');
    } catch (e) {
      if (e instanceof LedgerUnavailableError && attempt < 10) {
        // The ledger is away: try again (a resubmission the ledger already has is refused harmlessly).
        setTimeout(() => void this.submit(id, ch, kind, state, attempt + 1), 1000 * (attempt + 1)).unref();
        return;
      }
      const reason = e instanceof LedgerRpcError ? `${e.reason ?? e.code}: ${e.message}` : (e as Error).message;
      const benign = e instanceof LedgerRpcError && ((kind === 'close' && e.reason === 'WRONG_STATUS') || (kind === 'open' && e.reason === 'CHANNEL_EXISTS'));
      if (benign) return;
      this.o.log.warn({ channel: id.slice(0, 16), tx: kind, reason }, 'ledger refused a channel transaction');
      await this.dispatch(id, { type: 'submitFailed', tx: kind, reason });
    }
  }

  /** Open a channel to a connected peer: persist the proposal, then send it. */
  async open(peerId: string, capacity: bigint, push: bigint): Promise<Channel> {
    const remoteNodeId = Uint8Array.from(Buffer.from(peerId, 'hex'));
    const channelId = randomBytes(32);
    const { channel, effects } = proposeOpen({ channelId, localNodeId: this.o.nodeId, remoteNodeId, capacity, push }, this.ctx);
    const id = toHex(channelId);
    await this.serialize(id, () => this.runEffects(id, channel, effects));
    return channel;
  }

  /** A peer proposes a channel: accept (persist, countersign) or refuse with an error message. */
  async onOpenChannel(peerId: string, m: OpenChannelMessage): Promise<void> {
    const id = toHex(m.channelId);
    const known = this.channels.get(id);
    if (known) {
      // A repeat of an open we accepted (our acceptance was lost): the same answer again.
      const same = toHex(known.remoteNodeId) === peerId && known.local === 'B' && known.capacity === m.capacity
        && known.signed.state.balanceB === m.push && toHex(known.signed.sigA) === toHex(m.sigA);
      if (same && known.status !== 'failed' && known.status !== 'closed') {
        this.o.peers.send(peerId, { kind: 'acceptChannel', channelId: m.channelId, sigB: known.signed.sigB });
      } else {
        this.o.peers.sendError(peerId, m.channelId, 'channel id already in use', 'error');
      }
      return;
    }
    const remoteNodeId = Uint8Array.from(Buffer.from(peerId, 'hex'));
    const r = acceptOpen(m, { localNodeId: this.o.nodeId, remoteNodeId }, this.ctx);
    if (typeof r === 'string') {
      this.o.log.info({ peer: peerId.slice(0, 16), reason: r }, 'refused a channel');
      this.o.peers.sendError(peerId, m.channelId, `channel refused: ${r}`, 'error');
      return;
    }
    await this.serialize(id, () => this.runEffects(id, r.channel, r.effects));
  }

  onMessage(peerId: string, m: ChannelMessage): void {
    if (m.kind === 'openChannel') {
      void this.onOpenChannel(peerId, m);
      return;
    }
    const id = toHex(m.channelId);
    const ch = this.channels.get(id);
    if (!ch || toHex(ch.remoteNodeId) !== peerId) {
      this.o.peers.sendError(peerId, m.channelId, 'unknown channel');
      return;
    }
    void this.dispatch(id, { type: 'message', message: m });
  }

  /**
   * Queue operations on a channel; resolves when a both-signed state carries them. Requests that arrive
   * while the channel is busy are gathered and handed to the state machine in one event. `attach`: records
   * stored in the same atomic batch as the first state that carries these ops (a stream's paid total).
   */
  submitOps(id: string, ops: ChannelOp[], attach?: readonly AttachedWrite[]): { ref: string; settled: Promise<Settlement> } {
    const ref = toHex(randomBytes(16));
    const settled = new Promise<Settlement>((resolve, reject) => this.waiters.set(ref, { resolve, reject }));
    if (attach?.length) this.attached.set(ref, attach);
    let pending = this.incoming.get(id);
    if (!pending) {
      pending = [];
      this.incoming.set(id, pending);
      void this.serialize(id, async () => {
        const entries = this.incoming.get(id) ?? [];
        this.incoming.delete(id);
        await this.step(id, { type: 'localBatch', entries });
      });
    }
    pending.push({ ops, refs: [ref] });
    return { ref, settled };
  }

  /** The channel to pay a peer through: open, connected, with the most spendable balance. */
  payable(peerId: string, amount: bigint): Channel | undefined {
    return this.withPeer(peerId)
      .filter((c) => c.status === 'open')
      .sort((a, b) => (localBalance(b) > localBalance(a) ? 1 : -1))
      .find((c) => localBalance(c) - c.limits.reserve >= amount);
  }


}
