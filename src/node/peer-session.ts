// BOLT 1 on one peer's transport session: init first (within INIT_TIMEOUT_MS, on our chain, asking for no
// feature we do not know), ping and pong within the limits, a peer's warning and error text (logged cut
// short), the odd/even rule for unknown messages, the inbound message rate; channel and stream messages
// are handed up. The peer manager (peers.ts) decides which sessions to run this on.
import { InputError, equalBytes, toHex, utf8 } from '../crypto/bytes.js';
import type { PeerSession } from '../transport/session.js';
import type { ChannelMessage } from '../wire/channel.js';
import { ALL_CHANNELS, describeErrorData } from '../wire/error.js';
import { FeatureVector, unknownRequiredBits } from '../wire/features.js';
import { decodeMessage, encodeMessage, type Message } from '../wire/message.js';
import { pongFor } from '../wire/ping.js';
import { STREAM_CONTROL_TYPE, type StreamMessage } from '../wire/stream.js';
import type { GossipMessage } from '../wire/gossip.js';
import { assertNever } from '../wire/assert-never.js';
import type { Logger } from '../util/log.js';
import { judgeMessage, judgePing, messageType, NO_MESSAGES, NO_PINGS, type PeerLimits } from './peer-limits.js';
import { RECONNECT_MIN_MS, type Peer } from './peer-state.js';

export const INIT_TIMEOUT_MS = 5000;
/** What of a peer's warning or error text reaches our log, and how often at warn level. */
const LOGGED_TEXT_CHARS = 200;
const PEER_TEXT_LOG_INTERVAL_MS = 60_000;

/** What a session reaches in the peer manager. */
export interface SessionHost {
  readonly chainHash: Uint8Array;
  readonly limits: PeerLimits;
  readonly log: Logger;
  connected(nodeId: string): void;
  channelMessage(nodeId: string, m: ChannelMessage): void;
  streamMessage(nodeId: string, m: StreamMessage): void;
  gossipMessage(nodeId: string, m: GossipMessage): void;
  peerError(nodeId: string, channelId: Uint8Array | undefined, text: string): void;
  /** The peer's current session closed (`wasReady`: init had been exchanged on it). */
  closed(p: Peer, wasReady: boolean): void;
}

const clip = (text: string): string => (text.length > LOGGED_TEXT_CHARS ? `${text.slice(0, LOGGED_TEXT_CHARS)}… (${text.length} chars)` : text);

function takeLogTurn(p: Peer, now: number): boolean {
  if (p.lastTextLoggedAt !== undefined && now - p.lastTextLoggedAt < PEER_TEXT_LOG_INTERVAL_MS) return false;
  p.lastTextLoggedAt = now;
  return true;
}

/** Send one message; one too large to encode is logged, not thrown (it is our bug, not the peer's). */
export function sendOn(s: PeerSession, m: Message, log: Logger): void {
  try {
    s.send(encodeMessage(m));
  } catch (e) {
    if (e instanceof InputError) log.error({ err: e.message, kind: m.kind }, 'message too large to send');
    else throw e;
  }
}

