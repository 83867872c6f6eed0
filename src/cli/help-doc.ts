// The command reference in docs/cli.md, generated from the command tree itself with commander's own
// help formatter, so every command, argument, option and default reads exactly as `--help` prints it.
// test/cli/cli-doc.test.ts fails when the file and the tree drift apart (and rewrites the file with
// UPDATE_CLI_DOC=1).
import type { Command, Help } from 'commander';

export const DOC_BEGIN = '<!-- reference: generated from the command tree; UPDATE_CLI_DOC=1 npx vitest run test/cli/cli-doc.test.ts -->';
export const DOC_END = '<!-- end of reference -->';

const cell = (text: string) => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();

function leaves(cmd: Command): Command[] {
  const subs = cmd.commands.filter((c) => c.name() !== 'help');
  return subs.length === 0 ? [cmd] : subs.flatMap(leaves);
}

function section(cmd: Command, help: Help): string {
  const args = help.visibleArguments(cmd);
  const opts = help.visibleOptions(cmd).filter((o) => o.long !== '--help');
  const out = [`### \`${help.commandUsage(cmd)}\``, '', cell(help.commandDescription(cmd)), ''];
  if (args.length) {
    out.push('| argument | meaning |', '|---|---|');
    for (const a of args) out.push(`| \`${help.argumentTerm(a)}\` | ${cell(help.argumentDescription(a))} |`);
    out.push('');
  }
  if (opts.length) {
    out.push('| option | meaning |', '|---|---|');
    for (const o of opts) out.push(`| \`${help.optionTerm(o)}\` | ${cell(help.optionDescription(o))} |`);
    out.push('');
  }
  return out.join('\n');
}

/** Every runnable command of `program`, in the order `--help` lists them. */
export function commandReference(program: Command): string {
  const help = program.createHelp();
  return leaves(program).map((c) => section(c, help)).join('\n');
}
