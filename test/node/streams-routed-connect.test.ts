// Opening a stream across hops to a payee we are not connected to: the payer dials the address from
// gossip once, and only then asks for the connection to be kept. The peer layer here is a double with
// the dialing rules of src/node/peers.ts (keep dials a peer with no session and no redial timer; connect
// dials a peer with no session; a dial that completes while a session is up replaces it). Before the fix,
// keep-then-connect made two dials, the second replaced the session the streamOpen then went out on, and
// the open was lost (seen in the process test as 'the peer did not answer the stream request').
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/node/clock.js';
import { RoutedStreams } from '../../src/node/streams-routed.js';
import type { StreamShell } from '../../src/node/streams.js';
import { makeTerms } from '../../src/stream/terms.js';

const PAYEE = '02' + 'ab'.repeat(32);

class DialingPeers {
  dials = 0;
  session = 0; // the live session's number (0: none)
  private wanted = false;
  private waiters: (() => void)[] = [];
  private pending: (() => void)[] = [];

  isConnected(): boolean {
    return this.session > 0;
  }
  keep(_id: string, _address: string): void {
    this.wanted = true;
    if (this.session === 0) this.dial(); // the real keep: no session (a dial in progress does not count)
  }
  connect(_id: string, _address: string): Promise<void> {
    if (this.session > 0) return Promise.resolve();
    const ready = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.dial();
    return ready;
  }
  /** Let every dial in progress complete, in order. */
  completeDials(): void {
    for (const done of this.pending.splice(0)) done();
  }
  get keeping(): boolean {
    return this.wanted;
  }
  private dial(): void {
    this.dials++;
    this.pending.push(() => {
      this.session++; // a newer session replaces the one up
      for (const w of this.waiters.splice(0)) w();
    });
  }
}

function routedWith(peers: DialingPeers): RoutedStreams {
  const shell = { o: { peers }, clock: new ManualClock(0) } as unknown as StreamShell;
  return new RoutedStreams(shell, {
    payer: {
      queryRoute: () => ({ feeMsat: 1001n, route: [{ nodeId: 'hub' }, { nodeId: PAYEE }] }),
      payNode: () => Promise.reject(new Error('not used')),
      get: () => undefined,
    } as never,
    localChannels: () => [],
    addressOf: () => '127.0.0.1:9735',
  });
}

describe('a routed stream dials the payee once', () => {
  it('connects with one dial, keeps the connection only once it is up, and the session it opened on stays the live one', async () => {
    const peers = new DialingPeers();
    const routed = routedWith(peers);
    const terms = makeTerms({ rate: { amount: 10_000n, perMs: 1000 }, durationMs: 30_000 });
    const preparing = routed.prepare({ peerId: PAYEE, rate: '10sat/s' }, terms, PAYEE);
    await Promise.resolve();
    peers.completeDials();
    const prepared = await preparing;
    expect(prepared.route).toEqual(['hub', PAYEE]);
    const openedOn = peers.session;
    peers.completeDials(); // any other dial still in progress completes now
    expect(peers.dials).toBe(1);
    expect(peers.session).toBe(openedOn);
    expect(peers.keeping).toBe(true); // redialed if it drops while the stream runs
  });
});
