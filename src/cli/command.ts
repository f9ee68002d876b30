import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What every subcommand module provides to the dispatcher in `main.ts`. */
export interface Command {
  /** One line for `maskpack --help`. */
  readonly summary: string;
  /** Full `--help` text of the subcommand. */
  readonly usage: string;
  /** Run with the arguments after the subcommand name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** A command-line mistake: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parse a positive integer option value or throw a {@link UsageError} naming the option. */
export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

type FlagConfig = NonNullable<ParseArgsConfig['options']>;
/** What `parseArgs` returns for positionals and the flags `F` (typed by their declarations). */
type Parsed<F extends FlagConfig> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: F }>>;

/**
 * Parses a subcommand's arguments: its `flags` plus `-h/--help`, positionals allowed, unknown
 * flags refused (Node's `ERR_PARSE_ARGS_*` errors, which `main.ts` reports as usage errors).
 * Returns undefined once `--help` has printed `usage` (the command then exits 0).
 */
export function parseCommand<const F extends FlagConfig & { help?: never }>(argv: string[], usage: string, flags: F): Parsed<F> | undefined {
  const parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...flags, help: { type: 'boolean', short: 'h' } } as const });
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return parsed as unknown as Parsed<F>;
}

/** The one store prefix a command takes, or a {@link UsageError} saying how many were given. */
export function onePrefix(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`expected one store prefix, got ${positionals.length}`);
  return positionals[0];
}
