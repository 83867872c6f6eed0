// The node's ledger account (its node key): builds, signs and submits transactions one at a time, so
// nonces never collide, asking the ledger for the next nonce (which counts its mempool) each time.
import type { SignedState } from '../channel/state.js';
import { LedgerRpcError, type LedgerClient } from '../ledger/client.js';
import { signTx } from '../ledger/tx-codec.js';
import type { SignedTxBody } from '../ledger/types.js';

type DistOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type UnsignedBody = DistOmit<SignedTxBody, 'from' | 'nonce'>;

export class Wallet {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ledger: LedgerClient,
    private readonly chainId: string,
    private readonly secretKey: Uint8Array,
    readonly address: Uint8Array,
  ) {}

  /** Sign and submit; resolves with the txid once the ledger accepted it into its mempool. */
  submit(body: UnsignedBody): Promise<string> {
    const run = this.chain.then(() => this.submitNow(body));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async submitNow(body: UnsignedBody): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const nonce = await this.ledger.nextNonce(this.address);
      const tx = signTx(this.chainId, { ...body, from: this.address, nonce } as SignedTxBody, this.secretKey);
      try {
        return await this.ledger.submit(tx);
      } catch (e) {
        // A block made between the nonce query and the submit can move the nonce: ask again once.
        if (e instanceof LedgerRpcError && e.reason === 'BAD_NONCE' && attempt === 0) continue;
        throw e;
      }
    }
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
}
