#!/usr/bin/env node
/**
 * The `maskpack` command: a table of subcommands, each in its own module. To add one, import its
 * {@link Command} and add a row to `COMMANDS`.
 */
import { MaskpackError } from '../errors.js';
import { UsageError, type Command } from './command.js';
import { exportCommand } from './export.js';
import { exportFairseqCommand } from './export-fairseq.js';
import { ingestCommand } from './ingest.js';
import { inspectCommand } from './inspect.js';
import { mergeCommand } from './merge.js';
import { statsCommand } from './stats.js';
import { trainCommand } from './train.js';

const COMMANDS: Record<string, Command> = {
  ingest: ingestCommand,
  merge: mergeCommand,
  inspect: inspectCommand,
  export: exportCommand,
  'export-fairseq': exportFairseqCommand,
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
    'Run "maskpack <command> --help" for the options of a command.',
  ].join('\n');
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`maskpack: unknown command ${JSON.stringify(name)}\n\n${help()}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS') || err instanceof TypeError || err instanceof RangeError) {
      process.stderr.write(`maskpack ${name}: ${e.message}\nRun "maskpack ${name} --help" for usage.\n`);
      return 2;
    }
    const code = err instanceof MaskpackError ? ` [${err.code}]` : '';
    process.stderr.write(`maskpack ${name}: ${e.message}${code}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
