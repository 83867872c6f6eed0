// Every decoder that reads bytes or JSON from someone else, as a fuzz target with its seeds: BOLT 8
// handshake acts and the deframer, BOLT 1 and each sluice message family, TLV streams and
// bigsize, the ledger's transaction and record JSON, and the control API's bodies and views.
// Seeds are the golden vectors the tests use (the BOLT 8 vectors file, the hex vectors in
// test/wire/*.test.ts) plus one well-formed example of every message, transaction and view.
import { readdirSync, readFileSync } from 'node:fs';
import { InputError, fromHex, toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf } from '../../src/crypto/keys.js';
import * as api from '../../src/api/codec.js';
import { parseChannelId, parseNodeId, parsePeerTarget, parseStreamId } from '../../src/api/fields.js';
import * as req from '../../src/api/requests.js';
import { signedStateFromJson, signedStateToJson } from '../../src/channel/state-json.js';
import type { SignedState } from '../../src/channel/state.js';
import * as records from '../../src/ledger/records-json.js';
import { signTx, txFromJson, txToJson } from '../../src/ledger/tx-codec.js';
import type { SignedTxBody } from '../../src/ledger/types.js';
import { ciphersFor } from '../../src/transport/cipher.js';
import { Deframer } from '../../src/transport/deframer.js';
import { NoiseLink } from '../../src/transport/link.js';
import type { HandshakeResult } from '../../src/transport/noise.js';
import { decodeBigSize } from '../../src/wire/bigsize.js';
import { FeatureVector } from '../../src/wire/features.js';
import { decodeMessage, encodeMessage, type Message } from '../../src/wire/message.js';
import { decodeTlvStream } from '../../src/wire/tlv.js';
import { decodeInvoice } from '../../src/invoice/invoice.js';
import { unwrapErrorPacket } from '../../src/onion/failure.js';
import { decodeHopPayload, encodeHopPayload } from '../../src/onion/payload.js';
import { peelOnion } from '../../src/onion/sphinx.js';
import { announcementForRecord, announcementSignaturesFor, assembleAnnouncement, signAnnouncement, signChannelUpdate, signNodeAnnouncement } from '../../src/gossip/messages.js';
import { checkAnnouncementSignatures, checkChannelUpdate, checkNodeAnnouncement } from '../../src/gossip/verify.js';
import { decodeGossipMessage, encodeGossipMessage } from '../../src/wire/gossip-frame.js';
import { FakeApi } from '../api/fake-api.js';
import { loadVectors } from '../transport/bolt08-vectors.js';
import type { FuzzTarget, Json, Outcome, Rng } from './fuzz-mutate.js';

const key = (byte: number) => new Uint8Array(32).fill(byte);
const [IS, RS, IE, RE] = [key(0x11), key(0x21), key(0x12), key(0x22)];
const id32 = new Uint8Array(32).fill(7);
const id16 = new Uint8Array(16).fill(9);
const sig = new Uint8Array(64).fill(3);

// ---- wire messages ----

