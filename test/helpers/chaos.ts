// A randomized chaos run (issue 7, "tools to build"): whole nodes in one process over the in-memory
// transport, on a real ledger with fast blocks, one of them hostile. Rounds of random payments,
// disconnects, restarts from the store, hostile junk and the hostile node restoring an old backup; then the hostile node goes offline and closes
// every channel it has with the stalest state it holds that pays it most, the honest ones close what is
// left, and the run checks what the ledger paid:
//   - every honest side of every funded channel got at least its latest both-signed balance (less
//     payments it had itself proposed at the end): every fee is paid from its sender's own account, so
//     none comes out of a payout;
//   - each honest node's ledger account moved only by its own doing: what it locked in the channels it
//     opened, what the closes paid it, and one fee per transaction it sent (its nonce);
//   - the ledger's audit holds (minted == balances + locked + fees).
// The schedule comes from a seeded generator, so a failing seed can be run again (the interleaving of
// I/O is the process's own, so a rerun is close to, not exactly, the same run).
import { join } from 'node:path';
import { toHex } from '../../src/crypto/bytes.js';
import type { Channel } from '../../src/channel/machine.js';
import { balanceOf, type SignedState } from '../../src/channel/state.js';
import { LedgerClient } from '../../src/ledger/client.js';
import { startLedger, type LedgerService } from '../../src/ledger/service.js';
import { MemoryNodeStore } from '../../src/node/memory-store.js';
import { SluiceNode } from '../../src/node/node.js';
import { Wallet } from '../../src/node/wallet.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { silentLogger } from '../../src/util/log.js';
import type { ChannelMessage } from '../../src/wire/channel.js';
import { openMessage } from './channel-managers.js';
import { until } from './cluster.js';
import { tempDir } from './tmp.js';

export interface ChaosOptions {
  seed: number;
  rounds: number;
  /** Honest nodes (the hostile one comes on top). */
  honest?: number;
}

export interface ChaosReport {
  seed: number;
  rounds: number;
  payments: { tried: number; paid: number; refused: number; why: Record<string, number> };
  restarts: number;
  /** Times the hostile node restarted from an old backup of its store. */
  restores: number;
  disconnects: number;
  junk: number;
  staleCloses: number;
  /** Hostile closes with a state older than its latest. */
  stale: number;
  /** Channels where the ledger penalized the hostile closer (an honest node disputed in time). */
  penalized: number;
  channels: number;
  /** Each honest side of each channel: what the ledger paid against the lower bound. */
  checks: { node: string; channel: string; payout: bigint; bound: bigint }[];
  violations: string[];
  auditOk: boolean;
  ms: number;
}

const FEE = 1000n;
const CAPACITY = 1_000_000_000n;

/** mulberry32: small, fast, seeded. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Member {
  name: string;
  dir: string;
  store: MemoryNodeStore;
  node?: SluiceNode;
  hostile: boolean;
  /** Its ledger account once funded, before any channel. */
  start?: { balance: bigint; nonce: number };
}

/** The lowest balance this side may end with by its own doing: its both-signed state, or a payment it proposed. */
function lowerBound(ch: Channel): bigint {
  const signed = balanceOf(ch.signed.state, ch.local);
  const proposed = ch.proposal ? balanceOf(ch.proposal.state, ch.local) : signed;
  return signed < proposed ? signed : proposed;
}

