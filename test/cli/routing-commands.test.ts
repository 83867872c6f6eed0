// The routing commands (invoice, pay, payment, route, graph, channel policy) through the built CLI
// against a fake node: what is sent is exact msat, what is shown is the node's answer, a failed
// payment exits non-zero with its record, and bad input fails before anything is sent.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { createInvoice } from '../../src/invoice/invoice.js';
import { BIG, FakeApi, channelId, nodeId } from '../api/fake-api.js';
import { expectOneLineError, useFakeNodeCli } from './fake-node-cli.js';

const cli = useFakeNodeCli();
const { sluice, at } = cli;
let api: FakeApi;
beforeAll(() => {
  api = cli.api;
});

describe('invoices', () => {
  it('invoice create sends exact msat and seconds, and prints the invoice first', async () => {
    const r = await sluice(['invoice', 'create', '1.5sat', '--description', 'coffee', '--expiry', '10min', ...at()]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('lnsb1fake');
    expect(r.stdout).toContain('amount       1.5 sat');
    expect(r.stdout).toContain('description  coffee');
    expect(api.calls).toEqual([{ method: 'createInvoice', args: [{ amount: 1_500n, description: 'coffee', expirySeconds: 600 }] }]);
    const json = JSON.parse((await sluice(['invoice', 'create', '--json', ...at()])).stdout);
    expect(json).toMatchObject({ invoice: 'lnsb1fake', paymentHash: 'aa'.repeat(32), status: 'open' });
    expect(json.amount).toBeUndefined(); // no amount: the payer chooses
    expect(api.calls[1]).toEqual({ method: 'createInvoice', args: [{ description: '', expirySeconds: 3600 }] });
  });

  it('invoice list shows paid and open invoices', async () => {
    const r = await sluice(['invoice', 'list', ...at()]);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/open\s+any amount/);
    expect(lines[1]).toMatch(new RegExp(`paid\\s+${BIG / 1000n}\\.\\d+ sat \\(received`));
  });

  it('invoice decode reads a real invoice with no node running', async () => {
    const key = randomSecretKey();
    const hash = randomBytes(32);
    const text = createInvoice({ amountMsat: 2_500_000n, timestamp: 1_700_000_000, paymentHash: hash, paymentSecret: randomBytes(32), description: 'a\u001b[31m red', expirySeconds: 60, minFinalCltvExpiryDelta: 18, nodeSecretKey: key });
    const r = await sluice(['invoice', 'decode', text]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`payee        ${toHex(publicKeyOf(key))}`);
    expect(r.stdout).toContain(`payment hash ${toHex(hash)}`);
    expect(r.stdout).toContain('amount       2500 sat');
    expect(r.stdout).toContain('(expired)');
    expect(r.stdout).not.toContain('\u001b'); // text from the network cannot drive the terminal
    const json = JSON.parse((await sluice(['invoice', 'decode', text, '--json'])).stdout);
    expect(json).toMatchObject({ network: 'simnet', amount: '2500000', expired: true, minFinalCltvExpiryDelta: 18, features: [8, 14] });
    expect(api.calls).toEqual([]);
    expectOneLineError(await sluice(['invoice', 'decode', text.slice(0, -1) + (text.endsWith('q') ? 'p' : 'q')]), /invoice: .*checksum/);
  });
});

