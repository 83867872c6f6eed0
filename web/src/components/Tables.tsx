// The node's channels, streams and recent payments, with the buttons that act on each row.
import type { ForwardView, InvoiceView, RoutedPaymentView } from '../../../src/api/routing-types';
import type { ChannelView, StreamView } from '../../../src/api/types';
import { call } from '../api';
import { clock, formatMsat, share, short } from '../format';
import type { PaymentRow } from '../store';
import { Outcome, useAction } from './Actions';
import { Sparkline } from './Charts';

/** A table head; a column named with a leading '*' is drawn wide. */
function Head({ cols }: { cols: string[] }) {
  return (
    <thead>
      <tr>
        {cols.map((c, i) => (c.startsWith('*') ? <th key={i} class="wide">{c.slice(1)}</th> : <th key={i}>{c}</th>))}
      </tr>
    </thead>
  );
}

export function Channels(props: { channels: ChannelView[]; streams: StreamView[]; paymentsByChannel: Map<string, number> }) {
  const a = useAction();
  if (props.channels.length === 0) return <p class="muted">No channels yet: connect a peer, then open one.</p>;
  const close = (ch: ChannelView, force: boolean) =>
    a.run(force ? 'force close' : 'close', async () => {
      if (force && !confirm('Close unilaterally? The funds wait for the dispute window.')) return 'force close: not sent';
      await call('POST', `/v1/channels/${ch.channelId}/close`, { force });
      return `channel ${short(ch.channelId)}: ${force ? 'closing' : 'closed'}`;
    });
  return (
    <div>
      <table class="rows" data-testid="channels">
        <Head cols={['channel', 'peer', 'state', '*local / remote', 'capacity', 'seq', 'payments', 'streams', '']} />
        <tbody>
          {props.channels.map((ch) => {
            const streams = props.streams.filter((s) => s.channelId === ch.channelId && (s.status === 'active' || s.status === 'paused' || s.status === 'opening')).length;
            const local = share(ch.localBalance, ch.capacity);
            const remote = share(ch.remoteBalance, ch.capacity);
            return (
              <tr key={ch.channelId} data-channel={ch.channelId}>
                <td class="mono">{short(ch.channelId)}</td>
                <td class="mono">{short(ch.peerId)}</td>
                <td>
                  <span class={`badge ${ch.status}`}>{ch.status}</span>
                  {ch.pendingUpdates > 0 ? <span class="muted"> +{ch.pendingUpdates}</span> : null}
                </td>
                <td class="wide">
                  <div class="bar" title={`local ${formatMsat(ch.localBalance)} · remote ${formatMsat(ch.remoteBalance)}`}>
                    <div class="local" style={{ width: `${local}%` }} />
                    <div class="remote" style={{ width: `${remote}%` }} />
                  </div>
                  <div class="bar-labels">
                    <span data-field="local">{formatMsat(ch.localBalance)}</span>
                    <span data-field="remote">{formatMsat(ch.remoteBalance)}</span>
                  </div>
                </td>
                <td>{formatMsat(ch.capacity)}</td>
                <td>{String(ch.seq)}</td>
                <td>{props.paymentsByChannel.get(ch.channelId) ?? 0}</td>
                <td>{streams}</td>
                <td class="actions">
                  {ch.status === 'open' ? (
                    <>
                      <button disabled={a.busy} onClick={() => close(ch, false)}>Close</button>
                      <button class="danger" disabled={a.busy} onClick={() => close(ch, true)}>Force</button>
                    </>
                  ) : ch.settleHeight !== undefined ? (
                    <span class="muted">settles after block {ch.settleHeight}</span>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <Outcome error={a.error} done={a.done} />
    </div>
  );
}

const LIVE = new Set(['opening', 'active', 'paused']);

export function Streams(props: { streams: StreamView[]; sparks: Map<string, number[]> }) {
  const a = useAction();
  if (props.streams.length === 0) return <p class="muted">No streams yet.</p>;
  const control = (s: StreamView, action: 'pause' | 'resume' | 'stop') =>
    a.run(action, async () => {
      await call('POST', `/v1/streams/${s.streamId}/${action}`, {});
      return `stream ${short(s.streamId)}: ${action} sent`;
    });
  const rows = [...props.streams].sort((x, y) => Number(LIVE.has(y.status)) - Number(LIVE.has(x.status)) || y.startedAt - x.startedAt);
  return (
    <div>
      <table class="rows" data-testid="streams">
        <Head cols={['stream', 'role', 'peer', 'status', 'rate', 'ticks', 'paid', 'budget left', 'lateness', 'ticks/s', '']} />
        <tbody>
          {rows.map((s) => (
            <tr key={s.streamId} data-stream={s.streamId} data-role={s.role} data-status={s.status}>
              <td class="mono">{short(s.streamId)}</td>
              <td>{s.role === 'payer' ? 'paying' : 'paid by'}</td>
              <td class="mono">{short(s.peerId)}</td>
              <td>
                <span class={`badge ${s.status}`} data-field="status">{s.status}</span>
                {s.reason ? <span class="muted" title={s.reason}> ({s.reason})</span> : null}
              </td>
              <td>{s.rate}</td>
              <td data-field="ticks">{s.ticks}</td>
              <td data-field="paid" data-msat={String(s.paid)}>{formatMsat(s.paid)}</td>
              <td>{s.remaining !== undefined ? formatMsat(s.remaining) : s.max !== undefined ? formatMsat(s.max - s.paid) : 'no cap'}</td>
              <td>{s.role === 'payee' ? (s.late ? <span class="badge late">late</span> : <span class="badge ok">on time</span>) : '—'}</td>
              <td>
                <Sparkline values={props.sparks.get(s.streamId) ?? []} />
              </td>
              <td class="actions">
                {s.role === 'payer' && s.status === 'active' ? <button disabled={a.busy} onClick={() => control(s, 'pause')}>Pause</button> : null}
                {s.role === 'payer' && s.status === 'paused' ? <button disabled={a.busy} onClick={() => control(s, 'resume')}>Resume</button> : null}
                {LIVE.has(s.status) ? <button class="danger" disabled={a.busy} onClick={() => control(s, 'stop')}>Stop</button> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Outcome error={a.error} done={a.done} />
    </div>
  );
}

export function Payments({ payments }: { payments: PaymentRow[] }) {
  if (payments.length === 0) return <p class="muted">No payments since this page opened.</p>;
  return (
    <table class="rows" data-testid="payments">
      <Head cols={['time', 'direction', 'amount', 'peer', 'channel', 'state']} />
      <tbody>
        {payments.map((p, i) => (
          <tr key={`${p.channelId}-${p.seq}-${i}`}>
            <td>{clock(p.at)}</td>
            <td>
              <span class={`badge ${p.direction}`}>{p.direction}</span>
            </td>
            <td>{formatMsat(p.amount)}</td>
            <td class="mono">{short(p.peerId)}</td>
            <td class="mono">{short(p.channelId)}</td>
            <td>{String(p.seq)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Invoices({ invoices }: { invoices: InvoiceView[] }) {
  if (invoices.length === 0) return <p class="muted">No invoices yet.</p>;
  return (
    <table class="rows" data-testid="invoices">
      <Head cols={['created', 'status', 'amount', 'received', '*description', 'payment hash']} />
      <tbody>
        {invoices.map((i) => (
          <tr key={i.paymentHash} data-status={i.status}>
            <td>{clock(i.createdAt)}</td>
            <td>
              <span class={`badge ${i.status}`}>{i.status}</span>
            </td>
            <td>{i.amount === undefined ? 'any' : formatMsat(i.amount)}</td>
            <td>{i.received === undefined ? '—' : formatMsat(i.received)}</td>
            <td>{i.description}</td>
            <td class="mono">{short(i.paymentHash)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RoutedPayments({ payments }: { payments: RoutedPaymentView[] }) {
  if (payments.length === 0) return <p class="muted">No payments over routes yet.</p>;
  return (
    <table class="rows" data-testid="routed-payments">
      <Head cols={['created', 'status', 'amount', 'fee', 'payee', 'hops', 'attempts', '*why']} />
      <tbody>
        {payments.map((p) => (
          <tr key={p.paymentHash} data-status={p.status}>
            <td>{clock(p.createdAt)}</td>
            <td>
              <span class={`badge ${p.status}`}>{p.status}</span>
            </td>
            <td>{formatMsat(p.amount)}</td>
            <td>{formatMsat(p.fee)}</td>
            <td class="mono">{short(p.payee)}</td>
            <td>{p.route.length}</td>
            <td>{p.attempts.length}</td>
            <td>{p.failure ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Forwards({ forwards }: { forwards: ForwardView[] }) {
  if (forwards.length === 0) return <p class="muted">No payments forwarded yet.</p>;
  return (
    <table class="rows" data-testid="forwards">
      <Head cols={['time', 'status', 'in', 'out', 'fee', 'from channel', 'to channel', '*why']} />
      <tbody>
        {forwards.map((f, n) => (
          <tr key={`${f.paymentHash}-${n}`} data-status={f.status}>
            <td>{clock(f.createdAt)}</td>
            <td>
              <span class={`badge ${f.status}`}>{f.status}</span>
            </td>
            <td>{formatMsat(f.amountIn)}</td>
            <td>{f.amountOut === undefined ? '—' : formatMsat(f.amountOut)}</td>
            <td>{formatMsat(f.fee)}</td>
            <td class="mono">{short(f.incomingChannelId)}</td>
            <td class="mono">{f.outgoingChannelId ? short(f.outgoingChannelId) : '—'}</td>
            <td>{f.failure ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
