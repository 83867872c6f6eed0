// Attack: a peer opens a channel to the hop under a channel id it chose, whose first 8 bytes (the
// node-local short channel id onions may use) equal another channel's short id from the ledger. If
// the hop looked channels up by either id, first found first, HTLCs meant for that other channel
// would be forwarded to the attacker, to hold or fail. The ledger's id names one channel and wins; a
// local id two channels share names neither.
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import type { Channel } from '../../src/channel/machine.js';
import { outgoingChannel } from '../../src/node/htlc-decide.js';
import type { HtlcSwitch } from '../../src/node/htlc-switch.js';
import { localShortChannelId } from '../../src/node/htlc-views.js';
import type { SluiceNode } from '../../src/node/node.js';
import { TestPayee, TestPayer, buildPayment, height, openLine } from '../helpers/htlc-net.js';
import { testNet, type TestNet } from '../helpers/network.js';
import { until } from '../helpers/until.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

/** A channel object under a forged id, put first in the hop's channel map (as a store in key order would load it). */
function forgeFirst(h: SluiceNode, like: Channel, idPrefixHex: string, rest: string): Channel {
  const forged: Channel = { ...like, channelId: fromHex(idPrefixHex + rest.slice(16), 'channel id', 32) };
  const map = h.channels.channels;
  const all = [...map.entries()];
  map.clear();
  map.set(idPrefixHex + rest.slice(16), forged);
  for (const [k, v] of all) map.set(k, v);
  return forged;
}

describe('attack: a channel id chosen to collide with another channel\'s short id', () => {
  it('an onion naming the ledger short id reaches that channel, not the forged one', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const line = await openLine(net, ['a', 'h', 'b']);
    const [a, h, b] = line.nodes as [SluiceNode, SluiceNode, SluiceNode];
    const [ah, hb] = line.channels as [string, string];
    const payee = new TestPayee();
    b.htlcs.setReceiver(payee);
    const payer = new TestPayer();
    a.htlcs.setLocalSink(payer);
    const sw = h.htlcs as HtlcSwitch;
    const scid = await until(() => {
      const ch = h.channels.channels.get(hb)!;
      return sw.ledgerShortChannelId(ch);
    }, 20_000, 'the ledger short id of H-B');
    // the attacker's channel (a copy of A-H under the forged id), first in H's map
    const forged = forgeFirst(h, h.channels.channels.get(ah)!, scid, ah);
    expect(localShortChannelId(forged)).toBe(scid);
    expect(toHex(outgoingChannel(sw, ah, scid)!.channelId)).toBe(hb);

    const { preimage, paymentHash } = payee.issue();
    const p = buildPayment([{ node: h, channelId: ah }, { node: b, channelId: hb }], 1_000_000n, paymentHash, (await height(net)) + 40, { scid: () => scid });
    await a.htlcs.sendLocal({ paymentId: 'x', attemptId: 'x', channelId: ah, amountMsat: p.amountMsat, paymentHash, expiryHeight: p.expiryHeight, onion: p.onion, attached: [] });
    const out = await payer.outcome('x', 10_000);
    expect(out.kind === 'fulfilled' && Buffer.from(out.preimage).equals(preimage)).toBe(true);
  }, 60_000);

  it('a local short id two channels share names neither', async () => {
    net = await testNet({ blockTimeMs: 100 });
    const line = await openLine(net, ['a', 'h', 'b']);
    const [h] = [line.nodes[1]!];
    const [ah, hb] = line.channels as [string, string];
    const sw = h.htlcs as HtlcSwitch;
    const local = hb.slice(0, 16);
    expect(toHex(outgoingChannel(sw, ah, local)!.channelId)).toBe(hb);
    forgeFirst(h, h.channels.channels.get(ah)!, local, ah);
    expect(outgoingChannel(sw, ah, local)).toBeUndefined();
  }, 60_000);
});
