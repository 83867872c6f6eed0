import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { publicKeyOf, randomSecretKey } from '../../src/crypto/keys.js';
import { MemoryNetwork, memoryPipe } from '../../src/transport/memory.js';
import { PeerConnectError, type PeerSession } from '../../src/transport/session.js';
import { msg, record } from './ws-helpers.js';

const aKey = randomSecretKey();
const bKey = randomSecretKey();

describe('in-memory pipe', () => {
  it('runs the real handshake and authenticates both ends', async () => {
    const { initiator, responder } = await memoryPipe({ initiatorSecretKey: aKey, responderSecretKey: bKey });
    expect(toHex(initiator.remoteNodeId)).toBe(toHex(publicKeyOf(bKey)));
    expect(toHex(responder.remoteNodeId)).toBe(toHex(publicKeyOf(aKey)));
  });

  it('delivers asynchronously, in order, both ways, across key rotations', async () => {
    const { initiator, responder } = await memoryPipe({ initiatorSecretKey: aKey, responderSecretKey: bKey });
    const atB = record(responder);
    const atA = record(initiator);
    initiator.send(msg(16, 1));
    expect(atB.messages.length).toBe(0); // nothing arrives inside the sender's call
    for (let i = 0; i < 1100; i++) {
      initiator.send(msg(32768, i >> 8, i & 0xff));
      responder.send(msg(32769, i >> 8, i & 0xff));
    }
    await Promise.all([atB.received(1101), atA.received(1100)]);
    expect(toHex(atB.messages[0]!)).toBe('001001');
    expect(toHex(atB.messages[1100]!)).toBe(toHex(msg(32768, 1099 >> 8, 1099 & 0xff)));
    expect(toHex(atA.messages[1099]!)).toBe(toHex(msg(32769, 1099 >> 8, 1099 & 0xff)));
  });

  it('fails the handshake when the initiator expects another key', async () => {
    const attempt = memoryPipe({
      initiatorSecretKey: aKey,
      responderSecretKey: bKey,
      expectedRemoteNodeId: publicKeyOf(randomSecretKey()),
    });
    await expect(attempt).rejects.toBeInstanceOf(PeerConnectError);
    await expect(attempt).rejects.toThrow(/act 1: bad MAC/);
  });

  it('propagates a close after the messages sent before it', async () => {
    const { initiator, responder } = await memoryPipe({ initiatorSecretKey: aKey, responderSecretKey: bKey });
    const atB = record(responder);
    initiator.send(msg(17, 1));
    initiator.close('done');
    expect(await atB.closed).toEqual({ origin: 'remote', reason: 'peer closed: done' });
    expect(atB.messages.map(toHex)).toEqual(['001101']);
    expect(initiator.closed && responder.closed).toBe(true);
  });
});

describe('MemoryNetwork', () => {
  it('connects nodes by node id', async () => {
    const network = new MemoryNetwork();
    const accepted: PeerSession[] = [];
    network.listen({ localSecretKey: bKey, onSession: (s) => accepted.push(s) });
    const session = await network.connect({ localSecretKey: aKey, remoteNodeId: publicKeyOf(bKey) });
    expect(accepted.length).toBe(1);
    expect(toHex(accepted[0]!.remoteNodeId)).toBe(toHex(publicKeyOf(aKey)));
    const atB = record(accepted[0]!);
    session.send(msg(16));
    await atB.received(1);
    await expect(network.connect({ localSecretKey: aKey, remoteNodeId: publicKeyOf(randomSecretKey()) })).rejects.toThrow(
      /no node listening/,
    );
  });
});
