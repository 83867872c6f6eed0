// The real ledger process: started through the CLI, funded, used, killed with SIGKILL, restarted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerClient } from '../../src/ledger/client.js';
import { signTx } from '../../src/ledger/tx-codec.js';
import { toHex } from '../../src/crypto/bytes.js';
import { party } from '../helpers/ledger-fixture.js';
import { runSluice, startSluice, type Running } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

let dir: { dir: string; cleanup: () => Promise<void> };
const running: Running[] = [];

function startLedger(): Running {
  const r = startSluice(['ledger', 'start', '--data-dir', dir.dir, '--port', '0', '--block-time', '100ms', '--faucet', '--chain-id', 'e2e-chain', '--fee', '150sat']);
  running.push(r);
  return r;
}

beforeAll(async () => {
  dir = await tempDir();
});

afterAll(async () => {
  for (const r of running) await r.kill('SIGKILL');
  await dir.cleanup();
});

describe('ledger process', () => {
  it('loses no applied transaction when killed with SIGKILL', async () => {
    const first = startLedger();
    const url = (await first.waitFor(/listening on (ws:\/\/\S+)/))[1]!;
    const alice = party();
    const bob = party();

    // funded through the CLI, as a user would
    const faucet = await runSluice(['ledger', 'faucet', toHex(alice.pk), '1000sat', '--ledger', url, '--json']);
    expect(faucet.code).toBe(0);
    expect(JSON.parse(faucet.stdout)).toMatchObject({ status: 'confirmed', amount: '1000000' });

    const client = await LedgerClient.connect({ url });
    const txids: string[] = [];
    for (let i = 0; i < 5; i++) {
      txids.push(await client.submit(signTx('e2e-chain', { kind: 'transfer', from: alice.pk, nonce: i, to: bob.pk, amount: 10_000n }, alice.sk)));
    }
    for (const t of txids) await client.waitForTx(t);
    const heightBefore = (await client.info()).height;
    await client.close();

    first.proc.kill('SIGKILL');
    await first.kill('SIGKILL');

    const second = startLedger();
    const url2 = (await second.waitFor(/listening on (ws:\/\/\S+)/))[1]!;
    const c2 = await LedgerClient.connect({ url: url2 });
    for (const t of txids) expect((await c2.tx(t))?.status).toBe('confirmed');
    expect((await c2.account(bob.pk)).balance).toBe(50_000n);
    expect((await c2.account(alice.pk))).toEqual({ balance: 1_000_000n - 5n * (10_000n + 150_000n), nonce: 5 });
    expect((await c2.info()).height).toBeGreaterThanOrEqual(heightBefore);
    expect((await c2.audit()).ok).toBe(true);

    const bal = await runSluice(['ledger', 'balance', toHex(bob.pk), '--ledger', url2]);
    expect(bal.stdout).toContain('50000 msat (50 sat)');
    const info = await runSluice(['ledger', 'info', '--ledger', url2, '--json']);
    expect(JSON.parse(info.stdout)).toMatchObject({ chainId: 'e2e-chain', faucet: true });
    await c2.close();
    await second.kill('SIGTERM');
    expect(second.proc.exitCode).toBe(0);
  });

  it('prints one clear line and exits non-zero on bad input', async () => {
    const r = await runSluice(['ledger', 'faucet', 'nothex', '10sat', '--ledger', 'ws://127.0.0.1:1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/address/);
    const down = await runSluice(['ledger', 'info', '--ledger', 'ws://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the ledger/);
  });
});