const MESSAGES: Message[] = [
  { kind: 'init', globalFeatures: FeatureVector.EMPTY, features: FeatureVector.fromBits([1, 5, 101]), tlvs: { networks: [id32], remoteAddr: Uint8Array.of(1, 127, 0, 0, 1, 0x26, 0x07) }, unknownTlvs: [{ type: 7n, value: Uint8Array.of(1) }] },
  { kind: 'error', channelId: id32, data: Uint8Array.of(0x68, 0x69) },
  { kind: 'warning', channelId: new Uint8Array(32), data: new Uint8Array(10) },
  { kind: 'ping', numPongBytes: 65531, ignored: new Uint8Array(8) },
  { kind: 'pong', ignored: new Uint8Array(4) },
  { kind: 'openChannel', channelId: id32, chainHash: id32, capacity: 1_000_000_000n, push: 5000n, reserve: 10_000_000n, sigA: sig },
  { kind: 'acceptChannel', channelId: id32, sigB: sig },
  {
    kind: 'updateState', channelId: id32, seq: 42n, sig,
    ops: [
      { op: 'pay', amount: 1000n }, { op: 'addHtlc', id: 1, amount: 5n, paymentHash: id32, expiryHeight: 100, onion: new Uint8Array(1366).fill(7) }, { op: 'fulfillHtlc', id: 1, preimage: id32 },
      { op: 'failHtlc', id: 2, reason: new Uint8Array(292).fill(9) }, { op: 'failMalformedHtlc', id: 4, sha256OfOnion: id32, failureCode: 0xc005 }, { op: 'addHashchain', id: 3, root: id32, unit: 10n, maxUnits: 1000 }, { op: 'claimHashchain', id: 3, depth: 7, preimage: id32 },
      { op: 'releaseHashchain', id: 3 }, { op: 'close' }, { op: 'streamPay', streamId: id16, amount: 9n, ticks: 3 },
    ],
  },
  { kind: 'ackState', channelId: id32, seq: 43n, sig },
  { kind: 'commitState', channelId: id32, seq: 44n, sig },
  { kind: 'reestablish', channelId: id32, signedSeq: 45n },
  { kind: 'streamOpen', channelId: id32, streamId: id16, mode: 'hashchain', rateAmount: 10n, ratePerMs: 1000, tickMs: 1000, max: 0n, durationMs: 60_000n, hashchainLockId: 4 },
  { kind: 'streamAccept', streamId: id16 },
  { kind: 'streamReject', streamId: id16, reason: 'no' },
  { kind: 'streamTick', streamId: id16, depth: 12, preimage: id32 },
  { kind: 'streamControl', streamId: id16, action: 'pause', reason: 'later' },
];

const FAMILIES: Record<string, readonly Message['kind'][]> = {
  'BOLT 1 messages (init, error, warning, ping, pong)': ['init', 'error', 'warning', 'ping', 'pong'],
  'channel messages': ['openChannel', 'acceptChannel', 'updateState', 'ackState', 'commitState', 'reestablish'],
  'stream messages': ['streamOpen', 'streamAccept', 'streamReject', 'streamTick', 'streamControl'],
};

/** Hex literals in the wire tests: the golden vectors written there. */
function wireTestVectors(): Uint8Array[] {
  const dir = new URL('../wire/', import.meta.url);
  const out: Uint8Array[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.test.ts'))) {
    for (const m of readFileSync(new URL(f, dir), 'utf8').matchAll(/'((?:[0-9a-f]{2}){2,})'/g)) out.push(fromHex(m[1]!));
  }
  return out;
}

/** decodeMessage, and what it accepts must re-encode and decode to the same message. */
function decodeAndRecheck(bytes: Uint8Array): Outcome {
  const d = decodeMessage(bytes);
  if (!d.ok) return 'rejected';
  if (d.value.kind === 'unknown') return 'accepted';
  const again = decodeMessage(encodeMessage(d.value));
  if (!again.ok) throw new Error(`accepted ${d.value.kind} does not decode after re-encoding: ${again.error.message}`);
  return 'accepted';
}

// ---- BOLT 8 ----

/** A fixed handshake, run to the end: acts and the keys, so the deframer can be fed real ciphertext. */
function fixedHandshake() {
  const { link: initiator, actOne } = NoiseLink.initiator({ localSecretKey: IS, remoteStaticKey: publicKeyOf(RS), ephemeralSecretKey: IE });
  const responder = NoiseLink.responder({ localSecretKey: RS, ephemeralSecretKey: RE });
  const two = responder.receive(actOne);
  if (!two.ok) throw new Error('fixed handshake: act one');
  const three = initiator.receive(two.outbound[0]!);
  if (!three.ok) throw new Error('fixed handshake: act two');
  return { actOne, actTwo: two.outbound[0]!, actThree: three.outbound[0]! };
}

function vectorActs(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of loadVectors()) for (const l of c.lines) if (/^0x00[0-9a-f]{96,}$/.test(l.value)) out.push(fromHex(l.value.slice(2)));
  return out;
}