export async function chaosRun(opts: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const rand = rng(opts.seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const tmp = await tempDir('sluice-chaos-');
  const ledger: LedgerService = await startLedger({
    dataDir: join(tmp.dir, 'ledger'), port: 0, blockTimeMs: 25, faucet: true, fee: FEE, disputeBlocks: 6, chainId: 'sluice-test', log: silentLogger(),
  });
  const network = new MemoryNetwork();
  const report: ChaosReport = {
    seed: opts.seed, rounds: opts.rounds, payments: { tried: 0, paid: 0, refused: 0, why: {} }, restarts: 0, restores: 0, disconnects: 0, junk: 0,
    staleCloses: 0, stale: 0, penalized: 0, channels: 0, checks: [], violations: [], auditOk: false, ms: 0,
  };
  const members: Member[] = [];
  const start = async (m: Member) => {
    m.node = await SluiceNode.start({ dataDir: m.dir, ledgerUrl: ledger.url, network, alias: m.name, log: silentLogger(), store: m.store, openLimits: { deadlineBlocks: 40 } });
  };
  const up = () => members.filter((m) => m.node);
  const pays: Promise<void>[] = [];
  // every both-signed state the hostile node held, per channel: its stale closes pick from these
  const hostileStates = new Map<string, SignedState[]>();
  try {
    for (let i = 0; i < (opts.honest ?? 3) + 1; i++) {
      const hostile = i === (opts.honest ?? 3);
      const m: Member = { name: hostile ? 'hostile' : `h${i}`, dir: join(tmp.dir, `n${i}`), store: new MemoryNodeStore(), hostile };
      await start(m);
      await m.node!.faucet(5_000_000_000n);
      m.start = await m.node!.ledger.account(m.node!.identity.nodeId);
      members.push(m);
    }
    // a ring of channels through every node (hostile included), each opener pushing a little
    const ids: string[] = [];
    for (let i = 0; i < members.length; i++) {
      const a = members[i]!.node!;
      const b = members[(i + 1) % members.length]!.node!;
      await a.connectInMemory(b.nodeId);
      a.peers.keep(b.nodeId, undefined); // redial after disconnects, like a node dialed by address
      const ch = await a.openChannel({ peerId: b.nodeId, capacity: CAPACITY, push: 100_000_000n });
      ids.push(ch.channelId);
    }
    report.channels = ids.length;
    const hostile = members.find((m) => m.hostile)!;
    const recordHostile = () => {
      for (const ch of hostile.node?.channels.list() ?? []) {
        const id = toHex(ch.channelId);
        const seen = hostileStates.get(id) ?? [];
        if (!seen.some((s) => s.state.seq === ch.signed.state.seq) && ch.status === 'open') seen.push(ch.signed);
        hostileStates.set(id, seen);
      }
    };
    recordHostile();
    let hostileBackup: MemoryNodeStore | undefined;

    for (let round = 0; round < opts.rounds; round++) {
      const r = rand();
      const live = up();
      if (r < 0.55) {
        // a payment along a random live channel
        const m = pick(live);
        const open = m.node!.channels.list().filter((c) => c.status === 'open');
        if (open.length) {
          const ch = pick(open);
          const amount = BigInt(1 + Math.floor(rand() * 40_000_000));
          report.payments.tried++;
          pays.push(m.node!.pay({ peerId: toHex(ch.remoteNodeId), amount }).then(() => void report.payments.paid++, (e: unknown) => {
            report.payments.refused++;
            const code = (e as { code?: string }).code ?? 'other';
            report.payments.why[code] = (report.payments.why[code] ?? 0) + 1;
          }));
        }
      } else if (r < 0.68) {
        const m = pick(live);
        const peers = m.node!.peers.list().filter((p) => p.connected);
        if (peers.length) {
          m.node!.peers.disconnect(pick(peers).nodeId, 'chaos');
          report.disconnects++;
        }
      } else if (r < 0.74) {
        // restart an honest node from its store
        const m = pick(members.filter((x) => !x.hostile));
        if (m.node) {
          await m.node.stop();
          m.node = undefined;
          await start(m);
          report.restarts++;
        }
      } else if (r < 0.8) {
        // the hostile node comes back from an old backup (or takes one now, for later)
        if (!hostileBackup || rand() < 0.5) hostileBackup = hostile.store.clone();
        else if (hostile.node) {
          await hostile.node.stop();
          hostile.store = hostileBackup;
          hostileBackup = undefined;
          await start(hostile);
          report.restores++;
        }
      } else if (r < 0.9) {
        // hostile junk: a message the protocol does not expect, or an open it never funds
        const x = hostile.node;
        const target = pick(members.filter((m) => !m.hostile && m.node));
        if (x && target) {
          const mine = x.channels.withPeer(target.node!.nodeId);
          const ch = mine.length ? pick(mine) : undefined;
          const junk: ChannelMessage[] = [openMessage({ sk: x.identity.secretKey })];
          if (ch) {
            const seq = ch.signed.state.seq;
            junk.push(
              { kind: 'ackState', channelId: ch.channelId, seq: seq + 5n, sig: new Uint8Array(64) },
              { kind: 'commitState', channelId: ch.channelId, seq: seq + 7n, sig: new Uint8Array(64) },
              { kind: 'reestablish', channelId: ch.channelId, signedSeq: seq + 50n },
              { kind: 'updateState', channelId: ch.channelId, seq: seq + 3n, ops: [{ op: 'pay', amount: 1n }], sig: new Uint8Array(64) },
            );
          }
          x.peers.send(target.node!.nodeId, pick(junk));
          report.junk++;
        }
      } else {
        // let the network work for a moment (blocks pass, updates complete)
        await new Promise((res) => setTimeout(res, 5 + Math.floor(rand() * 40)));
      }
      recordHostile();
      await new Promise((res) => setImmediate(res));
    }

    // --- the end: everyone honest back up, outstanding payments answered
    for (const m of members) if (!m.node) await start(m);
    await Promise.race([Promise.all(pays), new Promise((res) => setTimeout(res, 70_000))]);
    recordHostile();
    const bounds = new Map<string, bigint>();
    for (const m of members.filter((x) => !x.hostile)) {
      for (const ch of m.node!.channels.list()) bounds.set(`${m.name}/${toHex(ch.channelId)}`, lowerBound(ch));
    }
    // the hostile node goes offline and closes each channel with the stale state that pays it most
    const x = hostile.node!;
    const xChannels = x.channels.list().filter((c) => c.status === 'open');
    await x.stop();
    hostile.node = undefined;
    const client = await LedgerClient.connect({ url: ledger.url });
    const xWallet = new Wallet({ ledger: client, chainId: 'sluice-test', secretKey: x.identity.secretKey, address: x.identity.nodeId, log: silentLogger() });
    for (const ch of xChannels) {
      const id = toHex(ch.channelId);
      // a state older than its latest if it has one (the one paying it most), else its latest
      const older = (hostileStates.get(id) ?? []).filter((s) => s.state.seq < ch.signed.state.seq);
      const best = older.length ? older.reduce((b, s) => (balanceOf(s.state, ch.local) > balanceOf(b.state, ch.local) ? s : b)) : ch.signed;
      try {
        await xWallet.channelTx('forceClose', ch.channelId, { state: best });
        report.staleCloses++;
        if (best.state.seq < ch.signed.state.seq) report.stale++;
      } catch {
        // the honest side closed first (it failed the channel on the junk): nothing to do
      }
    }
    // honest pairs close cooperatively; anything else left open is closed by force
    for (const m of members.filter((y) => !y.hostile)) {
      for (const ch of m.node!.channels.list()) {
        if (ch.status !== 'open' || ch.local !== 'A') continue;
        const peerUp = members.some((y) => y.node && y.node.nodeId === toHex(ch.remoteNodeId));
        await m.node!.closeChannel({ channelId: toHex(ch.channelId), force: !peerUp }).catch(async () => {
          await m.node!.closeChannel({ channelId: toHex(ch.channelId), force: true }).catch(() => undefined);
        });
      }
    }
    await until(async () => {
      for (const id of ids) if ((await client.channel(Buffer.from(id, 'hex')))?.status !== 'closed') return false;
      return true;
    }, 60_000, 'every channel closed on the ledger');
    for (const m of members.filter((y) => !y.hostile)) {
      // its account moved only by its own transactions: what it locked, what it was paid, a fee for each it sent
      let expected = m.start!.balance;
      for (const ch of m.node!.channels.list()) {
        const id = toHex(ch.channelId);
        const lc = await client.channel(ch.channelId);
        if (!lc) continue; // an unfunded open
        const payout = (ch.local === 'A' ? lc.payoutA : lc.payoutB) ?? 0n;
        expected += payout - (ch.local === 'A' ? ch.capacity : 0n);
        if (lc.penalized && lc.penalized !== ch.local) report.penalized++;
        const before = bounds.get(`${m.name}/${id}`) ?? lowerBound(ch);
        const now = balanceOf(ch.signed.state, ch.local);
        const bound = before < now ? before : now;
        report.checks.push({ node: m.name, channel: id.slice(0, 16), payout, bound });
        if (payout < bound) report.violations.push(`${m.name} on ${id.slice(0, 16)}: paid ${payout} < its bound ${bound}`);
      }
      const acct = await client.account(m.node!.identity.nodeId);
      expected -= FEE * BigInt(acct.nonce - m.start!.nonce);
      if (acct.balance !== expected) report.violations.push(`${m.name}'s account holds ${acct.balance}, its own transactions account for ${expected}`);
    }
    report.auditOk = ledger.chain.audit().ok;
    if (!report.auditOk) report.violations.push('ledger audit failed');
    await client.close();
  } finally {
    for (const m of members) await m.node?.stop().catch(() => undefined);
    await ledger.stop();
    await tmp.cleanup();
  }
  report.ms = Date.now() - started;
  return report;
}
