// Our own close requests: a refusal by the state machine is the caller's answer, never a warning sent to
// the peer (who did nothing wrong), and it comes at once rather than as a status that never arrives.
import { describe, expect, it } from 'vitest';
import { ChannelRefused } from '../../src/node/channels.js';
import { managerNet } from '../helpers/channel-managers.js';

describe('a refused close request', () => {
  it('answers the caller with the reason and warns nobody', async () => {
    const net = managerNet();
    const a = net.add('a');
    const b = net.add('b');
    const id = await net.openFunded(a, b);
    const errorsBefore = a.errors.length;
    // a cooperative close of a channel that is already being force-closed is refused
    expect(await a.mgr.command(id, { type: 'forceClose' })).toBeUndefined();
    const refused = await a.mgr.command(id, { type: 'closeCooperatively' });
    expect(refused).toBeInstanceOf(ChannelRefused);
    expect((refused as ChannelRefused).message).toMatch(/forceClosing/);
    const again = await a.mgr.command(id, { type: 'forceClose' });
    expect(again).toBeInstanceOf(ChannelRefused);
    expect(a.errors.length).toBe(errorsBefore);
  });
});
