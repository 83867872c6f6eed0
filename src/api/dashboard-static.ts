// The dashboard's compiled files (web/dist, built by `npm run build:web`, which `prepare` runs), read
// into memory once when the server starts: a request is a map lookup, so no URL can reach the file
// system (no path traversal) and the bytes served are the ones built.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** src/api or dist/api -> the repository's web/dist. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url));
const MAX_FILES = 200;
const MAX_TOTAL_BYTES = 16 * 1024 * 1024;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

export interface StaticFile {
  body: Buffer;
  type: string;
  /** Vite names assets by their content hash, so they may be cached for good; index.html may not. */
  immutable: boolean;
}

export interface WebFiles {
  /** URL path ('/index.html', '/assets/index-abc123.js') -> file. */
  files: Map<string, StaticFile>;
  /** Set when there is nothing to serve: what to tell the person who opened the page. */
  missing?: string;
}

export function loadWebFiles(root: string = DEFAULT_WEB_ROOT): WebFiles {
  const files = new Map<string, StaticFile>();
  if (!existsSync(join(root, 'index.html'))) {
    return { files, missing: `the dashboard is not built (no ${join(root, 'index.html')}); run \`npm run build:web\`` };
  }
  let total = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) {
        walk(full);
        continue;
      }
      const type = TYPES[extname(name)];
      if (!type) continue; // source maps and anything unexpected stay unserved
      const body = readFileSync(full);
      total += body.length;
      if (files.size >= MAX_FILES || total > MAX_TOTAL_BYTES) throw new Error(`${root}: more than ${MAX_FILES} files or ${MAX_TOTAL_BYTES} bytes; is this the dashboard build?`);
      const path = '/' + relative(root, full).split(sep).join('/');
      files.set(path, { body, type, immutable: path.startsWith('/assets/') });
    }
  };
  walk(root);
  return { files };
}