/** Run BOLT 1 on `s`, now `p`'s session: send our init, then handle what the peer sends until it closes. */
export function runSession(host: SessionHost, p: Peer, s: PeerSession): void {
  const nodeId = toHex(s.remoteNodeId);
  const log = host.log.child({ peer: nodeId.slice(0, 16) });
  const send = (m: Message) => sendOn(s, m, host.log);
  p.pings = NO_PINGS;
  p.rate = NO_MESSAGES;
  p.session = s;
  p.ready = false;
  const initTimer = setTimeout(() => {
    if (!p.ready && p.session === s) s.close('no init within 5 s');
  }, INIT_TIMEOUT_MS);
  // BOLT 1: send init right away, without waiting for the peer's.
  send({ kind: 'init', globalFeatures: FeatureVector.EMPTY, features: FeatureVector.EMPTY, tlvs: { networks: [host.chainHash] }, unknownTlvs: [] });
  p.lastHeard = Date.now();

  const onInit = (m: Extract<Message, { kind: 'init' }>): void => {
    if (p.ready) return; // a second init is ignored
    const nets = m.tlvs.networks;
    if (nets && nets.length > 0 && !nets.some((n) => equalBytes(n, host.chainHash))) {
      send({ kind: 'error', channelId: ALL_CHANNELS, data: utf8('no common chain') });
      s.close('peer is on another chain');
      return;
    }
    const unknown = unknownRequiredBits(m.features.or(m.globalFeatures), []);
    if (unknown.length > 0) {
      s.close(`peer requires unknown features ${unknown.join(',')}`);
      return;
    }
    clearTimeout(initTimer);
    p.ready = true;
    p.backoffMs = RECONNECT_MIN_MS;
    p.warnedUnreachable = false;
    log.info('peer connected');
    for (const w of p.readyWaiters.splice(0)) w.resolve();
    host.connected(nodeId);
  };

  const onPing = (m: Extract<Message, { kind: 'ping' }>): void => {
    const judged = judgePing(p.pings, Date.now(), host.limits);
    p.pings = judged.state;
    switch (judged.verdict) {
      case 'answer': {
        p.lastHeard = Date.now();
        const pong = pongFor(m);
        if (pong) send(pong);
        return;
      }
      case 'ignore':
        return;
      case 'disconnect':
        log.warn({ ignored: p.pings.ignoredInARow }, 'ping flood; disconnecting');
        send({ kind: 'warning', channelId: ALL_CHANNELS, data: utf8(`too many pings: at most one per ${host.limits.pongMinIntervalMs} ms is answered`) });
        s.close('ping flood');
        return;
      default:
        return assertNever(judged.verdict, 'ping verdict');
    }
  };

  /** A peer's text goes to our log cut short, and at warn level at most once a minute per peer: a flood of long warnings must not fill the disk. */
  const logText = (text: string, what: string): void => {
    if (takeLogTurn(p, Date.now())) log.warn({ text }, what);
    else log.debug({ text }, what);
  };

  /** Whether to handle this inbound message; past the rate it is dropped, warned about once, then cut off. */
  const withinRate = (bytes: Uint8Array): boolean => {
    const judged = judgeMessage(p.rate, Date.now(), host.limits, messageType(bytes) === STREAM_CONTROL_TYPE);
    p.rate = judged.state;
    switch (judged.verdict) {
      case 'pass':
        return true;
      case 'warn':
        log.warn({ limit: host.limits.messagesPerSecond }, 'peer over the message rate; dropping its messages');
        send({ kind: 'warning', channelId: ALL_CHANNELS, data: utf8(`too many messages: at most ${host.limits.messagesPerSecond}/s, stream control ${host.limits.controlsPerSecond}/s; the excess is dropped`) });
        return false;
      case 'drop':
        return false;
      case 'disconnect':
        log.warn({ dropped: p.rate.dropped }, 'message flood; disconnecting');
        s.close('message flood');
        return false;
      default:
        return assertNever(judged.verdict, 'rate verdict');
    }
  };

  s.onMessage((bytes) => {
    if (p.ready && !withinRate(bytes)) return; // over the rate: not decoded, not liveness
    const d = decodeMessage(bytes);
    // Liveness: anything the peer says, except pings we chose to ignore (a ping flood is not a sign of life).
    if (!(d.ok && d.value.kind === 'ping')) p.lastHeard = Date.now();
    if (!d.ok) {
      log.warn({ err: d.error.message }, 'undecodable message; disconnecting');
      send({ kind: 'warning', channelId: ALL_CHANNELS, data: utf8(`bad message: ${d.error.message}`.slice(0, 200)) });
      s.close(`bad message: ${d.error.message}`);
      return;
    }
    const m = d.value;
    if (!p.ready && m.kind !== 'init') {
      s.close('first message was not init');
      return;
    }
    switch (m.kind) {
      case 'init':
        return onInit(m);
      case 'ping':
        return onPing(m);
      case 'pong':
        return;
      case 'warning':
        return logText(clip(describeErrorData(m.data)), 'peer warning');
      case 'error': {
        const text = clip(describeErrorData(m.data));
        logText(text, 'peer error');
        const all = equalBytes(m.channelId, ALL_CHANNELS);
        host.peerError(nodeId, all ? undefined : m.channelId, text);
        if (all) s.close(`peer error: ${text}`);
        return;
      }
      case 'unknown':
        if (!m.odd) s.close(`unknown even message type ${m.type}`);
        return;
      case 'openChannel':
      case 'acceptChannel':
      case 'updateState':
      case 'ackState':
      case 'reestablish':
      case 'commitState':
        return host.channelMessage(nodeId, m);
      case 'streamOpen':
      case 'streamAccept':
      case 'streamReject':
      case 'streamTick':
      case 'streamControl':
      case 'streamChain':
        return host.streamMessage(nodeId, m);
      case 'channelAnnouncement':
      case 'nodeAnnouncement':
      case 'channelUpdate':
      case 'announcementSignatures':
        return host.gossipMessage(nodeId, m);
      default: {
        const never: never = m;
        return never;
      }
    }
  });

  s.onClose((c) => {
    clearTimeout(initTimer);
    if (p.session !== s) return; // a replaced session
    const wasReady = p.ready;
    p.session = undefined;
    p.ready = false;
    log.info({ origin: c.origin, reason: c.reason }, 'peer disconnected');
    for (const w of p.readyWaiters.splice(0)) w.reject(new Error(`connection to ${nodeId} closed: ${c.reason}`));
    host.closed(p, wasReady);
  });
}