describe('pay', () => {
  it('an invoice: routed, with the fee limit and timeout sent exactly', async () => {
    const r = await sluice(['pay', 'lnsb1xyz', '--max-fee', '2sat', '--timeout', '30s', ...at()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^paid 1 sat to [0-9a-f]{66} over 2 hop\(s\), fee 1\.001 sat, in 2 attempt\(s\)/);
    expect(r.stdout).toContain('attempt 1: temporary_channel_failure at');
    expect(api.calls).toEqual([{ method: 'payInvoice', args: [{ invoice: 'lnsb1xyz', maxFee: 2_000n, timeoutMs: 30_000 }] }]);
    const json = JSON.parse((await sluice(['pay', 'lnsb1xyz', '--json', ...at()])).stdout);
    expect(json).toMatchObject({ status: 'succeeded', amount: '1000', fee: '1001', preimage: 'ee'.repeat(32) });
    expect(json.route).toHaveLength(2);
    expect(json.attempts).toHaveLength(2);
  });

  it('a node with no channel to it: a keysend payment', async () => {
    const to = nodeId();
    const r = await sluice(['pay', to, '10sat', ...at()]);
    expect(r.code).toBe(0);
    expect(api.calls.map((c) => c.method)).toEqual(['listChannels', 'payNode']);
    expect(api.calls[1]!.args[0]).toEqual({ nodeId: to, amount: 10_000n, timeoutMs: 60_000 });
  });

  it('a failed payment prints what was tried and exits 1', async () => {
    const failed = { ...api.payment(api.peer, 5n, 'invoice'), status: 'failed' as const, failure: 'no route to the payee within the fee limit' };
    const original = api.payInvoice.bind(api);
    api.payInvoice = async () => failed;
    try {
      const r = await sluice(['pay', 'lnsb1xyz', ...at()]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('payment failed after 2 attempt(s): no route to the payee within the fee limit');
      const json = await sluice(['pay', 'lnsb1xyz', '--json', ...at()]);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ status: 'failed' });
    } finally {
      api.payInvoice = original;
    }
  });

  it.each([
    [['pay', nodeId()], /amount: needed to pay a node/],
    [['pay', 'lnsb1xyz', '--timeout', '11min'], /--timeout: between 1s and 10min/],
    [['pay', 'lnsb1xyz', '--max-fee', 'lots'], /--max-fee: 'lots'/],
    [['pay', 'bob', '10'], /node id: expected 66 hex characters/],
    [['pay', nodeId(), '0'], /amount: must be more than 0/],
  ])('%s is refused before anything is sent', async (args, message) => {
    expectOneLineError(await sluice([...args, ...at()]), message);
    expect(api.calls).toEqual([]);
  });
});

describe('payments, routes, graph, policy', () => {
  it('payment list', async () => {
    const lines = (await sluice(['payment', 'list', ...at()])).stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/succeeded keysend/);
    expect(lines[1]).toMatch(/failed\s+invoice .*no route/);
  });

  it('route shows every hop', async () => {
    const to = nodeId();
    const r = await sluice(['route', to, '1sat', ...at()]);
    expect(r.stdout).toContain('2 hop(s): 1 sat to the payee, 1.001 sat in fees');
    expect(r.stdout).toContain(`2. ${to} via 130x2x0: 1 sat in, expiry 72`);
    expect(api.calls).toEqual([{ method: 'queryRoute', args: [{ nodeId: to, amount: 1_000n }] }]);
  });

  it('graph', async () => {
    const r = await sluice(['graph', ...at()]);
    expect(r.stdout.split('\n')[0]).toBe('2 node(s), 1 channel(s)');
    expect(r.stdout).toContain('channel 120x1x0');
  });

  it('channel policy: shown alone, changed with options', async () => {
    const id = channelId();
    const shown = await sluice(['channel', 'policy', id, ...at()]);
    expect(shown.stdout).toContain('base fee     1 sat');
    expect(shown.stdout).toContain('expiry delta 12 blocks');
    await sluice(['channel', 'policy', id, '--base-fee', '2sat', '--fee-ppm', '150', '--expiry-delta', '20', '--min-htlc', '1msat', '--max-htlc', '1000sat', ...at()]);
    expect(api.calls.map((c) => c.args[0])).toEqual([
      { channelId: id },
      { channelId: id, update: { feeBase: 2_000n, feePpm: 150, cltvExpiryDelta: 20, htlcMinimum: 1n, htlcMaximum: 1_000_000n } },
    ]);
    expectOneLineError(await sluice(['channel', 'policy', id, '--fee-ppm', '1.5', ...at()]), /--fee-ppm: '1.5' is not a whole number/);
  });
});

describe('forwards', () => {
  it('forward list shows each forward and the fees earned', async () => {
    const r = await sluice(['forward', 'list', ...at()]);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/settled .* fee 1\.001 sat$/);
    expect(lines[1]).toMatch(/failed .* temporary_channel_failure$/);
    expect(lines[2]).toBe('earned 1.001 sat in fees over 1 settled forward(s)');
    const json = JSON.parse((await sluice(['forward', 'list', '--json', ...at()])).stdout);
    expect(json[0]).toMatchObject({ status: 'settled', fee: '1001', amountIn: BIG.toString() });
  });
});