/** Feed bytes in random chunks; a transport error is a rejection, a throw is a bug. */
function feedLink(link: NoiseLink, bytes: Uint8Array, rng: Rng): Outcome {
  let at = 0;
  let opened = false;
  while (at < bytes.length) {
    const n = 1 + rng.int(bytes.length - at);
    const out = link.receive(bytes.subarray(at, at + n));
    if (!out.ok) return 'rejected';
    opened ||= out.established;
    at += n;
  }
  return opened ? 'accepted' : 'rejected';
}

/** Keys for the deframer target: one key both ways, so an encryptor and a decryptor built from it pair up. */
const LOOPBACK: HandshakeResult = { remoteStaticKey: publicKeyOf(IS), sendKey: key(0x31), receiveKey: key(0x31), chainingKey: key(0x32), handshakeHash: key(0x33) };

function encryptAll(messages: readonly Uint8Array[]): Uint8Array {
  const enc = ciphersFor(LOOPBACK).encryptor;
  return Buffer.concat(messages.map((m) => enc.encrypt(m)));
}

// ---- JSON decoders: each input runs through every decoder of its target ----

/** A JSON decoder's contract: return, or throw InputError naming the field. Anything else is a bug. */
function strict(decoders: readonly ((v: unknown) => unknown)[]): (v: Json) => Outcome {
  return (v) => {
    let accepted = false;
    for (const d of decoders) {
      try {
        d(v);
        accepted = true;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
      }
    }
    return accepted ? 'accepted' : 'rejected';
  };
}

function ledgerSeeds(): { txs: Json[]; records: Json[] } {
  const from = publicKeyOf(IS);
  const peer = publicKeyOf(RS);
  const signed: SignedState = {
    state: { channelId: id32, seq: 3n, balanceA: 600n, balanceB: 300n, closing: false, locks: [
      { kind: 'htlc', id: 1, from: 'A', amount: 50n, paymentHash: id32, expiryHeight: 90 },
      { kind: 'hashchain', id: 2, from: 'B', root: id32, unit: 5n, maxUnits: 10 },
      { kind: 'hashchain', id: 4, from: 'A', root: id32, unit: 5n, maxUnits: 10, expiryHeight: 500 },
    ] },
    sigA: sig, sigB: sig,
  };
  const bodies: SignedTxBody[] = [
    { kind: 'transfer', from, nonce: 1, to: peer, amount: 5n },
    { kind: 'open', from, nonce: 2, channelId: id32, peer, capacity: 1000n, state: signed },
    { kind: 'close', from, nonce: 3, channelId: id32, state: signed },
    { kind: 'forceClose', from, nonce: 4, channelId: id32, state: signed },
    { kind: 'dispute', from, nonce: 5, channelId: id32, state: signed },
    { kind: 'reveal', from, nonce: 6, channelId: id32, lockId: 2, preimage: id32, depth: 7 },
    { kind: 'settle', from, nonce: 7, channelId: id32 },
    { kind: 'preimage', from, nonce: 8, preimage: id32 },
    { kind: 'registerChain', from, nonce: 9, root: id32, depth: 7, preimage: id32 },
  ];
  const txs: Json[] = [{ kind: 'faucet', to: '02' + '11'.repeat(32), amount: '100', salt: '00'.repeat(16) }, ...bodies.map((b) => txToJson(signTx('fuzz', b, IS)) as Json)];
  const channel = records.channelToJson({
    channelId: id32, a: from, b: peer, capacity: 1000n, locked: 900n, status: 'closing', openedHeight: 3,
    latest: signed, submittedBy: 'A', closedSeq: 3n, penalized: 'A', deadlineHeight: 20, reveals: { 2: { depth: 7, preimage: id32 } }, anchors: { 4: [{ root: id32, offset: 3 }] }, closedHeight: 21, payoutA: 1n, payoutB: 2n,
  });
  const recs: Json[] = [
    records.accountToJson({ balance: 10n, nonce: 1 }),
    records.supplyToJson({ minted: 10n, fees: 1n }),
    channel,
    records.blockToJson({ header: { height: 1, prevHash: id32, time: 5, txRoot: id32, hash: id32 }, txids: [id32, id32] }),
    ...[
      { kind: 'channelOpened' as const, channelId: id32, capacity: 5n },
      { kind: 'channelClosing' as const, channelId: id32, seq: 3n, by: 'B' as const, deadlineHeight: 9 },
      { kind: 'channelDisputed' as const, channelId: id32, seq: 4n, penalized: 'A' as const },
      { kind: 'chainRevealed' as const, channelId: id32, lockId: 2, depth: 7 },
      { kind: 'channelClosed' as const, channelId: id32, payoutA: 1n, payoutB: 2n, cooperative: true },
    ].map((e) => records.eventToJson(e)),
    signedStateToJson(signed),
  ] as Json[];
  return { txs, records: recs };
}

