// Entry point: take the login key out of the address, read the node, follow its events, draw.
import { render } from 'preact';
import { takeKeyFromAddress } from './api';
import { App } from './App';
import { DashStore } from './store';
import './style.css';

takeKeyFromAddress();
const store = new DashStore();
const root = document.getElementById('app')!;
render(<App store={store} />, root);
store.start().catch((e: unknown) => {
  root.textContent = `The dashboard could not start: ${(e as Error).message}`;
});
