// The forms that act on the node: faucet, connect a peer, open a channel, pay, start a stream. Each
// shows what the node answered, or its error message, under the form.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { PeerView } from '../../../src/api/types';
import { parseDuration } from '../../../src/util/duration';
import { call } from '../api';
import { formatMsat, parseAmount, short } from '../format';

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

export function ConnectForm() {
  const a = useAction();
  const [target, setTarget] = useState('');
  return (
    <Form title="Connect a peer" name="connect" submit="Connect" {...a} onSubmit={() => a.run('connect', async () => {
      const p = await call<{ nodeId: string }>('POST', '/v1/peers', { target: target.trim() });
      return `connected to ${short(p.nodeId)}`;
    })}>
      <label>
        node id @ host:port
        <input name="target" value={target} onInput={(e) => setTarget(e.currentTarget.value)} placeholder="02ab…@127.0.0.1:9735" required />
      </label>
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
      <label>
        amount
        <input name="amount" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} required />
      </label>
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
      <label>
        capacity
        <input name="capacity" value={capacity} onInput={(e) => setCapacity(e.currentTarget.value)} required />
      </label>
      <label>
        push to peer
        <input name="push" value={push} onInput={(e) => setPush(e.currentTarget.value)} />
      </label>
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
      <label>
        amount
        <input name="amount" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} required />
      </label>
      <p class="muted">Paying an invoice needs routing, which this node does not have yet.</p>
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
      <label>
        rate
        <input name="rate" value={rate} onInput={(e) => setRate(e.currentTarget.value)} placeholder="10sat/s, 2sat/min" required />
      </label>
      <label>
        budget (optional)
        <input name="max" value={max} onInput={(e) => setMax(e.currentTarget.value)} placeholder="e.g. 5000sat" />
      </label>
      <label>
        duration (optional)
        <input name="duration" value={duration} onInput={(e) => setDuration(e.currentTarget.value)} placeholder="e.g. 30s, 5m" />
      </label>
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