async function apiSeeds(): Promise<{ requests: Json[]; views: Json[] }> {
  const fake = new FakeApi();
  const peerId = '02' + '11'.repeat(32);
  const requests: Json[] = [
    req.faucetRequestCodec.encode({ amount: 5n }), req.connectRequestCodec.encode({ target: `${peerId}@127.0.0.1:9735` }),
    req.openRequestCodec.encode({ peerId, capacity: 100n, push: 1n }), req.closeRequestCodec.encode({ force: true }),
    req.payRequestCodec.encode({ peerId, amount: 5n }), req.controlStreamRequestCodec.encode({}),
    req.openStreamRequestCodec.encode({ peerId, rate: '10msat/s', max: 100n, durationMs: 1000, mode: 'hashchain', billing: 'interval' }),
    'a'.repeat(64), peerId, `${peerId}@[::1]:9735`, 'ab'.repeat(16),
  ];
  const [channel] = await fake.listChannels();
  const [stream] = await fake.listStreams();
  const views: Json[] = [
    api.nodeInfoCodec.encode(await fake.info()), api.walletViewCodec.encode(await fake.wallet()),
    ...(await fake.listPeers()).map((p) => api.peerViewCodec.encode(p)),
    ...(channel ? [api.channelViewCodec.encode(channel), api.closeResultCodec.encode({ ...channel, txid: 'ab'.repeat(32) })] : []),
    ...(stream ? [api.streamViewCodec.encode(stream), api.nodeEventCodec.encode({ type: 'stream', event: 'opened', stream } as never)] : []),
    api.paymentResultCodec.encode(await fake.pay({ peerId, amount: 5n })),
    api.faucetResultCodec.encode({ txid: 'ab'.repeat(32), balance: 5n }),
    api.nodeEventCodec.encode({ type: 'ledger', height: 5 }), api.nodeEventCodec.encode({ type: 'peer', nodeId: peerId, connected: true }),
  ];
  return { requests, views };
}

// ---- routing: BOLT 11 invoices and BOLT 4 onions, from the spec's vectors in test/vectors ----

