// Whole ChannelManagers (the node's channel shell) wired to each other in one process, with the store
// port's doubles, a fake ledger and fake peers: as close to the node as a test can get without sockets,
// and deterministic (no timers; `idle` waits until every queued step has run and no message is moving).
import { randomBytes } from 'node:crypto';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { signState } from '../../src/channel/state.js';
import { chainHash } from '../../src/channel/state.js';
import { defaultLimits } from '../../src/channel/ops.js';
import type { LedgerChannel } from '../../src/ledger/types.js';
import { ChannelManager } from '../../src/node/channels.js';
import type { OpenLimits } from '../../src/node/unfunded-opens.js';
import { eventsFromLedgerRecord } from '../../src/node/watcher.js';
import { silentLogger } from '../../src/util/log.js';
import type { Message } from '../../src/wire/message.js';
import type { ChannelMessage, OpenChannelMessage } from '../../src/wire/channel.js';
import { FaultyStore } from './store-doubles.js';

export const CHAIN = 'sluice-test';

export interface PeerError {
  to: string;
  channelId?: string;
  text: string;
  kind: 'warning' | 'error';
}

export interface ManagerNode {
  name: string;
  sk: Uint8Array;
  pk: Uint8Array;
  id: string;
  mgr: ChannelManager;
  store: FaultyStore;
  sent: { to: string; m: Message }[];
  errors: PeerError[];
  disconnects: string[];
  submitted: { kind: string; channelId: string }[];
}

export interface ManagerNet {
  height: number;
  ledger: Map<string, LedgerChannel>;
  nodes: ManagerNode[];
  add(name: string, opts?: { openLimits?: Partial<OpenLimits>; store?: FaultyStore }): ManagerNode;
  /** Wait until no step is queued and no message is moving. */
  idle(): Promise<void>;
  /** Open a channel from a to b: both sign state 0 and a submits the open, which the fake ledger holds; nobody has read it yet. */
  openSigned(a: ManagerNode, b: ManagerNode, capacity?: bigint, push?: bigint): Promise<string>;
  /** openSigned, then both read the ledger and see the channel open. */
  openFunded(a: ManagerNode, b: ManagerNode, capacity?: bigint, push?: bigint): Promise<string>;
  /** Tell both parties what the ledger's record of this channel says (what the watcher does). */
  reconcile(id: string): Promise<void>;
  /** A new block for every node. */
  block(): Promise<void>;
}

const isChannelMessage = (m: Message): m is ChannelMessage =>
  ['openChannel', 'acceptChannel', 'updateState', 'ackState', 'commitState', 'reestablish'].includes((m as { kind: string }).kind);

export function managerNet(): ManagerNet {
  const nodes: ManagerNode[] = [];
  const byId = new Map<string, ManagerNode>();
  const ledger = new Map<string, LedgerChannel>();
  let moved = 0;
  const net: ManagerNet = {
    height: 100,
    ledger,
    nodes,
    add(name, opts = {}) {
      const sk = randomSecretKey();
      const pk = publicKeyOf(sk);
      const id = toHex(pk);
      const store = opts.store ?? new FaultyStore();
      const node = { name, sk, pk, id, store, sent: [], errors: [], disconnects: [], submitted: [] } as unknown as ManagerNode;
      node.mgr = new ChannelManager({
        store, chainId: CHAIN, secretKey: sk, nodeId: pk, log: silentLogger(), openLimits: opts.openLimits,
        height: () => net.height,
        onChange: () => undefined,
        ledger: { channel: async (cid: Uint8Array) => ledger.get(toHex(cid)) },
        wallet: {
          channelTx: async (kind, channelId, o) => {
            node.submitted.push({ kind, channelId: toHex(channelId) });
            if (kind === 'open' && o.state) {
              const st = o.state.state;
              ledger.set(toHex(channelId), {
                channelId, a: pk, b: o.peer!, capacity: o.capacity!, locked: o.capacity!,
                status: 'open', openedHeight: net.height, reveals: {}, openState: st,
              });
            }
            return toHex(randomBytes(32));
          },
        },
        peers: {
          send: (to: string, m: Message) => {
            node.sent.push({ to, m });
            const peer = byId.get(to);
            if (peer && isChannelMessage(m)) {
              moved++;
              peer.mgr.onMessage(id, m);
            }
            return true;
          },
          sendError: (to: string, channelId: Uint8Array | undefined, text: string, kind: 'warning' | 'error' = 'warning') => {
            node.errors.push({ to, channelId: channelId ? toHex(channelId) : undefined, text, kind });
          },
          disconnect: (to: string) => {
            node.disconnects.push(to);
          },
        },
      });
      nodes.push(node);
      byId.set(id, node);
      return node;
    },
    async idle() {
      for (let stable = 0, round = 0; stable < 2; round++) {
        if (round > 1000) throw new Error('channel managers kept busy');
        const before = moved;
        const ids = new Set<string>();
        for (const n of nodes) {
          for (const k of n.mgr.channels.keys()) ids.add(k);
          for (const s of n.sent) if ('channelId' in s.m) ids.add(toHex((s.m as { channelId: Uint8Array }).channelId));
        }
        for (const n of nodes) await Promise.all([...ids].map((cid) => n.mgr.afterPending(cid, async () => undefined)));
        await new Promise((r) => setImmediate(r));
        stable = moved === before ? stable + 1 : 0;
      }
    },
    async openSigned(a, b, capacity = 1_000_000_000n, push = 0n) {
      const ch = await a.mgr.open(b.id, capacity, push);
      await net.idle();
      return toHex(ch.channelId);
    },
    async openFunded(a, b, capacity, push) {
      const id = await net.openSigned(a, b, capacity, push);
      await net.reconcile(id);
      return id;
    },
    async reconcile(id) {
      for (const n of nodes) {
        const ch = n.mgr.channels.get(id);
        if (!ch) continue;
        for (const ev of eventsFromLedgerRecord(ch, ledger.get(id))) await n.mgr.dispatch(id, ev);
      }
      await net.idle();
    },
    async block() {
      net.height++;
      for (const n of nodes) await n.mgr.onHeight(net.height);
      await net.idle();
    },
  };
  return net;
}

/** An openChannel message signed by `sk` for `to`, as a peer (honest or not) would send it. */
export function openMessage(opts: { sk: Uint8Array; channelId?: Uint8Array; capacity?: bigint; push?: bigint; chainId?: string }): OpenChannelMessage {
  const chain = opts.chainId ?? CHAIN;
  const capacity = opts.capacity ?? 1_000_000_000n;
  const push = opts.push ?? 0n;
  const channelId = opts.channelId ?? randomBytes(32);
  const state = { channelId, seq: 0n, balanceA: capacity - push, balanceB: push, locks: [], closing: false };
  return {
    kind: 'openChannel', channelId, chainHash: chainHash(chain), capacity, push,
    reserve: defaultLimits(capacity).reserve, sigA: signState(chain, state, opts.sk),
  };
}

export function accepts(n: ManagerNode, channelId?: string): Message[] {
  return n.sent.filter((s) => s.m.kind === 'acceptChannel' && (channelId === undefined || toHex((s.m as { channelId: Uint8Array }).channelId) === channelId)).map((s) => s.m);
}
