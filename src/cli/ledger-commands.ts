// What `sluice ledger …` does: run the simulated chain, and look at it (accounts, transactions, blocks,
// channels). The command tree is in program.ts.
import { parseChannelId, parseNodeId } from '../api/fields.js';
import { parsePublicKey } from '../crypto/keys.js';
import { LedgerClient } from '../ledger/client.js';
import { startLedger } from '../ledger/service.js';
import { formatMsatFull, parseAmount } from '../money.js';
import { parseDuration } from '../util/duration.js';
import { createLogger } from '../util/log.js';
import { explainLedgerFailure } from './ledger-errors.js';
import { CliError, print } from './output.js';
import { assertPortFree, checkDataDir, parseCount, parsePort, waitForSignal } from './parse.js';

interface ClientOpts {
  ledger: string;
  json?: boolean;
}

async function withClient<T>(opts: ClientOpts, fn: (c: LedgerClient) => Promise<T>): Promise<T> {
  // a URL that is not a ledger fails at the connect (HTTP) or at the first call (a peer port)
  const explain = (e: unknown) => explainLedgerFailure(e, opts.ledger) ?? e;
  const c = await LedgerClient.connect({ url: opts.ledger, connectTimeoutMs: 2000 }).catch((e: unknown) => {
    throw explain(e);
  });
  try {
    return await fn(c).catch((e: unknown) => {
      throw explain(e);
    });
  } finally {
    await c.close();
  }
}

export async function ledgerStart(o: Record<string, string | boolean>): Promise<void> {
  const log = createLogger({ name: 'ledger', level: String(o['logLevel']), json: o['logJson'] === true });
  const port = parsePort(String(o['port']), '--port');
  await checkDataDir(String(o['dataDir']), { mustExist: false, daemon: 'ledger' });
  await assertPortFree(String(o['host']), port, '--port');
  const svc = await startLedger({
    dataDir: String(o['dataDir']),
    host: String(o['host']),
    port,
    blockTimeMs: parseDuration(String(o['blockTime']), '--block-time'),
    disputeBlocks: parseCount(String(o['disputeBlocks']), '--dispute-blocks'),
    fee: parseAmount(String(o['fee']), '--fee'),
    chainId: String(o['chainId']),
    faucet: o['faucet'] === true,
    log,
  }).catch((e: unknown) => {
    if ((e as { code?: unknown }).code === 'EADDRINUSE') throw new CliError('PORT_IN_USE', `--port ${port} is already in use by another program`);
    throw e;
  });
  process.stdout.write(`ledger listening on ${svc.url} (height ${svc.chain.tip.header.height})\n`);
  await waitForSignal();
  log.info('stopping');
  await svc.stop();
}

export async function ledgerInfo(o: ClientOpts): Promise<void> {
  const info = await withClient(o, (c) => c.info());
  print(o, info, () =>
    [
      `chain:          ${info.chainId}`,
      `height:         ${info.height}`,
      `tip:            ${info.tipHash}`,
      `fee:            ${formatMsatFull(info.fee)}`,
      `dispute window: ${info.disputeBlocks} blocks`,
      `block time:     ${info.blockTimeMs ? `${info.blockTimeMs} ms` : 'on demand'}`,
      `faucet:         ${info.faucet ? 'on' : 'off'}`,
      `minted:         ${formatMsatFull(info.supply.minted)}`,
      `fees paid:      ${formatMsatFull(info.supply.fees)}`,
    ].join('\n'),
  );
}

/** An account is a 33-byte public key; checking the length first says what a typo got wrong. */
function parseAddress(text: string): Uint8Array {
  return parsePublicKey(parseNodeId(text, 'address'), 'address');
}

export async function ledgerBalance(address: string, o: ClientOpts): Promise<void> {
  const pk = parseAddress(address);
  const acct = await withClient(o, (c) => c.account(pk));
  print(o, { address, balance: acct.balance, nonce: acct.nonce }, () => `${formatMsatFull(acct.balance)}  (nonce ${acct.nonce})`);
}

export async function ledgerFaucet(address: string, amountText: string, o: ClientOpts & { wait: boolean }): Promise<void> {
  const pk = parseAddress(address);
  const amount = parseAmount(amountText);
  const r = await withClient(o, async (c) => {
    const txid = await c.faucet(pk, amount);
    const st = o.wait ? await c.waitForTx(txid) : { status: 'pending' as const, height: undefined };
    return { txid, status: st.status, height: st.height, amount };
  });
  print(o, r, () => `${r.status === 'confirmed' ? `minted ${formatMsatFull(amount)} in block ${r.height}` : 'faucet transaction accepted'}: ${r.txid}`);
}

