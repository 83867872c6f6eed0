// The node's forwarding history: every payment it forwarded between two of its channels (settled with
// its fee, or failed downstream) and every one it refused to forward, newest last. History, not safety:
// each entry is written on its own after the channel state that decided it, and only the most recent
// `maxEntries` are kept (a peer sending HTLCs can make the log roll, not grow).
import type { ForwardView } from '../api/routing-types.js';
import type { JsonObject } from '../util/json-fields.js';
import type { Logger } from '../util/log.js';
import type { NodeStore } from './store-port.js';

export const DEFAULT_FORWARD_LOG_ENTRIES = 10_000;

const key = (n: number) => n.toString().padStart(12, '0');

function toJson(f: ForwardView): JsonObject {
  const o: JsonObject = { incomingChannelId: f.incomingChannelId, paymentHash: f.paymentHash, amountIn: f.amountIn.toString(), fee: f.fee.toString(), status: f.status, createdAt: f.createdAt };
  if (f.outgoingChannelId !== undefined) o['outgoingChannelId'] = f.outgoingChannelId;
  if (f.amountOut !== undefined) o['amountOut'] = f.amountOut.toString();
  if (f.failure !== undefined) o['failure'] = f.failure;
  if (f.resolvedAt !== undefined) o['resolvedAt'] = f.resolvedAt;
  return o;
}

function fromJson(o: JsonObject): ForwardView | undefined {
  try {
    const f: ForwardView = {
      incomingChannelId: String(o['incomingChannelId']), paymentHash: String(o['paymentHash']), amountIn: BigInt(String(o['amountIn'])),
      fee: BigInt(String(o['fee'])), status: o['status'] as ForwardView['status'], createdAt: Number(o['createdAt']),
    };
    if (typeof o['outgoingChannelId'] === 'string') f.outgoingChannelId = o['outgoingChannelId'];
    if (typeof o['amountOut'] === 'string') f.amountOut = BigInt(o['amountOut']);
    if (typeof o['failure'] === 'string') f.failure = o['failure'];
    if (typeof o['resolvedAt'] === 'number') f.resolvedAt = o['resolvedAt'];
    return f;
  } catch {
    return undefined; // a damaged entry is skipped: the log is history
  }
}

export class ForwardLog {
  private readonly entries: { n: number; view: ForwardView }[] = [];
  private next = 0;

  constructor(private readonly o: { store: Pick<NodeStore, 'writeRecords' | 'loadRecords'>; log: Logger; maxEntries?: number; onAdded?(f: ForwardView): void }) {}

  private get max(): number {
    return this.o.maxEntries ?? DEFAULT_FORWARD_LOG_ENTRIES;
  }

  async load(): Promise<void> {
    for (const { key: k, value } of await this.o.store.loadRecords('forward')) {
      const view = fromJson(value);
      const n = Number(k);
      if (view && Number.isSafeInteger(n)) this.entries.push({ n, view });
    }
    this.entries.sort((a, b) => a.n - b.n);
    this.next = (this.entries.at(-1)?.n ?? -1) + 1;
  }

  list(): ForwardView[] {
    return this.entries.map((e) => e.view);
  }

  add(view: ForwardView): void {
    const n = this.next++;
    this.entries.push({ n, view });
    const drop = this.entries.length > this.max ? this.entries.splice(0, this.entries.length - this.max) : [];
    this.o.onAdded?.(view);
    this.o.store
      .writeRecords([{ kind: 'forward', key: key(n), value: toJson(view) }, ...drop.map((d) => ({ kind: 'forward' as const, key: key(d.n), delete: true as const }))])
      .catch((e: unknown) => this.o.log.warn({ err: (e as Error).message }, 'a forward was not written to the history'));
  }
}
