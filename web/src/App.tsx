// The dashboard page: the node, a live chart, channels, streams, recent payments and the forms that act.
import { useEffect, useErrorBoundary, useState } from 'preact/hooks';
import { logout } from './api';
import { ConnectForm, FaucetForm, InvoiceForm, OpenChannelForm, PayForm, PayInvoiceForm, StreamForm } from './components/Actions';
import { LiveChart } from './components/Charts';
import { QrCode } from './components/Qr';
import { Channels, Forwards, Invoices, Payments, RoutedPayments, Streams } from './components/Tables';
import { formatMsat } from './format';
import type { DashStore } from './store';

function useStore(store: DashStore) {
  const [, setVersion] = useState(0);
  useEffect(() => {
    let frame = 0;
    // Many events a second: draw at most once a frame.
    const off = store.subscribe(() => {
      if (frame === 0) frame = requestAnimationFrame(() => {
        frame = 0;
        setVersion((v) => v + 1);
      });
    });
    return () => {
      off();
      cancelAnimationFrame(frame);
    };
  }, [store]);
  return store.state;
}

function LoginNeeded({ status, message }: { status: number; message: string }) {
  const title = status === 401 ? 'Log in to this node' : status === 0 ? 'The node does not answer' : 'The node refused this page';
  return (
    <main class="center">
      <div class="card login" data-testid="login-needed">
        <h1>{title}</h1>
        {status === 401 ? (
          <p>
            In a terminal on this machine run <code>sluice dashboard</code> (with the node's <code>--data-dir</code>) and open the link it prints. A link works
            once, for a minute.
          </p>
        ) : null}
        <p class="error">{message}</p>
      </div>
    </main>
  );
}

export function App({ store }: { store: DashStore }) {
  const [crash, resetCrash] = useErrorBoundary();
  const s = useStore(store);
  const [width, setWidth] = useState(() => Math.min(1100, window.innerWidth - 80));
  useEffect(() => {
    const onResize = () => setWidth(Math.min(1100, window.innerWidth - 80));
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);

  if (crash) {
    return (
      <main class="center">
        <div class="card">
          <h1>Something on this page broke</h1>
          <p class="error">{String((crash as Error).message ?? crash)}</p>
          <button onClick={resetCrash}>Try again</button>
        </div>
      </main>
    );
  }
  if (s.fatal) return <LoginNeeded {...s.fatal} />;
  const info = s.info;
  if (!info) return <main class="center">Reading the node…</main>;

  const peerHost = info.peerUrl.replace(/^ws:\/\//, '');
  const nodeUri = `${info.nodeId}@${peerHost}`;
  const channels = [...s.channels.values()];
  const streams = [...s.streams.values()];
  return (
    <>
      <header>
        <h1>
          sluice <span class="alias" data-testid="alias">{info.alias}</span>
        </h1>
        <span class={`feed ${s.feed}`} data-testid="feed" data-state={s.feed}>
          {s.feed === 'live' ? 'live' : s.feed === 'connecting' ? 'connecting…' : 'event feed lost, reconnecting…'}
        </span>
        <button
          class="link"
          onClick={() => {
            store.stop();
            void logout().then(() => location.reload());
          }}
        >
          Log out
        </button>
      </header>
      <main>
        <section class="grid node" data-testid="node">
          <div class="card">
            <h2>Node</h2>
            <dl>
              <dt>id</dt>
              <dd class="mono break" data-testid="node-id">{info.nodeId}</dd>
              <dt>address</dt>
              <dd class="mono break">{nodeUri}</dd>
              <dt>ledger</dt>
              <dd>
                {info.ledgerUrl} · height <span data-testid="height">{info.height}</span>
              </dd>
              <dt>on the ledger</dt>
              <dd data-testid="ledger-balance">{s.wallet ? formatMsat(s.wallet.balance) : 'ledger unreachable'}</dd>
              <dt>in channels</dt>
              <dd>{s.wallet ? formatMsat(s.wallet.inChannels) : '—'}</dd>
              <dt>peers</dt>
              <dd>
                {info.peers.connected} connected of {info.peers.known}
              </dd>
            </dl>
          </div>
          <div class="card qr-card">
            <QrCode text={nodeUri} label="this node's address as a QR code" />
            <p class="muted">scan to connect to this node</p>
          </div>
        </section>
        <section class="card">
          <h2>Activity</h2>
          <LiveChart series={s.series} width={width} />
        </section>
        <section class="card">
          <h2>Channels</h2>
          <Channels channels={channels} streams={streams} paymentsByChannel={s.paymentsByChannel} />
        </section>
        <section class="card">
          <h2>Streams</h2>
          <Streams streams={streams} sparks={s.sparks} />
        </section>
        <section class="grid forms">
          <ConnectForm />
          <FaucetForm />
          <OpenChannelForm peers={s.peers} />
          <PayForm peers={s.peers} />
          <PayInvoiceForm />
          <InvoiceForm onCreated={(i) => store.addInvoice(i)} />
          <StreamForm peers={s.peers} />
        </section>
        <section class="card">
          <h2>Recent payments</h2>
          <Payments payments={s.payments} />
        </section>
        <section class="card">
          <h2>Invoices</h2>
          <Invoices invoices={s.invoices} />
        </section>
        <section class="card">
          <h2>Payments over routes</h2>
          <RoutedPayments payments={s.routedPayments} />
        </section>
        <section class="card">
          <h2>Forwards</h2>
          <Forwards forwards={s.forwards} />
        </section>
      </main>
    </>
  );
}
