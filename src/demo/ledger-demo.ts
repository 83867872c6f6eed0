// The ledger part of the demo: an embedded ledger with fast blocks, a faucet, a funded account and a
// transfer, read back from the chain. Everything lives in a temporary directory that is removed after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../crypto/keys.js';
import { LedgerClient } from '../ledger/client.js';
import { startLedger } from '../ledger/service.js';
import { signTx } from '../ledger/tx-codec.js';
import { formatMsatFull } from '../money.js';
import { silentLogger } from '../util/log.js';

export interface LedgerDemoOptions {
  out?: (line: string) => void;
}

export async function runLedgerDemo(opts: LedgerDemoOptions = {}): Promise<void> {
  const say = opts.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const dir = await mkdtemp(join(tmpdir(), 'sluice-demo-'));
  const ledger = await startLedger({ dataDir: join(dir, 'ledger'), port: 0, blockTimeMs: 100, faucet: true, log: silentLogger() });
  const client = await LedgerClient.connect({ url: ledger.url });
  try {
    const info = await client.info();
    say(`ledger ${info.chainId} on ${ledger.url}: ${info.blockTimeMs} ms blocks, fee ${formatMsatFull(info.fee)} per transaction`);
    const alice = randomSecretKey();
    const bob = randomSecretKey();
    const a = publicKeyOf(alice);
    const b = publicKeyOf(bob);
    say(`alice ${toHex(a)}`);
    say(`bob   ${toHex(b)}`);
    const minted = await client.waitForTx(await client.faucet(a, 100_000_000n));
    say(`faucet: alice receives ${formatMsatFull(100_000_000n)} in block ${minted.height}`);
    const tx = signTx(info.chainId, { kind: 'transfer', from: a, nonce: 0, to: b, amount: 25_000_000n }, alice);
    const sent = await client.waitForTx(await client.submit(tx));
    say(`transfer: alice pays bob ${formatMsatFull(25_000_000n)} in block ${sent.height}`);
    say(`alice: ${formatMsatFull((await client.account(a)).balance)}`);
    say(`bob:   ${formatMsatFull((await client.account(b)).balance)}`);
    const audit = await client.audit();
    say(`audit: minted ${audit.minted} = balances ${audit.balances} + locked ${audit.locked} + fees ${audit.fees} msat -> ${audit.ok ? 'ok' : 'MISMATCH'}`);
    if (!audit.ok) throw new Error('ledger audit failed');
  } finally {
    await client.close();
    await ledger.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
