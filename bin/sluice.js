#!/usr/bin/env node
// The `sluice` command: runs the compiled CLI (built by `npm install` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('sluice: dist/ is missing; run `npm install` (or `npm run build`) in the sluice checkout first');
  process.exit(1);
}
await import(entry.href);
