// Attacks on what the ledger sends a node's `party` subscription. A channel peer can make many events
// for one channel in one block (one-unit reveals, 200 sat each); each party notice used to carry the
// channel's whole record, so K events of a channel with 60 locks sent K copies (K x ~15 KB) and about a
// thousand reveals (0.002 BTC of fees) passed the 16 MiB send bound and got the victim's ledger connection dropped.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { blockNotices, noticesFor, type Subscription } from '../../src/ledger/subscriptions.js';
import type { MinedBlock } from '../../src/ledger/chain.js';
import type { LedgerChannel, LedgerEvent } from '../../src/ledger/types.js';
import type { Lock } from '../../src/channel/state.js';
import { bothSign, newChannelId, party, state } from '../helpers/ledger-fixture.js';

const CAP = 1_000_000_000n;

function closingChannel(nLocks: number) {
  const [a, b] = [party(), party()];
  const id = newChannelId();
  const locks: Lock[] = Array.from({ length: nLocks }, (_, i) => ({ kind: 'hashchain', id: i + 1, from: 'A', root: randomBytes(32), unit: 1n, maxUnits: 1000 }));
  const latest = bothSign(state(id, 5n, CAP - BigInt(nLocks) * 1000n, 0n, { locks }), a, b);
  const reveals = Object.fromEntries(locks.map((l) => [l.id, { depth: 10, preimage: randomBytes(32) }]));
  const ch: LedgerChannel = {
    channelId: id, a: a.pk, b: b.pk, capacity: CAP, locked: CAP, status: 'closing', openedHeight: 1, reveals,
    latest, submittedBy: 'A', closedSeq: 5n, deadlineHeight: 20,
  };
  return { ch, a, b };
}

function mined(height: number, events: LedgerEvent[]): MinedBlock {
  return {
    block: { header: { height, hash: randomBytes(32), prevHash: randomBytes(32), time: 0, txRoot: randomBytes(32) }, txids: [] },
    applied: events.map((e) => ({ txid: randomBytes(32).toString('hex'), tx: undefined as never, events: [e] })),
    rejected: [],
  };
}

describe('party notice amplification', () => {
  it('1,000 one-unit reveals in one block on a 60-lock channel: the record is sent once, not 1,000 times', () => {
    const { ch, b } = closingChannel(60);
    const K = 1000;
    const events: LedgerEvent[] = Array.from({ length: K }, (_, i) => ({ kind: 'chainRevealed', channelId: ch.channelId, lockId: 1, depth: 11 + i }));
    const notices = blockNotices(mined(7, events), () => ch);
    const subs = new Map<string, Subscription>([['s1', { topic: 'party', party: Buffer.from(b.pk).toString('hex') }]]);
    const out = noticesFor(subs, notices);
    expect(out.filter((n) => n['event'] !== undefined)).toHaveLength(K); // every event is still told
    const withRecord = out.filter((n) => n['channel'] !== undefined);
    expect(withRecord).toHaveLength(1);
    // the record rides on the channel's last event of the block, so a watcher acting on it sees the block's end
    expect((withRecord[0]!['event'] as { depth: number }).depth).toBe(10 + K);
    const bytes = out.reduce((s, n) => s + JSON.stringify(n).length, 0);
    const record = JSON.stringify(withRecord[0]!['channel']).length;
    expect(record).toBeGreaterThan(10_000); // ~15 KB: 1,000 copies were ~15 MB, at the 16 MiB send bound
    expect(bytes).toBeLessThan(record + K * 400);
  });

  it('two channels in one block each get their record once, on their own last event', () => {
    const one = closingChannel(2);
    const two = { ...closingChannel(2).ch, a: one.ch.a, channelId: newChannelId() };
    const ev = (c: LedgerChannel, depth: number): LedgerEvent => ({ kind: 'chainRevealed', channelId: c.channelId, lockId: 1, depth });
    const byId = new Map([one.ch, two].map((c) => [Buffer.from(c.channelId).toString('hex'), c]));
    const notices = blockNotices(mined(7, [ev(one.ch, 11), ev(two, 11), ev(one.ch, 12), ev(two, 12)]), (id) => byId.get(Buffer.from(id).toString('hex')));
    const subs = new Map<string, Subscription>([['s1', { topic: 'party', party: Buffer.from(one.a.pk).toString('hex') }]]);
    const out = noticesFor(subs, notices);
    expect(out.map((n) => n['channel'] !== undefined)).toEqual([false, false, true, true]);
  });
});
