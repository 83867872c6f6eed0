// The chain: a mempool, block production and the committed state. This is the ledger's shell: the
// rules are pure (rules.ts); here they meet the store. Time comes in as an argument to mine().
import { concatBytes, toHex, ByteWriter } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import type { JsonObject } from '../util/json-fields.js';
import { audit, type AuditReport } from './audit.js';
import { eventToJson } from './records-json.js';
import { applyTx, buildBlock, type TxContext, type WorkMeter } from './rules.js';
import type { LedgerStore, StoredTx } from './store.js';
import { txId, txToJson } from './tx-codec.js';
import type { Block, LedgerEvent, LedgerParams, Tx, TxError } from './types.js';
import { Overlay, type MemoryState } from './view.js';
import type { Result } from '../util/result.js';

export const MEMPOOL_MAX = 20_000;

export interface MinedBlock {
  block: Block;
  applied: { txid: string; tx: Tx; events: LedgerEvent[] }[];
  rejected: { txid: string; error: TxError }[];
}

export type SubmitResult = Result<{ txid: string }, TxError | { code: 'MEMPOOL_FULL'; message: string }>;

export function blockHash(height: number, prevHash: Uint8Array, time: number, txRoot: Uint8Array): Uint8Array {
  return sha256(new ByteWriter(80).u32(height).bytes(prevHash).u64(BigInt(time)).bytes(txRoot).finish());
}

export class Chain {
  private mempool: { txid: string; tx: Tx }[] = [];
  private readonly mempoolIds = new Set<string>();
  private pending: Overlay;
  private mining: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(m: MinedBlock) => void>();
  /** Work the rules have done since start (hashes for reveals), at submit and at block time. */
  readonly work: WorkMeter = { hashes: 0 };

  private constructor(
    private readonly store: LedgerStore,
    readonly params: LedgerParams,
    readonly state: MemoryState,
    private tipBlock: Block,
  ) {
    this.pending = new Overlay(state);
  }

  /** Load the chain from its store, creating the genesis block on first start. */
  static async open(store: LedgerStore, params: LedgerParams, now: number): Promise<Chain> {
    const { state, tip } = await store.load();
    if (tip) return new Chain(store, params, state, tip);
    const prevHash = sha256(new TextEncoder().encode(`sluice genesis ${params.chainId}`));
    const txRoot = sha256(new Uint8Array());
    const genesis: Block = { header: { height: 0, prevHash, time: now, txRoot, hash: blockHash(0, prevHash, now, txRoot) }, txids: [] };
    await store.commitBlock(genesis, [], []);
    return new Chain(store, params, state, genesis);
  }

  get tip(): Block {
    return this.tipBlock;
  }

  get mempoolSize(): number {
    return this.mempool.length;
  }

  private nextContext(): TxContext {
    return { ...this.params, height: this.tipBlock.header.height + 1, work: this.work };
  }

  /** Validate against the state after the pending transactions; accepted ones go into the next block. */
  submit(tx: Tx): SubmitResult {
    if (this.mempool.length >= MEMPOOL_MAX) return { ok: false, error: { code: 'MEMPOOL_FULL', message: 'too many pending transactions; retry after the next block' } };
    const txid = toHex(txId(tx));
    if (this.mempoolIds.has(txid)) return { ok: true, txid };
    const r = applyTx(this.pending, tx, this.nextContext());
    if (!r.ok) return { ok: false, error: r.error };
    this.pending.apply(r.writes);
    this.mempool.push({ txid, tx });
    this.mempoolIds.add(txid);
    return { ok: true, txid };
  }

  /** The nonce the sender's next transaction needs, counting those in the mempool. */
  pendingNonce(id: Uint8Array): number {
    return this.pending.account(id).nonce;
  }

  isPending(txid: string): boolean {
    return this.mempoolIds.has(txid);
  }

  /** Resolves when no block is being made. */
  idle(): Promise<void> {
    return this.mining.then(() => undefined);
  }

  onBlock(listener: (m: MinedBlock) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Make the next block from the mempool (possibly empty). Calls are serialized. */
  mine(now: number): Promise<MinedBlock> {
    const run = this.mining.then(() => this.mineOne(now));
    this.mining = run.catch(() => undefined);
    return run;
  }

  private async mineOne(now: number): Promise<MinedBlock> {
    const ctx = this.nextContext();
    const batch = this.mempool.slice();
    const result = buildBlock(this.state, batch.map((m) => m.tx), ctx);
    const txidOf = new Map(batch.map((m) => [m.tx, m.txid]));
    const applied = result.applied.map((a) => ({ txid: txidOf.get(a.tx)!, tx: a.tx, events: a.events }));
    const rejected = result.rejected.map((r) => ({ txid: txidOf.get(r.tx)!, error: r.error }));
    const txids = applied.map((a) => Uint8Array.from(Buffer.from(a.txid, 'hex')));
    const txRoot = sha256(concatBytes(...txids));
    const prevHash = this.tipBlock.header.hash;
    const time = Math.max(now, this.tipBlock.header.time);
    const block: Block = { header: { height: ctx.height, prevHash, time, txRoot, hash: blockHash(ctx.height, prevHash, time, txRoot) }, txids };
    const stored: StoredTx[] = applied.map((a, index) => ({
      txid: a.txid, height: ctx.height, index, tx: txToJson(a.tx), events: a.events.map(eventToJson) as JsonObject[],
    }));
    await this.store.commitBlock(block, stored, result.writes);
    // Durable: now make it visible.
    this.state.apply(result.writes);
    this.tipBlock = block;
    const minedIds = new Set(batch.map((m) => m.txid));
    const rest = this.mempool.filter((m) => !minedIds.has(m.txid));
    this.mempool = [];
    this.mempoolIds.clear();
    this.pending = new Overlay(this.state);
    for (const m of rest) this.submit(m.tx); // re-validate what arrived while mining
    const mined: MinedBlock = { block, applied, rejected };
    for (const l of this.listeners) l(mined);
    return mined;
  }

  blockAt(height: number): Promise<Block | undefined> {
    return this.store.block(height);
  }

  txRecord(txid: string): Promise<StoredTx | undefined> {
    return this.store.tx(txid);
  }

  audit(): AuditReport {
    return audit(this.state);
  }
}
