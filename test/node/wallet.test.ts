// The node's wallet against a real in-process ledger: it pays every fee from the node's own account,
// says clearly when it cannot afford a dispute, and reveals deep hash-chain claims in paid steps.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { hashChain } from '../../src/crypto/hash.js';
import { startLedger, type LedgerService } from '../../src/ledger/service.js';
import { LedgerClient, LedgerRpcError } from '../../src/ledger/client.js';
import { MAX_REVEAL_UNITS_PER_TX } from '../../src/ledger/rules.js';
import { FeeUnaffordableError, Wallet } from '../../src/node/wallet.js';
import { createLogger } from '../../src/util/log.js';
import type { Lock } from '../../src/channel/state.js';
import { bothSign, party, state, type Party } from '../helpers/ledger-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const CHAIN = 'sluice-test';
const FEE = 1000n;
const CAP = 10_000_000n;
let dir: Awaited<ReturnType<typeof tempDir>>;
let svc: LedgerService;
let client: LedgerClient;
let lines: Record<string, unknown>[];

function wallet(p: Party): Wallet {
  const log = createLogger({ json: true, level: 'warn', stream: { write: (s) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  return new Wallet({ ledger: client, chainId: CHAIN, secretKey: p.sk, address: p.pk, log });
}

beforeEach(async () => {
  dir = await tempDir();
  svc = await startLedger({ dataDir: dir.dir, port: 0, blockTimeMs: 0, faucet: true, chainId: CHAIN, fee: FEE, disputeBlocks: 5, log: createLogger({ level: 'silent' }) });
  client = await LedgerClient.connect({ url: svc.url });
  lines = [];
});

afterEach(async () => {
  await client.close();
  await svc.stop();
  await dir.cleanup();
});

/** A and B with a channel on the ledger that A force-closes with `closeWith`. */
async function closingChannel(locks: Lock[] = []): Promise<{ a: Party; b: Party; id: Uint8Array; locked: bigint }> {
  const a = party();
  const b = party();
  const id = randomBytes(32);
  const locked = locks.reduce((s, l) => s + (l.kind === 'hashchain' ? l.unit * BigInt(l.maxUnits) : l.amount), 0n);
  await client.faucet(a.pk, CAP + 10n * FEE);
  await client.mine();
  const wa = wallet(a);
  await wa.channelTx('open', id, { peer: b.pk, capacity: CAP, state: bothSign(state(id, 0n, CAP, 0n), a, b) });
  await client.mine();
  await wa.channelTx('forceClose', id, { state: bothSign(state(id, 1n, CAP - 1000n - locked, 1000n, { locks }), a, b) });
  await client.mine();
  return { a, b, id, locked };
}

describe('wallet fees', () => {
  it('a node that cannot afford a dispute gets a FeeUnaffordableError and a warning, and can dispute once funded', async () => {
    const { a, b, id } = await closingChannel();
    const wb = wallet(b);
    const newer = bothSign(state(id, 3n, CAP - 5000n, 5000n), a, b);
    const e = await wb.channelTx('dispute', id, { state: newer }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FeeUnaffordableError);
    expect(e).toBeInstanceOf(LedgerRpcError); // callers that handle ledger refusals handle it too
    expect((e as FeeUnaffordableError).reason).toBe('INSUFFICIENT_FUNDS');
    expect((e as FeeUnaffordableError).kind).toBe('dispute');
    const warn = lines.find((l) => l['level'] === 40);
    expect(String(warn?.['msg'])).toMatch(/cannot afford a dispute: a stale close will settle unopposed/);
    expect(warn?.['tx']).toBe('dispute');
    // funded, the same dispute goes through and is paid from b's account, not from the channel
    await client.faucet(b.pk, 5n * FEE);
    await client.mine();
    await wb.channelTx('dispute', id, { state: newer });
    await client.mine();
    const lc = (await client.channel(id))!;
    expect(lc.latest!.state.seq).toBe(3n);
    expect(lc.penalized).toBe('A');
    expect(lc.locked).toBe(CAP);
    expect((await client.account(b.pk)).balance).toBe(4n * FEE);
  });

  it('reveals a claim deeper than the per-request bound in steps, one fee each', async () => {
    const seed = randomBytes(32);
    const n = 2 * MAX_REVEAL_UNITS_PER_TX + 500;
    const lock: Lock = { kind: 'hashchain', id: 4, from: 'A', root: hashChain(seed, n), unit: 10n, maxUnits: n };
    const { b, id } = await closingChannel([lock]);
    await client.faucet(b.pk, 10n * FEE);
    await client.mine();
    const wb = wallet(b);
    const txids = await wb.reveal({ channelId: id, lockId: 4, preimage: seed, depth: n, shownDepth: 0 });
    expect(txids).toHaveLength(3);
    await client.mine();
    const lc = (await client.channel(id))!;
    expect(lc.reveals[4]!.depth).toBe(n);
    expect((await client.account(b.pk)).balance).toBe(7n * FEE);
    // already shown: nothing more to send
    expect(await wb.reveal({ channelId: id, lockId: 4, preimage: seed, depth: n, shownDepth: n })).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('registers a deep chain in steps, one fee each; a lock with an expiry is paid from the registry at settle, and the registry survives a ledger restart', async () => {
    const seed = randomBytes(32);
    const n = MAX_REVEAL_UNITS_PER_TX + 500;
    const root = hashChain(seed, n);
    const depth = n - 100;
    const lock: Lock = { kind: 'hashchain', id: 4, from: 'A', root, unit: 10n, maxUnits: n, expiryHeight: 1000 };
    const { b, id, locked } = await closingChannel([lock]);
    await client.faucet(b.pk, 10n * FEE);
    await client.mine();
    const wb = wallet(b);
    const txids = await wb.registerChain({ root, preimage: hashChain(seed, 100), depth, registeredDepth: 0 });
    expect(txids).toHaveLength(2);
    const mined = await client.mine();
    const entry = (await client.chain(root))!;
    expect(entry).toEqual({ depth, preimage: hashChain(seed, 100), marks: [{ height: mined.height, depth }] });
    expect((await client.account(b.pk)).balance).toBe(8n * FEE);
    expect(await client.chain(randomBytes(32))).toBeUndefined();
    await client.mine(5); // past the dispute window
    await wb.channelTx('settle', id, {});
    await client.mine();
    const lc = (await client.channel(id))!;
    expect(lc.payoutB).toBe(1000n + 10n * BigInt(depth));
    expect(lc.payoutA).toBe(CAP - 1000n - 10n * BigInt(depth));
    expect(lc.payoutA! + lc.payoutB!).toBe(CAP);
    expect(locked).toBe(10n * BigInt(n));
    // the registry is on disk: a restarted ledger has the same entry
    await client.close();
    await svc.stop();
    svc = await startLedger({ dataDir: dir.dir, port: 0, blockTimeMs: 0, faucet: true, chainId: CHAIN, fee: FEE, disputeBlocks: 5, log: createLogger({ level: 'silent' }) });
    client = await LedgerClient.connect({ url: svc.url });
    expect(await client.chain(root)).toEqual(entry);
    expect(lines).toEqual([]);
  });
});
