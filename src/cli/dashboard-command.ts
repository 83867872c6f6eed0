// What `sluice dashboard` does: a one-time login link for the node's dashboard (printed, or opened with --open).
import { spawn } from 'node:child_process';
import { requestLoginLink } from '../api/dashboard-link.js';
import { nodeAddress, type ConnectionOptions } from './node-connection.js';
import { print } from './output.js';

export async function dashboard(o: ConnectionOptions & { open?: boolean }): Promise<void> {
  const { url: apiUrl, token } = await nodeAddress(o);
  const link = await requestLoginLink({ apiUrl, token });
  print(o, link, () => `${link.url}\n(open it in a browser on this machine within a minute; it works once)`);
  if (o.open) openInBrowser(link.url);
}

function openInBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', (e) => process.stderr.write(`could not start ${opener} (${e.message}); open the link by hand\n`));
  child.unref();
}
