// The switch's decision for an incoming HTLC, once a both-signed state holds it: src/forward's
// decideForward over this node's channels, turned into the incoming record to store and what to do
// once it is stored (offer it on, ask the payee's code) or, for a refusal, the fail it owes upstream.
import { toHex } from '../crypto/bytes.js';
import { decideForward } from '../forward/decide.js';
import type { PeelResult } from '../onion/sphinx.js';
import type { IncomingRecord } from './htlc-records.js';
import type { HtlcSwitch } from './htlc-switch.js';
import { localShortChannelId, outChannelView } from './htlc-views.js';

export function decideIncoming(sw: HtlcSwitch, base: IncomingRecord, peeled: PeelResult, height: number): { record: IncomingRecord; act?: () => void } {
  const d = decideForward({
    incoming: base, peeled, currentHeight: height,
    outgoing: (scid) => {
      const ch = [...sw.o.channels.channels.values()].find((c) => toHex(c.channelId) !== base.channelId && (sw.shortChannelId(c) === scid || localShortChannelId(c) === scid));
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
