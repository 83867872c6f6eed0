// The `sluice` command line: the command tree, then one handler, then the exit code. With --json,
// usage errors and failures alike are a JSON document on stderr (see output.ts).
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { writeError } from './output.js';

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const program = buildProgram();
  // commander prints its own usage errors (and a hint after them); in --json mode the error is written
  // below as one JSON document instead, and nothing else goes to stderr.
  const writeErr = (text: string) => (json ? undefined : process.stderr.write(text));
  program.configureOutput({ outputError: (text, write) => write(explainUsage(text)), writeErr });
  for (const c of allCommands(program)) c.configureOutput(program.configureOutput());
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (json && e.exitCode !== 0) writeError(e, true, explainUsage(e.message).replace(/^error: /, ''));
      return e.exitCode;
    }
    writeError(e, json);
    return typeof (e as { exitCode?: unknown }).exitCode === 'number' ? (e as { exitCode: number }).exitCode : 1;
  }
}

/** `sluice pay NODE -5sat`: commander takes `-5sat` for an option; say what it is instead. */
function explainUsage(text: string): string {
  return text.replace(/unknown option '(-\d[^']*)'/, "'$1' is not an option, and amounts, counts and durations cannot be negative");
}

function allCommands(c: import('commander').Command): import('commander').Command[] {
  return c.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}

main(process.argv).then(
  (code) => process.exit(code),
  (e: unknown) => {
    writeError(e, process.argv.includes('--json'));
    process.exit(1);
  },
);
