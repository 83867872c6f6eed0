// Issue 7 item 7, "a failed persist hangs the caller": at the ChannelManager, with a store that fails a
// chosen write. The requests the unstored state carried are refused at once with the store's error, the
// channel stays as last stored, nothing unstored reaches the peer, and the next payment goes through.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { localBalance, remoteBalance } from '../../src/channel/machine.js';
import { channelToRecord } from '../../src/node/channel-record.js';
import { StoreWriteError } from '../../src/node/store-port.js';
import { managerNet, type ManagerNode } from '../helpers/channel-managers.js';
import { proposalWrite } from '../helpers/store-doubles.js';

const pay = (amount: bigint) => [{ op: 'pay' as const, amount }];

/** Each promise's outcome as soon as it has one (read after `idle`, never waited on). */
function outcomes<T>(ps: Promise<T>[]): { value?: T; error?: unknown }[] {
  return ps.map((p) => {
    const o: { value?: T; error?: unknown } = {};
    p.then((v) => (o.value = v), (e: unknown) => (o.error = e));
    return o;
  });
}

async function storedChannel(n: ManagerNode, id: string) {
  return (await n.store.inner.loadChannels()).find((c) => toHex(c.channelId) === id);
}

async function pair(aLeads: boolean) {
  for (;;) {
    const net = managerNet();
    const a = net.add('a');
    const b = net.add('b');
    if ((a.id < b.id) !== aLeads) continue;
    const id = await net.openFunded(a, b);
    expect(a.mgr.channels.get(id)!.status).toBe('open');
    return { net, a, b, id };
  }
}

describe('a failed persist hangs the caller (issue 7 item 7)', () => {
  it.each([['leader', true], ['follower', false]])('a payer that is the %s: every payment of the unstored update is refused at once, the next one is paid', async (_r, aLeads) => {
    const { net, a, b, id } = await pair(aLeads);
    const before = a.mgr.channels.get(id)!;
    a.store.fail(proposalWrite(1n));
    const batch = outcomes([1n, 2n, 3n].map((n) => a.mgr.submitOps(id, pay(n * 1000n)).settled));
    await net.idle();
    for (const o of batch) {
      expect(o.error).toBeInstanceOf(StoreWriteError);
      expect((o.error as Error).message).toMatch(/could not store channel .* seq 1 .*ENOSPC.*not sent to the peer and will not complete/);
    }
    // in memory exactly what is stored, and the peer saw no update
    const now = a.mgr.channels.get(id)!;
    expect(channelToRecord(now)).toEqual(channelToRecord((await storedChannel(a, id))!));
    expect(channelToRecord(now)).toEqual(channelToRecord(before));
    expect(a.sent.filter((s) => s.m.kind === 'updateState')).toHaveLength(0);
    expect(b.mgr.channels.get(id)!.signed.state.seq).toBe(0n);
    // the store is back: the next payment works, and only it moved money
    const next = await a.mgr.submitOps(id, pay(5000n)).settled;
    await net.idle();
    expect(next.seq).toBe(1n);
    expect(remoteBalance(a.mgr.channels.get(id)!)).toBe(5000n);
    expect(localBalance(b.mgr.channels.get(id)!)).toBe(5000n);
  });

  it('the payee cannot store the update: nothing is acked, it hangs up, and after the reconnect the payment completes', async () => {
    const { net, a, b, id } = await pair(true); // a leads: its update carries its signature
    b.store.fail((w) => w.channel?.signed.state.seq === 1n);
    const paid = outcomes([a.mgr.submitOps(id, pay(7000n)).settled]);
    await net.idle();
    // b did not sign what it could not store, and dropped the connection to resynchronise
    expect(b.sent.filter((s) => s.m.kind === 'ackState')).toHaveLength(0);
    expect(b.disconnects).toEqual([a.id]);
    expect(b.mgr.channels.get(id)!.signed.state.seq).toBe(0n);
    expect(paid[0]).toEqual({}); // sent and signed by a: still open, not refused
    for (const n of [a, b]) await n.mgr.dispatch(id, { type: 'disconnected' });
    for (const n of [a, b]) await n.mgr.dispatch(id, { type: 'connected' });
    await net.idle();
    expect(paid[0]!.value?.seq).toBe(1n);
    expect(localBalance(b.mgr.channels.get(id)!)).toBe(7000n);
  });

  it('a failed open write refuses the open at once and leaves no channel', async () => {
    const net = managerNet();
    const a = net.add('a');
    const b = net.add('b');
    a.store.fail(1);
    await expect(a.mgr.open(b.id, 1_000_000_000n, 0n)).rejects.toBeInstanceOf(StoreWriteError);
    await net.idle();
    expect(a.mgr.list()).toHaveLength(0);
    expect(a.sent).toHaveLength(0);
    // and the accepting side: its failed write answers the opener with a refusal, keeps nothing
    b.store.fail(1);
    await a.mgr.open(b.id, 1_000_000_000n, 0n);
    await net.idle();
    expect(b.mgr.list()).toHaveLength(0);
    expect(b.errors.map((e) => e.text)).toEqual(['channel refused: the node could not store it']);
    expect(b.sent.filter((s) => s.m.kind === 'acceptChannel')).toHaveLength(0);
  });
});

