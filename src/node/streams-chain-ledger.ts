// The parts of hash-chain streams across hops that are not a hop's relay loop (streams-chain.ts): a hop's
// registration on the ledger when its upstream channel closes, what the ledger shows for its lock on a
// closing downstream channel, and the payee finding the lock that backs its stream (when the last hop's
// lock comes, and after a start).
import type { Channel } from '../channel/machine.js';
import type { HashchainLock } from '../channel/state.js';
import { fromHex, toHex } from '../crypto/bytes.js';
import { CHAIN_EXPIRY_MARGIN_BLOCKS, downstreamRoots, onOurChain, registration, type ChainRelay } from '../stream/hop-chain.js';
import { isEnded } from '../stream/record.js';
import type { StreamShell } from './streams.js';
import { NO_CHANNEL } from './streams-routed.js';

/**
 * The upstream channel is closing (or gone): register our depth in the ledger's chain registry against
 * the upstream lock's current root, so that lock is paid it at settlement whatever state is adjudicated.
 * False if the registration failed: try again.
 */
export async function registerUpstream(s: StreamShell, r: ChainRelay): Promise<boolean> {
  const { o } = s;
  if (!o.ledger.chain) return false;
  const up = o.channels.channels.get(r.upChannel);
  const lock = up?.signed.state.locks.find((l) => l.id === r.upLock);
  const claimed = lock?.kind === 'hashchain' ? r.maxUnits - lock.maxUnits : r.claimedUp;
  const root = lock?.kind === 'hashchain' ? lock.root : undefined;
  if (!root) return true; // no lock left to be paid: nothing to register
  const at = { ...r, claimedUp: Math.max(r.claimedUp, claimed) };
  const entry = await o.ledger.chain(root).catch(() => undefined);
  const reg = registration(at, root, entry?.depth ?? 0);
  if (!reg) return true;
  try {
    await o.wallet.registerChain(reg);
    o.log.info({ stream: r.streamId, depth: reg.depth }, 'registered a relayed chain depth on the ledger');
    return true;
  } catch (e) {
    o.log.warn({ stream: r.streamId, err: (e as Error).message }, 'registering a relayed chain depth failed');
    return false;
  }
}

/**
 * The deepest the ledger shows for our downstream lock (absolute depth): the closing channel's reveal
 * for it, and the registry under every root it can be paid by (downstreamRoots). Throws if the ledger
 * could not be read (the caller reads again).
 */
export async function shownDownstream(s: StreamShell, r: ChainRelay, lock: HashchainLock, ours: Map<string, boolean>): Promise<{ depth: number; preimage: Uint8Array } | undefined> {
  const { o } = s;
  const lc = await o.ledger.channel(fromHex(r.downChannel));
  const found = lc?.latest?.state.locks.find((l) => l.id === r.downLock);
  let adjudicated: HashchainLock | undefined;
  if (found?.kind === 'hashchain') {
    const key = toHex(found.root) + ':' + found.maxUnits;
    if (!ours.has(key)) ours.set(key, onOurChain(lock, found));
    if (ours.get(key)) adjudicated = found;
  }
  let best: { depth: number; preimage: Uint8Array } | undefined;
  const take = (depth: number, preimage: Uint8Array) => {
    if (depth > (best?.depth ?? 0)) best = { depth, preimage };
  };
  const roots = downstreamRoots(r, lock, adjudicated, adjudicated ? lc?.anchors?.[r.downLock] ?? [] : []);
  const shown = adjudicated && lc?.reveals[r.downLock];
  if (shown) take(r.maxUnits - adjudicated!.maxUnits + shown.depth, shown.preimage);
  for (const x of roots) {
    const entry = await o.ledger.chain!(x.root);
    if (entry) take(x.base + entry.depth, entry.preimage);
  }
  return best;
}

/**
 * The payee: a hash-chain lock the last hop added. If it is under the root of one of our streams across
 * hops that no lock backs yet, from the hop's side, with the agreed unit and at least the agreed units,
 * and no expiry nearer than CHAIN_EXPIRY_MARGIN_BLOCKS, it backs that stream from now on (its reveals
 * come from that hop). True if it was taken.
 */
export function bindPayee(s: StreamShell, ch: Channel, lockId: number): boolean {
  const lock = ch.signed.state.locks.find((l) => l.id === lockId);
  if (lock?.kind !== 'hashchain' || lock.from === ch.local) return false;
  const root = toHex(lock.root);
  for (const r of s.records.onChannel(NO_CHANNEL)) {
    if (r.role !== 'payee' || !r.hopChain || !r.chain || r.chain.lockId !== 0 || isEnded(r.status) || r.hopChain.root !== root) continue;
    if (lock.unit !== r.chain.unit || lock.maxUnits < r.chain.units) continue;
    // A lock the ledger would soon stop taking reveals for (a dispute window past its expiry) pays us only
    // while the hop signs our claims: we take none a hop itself would refuse to forward.
    if (lock.expiryHeight !== undefined && lock.expiryHeight < s.o.height() + CHAIN_EXPIRY_MARGIN_BLOCKS) continue;
    const bound = { ...r, channelId: toHex(ch.channelId), chain: { ...r.chain, lockId } };
    s.records.set(bound);
    void s.records.saveNow(bound).catch((e: unknown) => s.o.log.error({ err: e, stream: r.id }, 'storing a stream bound to its lock failed'));
    return true;
  }
  return false;
}

/**
 * The payee: a stream across hops whose lock was signed while this node was down, or before its record
 * was stored, has no lock yet: find it in the channels by its root (a lock is bound once it comes, so
 * this looks only at streams still unbound after a start).
 */
export function rebindPayees(s: StreamShell): void {
  const { records, o } = s;
  for (const r of [...records.onChannel(NO_CHANNEL)]) {
    if (r.role !== 'payee' || !r.hopChain || r.chain?.lockId !== 0 || isEnded(r.status)) continue;
    for (const ch of o.channels.channels.values()) {
      const lock = ch.signed.state.locks.find((l) => l.kind === 'hashchain' && toHex(l.root) === r.hopChain!.root);
      if (lock && bindPayee(s, ch, lock.id)) break;
    }
  }
}
