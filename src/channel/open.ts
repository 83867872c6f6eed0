// Opening a channel: the opener's proposal and the peer's acceptance, as pure functions that build the
// first channel record. State 0 is signed by both before any money is locked, so the opener can always
// get its funds back.
import { equalBytes } from '../crypto/bytes.js';
import type { PublicKey } from '../crypto/keys.js';
import type { OpenChannelMessage } from '../wire/channel.js';
import type { Channel, ChannelEffect, StepContext } from './channel-types.js';
import { defaultLimits, type ChannelLimits } from './ops.js';
import { chainHash, verifyStateSig, type ChannelState } from './state.js';

// Kept here too: callers that build or check an open name it from the open's module.

const EMPTY_SIG = new Uint8Array(64);

export interface OpenParams {
  channelId: Uint8Array;
  localNodeId: PublicKey;
  remoteNodeId: PublicKey;
  capacity: bigint;
  push: bigint;
}

/** The opener's side: record in 'proposed' and the openChannel message (send only after persisting). */
export function proposeOpen(p: OpenParams, ctx: StepContext): { channel: Channel; effects: ChannelEffect[] } {
  if (p.capacity <= 0n) throw new RangeError('capacity must be positive');
  if (p.push < 0n || p.push > p.capacity) throw new RangeError('push must be between 0 and the capacity');
  const limits = defaultLimits(p.capacity);
  const state: ChannelState = { channelId: p.channelId, seq: 0n, balanceA: p.capacity - p.push, balanceB: p.push, locks: [], closing: false };
  const sigA = ctx.sign(state);
  const channel: Channel = {
    channelId: p.channelId, local: 'A', localNodeId: p.localNodeId, remoteNodeId: p.remoteNodeId,
    capacity: p.capacity, limits, status: 'proposed', signed: { state, sigA, sigB: EMPTY_SIG },
    queue: [], connected: true,
  };
  const message: OpenChannelMessage = {
    kind: 'openChannel', channelId: p.channelId, chainHash: chainHash(ctx.chainId), capacity: p.capacity, push: p.push, reserve: limits.reserve, sigA,
  };
  return { channel, effects: [{ type: 'persist' }, { type: 'send', message }] };
}

export interface AcceptPolicy {
  minCapacity: bigint;
  maxCapacity: bigint;
}

export const DEFAULT_ACCEPT_POLICY: AcceptPolicy = { minCapacity: 10_000_000n, maxCapacity: 10_000_000_000_000n };

/** The peer's side: check the proposal, countersign state 0. Returns a reason string to refuse. */
export function acceptOpen(
  m: OpenChannelMessage, opts: { localNodeId: PublicKey; remoteNodeId: PublicKey; policy?: AcceptPolicy }, ctx: StepContext,
): { channel: Channel; effects: ChannelEffect[] } | string {
  const policy = opts.policy ?? DEFAULT_ACCEPT_POLICY;
  if (!equalBytes(m.chainHash, chainHash(ctx.chainId))) return 'the channel is for another chain';
  if (m.capacity < policy.minCapacity) return `capacity below our minimum of ${policy.minCapacity} msat`;
  if (m.capacity > policy.maxCapacity) return `capacity above our maximum of ${policy.maxCapacity} msat`;
  if (m.push > m.capacity) return 'push exceeds the capacity';
  const limits: ChannelLimits = defaultLimits(m.capacity);
  if (m.reserve !== limits.reserve) return `reserve must be ${limits.reserve} msat (1% of capacity)`;
  const state: ChannelState = { channelId: m.channelId, seq: 0n, balanceA: m.capacity - m.push, balanceB: m.push, locks: [], closing: false };
  if (!verifyStateSig(ctx.chainId, state, m.sigA, opts.remoteNodeId)) return 'bad signature on state 0';
  const sigB = ctx.sign(state);
  const channel: Channel = {
    channelId: m.channelId, local: 'B', localNodeId: opts.localNodeId, remoteNodeId: opts.remoteNodeId,
    capacity: m.capacity, limits, status: 'opening', signed: { state, sigA: m.sigA, sigB },
    queue: [], connected: true, acceptedHeight: ctx.height,
  };
  return {
    channel,
    effects: [{ type: 'persist' }, { type: 'send', message: { kind: 'acceptChannel', channelId: m.channelId, sigB } }, { type: 'statusChanged', status: 'opening' }],
  };
}
