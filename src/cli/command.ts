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