describe('a step with two writes whose second fails', () => {
  it('keeps the first (the new state is stored), refuses nothing it carries, and resyncs through a reconnect', async () => {
    const { net, a, b, id } = await pair(true);
    // a pays; while b stores it, a second payment queues; when b's ack comes back, a stores the signed
    // state and the next proposal (two persists in one step), and the second of those writes fails
    const held = b.store.hold((w) => w.channel?.signed.state.seq === 1n);
    const first = a.mgr.submitOps(id, pay(1000n));
    await held.reached;
    const later = outcomes([a.mgr.submitOps(id, pay(2000n)).settled]);
    let writes = 0;
    a.store.fail((w) => w.channel?.proposal?.state.seq === 2n && ++writes === 2);
    held.release();
    await first.settled;
    await net.idle();
    expect(writes).toBe(2);
    expect(later[0]).toEqual({}); // stored in its proposal: not refused, waiting for the resend
    expect(a.disconnects).toEqual([b.id]);
    expect((await storedChannel(a, id))!.proposal?.state.seq).toBe(2n);
    for (const n of [a, b]) await n.mgr.dispatch(id, { type: 'disconnected' });
    for (const n of [a, b]) await n.mgr.dispatch(id, { type: 'connected' });
    await net.idle();
    expect(later[0]!.value?.seq).toBe(2n);
    expect(localBalance(b.mgr.channels.get(id)!)).toBe(3000n);
  });
});

describe('ledger events whose write fails', () => {
  it('the channel stays as stored (opening) and the next reconcile opens it', async () => {
    const net = managerNet();
    const a = net.add('a');
    const b = net.add('b');
    const id = await net.openSigned(a, b);
    b.store.fail((w) => w.channel?.status === 'open');
    await net.reconcile(id);
    expect(b.mgr.channels.get(id)!.status).toBe('opening');
    expect((await storedChannel(b, id))!.status).toBe('opening');
    await net.reconcile(id);
    expect(b.mgr.channels.get(id)!.status).toBe('open');
  });
});

describe('requests that cannot reach a channel', () => {
  it('ops queued for a channel id the node does not hold are refused at once, not left waiting', async () => {
    const net = managerNet();
    const a = net.add('a');
    const r = outcomes([a.mgr.submitOps('00'.repeat(32), pay(1n)).settled]);
    await net.idle();
    expect((r[0]!.error as Error).message).toBe(`no channel ${'00'.repeat(32)}`);
    expect(a.mgr.sizes().waiters).toBe(0);
  });
});