const vector = (name: string) => JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function routingTargets(): FuzzTarget[] {
  const invoices = vector('bolt11-invoices.json') as { valid: { invoice: string }[]; invalid: { invoice: string }[] };
  const onion = vector('bolt04-onion-test.json') as { onion: string; decode: string[]; generate: { associated_data: string; hops: { payload: string }[] } };
  const errors = vector('bolt04-onion-error-test.json') as { errorpacket: string; generate: { hops: { hop_shared_secret: string }[] } };
  const nodeSecretKey = fromHex(onion.decode[0]!);
  const associatedData = fromHex(onion.generate.associated_data);
  const sharedSecrets = errors.generate.hops.map((h) => fromHex(h.hop_shared_secret));
  const result = (r: { ok: boolean }): Outcome => (r.ok ? 'accepted' : 'rejected');
  return [
    {
      // bytes read as text, so mutations reach every character class bech32 must refuse
      name: 'BOLT 11 invoices (decodeInvoice)', weight: 2, kind: 'bytes',
      seeds: [...invoices.valid, ...invoices.invalid].map((i) => new TextEncoder().encode(i.invoice)),
      run: (b) => result(decodeInvoice(Buffer.from(b).toString('latin1'))),
    },
    {
      name: 'BOLT 4 hop payloads (decodeHopPayload)', weight: 3, kind: 'bytes',
      seeds: [
        ...onion.generate.hops.map((h) => fromHex(h.payload)), // these carry their bigsize length first
        encodeHopPayload({ amountToForwardMsat: 15_000n, outgoingCltvValue: 700n, shortChannelId: Uint8Array.of(0, 0, 1, 0, 0, 2, 0, 3) }),
        encodeHopPayload({ amountToForwardMsat: 10_000n, outgoingCltvValue: 650n, paymentData: { paymentSecret: id32, totalMsat: 10_000n }, customRecords: [{ type: 65537n, value: Uint8Array.of(1) }] }),
      ],
      run: (b, rng) => result(decodeHopPayload(b, rng.int(2) === 0)),
    },
    {
      name: 'BOLT 4 onion packets (peelOnion)', weight: 0.1, kind: 'bytes', seeds: [fromHex(onion.onion)],
      run: (packet) => result(peelOnion({ packet, nodeSecretKey, associatedData })),
    },
    {
      name: 'BOLT 4 error packets (unwrapErrorPacket)', weight: 0.3, kind: 'bytes', seeds: [fromHex(errors.errorpacket)],
      run: (packet) => result(unwrapErrorPacket({ sharedSecrets, packet })),
    },
    {
      // decoded, then through the checks a peer's gossip meets (signatures, addresses, alias)
      name: 'BOLT 7 gossip (decodeGossipMessage, src/gossip/verify.ts)', weight: 1, kind: 'bytes', seeds: gossipSeeds(),
      run: (b) => {
        const d = decodeGossipMessage(b);
        if (!d.ok) return 'rejected';
        const m = d.value;
        const hash = new Uint8Array(32).fill(5);
        if (m.kind === 'channelAnnouncement') return checkAnnouncementSignatures(m, hash) ? 'rejected' : 'accepted';
        if (m.kind === 'nodeAnnouncement') return result(checkNodeAnnouncement(m, { known: true, nowSeconds: 2_000_000_000 }));
        if (m.kind === 'channelUpdate') return result(checkChannelUpdate(m, { chainHash: hash, channel: { shortChannelId: m.shortChannelId, node1: toHex(publicKeyOf(key(1))), node2: toHex(publicKeyOf(key(2))), capacityMsat: 1n << 40n }, nowSeconds: 2_000_000_000 }));
        return 'accepted';
      },
    },
  ];
}

function gossipSeeds(): Uint8Array[] {
  const [k1, k2] = [key(1), key(2)];
  const hash = new Uint8Array(32).fill(5);
  const rec = { channelId: id32, a: publicKeyOf(k1), b: publicKeyOf(k2), capacity: 1n << 30n, locked: 1n << 30n, status: 'open' as const, openedHeight: 1, reveals: {}, shortChannelId: '0000010000020000' };
  const u = announcementForRecord(rec, hash)!;
  const first = toHex(u.nodeId1) === toHex(rec.a) ? [k1, k2] : [k2, k1];
  const [s1, s2] = first.map((k) => signAnnouncement(u, k));
  const policy = { feeBaseMsat: 1000n, feePpm: 10n, cltvExpiryDelta: 12, htlcMinimumMsat: 1n, htlcMaximumMsat: 1n << 30n };
  return [
    encodeGossipMessage(assembleAnnouncement(u, { node: s1!, bitcoin: s1! }, { node: s2!, bitcoin: s2! })),
    encodeGossipMessage(signChannelUpdate({ chainHash: hash, shortChannelId: u.shortChannelId, timestamp: 1_900_000_000, direction: 0, policy }, first[0]!)),
    encodeGossipMessage(signNodeAnnouncement({ timestamp: 1_900_000_000, alias: 'fuzz', addresses: [{ type: 'ipv4', host: '10.1.2.3', port: 9735 }, { type: 'dns', host: 'n.example', port: 9736 }] }, k1)),
    encodeGossipMessage(announcementSignaturesFor(id32, u, k1)),
  ];
}

