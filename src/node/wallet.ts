// The node's ledger account (its node key): builds, signs and submits transactions one at a time, so
// nonces never collide, asking the ledger for the next nonce (which counts its mempool) each time.
//
// Every ledger transaction pays its fee from its sender's account (docs/ledger.md), so a node keeps a
// small ledger balance to close, dispute, reveal and settle, as a Lightning node keeps on-chain funds
// for fee bumping. When it cannot pay, it says so: a warning in the log and a FeeUnaffordableError.
import { toHex } from '../crypto/bytes.js';
import type { SignedState } from '../channel/state.js';
import { LedgerRpcError, type LedgerClient } from '../ledger/client.js';
import { revealSteps } from '../ledger/reveal-steps.js';
import { signTx } from '../ledger/tx-codec.js';
import type { SignedTxBody } from '../ledger/types.js';
import type { Logger } from '../util/log.js';

type DistOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type UnsignedBody = DistOmit<SignedTxBody, 'from' | 'nonce'>;

/**
 * The ledger refused a transaction because the node's account cannot pay its fee. A LedgerRpcError (code
 * and reason INSUFFICIENT_FUNDS kept), so callers that handle ledger refusals handle it too.
 */
export class FeeUnaffordableError extends LedgerRpcError {
  constructor(readonly kind: UnsignedBody['kind'], code: number, message: string) {
    super(code, message, 'INSUFFICIENT_FUNDS');
    this.name = 'FeeUnaffordableError';
  }
}

export interface WalletOptions {
  ledger: LedgerClient;
  chainId: string;
  secretKey: Uint8Array;
  address: Uint8Array;
  log: Logger;
}

export class Wallet {
  private chain: Promise<unknown> = Promise.resolve();
  readonly address: Uint8Array;

  constructor(private readonly o: WalletOptions) {
    this.address = o.address;
    // The node's key is its ledger identity: proved on every connection, it keeps the node a place on
    // the ledger that a flood of anonymous connections cannot take (docs/ledger.md, "Limits").
    void o.ledger.identify({ chainId: o.chainId, secretKey: o.secretKey, publicKey: o.address }).then((ok) => {
      if (!ok) o.log.info('ledger connection not protected: the node\'s ledger account cannot pay one fee yet; fund it');
    });
  }

  /** Sign and submit; resolves with the txid once the ledger accepted it into its mempool. */
  submit(body: UnsignedBody): Promise<string> {
    const run = this.chain.then(() => this.submitNow(body));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async submitNow(body: UnsignedBody): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const nonce = await this.o.ledger.nextNonce(this.address);
      const tx = signTx(this.o.chainId, { ...body, from: this.address, nonce } as SignedTxBody, this.o.secretKey);
      try {
        return await this.o.ledger.submit(tx);
      } catch (e) {
        // A block made between the nonce query and the submit can move the nonce: ask again once.
        if (e instanceof LedgerRpcError && e.reason === 'BAD_NONCE' && attempt === 0) continue;
        throw this.explain(body, e);
      }
    }
  }

  /** A transaction that only costs its fee, refused for lack of funds: say what it means for the node. */
  private explain(body: UnsignedBody, e: unknown): unknown {
    if (!(e instanceof LedgerRpcError) || e.reason !== 'INSUFFICIENT_FUNDS' || body.kind === 'open' || body.kind === 'transfer') return e;
    const channel = 'channelId' in body ? toHex(body.channelId).slice(0, 16) : undefined;
    const why = body.kind === 'dispute'
      ? 'cannot afford a dispute: a stale close will settle unopposed unless the node\'s ledger account is funded before the window ends'
      : `cannot afford the ledger fee of a ${body.kind}`;
    const fix = `fund the node's ledger account: sluice wallet faucet, or a transfer to ${toHex(this.address)}`;
    // Both sides send a cooperative close and one landing is enough: not being able to pay for ours is no alarm.
    if (body.kind === 'close') this.o.log.info({ channel, tx: body.kind }, `${why}; the peer's close settles it (${fix})`);
    else this.o.log.warn({ channel, tx: body.kind, ledger: e.message }, `${why} (${fix})`);
    return new FeeUnaffordableError(body.kind, e.code, `${why}: ${e.message}`);
  }

  channelTx(kind: 'open' | 'close' | 'forceClose' | 'dispute' | 'settle', channelId: Uint8Array, opts: { state?: SignedState; peer?: Uint8Array; capacity?: bigint }): Promise<string> {
    switch (kind) {
      case 'open':
        return this.submit({ kind, channelId, peer: opts.peer!, capacity: opts.capacity!, state: opts.state! });
      case 'close':
      case 'forceClose':
      case 'dispute':
        return this.submit({ kind, channelId, state: opts.state! });
      case 'settle':
        return this.submit({ kind, channelId });
    }
  }

  /**
   * Show a hash-chain claim at `depth`, in as many steps as the ledger's per-request bound needs from
   * what it has already been shown (`shownDepth`). Resolves with the txids; a refused step ends it.
   */
  async reveal(opts: { channelId: Uint8Array; lockId: number; preimage: Uint8Array; depth: number; shownDepth: number }): Promise<string[]> {
    const txids: string[] = [];
    for (const step of revealSteps(opts)) {
      txids.push(await this.submit({ kind: 'reveal', channelId: opts.channelId, lockId: opts.lockId, preimage: step.preimage, depth: step.depth }));
    }
    return txids;
  }

  /**
   * Register that the hash chain under `root` reaches `depth` (shown by `preimage`) in the ledger's chain
   * registry, in steps from the depth already registered (`registeredDepth`), as reveal does. A lock with
   * an expiry under this root is then paid that depth if the registration lands below its expiryHeight.
   */
  async registerChain(opts: { root: Uint8Array; preimage: Uint8Array; depth: number; registeredDepth: number }): Promise<string[]> {
    const txids: string[] = [];
    for (const step of revealSteps({ preimage: opts.preimage, depth: opts.depth, shownDepth: opts.registeredDepth })) {
      txids.push(await this.submit({ kind: 'registerChain', root: opts.root, preimage: step.preimage, depth: step.depth }));
    }
    return txids;
  }
}
