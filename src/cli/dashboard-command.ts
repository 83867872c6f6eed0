// `sluice dashboard`: a one-time login link for the node's dashboard (printed, or opened with --open).
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { requestLoginLink } from '../api/dashboard-link.js';
import { readToken } from '../api/token.js';
import { readApiUrl } from '../api/url-file.js';
import { withConnectionOptions, type ConnectionOptions } from './node-connection.js';
import { print } from './output.js';

export function registerDashboardCommand(program: Command): void {
  withConnectionOptions(
    program
      .command('dashboard')
      .description("a one-time login link for the node's dashboard in a browser (valid for a minute, once)")
      .option('--open', 'open the link in the default browser (xdg-open / open)'),
  ).action(async (o: ConnectionOptions & { open?: boolean }) => {
    const apiUrl = o.api ?? (await readApiUrl(o.dataDir));
    const token = o.token ?? (await readToken(o.dataDir));
    const link = await requestLoginLink({ apiUrl, token });
    print(o, link, () => `${link.url}\n(open it in a browser on this machine within a minute; it works once)`);
    if (o.open) openInBrowser(link.url);
  });
}

function openInBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', (e) => process.stderr.write(`could not start ${opener} (${e.message}); open the link by hand\n`));
  child.unref();
}
