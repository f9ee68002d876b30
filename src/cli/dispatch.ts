/**
 * The `maskpack` command: a table of subcommands, each in its own module. To add one, import its
 * {@link Command} and add a row to `COMMANDS`. `main.ts` runs it as the package's `bin`.
 */
import { MaskpackError } from '../errors.js';
import { MASKPACK_VERSION } from '../version.js';
import { UsageError, type Command } from './command.js';
import { exportCommand } from './export.js';
import { exportFairseqCommand } from './export-fairseq.js';
import { ingestCommand } from './ingest.js';
import { inspectCommand } from './inspect.js';
import { mergeCommand } from './merge.js';
import { statsCommand } from './stats.js';
import { streamCommand } from './stream.js';
import { trainCommand } from './train.js';

const COMMANDS: Record<string, Command> = {
  ingest: ingestCommand,
  merge: mergeCommand,
  inspect: inspectCommand,
  export: exportCommand,
  'export-fairseq': exportFairseqCommand,
  stream: streamCommand,
  stats: statsCommand,
  train: trainCommand,
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'Usage: maskpack <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "maskpack help <command>" or "maskpack <command> --help" for the options of a command,',
    '"maskpack --version" for the version.',
  ].join('\n');
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${MASKPACK_VERSION}\n`);
    return 0;
  }
  if (name === 'help' && rest.length > 0) {
    const topic = Object.hasOwn(COMMANDS, rest[0]) ? COMMANDS[rest[0]] : undefined;
    if (topic && rest.length === 1) {
      process.stdout.write(`${topic.usage}\n`);
      return 0;
    }
    process.stderr.write(`maskpack help: ${topic ? 'expected one command' : `unknown command ${JSON.stringify(rest[0])}`}\n\n${help()}\n`);
    return 2;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`maskpack: unknown command ${JSON.stringify(name)}\n\n${help()}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const e = err as Error & { code?: string };
    // Usage errors only: an option error the command could not trace to one of its flags, or any
    // other TypeError/RangeError, is a failure of the run (a defect of the store, a bug), exit 1.
    if (err instanceof UsageError || (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`maskpack ${name}: ${e.message}\nRun "maskpack ${name} --help" for usage.\n`);
      return 2;
    }
    const code = err instanceof MaskpackError ? ` [${err.code}]` : '';
    process.stderr.write(`maskpack ${name}: ${e.message}${code}\n`);
    return 1;
  }
}