export async function fuzzTargets(): Promise<FuzzTarget[]> {
  const hs = fixedHandshake();
  const encoded = MESSAGES.map(encodeMessage);
  const golden = wireTestVectors();
  const ledger = ledgerSeeds();
  const control = await apiSeeds();
  const acts = [...vectorActs(), hs.actOne, Buffer.concat([hs.actOne, hs.actThree]), hs.actTwo];

  const messageTargets: FuzzTarget[] = Object.entries(FAMILIES).map(([name, kinds]) => ({
    name, weight: 25, kind: 'bytes',
    seeds: [...MESSAGES.filter((m) => kinds.includes(m.kind)).map(encodeMessage), ...golden],
    run: decodeAndRecheck,
  }));

  return [
    ...messageTargets,
    ...routingTargets(),
    {
      name: 'TLV streams', weight: 10, kind: 'bytes', seeds: [...golden, Uint8Array.of(1, 1, 0, 3, 2, 0xab, 0xcd, 0xfd, 0x01, 0x00, 0)],
      run: (b) => (decodeTlvStream(b, { knownTypes: new Set([0n, 1n, 2n, 3n]) }).ok ? 'accepted' : 'rejected'),
    },
    {
      name: 'bigsize', weight: 5, kind: 'bytes', seeds: [Uint8Array.of(0xfc), Uint8Array.of(0xfd, 0, 0xfd), Uint8Array.of(0xff, 1, 2, 3, 4, 5, 6, 7, 8), ...golden],
      run: (b, rng) => (decodeBigSize(b, rng.int(b.length + 2)).ok ? 'accepted' : 'rejected'),
    },
    {
      // ciphertext: a run of real encrypted messages, mutated, fed in random chunks to a fresh deframer
      name: 'BOLT 8 deframer', weight: 6, kind: 'bytes',
      seeds: [encryptAll(encoded.slice(0, 6)), encryptAll([new Uint8Array(65535)]), encryptAll(encoded)],
      run: (b, rng) => {
        const deframer = new Deframer(ciphersFor(LOOPBACK).decryptor);
        let at = 0;
        while (at < b.length) {
          const n = 1 + rng.int(b.length - at);
          if (!deframer.push(b.subarray(at, at + n)).ok) return 'rejected';
          at += n;
        }
        return 'accepted';
      },
    },
    {
      // acts as a responder (act one, act three, then messages) and as an initiator (act two)
      name: 'BOLT 8 handshake acts', weight: 0.05, kind: 'bytes', seeds: acts,
      run: (b, rng) =>
        rng.int(2) === 0
          ? feedLink(NoiseLink.responder({ localSecretKey: RS, ephemeralSecretKey: RE }), b, rng)
          : feedLink(NoiseLink.initiator({ localSecretKey: IS, remoteStaticKey: publicKeyOf(RS), ephemeralSecretKey: IE }).link, b, rng),
    },
    { name: 'ledger transactions (txFromJson)', weight: 1.5, kind: 'json', seeds: ledger.txs, run: strict([txFromJson]) },
    {
      name: 'ledger records (records-json, state-json)', weight: 1.5, kind: 'json', seeds: ledger.records,
      run: strict([records.accountFromJson, records.supplyFromJson, records.channelFromJson, records.blockFromJson, records.eventFromJson, (v) => signedStateFromJson(v)]),
    },
    {
      name: 'control API request bodies (requests.ts, fields.ts)', weight: 1.5, kind: 'json', seeds: control.requests,
      run: strict([
        req.faucetRequestCodec.decode, req.connectRequestCodec.decode, req.openRequestCodec.decode, req.closeRequestCodec.decode,
        req.payRequestCodec.decode, req.openStreamRequestCodec.decode, req.controlStreamRequestCodec.decode,
        parseNodeId, parseChannelId, parseStreamId, parsePeerTarget,
      ].map((d) => (v: unknown) => d(v))),
    },
    {
      name: 'control API views (codec.ts, read by the client)', weight: 1.5, kind: 'json', seeds: control.views,
      run: strict([
        api.nodeInfoCodec, api.channelViewCodec, api.closeResultCodec, api.peerViewCodec, api.walletViewCodec,
        api.faucetResultCodec, api.paymentResultCodec, api.streamViewCodec, api.nodeEventCodec,
      ].map((c) => (v: unknown) => c.decode(v))),
    },
  ];
}
