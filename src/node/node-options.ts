// What a node is started with (SluiceNode.start): its data dir, ledger, listener, and the bounds and
// policies of each part; every field but the data dir has a default.
import type { MemoryNetwork } from '../transport/memory.js';
import type { Logger } from '../util/log.js';
import type { Clock } from './clock.js';
import type { GossipLimits } from './gossip-limits.js';
import type { HtlcLimits } from './htlc-switch.js';
import type { PaymentsNodeOptions } from './payments-wiring.js';
import type { PeerLimits } from './peer-limits.js';
import type { NodeStore } from './store-port.js';
import type { StreamPolicy } from './streams.js';
import type { OpenLimits } from './unfunded-opens.js';

export interface NodeOptions extends PaymentsNodeOptions {
  dataDir: string;
  ledgerUrl?: string;
  alias?: string;
  /** Peer WebSocket listener; port 0 picks one. Omit `listen` to not listen (with `network`). */
  listen?: { host: string; port: number };
  network?: MemoryNetwork;
  log?: Logger;
  /** Stream prices, spending limits and metering. */
  streams?: StreamPolicy;
  /** How often peers are pinged (tests shorten it). */
  pingIntervalMs?: number;
  /** The store to use instead of LevelDB in the data dir (in-process networks, tests' fault doubles). */
  store?: NodeStore;
  /** Bounds on opens peers ask of this node that are not yet funded on the ledger. */
  openLimits?: Partial<OpenLimits>;
  /** Bounds on what peers can make the node hold (docs/security.md); defaults otherwise. */
  peerLimits?: Partial<PeerLimits>;
  /** The streams' clock and scheduler (tests drive a ManualClock). */
  clock?: Clock;
  /** Told how long each durable store write took (the metrics' store latency). */
  onStoreWrite?: (ms: number) => void;
  /** Bounds on the HTLCs peers can make the switch hold (docs/security.md). */
  htlcLimits?: Partial<HtlcLimits>;
  /** Gossip (BOLT 7): how often the relay batch goes out (default a minute) and its bounds. */
  gossip?: { flushMs?: number; limits?: Partial<GossipLimits> };
}
