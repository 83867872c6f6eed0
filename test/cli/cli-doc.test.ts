// docs/cli.md's reference section is the command tree as `--help` prints it: every command, argument,
// option and default. Run with UPDATE_CLI_DOC=1 to rewrite it after changing a command.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { commandReference, DOC_BEGIN, DOC_END } from '../../src/cli/help-doc.js';
import { buildProgram } from '../../src/cli/program.js';

const DOC = fileURLToPath(new URL('../../docs/cli.md', import.meta.url));

function program(): Command {
  const saved = process.env['SLUICE_HOME'];
  process.env['SLUICE_HOME'] = '~/.sluice'; // defaults as a reader's machine shows them
  try {
    return buildProgram();
  } finally {
    if (saved === undefined) delete process.env['SLUICE_HOME'];
    else process.env['SLUICE_HOME'] = saved;
  }
}

describe('docs/cli.md', () => {
  it('lists every command and option exactly as --help prints them', () => {
    const text = readFileSync(DOC, 'utf8');
    const begin = text.indexOf(DOC_BEGIN);
    const end = text.indexOf(DOC_END);
    expect(begin, 'docs/cli.md has the reference markers').toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(begin);
    const want = `${DOC_BEGIN}\n\n${commandReference(program())}\n${DOC_END}`;
    const have = text.slice(begin, end + DOC_END.length);
    if (process.env['UPDATE_CLI_DOC'] && have !== want) writeFileSync(DOC, text.slice(0, begin) + want + text.slice(end + DOC_END.length));
    else expect(have, 'docs/cli.md drifted from the command tree: rerun with UPDATE_CLI_DOC=1').toBe(want);
  });

  it('the reference covers every runnable command, each with its help text', () => {
    const ref = commandReference(program());
    for (const path of ['sluice channel info', 'sluice stream status', 'sluice peer disconnect', 'sluice node stop', 'sluice wallet send', 'sluice ledger tx', 'sluice ledger block', 'sluice ledger channel', 'sluice version']) {
      expect(ref).toContain(`### \`${path} `);
    }
    expect(ref).toContain('| `--data-dir <dir>` | node data directory (holds api-url and api-token) (default: "~/.sluice/node") |');
    expect(ref).toContain('env: SLUICE_LEDGER)');
  });
});
