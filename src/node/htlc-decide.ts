// The switch's decision for an incoming HTLC, once a both-signed state holds it: src/forward's
// decideForward over this node's channels, turned into the incoming record to store and what to do
// once it is stored (offer it on, ask the payee's code) or, for a refusal, the fail it owes upstream.
import { toHex } from '../crypto/bytes.js';
import type { Channel } from '../channel/machine.js';
import { decideForward } from '../forward/decide.js';
import type { PeelResult } from '../onion/sphinx.js';
import type { IncomingRecord } from './htlc-records.js';
import type { HtlcSwitch } from './htlc-switch.js';
import { localShortChannelId, outChannelView } from './htlc-views.js';

/**
 * The channel an onion's short channel id names, other than the one the HTLC came in on. The ledger's
 * id (the open's position) names exactly one channel. The node-local id is the first 8 bytes of the
 * channel id, which whoever opened the channel chose: a peer can open one whose local id equals another
 * channel's ledger id, or its local id, to have HTLCs for that channel forwarded to itself. So a
 * ledger id wins over any local one, and a local id that two channels share names neither.
 */
export function outgoingChannel(sw: HtlcSwitch, incomingChannelId: string, scid: string): Channel | undefined {
  const others = [...sw.o.channels.channels.values()].filter((c) => toHex(c.channelId) !== incomingChannelId);
  const byLedger = others.find((c) => sw.ledgerShortChannelId(c) === scid);
  if (byLedger) return byLedger;
  const byLocal = others.filter((c) => localShortChannelId(c) === scid);
  return byLocal.length === 1 ? byLocal[0] : undefined;
}

export function decideIncoming(sw: HtlcSwitch, base: IncomingRecord, peeled: PeelResult, height: number): { record: IncomingRecord; act?: () => void } {
  const d = decideForward({
    incoming: base, peeled, currentHeight: height,
    outgoing: (scid) => {
      const ch = outgoingChannel(sw, base.channelId, scid);
      return ch && outChannelView(ch, sw.policy(toHex(ch.channelId)), sw.queuedOn(toHex(ch.channelId)), sw.limits.maxHtlcsPerChannel);
    },
  });
  const ss = peeled.ok ? peeled.value.sharedSecret : peeled.error.kind === 'bad_payload' ? peeled.error.sharedSecret : undefined;
  const withSecret = ss ? { ...base, sharedSecret: ss } : base;
  switch (d.kind) {
    case 'malformed':
      return { record: { ...base, decision: 'malformed', owed: { kind: 'malformed', failureCode: d.failureCode, sha256OfOnion: d.sha256OfOnion } } };
    case 'fail':
      sw.log.info({ channel: base.channelId.slice(0, 16), htlc: base.htlcId, code: d.codeName, why: d.message }, 'refused to forward an HTLC');
      sw.o.onForward?.({
        incomingChannelId: base.channelId, paymentHash: toHex(base.paymentHash), amountIn: base.amountMsat, fee: 0n,
        status: 'failed', failure: d.codeName, createdAt: Date.now(),
      });
      return { record: { ...withSecret, decision: 'fail', owed: { kind: 'fail', reason: d.reason } } };
    case 'forward': {
      const record: IncomingRecord = { ...withSecret, decision: 'forward' };
      return { record, act: () => sw.forwardOut(record, d) };
    }
    case 'receive': {
      const record: IncomingRecord = { ...withSecret, decision: 'receive' };
      return { record, act: () => void sw.askReceiver(record, d.payload) };
    }
  }
}