export async function ledgerMine(blocks: string, o: ClientOpts): Promise<void> {
  const r = await withClient(o, (c) => c.mine(parseCount(blocks, 'blocks')));
  print(o, r, () => `height ${r.height}`);
}

export async function ledgerAudit(o: ClientOpts): Promise<void> {
  const r = await withClient(o, (c) => c.audit());
  print(o, r, () => `${r.ok ? 'ok' : 'MISMATCH'}: minted ${r.minted} = balances ${r.balances} + locked ${r.locked} + fees ${r.fees} (msat)`);
  if (!r.ok) process.exitCode = 1;
}

type Raw = Record<string, unknown>;

/** A ledger lookup that finds nothing is the user's 'not found', not a failure of the ledger. */
async function lookup(o: ClientOpts, method: string, params: Record<string, string | number>, what: string): Promise<Raw> {
  return withClient(o, async (c) => {
    try {
      return (await c.request(method, params)) as Raw;
    } catch (e) {
      if ((e as { code?: unknown }).code === -32001) throw new CliError('NOT_FOUND', `the ledger at ${o.ledger} has no ${what}`);
      throw e;
    }
  });
}

export async function ledgerTx(txid: string, o: ClientOpts): Promise<void> {
  const id = parseChannelId(txid, 'txid'); // the same shape: 64 hex characters
  const r = await lookup(o, 'getTx', { txid: id }, `transaction ${id}`);
  print(o, r, () => {
    if (r['status'] !== 'confirmed') return `tx ${id}: pending (in the mempool)`;
    const tx = (r['tx'] ?? {}) as Raw;
    const lines = [`tx ${id}: confirmed in block ${String(r['height'])} (index ${String(r['index'])})`, `kind:   ${String(tx['kind'])}`];
    if (typeof tx['from'] === 'string') lines.push(`from:   ${tx['from']} (nonce ${String(tx['nonce'])})`);
    if (typeof tx['to'] === 'string') lines.push(`to:     ${tx['to']}`);
    if (typeof tx['amount'] === 'string') lines.push(`amount: ${formatMsatFull(BigInt(tx['amount']))}`);
    if (typeof tx['channelId'] === 'string') lines.push(`channel ${tx['channelId']}`);
    for (const ev of (r['events'] as Raw[] | undefined) ?? []) lines.push(`event:  ${Object.entries(ev).map(([k, v]) => (k === 'kind' ? String(v) : `${k} ${String(v)}`)).join(', ')}`);
    return lines.join('\n');
  });
}

export async function ledgerBlock(heightText: string, o: ClientOpts): Promise<void> {
  const height = parseCount(heightText, 'height');
  const b = await lookup(o, 'getBlock', { height }, `block at height ${height}`);
  const txids = (b['txids'] as string[] | undefined) ?? [];
  print(o, b, () =>
    [
      `block ${height}: ${String(b['hash'])}`,
      `time:  ${new Date(Number(b['time'])).toISOString()}`,
      `prev:  ${String(b['prevHash'])}`,
      `${txids.length} transaction${txids.length === 1 ? '' : 's'}${txids.length ? ':' : ''}`,
      ...txids.map((t) => `  ${t}`),
    ].join('\n'),
  );
}

export async function ledgerChannel(idText: string, o: ClientOpts): Promise<void> {
  const id = parseChannelId(idText, 'channel id');
  const ch = await lookup(o, 'getChannel', { channelId: id }, `channel ${id}`);
  const msat = (k: string) => (typeof ch[k] === 'string' ? formatMsatFull(BigInt(ch[k])) : undefined);
  print(o, ch, () => {
    const lines = [
      `channel ${id}: ${String(ch['status'])} (opened in block ${String(ch['openedHeight'])})`,
      `a (opener): ${String(ch['a'])}`,
      `b:          ${String(ch['b'])}`,
      `capacity:   ${msat('capacity')}, locked ${msat('locked')}`,
    ];
    if (ch['closedSeq'] !== undefined) lines.push(`closed with state ${String(ch['closedSeq'])} by ${String(ch['submittedBy'])}${ch['penalized'] ? `, ${String(ch['penalized'])} penalized` : ''}`);
    if (ch['deadlineHeight'] !== undefined && ch['status'] === 'closing') lines.push(`dispute window ends at height ${String(ch['deadlineHeight'])}`);
    if (ch['payoutA'] !== undefined) lines.push(`paid out:   a ${msat('payoutA')}, b ${msat('payoutB')}${ch['closedHeight'] !== undefined ? ` in block ${String(ch['closedHeight'])}` : ''}`);
    return lines.join('\n');
  });
}
