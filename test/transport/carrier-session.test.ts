import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { CarrierSession, type Carrier } from '../../src/transport/carrier-session.js';
import type { SessionClose } from '../../src/transport/session.js';

/** A carrier that never flushes unless told: `bufferedBytes` is what was written and not yet `flush`ed. */
function fakeSession(maxSendBufferBytes = 1 << 20) {
  const written: Uint8Array[] = [];
  const closes: string[] = [];
  let unflushed = 0;
  const carrier: Carrier = {
    write: (b) => {
      written.push(b);
      unflushed += b.length;
    },
    get bufferedBytes() {
      return unflushed;
    },
    close: (origin, reason, abort) => closes.push(`${origin}${abort ? ' abort' : ''}: ${reason}`),
  };
  const session = new CarrierSession(new Uint8Array(33), (m) => m, carrier, { maxSendBufferBytes });
  return { session, written, closes, flush: () => (unflushed = 0) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('CarrierSession', () => {
  it('buffers messages until a listener attaches, then delivers them asynchronously in order', async () => {
    const { session } = fakeSession();
    session.deliver(Uint8Array.of(1));
    session.deliver(Uint8Array.of(2));
    const got: string[] = [];
    session.onMessage((m) => got.push(toHex(m)));
    expect(got).toEqual([]); // never re-entrant inside onMessage
    session.deliver(Uint8Array.of(3)); // behind the backlog
    await tick();
    expect(got).toEqual(['01', '02', '03']);
    session.deliver(Uint8Array.of(4)); // no backlog: delivered directly
    expect(got).toEqual(['01', '02', '03', '04']);
  });

  it('fires close after the buffered messages, once, even for late listeners', async () => {
    const { session, closes } = fakeSession();
    const events: string[] = [];
    session.deliver(Uint8Array.of(1));
    session.shutDown('protocol', 'bad MAC');
    session.shutDown('remote', 'ignored');
    session.onClose((c: SessionClose) => events.push(`close ${c.origin} ${c.reason}`));
    session.onMessage((m) => events.push(`message ${toHex(m)}`));
    await tick();
    expect(events).toEqual(['message 01', 'close protocol bad MAC']);
    expect(closes).toEqual(['protocol: bad MAC']);
    const late: SessionClose[] = [];
    session.onClose((c) => late.push(c));
    await tick();
    expect(late).toEqual([{ origin: 'protocol', reason: 'bad MAC' }]);
  });

  it('drops sends after close but still rejects oversize messages', () => {
    const { session, written } = fakeSession();
    session.send(Uint8Array.of(0, 16));
    session.close();
    session.send(Uint8Array.of(0, 16));
    expect(written.length).toBe(1);
    expect(() => session.send(new Uint8Array(65536))).toThrow(/at most 65535/);
  });

  it('unsubscribes listeners', async () => {
    const { session } = fakeSession();
    const got: number[] = [];
    const off = session.onMessage((m) => got.push(m[0]!));
    session.deliver(Uint8Array.of(1));
    off();
    session.deliver(Uint8Array.of(2));
    expect(got).toEqual([1]);
  });

  it('pong amplification: a peer that stops reading is aborted once its backlog would pass the bound', async () => {
    const { session, written, closes, flush } = fakeSession(10_000);
    const big = new Uint8Array(4000);
    session.send(big);
    session.send(big); // 8,000 waiting
    flush(); // the peer read them
    session.send(big);
    session.send(big);
    expect(session.closed).toBe(false);
    session.send(big); // 8,000 + 4,000 would pass 10,000
    expect(session.closed).toBe(true);
    expect(written.length).toBe(4);
    expect(closes).toEqual([expect.stringMatching(/^protocol abort: peer is not reading: 8000 bytes already waiting/)]);
    const close = await new Promise<SessionClose>((r) => session.onClose(r));
    expect(close.origin).toBe('protocol');
  });
});
