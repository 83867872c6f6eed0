// Streams across hops hooked to the node: the routed part of the stream manager gets the payer (for
// batches), the switch's channels, and gossip's addresses; the payee's final-hop receiver hands it the
// HTLCs that carry a stream batch record; payment outcomes reach it from the node's event feed. Kept
// apart from node.ts so the node only calls this (and resume, once the payer has started).
import type { NodeEvent } from '../api/types.js';
import type { HtlcSwitchApi } from './htlc-types.js';
import type { InvoiceManager } from './invoices.js';
import type { PaymentManager } from './payments.js';
import type { StreamManager } from './streams.js';
import { RoutedStreams } from './streams-routed.js';
import { ChainRelays } from './streams-chain.js';

export function wireRoutedStreams(o: {
  streams: StreamManager;
  payer: PaymentManager;
  payee: InvoiceManager;
  /** the switch: its channels, and its incoming HTLCs (whether a batch's settle is stored yet) */
  htlcs: Pick<HtlcSwitchApi, 'localChannels'> & { readonly incoming: ReadonlyMap<string, { readonly owed?: { readonly kind: string } }> };
  /** the gossip graph's nodes (their announced host:port addresses) */
  nodes(): readonly { nodeId: string; addresses: readonly string[] }[];
  onEvent(listener: (e: NodeEvent) => void): () => void;
  /** the ledger's time between blocks (what a batch HTLC's expiry margin is counted from) */
  blockTimeMs?: number;
  /** the ledger's dispute window (blocks) */
  disputeBlocks: number;
}): RoutedStreams {
  const routed = new RoutedStreams(o.streams, {
    payer: o.payer,
    localChannels: () => o.htlcs.localChannels(),
    addressOf: (id) => o.nodes().find((n) => n.nodeId === id)?.addresses[0],
    // stored: its fulfil is owed, or the HTLC is gone (resolved); a record with nothing owed is still being settled
    settleStored: (key) => {
      const rec = o.htlcs.incoming.get(key);
      return !rec || rec.owed?.kind === 'fulfil';
    },
    ...(o.blockTimeMs !== undefined ? { blockTimeMs: o.blockTimeMs } : {}),
  });
  o.streams.routed = routed;
  o.streams.chain = new ChainRelays(o.streams, { localChannels: () => o.htlcs.localChannels(), disputeBlocks: o.disputeBlocks });
  o.payee.setStreamBatches((record, amount, htlcKey) => routed.onBatchHtlc(record, amount, htlcKey), (htlcKey) => routed.releasedBatch(htlcKey));
  o.onEvent((e) => {
    if (e.type !== 'routedPayment') return;
    const p = e.payment;
    routed.outcome({ paymentHash: p.paymentHash, status: p.status, feeMsat: p.fee, ...(p.failure !== undefined ? { failure: { message: p.failure } } : {}) });
  });
  return routed;
}
