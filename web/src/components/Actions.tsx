// The forms that act on the node: faucet, connect a peer, open a channel, pay, start a stream. Each
// shows what the node answered, or its error message, under the form.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { InvoiceView, RoutedPaymentView } from '../../../src/api/routing-types';
import type { PeerView } from '../../../src/api/types';
import { parseDuration } from '../../../src/util/duration';
import { call } from '../api';
import { formatMsat, parseAmount, short } from '../format';
import { toInvoice, toRoutedPayment } from '../wire';
import { QrCode } from './Qr';

export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  async function run(label: string, fn: () => Promise<string | void>): Promise<void> {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      setDone((await fn()) ?? `${label}: done`);
    } catch (e) {
      setError(`${label}: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, done, run };
}

export function Outcome({ error, done }: { error?: string; done?: string }) {
  if (error) return <p class="error" role="alert">{error}</p>;
  if (done) return <p class="done">{done}</p>;
  return null;
}

function Form(props: { title: string; name: string; busy: boolean; submit: string; onSubmit: () => void; children: ComponentChildren; error?: string; done?: string }) {
  return (
    <form
      class="card form"
      data-form={props.name}
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <h3>{props.title}</h3>
      {props.children}
      <button type="submit" disabled={props.busy}>
        {props.busy ? 'working…' : props.submit}
      </button>
      <Outcome error={props.error} done={props.done} />
    </form>
  );
}

function PeerSelect({ peers, value, onChange }: { peers: PeerView[]; value: string; onChange: (v: string) => void }) {
  const connected = peers.filter((p) => p.connected);
  return (
    <label>
      peer
      <select name="peer" value={value} onChange={(e) => onChange(e.currentTarget.value)} required>
        <option value="">{connected.length ? 'choose a peer' : 'no connected peer'}</option>
        {connected.map((p) => (
          <option key={p.nodeId} value={p.nodeId}>
            {short(p.nodeId)}
          </option>
        ))}
      </select>
    </label>
  );
}

const msat = (text: string, what: string) => parseAmount(text, what).toString();

function Field(props: { label: string; name: string; value: string; set: (v: string) => void; placeholder?: string; required?: boolean }) {
  return (
    <label>
      {props.label}
      <input name={props.name} value={props.value} onInput={(e) => props.set(e.currentTarget.value)} placeholder={props.placeholder} required={props.required} />
    </label>
  );
}

export function ConnectForm() {
  const a = useAction();
  const [target, setTarget] = useState('');
  return (
    <Form title="Connect a peer" name="connect" submit="Connect" {...a} onSubmit={() => a.run('connect', async () => {
      const p = await call<{ nodeId: string }>('POST', '/v1/peers', { target: target.trim() });
      return `connected to ${short(p.nodeId)}`;
    })}>
      <Field label="node id @ host:port" name="target" value={target} set={setTarget} placeholder="02ab…@127.0.0.1:9735" required />
    </Form>
  );
}

export function FaucetForm() {
  const a = useAction();
  const [amount, setAmount] = useState('1000000sat');
  return (
    <Form title="Faucet (simnet)" name="faucet" submit="Get funds" {...a} onSubmit={() => a.run('faucet', async () => {
      const r = await call<{ balance: string }>('POST', '/v1/wallet/faucet', { amount: msat(amount, 'amount') });
      return `ledger balance now ${formatMsat(BigInt(r.balance))}`;
    })}>
      <Field label="amount" name="amount" value={amount} set={setAmount} required />
    </Form>
  );
}

export function OpenChannelForm({ peers }: { peers: PeerView[] }) {
  const a = useAction();
  const [peer, setPeer] = useState('');
  const [capacity, setCapacity] = useState('500000sat');
  const [push, setPush] = useState('0');
  return (
    <Form title="Open a channel" name="open" submit="Open" {...a} onSubmit={() => a.run('open channel', async () => {
      const ch = await call<{ channelId: string }>('POST', '/v1/channels', { peerId: peer, capacity: msat(capacity, 'capacity'), push: msat(push, 'push') });
      return `channel ${short(ch.channelId)} open`;
    })}>
      <PeerSelect peers={peers} value={peer} onChange={setPeer} />
      <Field label="capacity" name="capacity" value={capacity} set={setCapacity} required />
      <Field label="push to peer" name="push" value={push} set={setPush} />
    </Form>
  );
}

export function PayForm({ peers }: { peers: PeerView[] }) {
  const a = useAction();
  const [peer, setPeer] = useState('');
  const [amount, setAmount] = useState('1000sat');
  return (
    <Form title="Pay a channel peer" name="pay" submit="Pay" {...a} onSubmit={() => a.run('pay', async () => {
      const p = await call<{ amount: string; seq: string }>('POST', '/v1/payments', { peerId: peer, amount: msat(amount, 'amount') });
      return `paid ${formatMsat(BigInt(p.amount))} (state ${p.seq})`;
    })}>
      <PeerSelect peers={peers} value={peer} onChange={setPeer} />
      <Field label="amount" name="amount" value={amount} set={setAmount} required />
    </Form>
  );
}

export function StreamForm({ peers }: { peers: PeerView[] }) {
  const a = useAction();
  const [peer, setPeer] = useState('');
  const [rate, setRate] = useState('10sat/s');
  const [max, setMax] = useState('');
  const [duration, setDuration] = useState('');
  const [mode, setMode] = useState<'signed' | 'hashchain'>('signed');
  return (
    <Form title="Start a stream" name="stream" submit="Start" {...a} onSubmit={() => a.run('start stream', async () => {
      const body: Record<string, unknown> = { peerId: peer, rate: rate.trim(), mode };
      if (max.trim()) body['max'] = msat(max, 'max');
      if (duration.trim()) body['durationMs'] = parseDuration(duration.trim(), 'duration');
      const s = await call<{ streamId: string; rate: string }>('POST', '/v1/streams', body);
      return `stream ${short(s.streamId)} at ${s.rate}`;
    })}>
      <PeerSelect peers={peers} value={peer} onChange={setPeer} />
      <Field label="rate" name="rate" value={rate} set={setRate} placeholder="10sat/s, 2sat/min" required />
      <Field label="budget (optional)" name="max" value={max} set={setMax} placeholder="e.g. 5000sat" />
      <Field label="duration (optional)" name="duration" value={duration} set={setDuration} placeholder="e.g. 30s, 5m" />
      <label>
        mode
        <select name="mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as 'signed' | 'hashchain')}>
          <option value="signed">signed (a state per tick)</option>
          <option value="hashchain">hashchain (a hash per tick)</option>
        </select>
      </label>
    </Form>
  );
}

/** Ask to be paid: a BOLT 11 invoice any node on the network can pay, shown as text and as a QR code. */
export function InvoiceForm({ onCreated }: { onCreated: (i: InvoiceView) => void }) {
  const a = useAction();
  const [amount, setAmount] = useState('1000sat');
  const [description, setDescription] = useState('');
  const [expiry, setExpiry] = useState('1h');
  const [made, setMade] = useState<InvoiceView>();
  return (
    <Form title="Create an invoice" name="invoice" submit="Create" {...a} onSubmit={() => a.run('create invoice', async () => {
      setMade(undefined);
      const body: Record<string, unknown> = { description: description.trim() };
      if (amount.trim()) body['amount'] = msat(amount, 'amount');
      if (expiry.trim()) body['expirySeconds'] = Math.ceil(parseDuration(expiry.trim(), 'expiry') / 1000);
      const inv = toInvoice(await call<Record<string, unknown>>('POST', '/v1/invoices', body));
      setMade(inv);
      onCreated(inv);
      return `invoice for ${inv.amount === undefined ? 'any amount' : formatMsat(inv.amount)}`;
    })}>
      <Field label="amount (empty: the payer chooses)" name="amount" value={amount} set={setAmount} />
      <Field label="description" name="description" value={description} set={setDescription} placeholder="what it is for" />
      <Field label="expires after" name="expiry" value={expiry} set={setExpiry} placeholder="10min, 1h, 7d" />
      {made ? (
        <div class="invoice-made" data-testid="invoice-made">
          <QrCode text={made.invoice.toUpperCase()} size={220} label="the invoice as a QR code" />
          <textarea class="mono" readOnly rows={4} data-testid="invoice-text" value={made.invoice} onFocus={(e) => e.currentTarget.select()} />
        </div>
      ) : null}
    </Form>
  );
}

/** Pay any invoice: the node finds a route, tries others if one fails, and answers with the outcome. */
export function PayInvoiceForm() {
  const a = useAction();
  const [invoice, setInvoice] = useState('');
  const [maxFee, setMaxFee] = useState('');
  return (
    <Form title="Pay an invoice" name="pay-invoice" submit="Pay" {...a} onSubmit={() => a.run('pay invoice', async () => {
      const body: Record<string, unknown> = { invoice: invoice.trim() };
      if (maxFee.trim()) body['maxFee'] = msat(maxFee, 'max fee');
      const p: RoutedPaymentView = toRoutedPayment(await call<Record<string, unknown>>('POST', '/v1/payments/invoice', body));
      if (p.status !== 'succeeded') throw new Error(p.failure ?? `the payment is ${p.status}`);
      return `paid ${formatMsat(p.amount)} over ${p.route.length} hop(s), fee ${formatMsat(p.fee)}`;
    })}>
      <label>
        invoice
        <textarea name="invoice" class="mono" rows={3} value={invoice} onInput={(e) => setInvoice(e.currentTarget.value)} placeholder="lnsb…" required />
      </label>
      <Field label="max fee (optional)" name="maxFee" value={maxFee} set={setMaxFee} placeholder="e.g. 10sat" />
    </Form>
  );
}
